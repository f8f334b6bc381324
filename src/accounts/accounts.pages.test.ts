import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { desc, eq } from "drizzle-orm";
import type { LightMyRequestResponse } from "fastify";
import type { Browser } from "../../test/helpers/browser.ts";
import { makeCustomer, PASSWORD } from "../../test/helpers/factories.ts";
import { describeEachDatabase, type World } from "../../test/helpers/world.ts";
import { outbox } from "../db/schema/index.ts";
import { findUserByEmail } from "./accounts.repo.ts";
import { resolveSession, setupLink } from "./accounts.service.ts";

const SESSION = "tessera_session";
const NO_MATCH = "That email and password do not match an active account.";

function unique(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString("hex")}@example.test`;
}

/** The raw Set-Cookie header for the session cookie, if the response set one. */
function sessionSetCookie(response: LightMyRequestResponse): string | undefined {
  const header = response.headers["set-cookie"];
  const all = Array.isArray(header) ? header : header ? [String(header)] : [];
  return all.find((c) => c.startsWith(`${SESSION}=`));
}

/** The message in a form's error summary. */
function formMessage(body: string): string | undefined {
  return /<div class="form-errors"[^>]*><p>([^<]*)<\/p>/.exec(body)?.[1];
}

/** Whether `browser` is signed in, as the server sees it. */
async function isSignedIn(browser: Browser): Promise<boolean> {
  const response = await browser.get("/account");
  if (response.statusCode === 200) return true;
  assert.equal(response.statusCode, 303);
  assert.match(String(response.headers.location), /^\/login/);
  return false;
}

/** A browser that holds nothing but the given session cookie. */
function browserWithSession(world: World, token: string): Browser {
  const browser = world.browser();
  browser.cookies.set(SESSION, token);
  return browser;
}

function sessionToken(browser: Browser): string {
  const token = browser.cookies.get(SESSION);
  assert.ok(token, "the browser has a session cookie");
  return token;
}

/** The path of the sign-up confirmation link in the newest mail to `email`. */
async function confirmLinkFor(world: World, email: string): Promise<string> {
  const [mail] = await world.deps.db
    .select()
    .from(outbox)
    .where(eq(outbox.toAddress, email))
    .orderBy(desc(outbox.id))
    .limit(1);
  const link = /https?:\/\/[^\s/]+(\/signup\/confirm\?token=[A-Za-z0-9_-]+)/.exec(
    mail?.textBody ?? "",
  )?.[1];
  assert.ok(link, `a confirmation link mailed to ${email}`);
  return link;
}

describeEachDatabase("account pages", (world) => {
  test("sign-up answers 'check your inbox'; the mailed link creates the customer and signs them in with an HttpOnly, SameSite=Lax cookie", async () => {
    const { deps } = world();
    const b = world().browser();
    const email = unique("signup");
    const answer = await b.post("/signup", { email, name: "Ada Lovelace", password: PASSWORD });
    assert.equal(answer.statusCode, 200);
    assert.match(answer.body, /Check your inbox/);
    assert.equal(sessionSetCookie(answer), undefined, "nobody is signed in yet");
    assert.equal(await findUserByEmail(deps.db, email), undefined, "nothing is created yet");

    const link = await confirmLinkFor(world(), email);
    const page = await b.get(link);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Confirm and sign in/);
    assert.equal(
      await findUserByEmail(deps.db, email),
      undefined,
      "opening the link changes nothing",
    );
    const response = await b.post(link, {}, { csrfFrom: link });
    assert.equal(response.statusCode, 303);
    assert.equal(response.headers.location, "/tickets?notice=welcome");
    const cookie = sessionSetCookie(response);
    assert.ok(cookie, "a session cookie is set");
    assert.match(cookie, /;\s*HttpOnly/i);
    assert.match(cookie, /;\s*SameSite=Lax/i);
    assert.match(cookie, /;\s*Path=\//i);

    const row = await findUserByEmail(deps.db, email);
    assert.equal(row?.role, "customer");
    assert.equal(row?.name, "Ada Lovelace");
    assert.notEqual(row?.passwordHash, PASSWORD);

    const account = await b.get("/account");
    assert.equal(account.statusCode, 200);
    assert.match(account.body, new RegExp(email));
  });

  test("sign-up with a bad email and a short password re-renders with messages and keeps name and email", async () => {
    const b = world().browser();
    const response = await b.post("/signup", {
      email: "not-an-email",
      name: "Ada <Lovelace>",
      password: "short77",
    });
    assert.equal(response.statusCode, 422);
    assert.match(response.body, /Email must be an email address/);
    assert.match(response.body, /Password must be at least 8 characters/);
    assert.match(response.body, /name="email" value="not-an-email"/);
    assert.match(response.body, /name="name" value="Ada &lt;Lovelace/);
    assert.doesNotMatch(response.body, /<Lovelace/);
    assert.doesNotMatch(response.body, /short77/, "the password is never echoed");
    assert.match(response.body, /aria-invalid="true"/);
    assert.equal(sessionSetCookie(response), undefined);
    assert.equal(await isSignedIn(b), false);
  });

  test("sign-up with an email that exists in another case changes nothing", async () => {
    const { deps } = world();
    const existing = await makeCustomer(deps, { email: unique("taken") });
    const b = world().browser();
    const response = await b.post("/signup", {
      email: existing.email.toUpperCase(),
      name: "Impostor",
      password: PASSWORD,
    });
    assert.equal(response.statusCode, 200);
    assert.match(response.body, /Check your inbox/);
    assert.equal((await findUserByEmail(deps.db, existing.email))?.name, existing.name);
    await world().browser().signIn(existing.email, existing.password);
  });

  test("sign-in issues a new session id, whatever cookie the browser sent (no fixation)", async () => {
    const { deps } = world();
    const user = await makeCustomer(deps);
    // An attacker plants a session id of their choosing.
    const b = world().browser();
    b.cookies.set(SESSION, "planted-by-an-attacker");
    const signedIn = await b.post(
      "/login",
      { email: user.email, password: user.password },
      { csrfFrom: "/login" },
    );
    assert.equal(signedIn.statusCode, 303);
    const first = sessionToken(b);
    assert.notEqual(first, "planted-by-an-attacker");

    // Signing in again over a live session replaces it, and the old id stops working.
    const again = await b.post("/login", { email: user.email, password: user.password });
    assert.equal(again.statusCode, 303);
    const second = sessionToken(b);
    assert.notEqual(second, first);
    assert.equal(await resolveSession(deps, first), undefined);
    assert.equal(await isSignedIn(browserWithSession(world(), first)), false);
    assert.equal(await isSignedIn(b), true);
  });

  test("confirming a sign-up over an existing session starts a new session and ends the old one", async () => {
    const { deps } = world();
    const user = await makeCustomer(deps);
    const b = await world().signedIn(user);
    const before = sessionToken(b);
    const email = unique("second");
    const answer = await b.post("/signup", { email, name: "Second account", password: PASSWORD });
    assert.equal(answer.statusCode, 200);
    assert.equal(sessionToken(b), before, "asking changes no session");
    const link = await confirmLinkFor(world(), email);
    const response = await b.post(link, {}, { csrfFrom: link });
    assert.equal(response.statusCode, 303);
    assert.notEqual(sessionToken(b), before);
    assert.equal(await resolveSession(deps, before), undefined);
  });

  test("a wrong password and an unknown email get the same 401 answer", async () => {
    const { deps } = world();
    const user = await makeCustomer(deps);
    const wrong = await world().browser().post("/login", {
      email: user.email,
      password: "not the password",
    });
    const unknown = await world()
      .browser()
      .post("/login", {
        email: unique("nobody"),
        password: "not the password",
      });
    assert.equal(wrong.statusCode, 401);
    assert.equal(unknown.statusCode, 401);
    assert.equal(formMessage(wrong.body), NO_MATCH);
    assert.equal(formMessage(unknown.body), NO_MATCH);
    assert.equal(sessionSetCookie(wrong), undefined);
    // The email typed is kept; the password is not.
    assert.match(wrong.body, new RegExp(`name="email" value="${user.email}"`));
    assert.doesNotMatch(wrong.body, /not the password/);
  });

  test("logout ends the session on the server, so the old cookie no longer works", async () => {
    const { deps } = world();
    const user = await makeCustomer(deps);
    const b = await world().signedIn(user);
    const token = sessionToken(b);
    const response = await b.post("/logout");
    assert.equal(response.statusCode, 303);
    assert.equal(response.headers.location, "/login?notice=signed-out");
    assert.equal(b.signedIn, false, "the cookie is cleared");
    assert.equal(await resolveSession(deps, token), undefined);
    // Someone who kept a copy of the cookie is not signed in either.
    const copy = browserWithSession(world(), token);
    const account = await copy.get("/account");
    assert.equal(account.statusCode, 303);
    assert.equal(account.headers.location, "/login?next=%2Faccount");
  });

  test("next= only sends the browser to a local path", async () => {
    const { deps } = world();
    const user = await makeCustomer(deps);
    for (const next of [
      "//evil.example",
      "https://evil.example",
      "/\\evil",
      "javascript:alert(1)",
    ]) {
      const response = await world().browser().post("/login", {
        email: user.email,
        password: user.password,
        next,
      });
      assert.equal(response.statusCode, 303, next);
      assert.equal(response.headers.location, "/tickets", next);
    }
    const local = await world().browser().post("/login", {
      email: user.email,
      password: user.password,
      next: "/account?tab=1",
    });
    assert.equal(local.headers.location, "/account?tab=1");
  });

  test("a signed-in visitor to /login goes home, never to a foreign next=", async () => {
    const { deps } = world();
    const user = await makeCustomer(deps);
    const b = await world().signedIn(user);
    const response = await b.get(`/login?next=${encodeURIComponent("//evil.example/x")}`);
    assert.equal(response.statusCode, 303);
    assert.equal(response.headers.location, "/tickets");
  });

  test("a form posted without a CSRF token is refused with 403", async () => {
    const { deps } = world();
    const user = await makeCustomer(deps);
    const anonymous = await world().browser().post("/login", {
      _csrf: "",
      email: user.email,
      password: user.password,
    });
    assert.equal(anonymous.statusCode, 403);
    assert.equal(sessionSetCookie(anonymous), undefined);

    const b = await world().signedIn(user);
    const logout = await b.post("/logout", { _csrf: "" });
    assert.equal(logout.statusCode, 403);
    assert.equal(await isSignedIn(b), true, "the session was not ended");
  });

  test("a CSRF token from another session is refused with 403", async () => {
    const { deps } = world();
    const alice = await makeCustomer(deps);
    const mallory = await makeCustomer(deps);
    const a = await world().signedIn(alice);
    const m = await world().signedIn(mallory);
    const malloryToken = await m.csrf();
    const forged = await a.post("/account/password", {
      _csrf: malloryToken,
      currentPassword: alice.password,
      newPassword: "a brand new password",
    });
    assert.equal(forged.statusCode, 403);

    // The same browser's token from before it signed in again is no good either.
    const stale = await a.csrf();
    await a.signIn(alice.email, alice.password);
    const replayed = await a.post("/logout", { _csrf: stale });
    assert.equal(replayed.statusCode, 403);
    assert.equal(await isSignedIn(a), true);
  });

  test("changing the password requires the current one", async () => {
    const { deps } = world();
    const user = await makeCustomer(deps);
    const b = await world().signedIn(user);
    const wrong = await b.post("/account/password", {
      currentPassword: "not my password",
      newPassword: "a brand new password",
    });
    assert.equal(wrong.statusCode, 422);
    assert.match(wrong.body, /Current password is not your current password/);
    const short = await b.post("/account/password", {
      currentPassword: user.password,
      newPassword: "short",
    });
    assert.equal(short.statusCode, 422);
    assert.match(short.body, /New password must be at least 8 characters/);
    // Nothing changed: the old password still works.
    await world().browser().signIn(user.email, user.password);
  });

  test("changing the password ends other sessions and keeps this browser signed in", async () => {
    const { deps } = world();
    const user = await makeCustomer(deps);
    const here = await world().signedIn(user);
    const elsewhere = await world().signedIn(user);
    const before = sessionToken(here);
    const newPassword = "a brand new password";
    const response = await here.post("/account/password", {
      currentPassword: user.password,
      newPassword,
    });
    assert.equal(response.statusCode, 303);
    assert.equal(response.headers.location, "/account?notice=password-changed");
    assert.notEqual(sessionToken(here), before, "this browser gets a new session id");
    assert.equal(await resolveSession(deps, before), undefined);
    assert.equal(await isSignedIn(here), true);
    assert.equal(await isSignedIn(elsewhere), false);

    const old = await world().browser().post("/login", {
      email: user.email,
      password: user.password,
    });
    assert.equal(old.statusCode, 401);
    await world().browser().signIn(user.email, newPassword);
  });
});

// A database of its own: the rate limit counts every attempt from the test's one address.
describeEachDatabase("account pages: sign-in throttling", (world) => {
  test("the 11th failed attempt for one account answers 429 with Retry-After", async () => {
    const { deps } = world();
    const user = await makeCustomer(deps);
    for (let i = 1; i <= 10; i++) {
      const response = await world()
        .browser()
        .post("/login", {
          email: user.email,
          password: `wrong ${i}`,
        });
      assert.equal(response.statusCode, 401, `attempt ${i}`);
    }
    const blocked = await world().browser().post("/login", {
      email: user.email,
      password: "wrong 11",
    });
    assert.equal(blocked.statusCode, 429);
    const retryAfter = Number(blocked.headers["retry-after"]);
    assert.ok(Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= 15 * 60);
    assert.match(formMessage(blocked.body) ?? "", /Too many sign-in attempts/);
    // The right password does not get through while the account is locked.
    const right = await world().browser().post("/login", {
      email: user.email,
      password: user.password,
    });
    assert.equal(right.statusCode, 429);
    assert.equal(sessionSetCookie(right), undefined);
    // Other accounts are not locked.
    const other = await makeCustomer(deps);
    await world().browser().signIn(other.email, other.password);
  });
});

// A database of its own: setup is open only while no account exists.
describeEachDatabase("first-run setup page", (world) => {
  test("setup answers 404 without the right token, creates the first admin with it, then 404 for good", async () => {
    const { deps } = world();
    const b = world().browser();
    assert.equal((await b.get("/setup")).statusCode, 404);
    assert.equal((await b.get("/setup?token=guess")).statusCode, 404);
    const login = await b.get("/login");
    assert.match(login.body, /no accounts yet/);

    const link = await setupLink(deps);
    assert.ok(link, "a setup link exists while there are no accounts");
    const url = new URL(link);
    const path = `${url.pathname}${url.search}`;
    const page = await b.get(path);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Set up Tessera/);

    const fields = { email: unique("first-admin"), name: "First Admin", password: PASSWORD };
    const wrongToken = await b.post("/setup?token=guess", fields);
    assert.equal(wrongToken.statusCode, 404);
    const wrongTokenBadInput = await b.post("/setup?token=guess", { ...fields, email: "nope" });
    assert.equal(wrongTokenBadInput.statusCode, 404, "no form is shown without the token");
    const invalid = await b.post(path, { ...fields, email: "nope" });
    assert.equal(invalid.statusCode, 422);
    assert.match(invalid.body, /Email must be an email address/);

    const done = await b.post(path, fields);
    assert.equal(done.statusCode, 303);
    assert.equal(done.headers.location, "/admin/users?notice=welcome");
    const admin = await findUserByEmail(deps.db, fields.email);
    assert.equal(admin?.role, "admin");
    assert.equal((await b.get("/admin/users")).statusCode, 200);

    // The token is gone: the same link, and any other, is 404 from now on.
    const stranger = world().browser();
    assert.equal((await stranger.get(path)).statusCode, 404);
    const secondEmail = unique("second-admin");
    const second = await stranger.post(path, { ...fields, email: secondEmail });
    assert.equal(second.statusCode, 404);
    assert.equal(
      (await stranger.post(path, { email: "", name: "", password: "" })).statusCode,
      404,
    );
    assert.equal(await findUserByEmail(deps.db, secondEmail), undefined);
    assert.equal(await setupLink(deps), undefined);
    assert.doesNotMatch((await stranger.get("/login")).body, /no accounts yet/);
  });
});

describeEachDatabase(
  "sign-in behind https",
  (world) => {
    test("session and CSRF cookies are Secure, HttpOnly, SameSite=Lax and __Host- prefixed", async () => {
      const user = await makeCustomer(world().deps);
      const b = world().browser();
      const response = await b.post("/login", { email: user.email, password: user.password });
      assert.equal(response.statusCode, 303);
      const setCookies = ([] as string[]).concat(response.headers["set-cookie"] ?? []);
      const session = setCookies.find((c) => c.startsWith("__Host-tessera_session="));
      assert.ok(session, `no __Host- session cookie in ${setCookies.join(" | ")}`);
      assert.match(session, /; Secure/);
      assert.match(session, /; HttpOnly/);
      assert.match(session, /; SameSite=Lax/);
      assert.match(session, /; Path=\//);
      const login = await world().browser().get("/login");
      const csrf = ([] as string[])
        .concat(login.headers["set-cookie"] ?? [])
        .find((c) => c.startsWith("__Host-tessera_csrf="));
      assert.ok(csrf);
      assert.match(csrf, /; Secure/);
      assert.match(String(login.headers["strict-transport-security"]), /max-age=/);
    });
  },
  { env: { PUBLIC_URL: "https://help.example.test" } },
);
