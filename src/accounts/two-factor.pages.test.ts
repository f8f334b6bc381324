import assert from "node:assert/strict";
import { test } from "node:test";
import { and, eq, sql } from "drizzle-orm";
import { Secret, TOTP } from "otpauth";
import { Browser } from "../../test/helpers/browser.ts";
import { makeAdmin, makeAgent, makeCustomer, type TestUser } from "../../test/helpers/factories.ts";
import { describeEachDatabase, type World } from "../../test/helpers/world.ts";
import { accountLinks, rateLimits, twoFactor } from "../db/schema/index.ts";
import { issueLink } from "./links.service.ts";
import { CODE_LIMITS, resetTwoFactor } from "./two-factor.service.ts";

const SESSION = "tessera_session";
const PENDING = "tessera_2fa";

/** The code an authenticator app shows now for `secret` (base32), computed with otpauth. */
function codeFor(secret: string, timestamp = Date.now()): string {
  return new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30 }).generate({
    timestamp,
  });
}

/**
 * Lets the current code be used again by forgetting the last accepted step, so a test
 * can sign in right after enrolling without waiting 30 seconds for the next code.
 */
async function forgetLastStep(world: World, userId: number): Promise<void> {
  await world.deps.db.update(twoFactor).set({ lastStep: null }).where(eq(twoFactor.userId, userId));
}

/** Turns two-factor on from the page as a person would; returns the secret and recovery codes. */
async function enrol(browser: Browser): Promise<{ secret: string; codes: string[] }> {
  const page = await browser.get("/account/two-factor");
  assert.equal(page.statusCode, 200);
  const secret = /<code class="secret">([A-Z2-7]+)<\/code>/.exec(page.body)?.[1];
  assert.ok(secret, "the secret is shown as text for manual entry");
  const done = await browser.post(
    "/account/two-factor",
    { code: codeFor(secret) },
    { csrfFrom: "/account/two-factor" },
  );
  assert.equal(done.statusCode, 200, done.body.slice(0, 300));
  const codes = [...done.body.matchAll(/<li><code>([a-z2-7]{5}-[a-z2-7]{5})<\/code><\/li>/g)].map(
    (m) => m[1] ?? "",
  );
  assert.equal(codes.length, 10, "ten recovery codes are shown");
  return { secret, codes };
}

/** Signs `user` in with the password only: the browser then holds the pending step. */
async function passwordStep(world: World, user: TestUser): Promise<Browser> {
  const browser = world.browser();
  const response = await browser.post(
    "/login",
    { email: user.email, password: user.password, next: "/desk" },
    { csrfFrom: "/login" },
  );
  assert.equal(response.statusCode, 303);
  assert.equal(response.headers.location, "/login/two-factor?next=%2Fdesk");
  return browser;
}

function secondStep(browser: Browser, code: string) {
  return browser.post("/login/two-factor", { code, next: "/desk" }, { csrfFrom: "/login" });
}

describeEachDatabase("two-factor sign-in", (world) => {
  test("enrolment shows a server-drawn QR code and the secret, and needs a valid code", async () => {
    const user = await makeAgent(world().deps);
    const browser = await world().signedIn(user);
    const page = await browser.get("/account/two-factor");
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers["cache-control"]), /no-store/);
    const qr = /src="data:image\/svg\+xml;base64,([A-Za-z0-9+/=]+)"/.exec(page.body)?.[1];
    assert.ok(qr, "the QR code is an SVG image");
    const svg = Buffer.from(qr, "base64").toString("utf8");
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.doesNotMatch(svg, /<script|on\w+=/i);
    const secret = /<code class="secret">([A-Z2-7]+)<\/code>/.exec(page.body)?.[1] ?? "";
    assert.ok(secret.length >= 32, "a 160-bit secret");
    // Reloading shows the same secret: an app that scanned it keeps working.
    assert.ok((await browser.get("/account/two-factor")).body.includes(secret));

    const wrong = await browser.post(
      "/account/two-factor",
      { code: codeFor(secret, Date.now() - 5 * 60_000) },
      { csrfFrom: "/account/two-factor" },
    );
    assert.equal(wrong.statusCode, 422);
    assert.match(wrong.body, /is not a valid code/);
    assert.match((await browser.get("/account")).body, /Two-factor sign-in is off/);

    const { codes } = await enrol(browser);
    assert.equal(new Set(codes).size, 10);
    assert.match((await browser.get("/account")).body, /Two-factor sign-in is on/);
    const after = await browser.get("/account/two-factor");
    assert.match(after.body, /10 of 10 recovery codes left/);
    assert.doesNotMatch(after.body, new RegExp(codes[0] ?? "-"), "codes are shown only once");
    assert.ok(!after.body.includes(secret), "nor is the secret, once on");
  });

  test("an agent signs in with a TOTP code; the pending step grants nothing", async () => {
    const user = await makeAgent(world().deps);
    const { secret } = await enrol(await world().signedIn(user));
    await forgetLastStep(world(), user.id);

    const browser = await passwordStep(world(), user);
    assert.equal(browser.cookies.has(SESSION), false, "no session after the password alone");
    assert.ok(browser.cookies.get(PENDING), "the pending step is in its own cookie");
    // Half signed in is not signed in: not the desk, not the API, not the account.
    const desk = await browser.get("/desk");
    assert.equal(desk.statusCode, 303);
    assert.match(String(desk.headers.location), /^\/login/);
    assert.equal((await browser.get("/account")).statusCode, 303);
    const api = await world().app.inject({
      url: "/api/v1/me",
      headers: { cookie: browser.cookieHeader() },
    });
    assert.equal(api.statusCode, 401);
    // Nor does the pending cookie pass for a session cookie.
    const swapped = await world().app.inject({
      url: "/api/v1/me",
      headers: { cookie: `${SESSION}=${browser.cookies.get(PENDING)}` },
    });
    assert.equal(swapped.statusCode, 401);

    const form = await browser.get("/login/two-factor?next=/desk");
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /autocomplete="one-time-code"/);
    // A wrong code leaves the step usable.
    const wrong = await secondStep(browser, codeFor(secret, Date.now() - 5 * 60_000));
    assert.equal(wrong.statusCode, 401);
    assert.match(wrong.body, /Code is not a valid code/);
    const pendingCookie = browser.cookies.get(PENDING) ?? "";

    const done = await secondStep(browser, codeFor(secret));
    assert.equal(done.statusCode, 303);
    assert.equal(done.headers.location, "/desk");
    assert.ok(browser.cookies.get(SESSION), "a session now");
    assert.equal(browser.cookies.has(PENDING), false, "the pending cookie is cleared");
    assert.equal((await browser.get("/desk")).statusCode, 200);

    // The pending step was single-use: replayed with a fresh code, it is gone.
    await forgetLastStep(world(), user.id);
    const replay = new Browser(world().app);
    replay.cookies.set(PENDING, pendingCookie);
    const again = await secondStep(replay, codeFor(secret));
    assert.equal(again.statusCode, 303);
    assert.equal(again.headers.location, "/login?notice=sign-in-expired");
    assert.equal(replay.cookies.has(SESSION), false);
  });

  test("a code is accepted once: the enrolment code, and a sign-in code, are refused again", async () => {
    const user = await makeAgent(world().deps);
    const { secret } = await enrol(await world().signedIn(user));
    const enrolmentCode = codeFor(secret);
    const first = await passwordStep(world(), user);
    const reused = await secondStep(first, enrolmentCode);
    // Refused as used (or, if the clock moved on meanwhile, as not valid for the step).
    assert.equal(reused.statusCode, 401);
    assert.match(reused.body, /has been used already|is not a valid code/);

    await forgetLastStep(world(), user.id);
    const code = codeFor(secret);
    assert.equal((await secondStep(first, code)).statusCode, 303);
    const second = await passwordStep(world(), user);
    const replayed = await secondStep(second, code);
    assert.equal(replayed.statusCode, 401);
    assert.match(replayed.body, /has been used already/);
    assert.equal(second.cookies.has(SESSION), false);
  });

  test("a recovery code signs in once, and is refused the second time", async () => {
    const user = await makeAgent(world().deps);
    const { codes } = await enrol(await world().signedIn(user));
    const code = codes[3] ?? "";
    const browser = await passwordStep(world(), user);
    // Typed in capitals and without the dash, as people do.
    const done = await secondStep(browser, code.replace("-", "").toUpperCase());
    assert.equal(done.statusCode, 303);
    assert.equal(done.headers.location, "/account/two-factor?notice=recovery-code-used");
    const page = await browser.get(String(done.headers.location));
    assert.match(page.body, /signed in with a recovery code/);
    assert.match(page.body, /9 of 10 recovery codes left/);
    assert.equal((await browser.get("/desk")).statusCode, 200);

    const again = await passwordStep(world(), user);
    const refused = await secondStep(again, code);
    assert.equal(refused.statusCode, 401);
    assert.equal(again.cookies.has(SESSION), false);
    // Another of the codes still works.
    assert.equal((await secondStep(again, codes[4] ?? "")).statusCode, 303);
  });

  test("wrong codes are refused and, past the limit, rate limited even for a right one", async () => {
    await world().deps.db.delete(rateLimits);
    const user = await makeAgent(world().deps);
    const { secret } = await enrol(await world().signedIn(user));
    await forgetLastStep(world(), user.id);
    const browser = await passwordStep(world(), user);
    const wrong = codeFor(secret, Date.now() - 10 * 60_000);
    for (let i = 0; i < CODE_LIMITS.perAccount; i++) {
      assert.equal((await secondStep(browser, wrong)).statusCode, 401, `attempt ${i + 1}`);
    }
    const limited = await secondStep(browser, codeFor(secret));
    assert.equal(limited.statusCode, 429);
    assert.ok(Number(limited.headers["retry-after"]) > 0);
    assert.match(limited.body, /Too many wrong codes/);
    assert.equal(browser.cookies.has(SESSION), false);
    // The limit is the account's: a new password step from elsewhere is limited too.
    const elsewhere = await passwordStep(world(), user);
    assert.equal((await secondStep(elsewhere, codeFor(secret))).statusCode, 429);
    await world().deps.db.delete(rateLimits);
  });

  test("an expired pending step is refused, whatever the code", async () => {
    const user = await makeAgent(world().deps);
    const { secret } = await enrol(await world().signedIn(user));
    await forgetLastStep(world(), user.id);
    const browser = await passwordStep(world(), user);
    await world()
      .deps.db.update(accountLinks)
      .set({ expiresAt: sql`now() - interval '1 second'` })
      .where(
        and(eq(accountLinks.userId, user.id), eq(accountLinks.purpose, "sign_in_second_step")),
      );
    const page = await browser.get("/login/two-factor");
    assert.equal(page.statusCode, 303);
    assert.equal(page.headers.location, "/login?notice=sign-in-expired");
    browser.cookies.set(PENDING, browser.cookies.get(PENDING) ?? "kept");
    const late = await secondStep(browser, codeFor(secret));
    assert.equal(late.statusCode, 303);
    assert.equal(late.headers.location, "/login?notice=sign-in-expired");
    assert.equal(browser.cookies.has(SESSION), false);
  });

  test("a password reset does not skip the second step", async () => {
    const user = await makeCustomer(world().deps);
    const { secret } = await enrol(await world().signedIn(user));
    await forgetLastStep(world(), user.id);
    const token = await issueLink(world().deps.db, {
      purpose: "password_reset",
      email: user.email,
      userId: user.id,
    });
    const browser = world().browser();
    const reset = await browser.post(
      `/password/reset?token=${token}`,
      { password: "a new long password" },
      { csrfFrom: `/password/reset?token=${token}` },
    );
    assert.equal(reset.statusCode, 303);
    assert.match(String(reset.headers.location), /^\/login\/two-factor\?next=/);
    assert.equal(browser.cookies.has(SESSION), false);
    const done = await browser.post(
      "/login/two-factor",
      { code: codeFor(secret), next: "/tickets?notice=password-reset" },
      { csrfFrom: "/login" },
    );
    assert.equal(done.statusCode, 303);
    assert.equal(done.headers.location, "/tickets?notice=password-reset");
  });

  test("turning off and new recovery codes need a current code or the password", async () => {
    const user = await makeCustomer(world().deps);
    const browser = await world().signedIn(user);
    const { codes } = await enrol(browser);
    const fresh = await browser.post(
      "/account/two-factor/recovery-codes",
      { proof: user.password },
      { csrfFrom: "/account/two-factor" },
    );
    assert.equal(fresh.statusCode, 200);
    assert.doesNotMatch(fresh.body, new RegExp(codes[0] ?? "-"));
    assert.equal(fresh.body.match(/<li><code>/g)?.length, 10);
    // The old codes are gone.
    const old = await passwordStep(world(), user);
    assert.equal((await secondStep(old, codes[0] ?? "")).statusCode, 401);

    const refused = await browser.post(
      "/account/two-factor/disable",
      { proof: "not my password" },
      { csrfFrom: "/account/two-factor" },
    );
    assert.equal(refused.statusCode, 422);
    // The problem shows at the form it came from.
    assert.match(
      refused.body,
      /id="proof-disable"[^>]*aria-invalid|aria-invalid="true"[^>]*id="proof-disable"|<p class="error" id="proof-disable-error">/,
    );
    assert.doesNotMatch(refused.body, /id="proof-recovery-codes-error"/);
    assert.match(refused.body, /is neither a current code nor your password/);
    const off = await browser.post(
      "/account/two-factor/disable",
      { proof: user.password },
      { csrfFrom: "/account/two-factor" },
    );
    assert.equal(off.statusCode, 303);
    assert.equal(off.headers.location, "/account?notice=two-factor-off");
    // Sign-in is a password again.
    const plain = world().browser();
    const signIn = await plain.post("/login", { email: user.email, password: user.password });
    assert.equal(signIn.statusCode, 303);
    assert.equal(signIn.headers.location, "/tickets");
  });

  test("required for staff: an agent without it can only enrol, then works as before", async () => {
    const { deps } = world();
    const adminUser = await makeAdmin(deps);
    const admin = await world().signedIn(adminUser);
    const agentUser = await makeAgent(deps);
    const customerUser = await makeCustomer(deps);
    const alreadyIn = await world().signedIn(agentUser);
    const customer = await world().signedIn(customerUser);

    // The admin must have it first.
    const early = await admin.post("/admin/settings", {
      signupEnabled: "true",
      requireStaffTwoFactor: "true",
    });
    assert.equal(early.statusCode, 409);
    assert.match(early.body, /Turn on two-factor sign-in for your own account/);
    await enrol(admin);
    const on = await admin.post("/admin/settings", {
      signupEnabled: "true",
      requireStaffTwoFactor: "true",
    });
    assert.equal(on.statusCode, 303);
    assert.equal((await admin.get("/admin/users")).statusCode, 200, "the admin has it on");

    // A new sign-in, and a session from before the switch, are both held at enrolment.
    const fresh = world().browser();
    const signIn = await fresh.post("/login", {
      email: agentUser.email,
      password: agentUser.password,
    });
    assert.equal(signIn.statusCode, 303);
    for (const browser of [fresh, alreadyIn]) {
      for (const url of ["/desk", "/tickets", "/account", "/admin/users", "/login"]) {
        const response = await browser.get(url);
        assert.equal(response.statusCode, 303, url);
        assert.equal(response.headers.location, "/account/two-factor", url);
      }
      const api = await world().app.inject({
        url: "/api/v1/me",
        headers: { cookie: browser.cookieHeader() },
      });
      assert.equal(api.statusCode, 401);
      const token = await browser.post(
        "/account/tokens",
        { name: "sneaky" },
        { csrfFrom: "/account/two-factor" },
      );
      assert.equal(token.statusCode, 401);
      const page = await browser.get("/account/two-factor");
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /required for staff on this helpdesk/);
    }
    // Customers are not staff: untouched.
    assert.equal((await customer.get("/tickets")).statusCode, 200);

    await enrol(fresh);
    assert.equal((await fresh.get("/desk")).statusCode, 200);
    assert.equal((await alreadyIn.get("/desk")).statusCode, 200, "every session of theirs");
    // And it cannot be turned off while required.
    const off = await fresh.post(
      "/account/two-factor/disable",
      { proof: agentUser.password },
      { csrfFrom: "/account/two-factor" },
    );
    assert.equal(off.statusCode, 409);

    // Sign-out works from the enrolment page; switching the requirement off frees sessions.
    const other = await makeAgent(deps);
    const held = world().browser();
    await held.post("/login", { email: other.email, password: other.password });
    assert.equal((await held.get("/desk")).headers.location, "/account/two-factor");
    const free = await admin.post("/admin/settings", { signupEnabled: "true" });
    assert.equal(free.statusCode, 303);
    assert.equal((await held.get("/desk")).statusCode, 200);
    assert.equal(
      (await held.post("/logout", {}, { csrfFrom: "/account" })).headers.location,
      "/login?notice=signed-out",
    );
  });

  test("a customer made an agent while it is required is held at enrolment at once", async () => {
    const { deps } = world();
    const admin = await world().signedIn(await makeAdmin(deps));
    await enrol(admin);
    assert.equal(
      (await admin.post("/admin/settings", { requireStaffTwoFactor: "true" })).statusCode,
      303,
    );
    const user = await makeCustomer(deps);
    const browser = await world().signedIn(user);
    assert.equal((await browser.get("/tickets")).statusCode, 200);
    assert.equal((await admin.post(`/admin/users/${user.id}`, { role: "agent" })).statusCode, 303);
    assert.equal((await browser.get("/desk")).headers.location, "/account/two-factor");
    // Back to customer: free again.
    assert.equal(
      (await admin.post(`/admin/users/${user.id}`, { role: "customer" })).statusCode,
      303,
    );
    assert.equal((await browser.get("/tickets")).statusCode, 200);
    assert.equal((await admin.post("/admin/settings", {})).statusCode, 303);
  });

  test("the command line resets two-factor for someone who lost phone and codes", async () => {
    const user = await makeAgent(world().deps);
    await enrol(await world().signedIn(user));
    assert.equal(await resetTwoFactor(world().deps, "system", user.email.toUpperCase()), true);
    const browser = world().browser();
    const signIn = await browser.post("/login", { email: user.email, password: user.password });
    assert.equal(signIn.headers.location, "/desk");
    assert.equal((await browser.get("/desk")).statusCode, 200);
    assert.equal(await resetTwoFactor(world().deps, "system", user.email), false);
  });
});
