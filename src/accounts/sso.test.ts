import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, beforeEach, test } from "node:test";
import { eq } from "drizzle-orm";
import type { Browser } from "../../test/helpers/browser.ts";
import { makeAdmin, makeAgent, makeCustomer } from "../../test/helpers/factories.ts";
import {
  startOpenIdProvider,
  type TestOpenIdProvider,
} from "../../test/helpers/openid-provider.ts";
import { describeEachDatabase, type World } from "../../test/helpers/world.ts";
import { sessions, ssoIdentities, ssoProviders, twoFactor, users } from "../db/schema/index.ts";
import { openSecret, sealSecret } from "../lib/secrets.ts";
import { getOrCreateSecret } from "../settings/settings.service.ts";
import { redirectUri } from "./sso.service.ts";

const SESSION = "tessera_session";
const STATE = "tessera_sso";

describeEachDatabase("single sign-on with OpenID Connect", (world) => {
  let idp: TestOpenIdProvider;
  let admin: Awaited<ReturnType<typeof makeAdmin>>;
  let adminBrowser: Browser;
  let providerId: number;

  before(async () => {
    const w = world();
    idp = await startOpenIdProvider({ redirectUri: redirectUri(w.deps) });
    admin = await makeAdmin(w.deps, { email: "ada@staff.example" });
    adminBrowser = await w.signedIn(admin);
    const saved = await adminBrowser.post(
      "/admin/sso",
      {
        name: "Acme ID",
        issuer: `${idp.issuer}/`,
        clientId: idp.clientId,
        clientSecret: idp.clientSecret,
        newStaffDomains: "staff.example",
        enabled: "true",
      },
      { csrfFrom: "/admin/sso" },
    );
    assert.equal(saved.statusCode, 303, saved.body.slice(0, 500));
    const [row] = await w.deps.db.select().from(ssoProviders);
    assert.ok(row);
    providerId = row.id;
  });
  after(async () => idp?.close());
  beforeEach(() => idp.signInAs("cancel"));

  /** Starts at the sign-in button, goes through the provider, and returns the app's answer. */
  async function signInThroughProvider(browser: Browser) {
    const started = await browser.get(`/login/sso/${providerId}`);
    assert.equal(started.statusCode, 303, started.body.slice(0, 300));
    const back = await idp.authorize(String(started.headers.location));
    return browser.get(`${back.pathname}${back.search}`);
  }

  async function userByEmail(w: World, email: string) {
    const [row] = await w.deps.db.select().from(users).where(eq(users.email, email));
    return row;
  }

  test("the provider is saved as typed (issuer without its trailing slash), its secret never shown again", async () => {
    const w = world();
    const [row] = await w.deps.db
      .select()
      .from(ssoProviders)
      .where(eq(ssoProviders.id, providerId));
    assert.equal(row?.issuer, idp.issuer);
    assert.equal(row?.clientSecret, idp.clientSecret);
    assert.deepEqual(row?.newStaffDomains, ["staff.example"]);
    const page = await adminBrowser.get("/admin/sso");
    assert.equal(page.statusCode, 200);
    assert.ok(page.body.includes("Acme ID"));
    assert.ok(page.body.includes(redirectUri(w.deps)), "the redirect URI to register is shown");
    assert.ok(!page.body.includes(idp.clientSecret), "the secret is not in the page");
  });

  test("an issuer that is not an OpenID provider, or not https, is refused with what was typed", async () => {
    const w = world();
    for (const [issuer, message] of [
      ["http://127.0.0.1:9/nothing", "Issuer URL did not answer as an OpenID provider"],
      ["http://idp.example.com", "Issuer URL must start with https://"],
      ["https://user:pw@idp.example.com", "must not contain a user name"],
    ] as const) {
      const refused = await adminBrowser.post(
        "/admin/sso",
        { name: "Other", issuer, clientId: "x", enabled: "true" },
        { csrfFrom: "/admin/sso" },
      );
      assert.equal(refused.statusCode, 422, issuer);
      assert.ok(refused.body.includes(message), `${issuer}: ${message}`);
      assert.ok(refused.body.includes(`value="${issuer}"`), "what was typed is kept");
    }
    const rows = await w.deps.db.select().from(ssoProviders);
    assert.equal(rows.length, 1, "nothing was saved");
  });

  test("an admin signs in through the provider by the verified address of their account", async () => {
    const w = world();
    const browser = w.browser();
    const login = await browser.get("/login");
    assert.ok(login.body.includes(`href="/login/sso/${providerId}"`));
    assert.ok(login.body.includes("Sign in with Acme ID"));

    const started = await browser.get(`/login/sso/${providerId}?next=%2Fadmin%2Fusers`);
    assert.equal(started.statusCode, 303);
    const url = new URL(String(started.headers.location));
    assert.equal(url.origin, idp.issuer);
    assert.equal(url.searchParams.get("code_challenge_method"), "S256");
    assert.ok(url.searchParams.get("code_challenge"), "PKCE");
    assert.ok(url.searchParams.get("state"), "state");
    assert.ok(url.searchParams.get("nonce"), "nonce");
    assert.equal(url.searchParams.get("redirect_uri"), redirectUri(w.deps));
    assert.ok(browser.cookies.get(STATE), "the state rides in its own cookie");

    idp.signInAs({ sub: "ada-1", email: "Ada@Staff.example", name: "Ada L." });
    const back = await idp.authorize(String(started.headers.location));
    const done = await browser.get(`${back.pathname}${back.search}`);
    assert.equal(done.statusCode, 303, done.body.slice(0, 500));
    assert.equal(done.headers.location, "/admin/users");
    assert.ok(browser.cookies.get(SESSION), "signed in");
    assert.ok(!browser.cookies.has(STATE), "the state cookie is gone");
    assert.equal((await browser.get("/admin/users")).statusCode, 200);

    const [link] = await w.deps.db
      .select()
      .from(ssoIdentities)
      .where(eq(ssoIdentities.subject, "ada-1"));
    assert.equal(link?.userId, admin.id, "the subject is linked to the account");

    // The same callback again (the code, the state): refused, and nobody is signed in.
    const replay = w.browser();
    const again = await replay.get(`${back.pathname}${back.search}`);
    assert.equal(again.statusCode, 400);
    assert.ok(again.body.includes("was not started in this browser"));
    assert.ok(!replay.cookies.has(SESSION));
  });

  test("once linked, the subject decides: an address changed at the provider reaches the same account", async () => {
    const w = world();
    const agent = await makeAgent(w.deps, { email: "bo@staff.example" });
    idp.signInAs({ sub: "bo-1", email: "bo@staff.example" });
    assert.equal((await signInThroughProvider(w.browser())).statusCode, 303);
    idp.signInAs({ sub: "bo-1", email: "bo.new@elsewhere.example" });
    const browser = w.browser();
    const done = await signInThroughProvider(browser);
    assert.equal(done.statusCode, 303);
    assert.equal(done.headers.location, "/desk");
    const [session] = await w.deps.db.select().from(sessions).where(eq(sessions.userId, agent.id));
    assert.ok(session, "the agent's account got the session");
    assert.equal(await userByEmail(w, "bo.new@elsewhere.example"), undefined, "no account made");
  });

  test("an address the provider has not verified is refused", async () => {
    const w = world();
    await makeCustomer(w.deps, { email: "cy@example.org" });
    idp.signInAs({ sub: "cy-1", email: "cy@example.org", emailVerified: false });
    const browser = w.browser();
    const done = await signInThroughProvider(browser);
    assert.equal(done.statusCode, 403);
    assert.ok(done.body.includes("Acme ID has not verified the address cy@example.org"));
    assert.ok(!browser.cookies.has(SESSION));
    const links = await w.deps.db
      .select()
      .from(ssoIdentities)
      .where(eq(ssoIdentities.subject, "cy-1"));
    assert.equal(links.length, 0);
  });

  test("without an account: refused, unless the address is at a domain allowed new agents", async () => {
    const w = world();
    idp.signInAs({ sub: "dee-1", email: "dee@outside.example" });
    const stranger = w.browser();
    const refused = await signInThroughProvider(stranger);
    assert.equal(refused.statusCode, 403);
    assert.ok(refused.body.includes("No account uses dee@outside.example"));
    assert.equal(await userByEmail(w, "dee@outside.example"), undefined);

    idp.signInAs({ sub: "eve-1", email: "eve@staff.example", name: "Eve Newcomer" });
    const newcomer = w.browser();
    const done = await signInThroughProvider(newcomer);
    assert.equal(done.statusCode, 303);
    assert.equal(done.headers.location, "/desk");
    const created = await userByEmail(w, "eve@staff.example");
    assert.equal(created?.role, "agent");
    assert.equal(created?.name, "Eve Newcomer");
    assert.equal(created?.passwordHash, null, "no password: the provider is the way in");
    assert.equal((await newcomer.get("/desk")).statusCode, 200);
  });

  test("a disabled account is refused, linked or not", async () => {
    const w = world();
    const agent = await makeAgent(w.deps, { email: "fay@staff.example" });
    idp.signInAs({ sub: "fay-1", email: "fay@staff.example" });
    assert.equal((await signInThroughProvider(w.browser())).statusCode, 303);
    await w.deps.db.update(users).set({ disabled: true }).where(eq(users.id, agent.id));
    const browser = w.browser();
    const done = await signInThroughProvider(browser);
    assert.equal(done.statusCode, 403);
    assert.ok(done.body.includes("This account is disabled"));
    assert.ok(!browser.cookies.has(SESSION));

    const other = await makeAgent(w.deps, { email: "gus@staff.example" });
    await w.deps.db.update(users).set({ disabled: true }).where(eq(users.id, other.id));
    idp.signInAs({ sub: "gus-1", email: "gus@staff.example" });
    assert.equal((await signInThroughProvider(w.browser())).statusCode, 403);
  });

  test("an account with two-factor is still asked for its code", async () => {
    const w = world();
    const agent = await makeAgent(w.deps, { email: "hal@staff.example" });
    await w.deps.db
      .insert(twoFactor)
      .values({ userId: agent.id, secret: "JBSWY3DPEHPK3PXP", enabledAt: new Date() });
    idp.signInAs({ sub: "hal-1", email: "hal@staff.example" });
    const browser = w.browser();
    const done = await signInThroughProvider(browser);
    assert.equal(done.statusCode, 303);
    assert.equal(done.headers.location, "/login/two-factor?next=%2Fdesk");
    assert.ok(!browser.cookies.has(SESSION), "no session before the code");
  });

  test("cancelling at the provider signs nobody in", async () => {
    const w = world();
    idp.signInAs("cancel");
    const browser = w.browser();
    const done = await signInThroughProvider(browser);
    assert.equal(done.statusCode, 403);
    assert.ok(done.body.includes("Signing in with Acme ID was cancelled"));
    assert.ok(!browser.cookies.has(SESSION));
  });

  test("state, nonce and the PKCE verifier are each checked", async () => {
    const w = world();
    await makeAgent(w.deps, { email: "ivy@staff.example" });
    idp.signInAs({ sub: "ivy-1", email: "ivy@staff.example" });

    // A code delivered to a browser that began another sign-in: the state does not match.
    const first = w.browser();
    const started = await first.get(`/login/sso/${providerId}`);
    const second = w.browser();
    await second.get(`/login/sso/${providerId}`);
    const back = await idp.authorize(String(started.headers.location));
    const crossed = await second.get(`${back.pathname}${back.search}`);
    assert.equal(crossed.statusCode, 400);
    assert.ok(!second.cookies.has(SESSION));

    // No state cookie at all, or one that was altered.
    const bare = await w.browser().get(`${back.pathname}${back.search}`);
    assert.equal(bare.statusCode, 400);
    const forged = w.browser();
    forged.cookies.set(STATE, "v1.AAAA.BBBB.CCCC");
    assert.equal((await forged.get(`${back.pathname}${back.search}`)).statusCode, 400);

    // The real state opened with the key, then sealed again with one value wrong.
    const key = createHash("sha256")
      .update(`tessera sso state\n${await getOrCreateSecret(w.deps.db, "sso_state")}`)
      .digest();
    for (const wrong of ["nonce", "verifier", "none"] as const) {
      const browser = w.browser();
      const begun = await browser.get(`/login/sso/${providerId}`);
      const pending = JSON.parse(openSecret(key, browser.cookies.get(STATE) ?? "") ?? "null");
      assert.ok(pending?.verifier, "the cookie holds the state");
      if (wrong === "nonce") pending.nonce = "not-the-nonce";
      if (wrong === "verifier") pending.verifier = "x".repeat(43);
      browser.cookies.set(STATE, sealSecret(key, JSON.stringify(pending)));
      const code = await idp.authorize(String(begun.headers.location));
      const done = await browser.get(`${code.pathname}${code.search}`);
      if (wrong === "none") {
        assert.equal(done.statusCode, 303, "resealed unchanged, it still works: the test is sound");
        assert.ok(browser.cookies.has(SESSION));
      } else {
        assert.equal(done.statusCode, 502, `${wrong}: ${done.statusCode}`);
        assert.ok(!browser.cookies.has(SESSION), `${wrong}: nobody is signed in`);
      }
    }
  });

  test("a disabled provider is not offered and cannot be started", async () => {
    const w = world();
    await w.deps.db
      .update(ssoProviders)
      .set({ enabled: false })
      .where(eq(ssoProviders.id, providerId));
    try {
      const login = await w.browser().get("/login");
      assert.ok(!login.body.includes("Sign in with Acme ID"));
      assert.equal((await w.browser().get(`/login/sso/${providerId}`)).statusCode, 404);
    } finally {
      await w.deps.db
        .update(ssoProviders)
        .set({ enabled: true })
        .where(eq(ssoProviders.id, providerId));
    }
  });

  test("only admins see and change providers", async () => {
    const w = world();
    const agent = await w.signedIn(await makeAgent(w.deps));
    assert.equal((await agent.get("/admin/sso")).statusCode, 403);
    assert.equal(
      (await agent.post(`/admin/sso/${providerId}/delete`, {}, { csrfFrom: "/account" }))
        .statusCode,
      403,
    );
    assert.equal((await w.browser().get("/admin/sso")).statusCode, 303);
  });
});
