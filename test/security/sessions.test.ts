import assert from "node:assert/strict";
import { test } from "node:test";
import { sql } from "drizzle-orm";
import { hashToken } from "../../src/lib/tokens.ts";
import { Browser } from "../helpers/browser.ts";
import { makeAdmin, makeAgent, makeCustomer } from "../helpers/factories.ts";
import { describeEachDatabase } from "../helpers/world.ts";
import { header, sessionCookieOf, setCookies } from "./support.ts";

/** A browser that carries exactly these cookies (as if an attacker had planted them). */
function browserWith(world: { app: Browser["app"] }, cookies: Record<string, string>): Browser {
  const browser = new Browser(world.app);
  for (const [k, v] of Object.entries(cookies)) browser.cookies.set(k, v);
  return browser;
}

describeEachDatabase("sessions: fixation, sign-out, disabling, cookie flags", (world) => {
  test("sign-in issues a new session id: a planted cookie is never adopted", async () => {
    const user = await makeCustomer(world().deps);
    const planted = "A".repeat(43);
    const victim = browserWith(world(), { tessera_session: planted });
    const response = await victim.post(
      "/login",
      { email: user.email, password: user.password },
      { csrfFrom: "/login" },
    );
    assert.equal(response.statusCode, 303);
    const issued = sessionCookieOf(response);
    assert.ok(issued, "sign-in sets a session cookie");
    assert.notEqual(issued.value, planted);
    assert.ok(issued.value.length >= 40, "the session id carries at least 32 random bytes");
    const attacker = browserWith(world(), { tessera_session: planted });
    assert.equal((await attacker.get("/account")).statusCode, 303, "the planted id is no session");
  });

  test("a real session planted in the victim's browser does not become the victim's", async () => {
    const { deps } = world();
    const attackerUser = await makeCustomer(deps);
    const victimUser = await makeCustomer(deps, { name: "Victim Person" });
    const attacker = await world().signedIn(attackerUser);
    const victim = browserWith(world(), Object.fromEntries(attacker.cookies));
    const signIn = await victim.post(
      "/login",
      { email: victimUser.email, password: victimUser.password },
      // The planted session is live, so /login redirects: the form token comes from a page.
      { csrfFrom: "/account" },
    );
    assert.equal(signIn.statusCode, 303);
    assert.notEqual(victim.cookies.get("tessera_session"), attacker.cookies.get("tessera_session"));
    const seen = await attacker.get("/account");
    assert.doesNotMatch(seen.body, /Victim Person/, "the attacker's cookie shows not the victim");
    assert.equal(seen.statusCode, 303, "the session that was replaced has ended");
  });

  test("only a hash of the session id is stored", async () => {
    const user = await makeCustomer(world().deps);
    const browser = await world().signedIn(user);
    const token = browser.cookies.get("tessera_session") ?? "";
    const result = await world().deps.db.execute(
      sql`select count(*)::int as n from sessions where id = ${token} or id = ${hashToken(token)}`,
    );
    const rows = (result as unknown as { rows: { n: number }[] }).rows;
    assert.equal(rows[0]?.n, 1, "found by its hash");
    const plain = await world().deps.db.execute(
      sql`select count(*)::int as n from sessions where id = ${token}`,
    );
    assert.equal((plain as unknown as { rows: { n: number }[] }).rows[0]?.n, 0);
  });

  test("sign-out ends the session on the server, not only in the browser", async () => {
    const user = await makeCustomer(world().deps);
    const browser = await world().signedIn(user);
    const copy = new Map(browser.cookies);
    const out = await browser.post("/logout");
    assert.equal(out.statusCode, 303);
    const cleared = sessionCookieOf(out);
    assert.ok(cleared && (cleared.value === "" || cleared.maxAge === 0), "the cookie is cleared");
    const replay = browserWith(world(), Object.fromEntries(copy));
    const response = await replay.get("/tickets");
    assert.equal(response.statusCode, 303);
    assert.match(header(response, "location"), /^\/login/);
  });

  test("disabling a user ends every session of theirs at once, and they cannot sign in", async () => {
    const { deps } = world();
    const admin = await world().signedIn(await makeAdmin(deps));
    const user = await makeAgent(deps);
    const laptop = await world().signedIn(user);
    const phone = await world().signedIn(user);
    assert.equal((await laptop.get("/desk")).statusCode, 200);
    const disable = await admin.post(`/admin/users/${user.id}`, { disabled: "true" });
    assert.equal(disable.statusCode, 303);
    for (const device of [laptop, phone]) {
      const response = await device.get("/desk");
      assert.equal(response.statusCode, 303, "the next request is signed out");
    }
    const again = await world()
      .browser()
      .post("/login", { email: user.email, password: user.password });
    assert.equal(again.statusCode, 401);
  });

  test("a demoted agent loses the desk on their very next request", async () => {
    const { deps } = world();
    const admin = await world().signedIn(await makeAdmin(deps));
    const user = await makeAgent(deps);
    const agent = await world().signedIn(user);
    assert.equal((await agent.get("/desk")).statusCode, 200);
    assert.equal(
      (await admin.post(`/admin/users/${user.id}`, { role: "customer" })).statusCode,
      303,
    );
    assert.equal((await agent.get("/desk")).statusCode, 403);
  });

  test("changing the password signs out every other session", async () => {
    const user = await makeCustomer(world().deps);
    const other = await world().signedIn(user);
    const current = await world().signedIn(user);
    const changed = await current.post(
      "/account/password",
      { currentPassword: user.password, newPassword: "a brand new password" },
      { csrfFrom: "/account" },
    );
    assert.equal(changed.statusCode, 303);
    assert.equal((await other.get("/account")).statusCode, 303);
    assert.equal((await current.get("/account")).statusCode, 200);
  });

  test("cookies over http: HttpOnly, SameSite=Lax, whole site, not Secure", async () => {
    const user = await makeCustomer(world().deps);
    const browser = world().browser();
    const form = await browser.get("/login");
    const csrf = setCookies(form).find((c) => c.name.endsWith("tessera_csrf"));
    const signIn = await browser.signIn(user.email, user.password);
    const session = sessionCookieOf(signIn);
    for (const cookie of [csrf, session]) {
      assert.ok(cookie);
      assert.equal(cookie.httpOnly, true, `${cookie.name} HttpOnly`);
      assert.equal(cookie.sameSite, "Lax", `${cookie.name} SameSite`);
      assert.equal(cookie.path, "/");
      assert.equal(cookie.domain, undefined, `${cookie.name} is not shared with other hosts`);
    }
    assert.equal(session?.name, "tessera_session");
    assert.ok((session?.maxAge ?? 0) > 0, "the session cookie expires");
  });
});
