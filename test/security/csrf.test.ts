import assert from "node:assert/strict";
import { test } from "node:test";
import { sql } from "drizzle-orm";
import type { LightMyRequestResponse } from "fastify";
import type { Browser } from "../helpers/browser.ts";
import { makeAdmin, makeCustomer, makeTicket } from "../helpers/factories.ts";
import { describeEachDatabase, type World } from "../helpers/world.ts";
import {
  apiOperations,
  cookieHeader,
  exampleFor,
  postForm,
  rawRequest,
  registeredRoutes,
  tokenIn,
  UNSAFE_METHODS,
} from "./support.ts";

/** How a refused token reads: the page's words, or the API's problem code. */
const CSRF_REFUSAL = /This form has expired or did not come from Tessera|fst_csrf/i;

/** Fields that would make each known form succeed: a refusal is then only the token's doing. */
const FIELDS: Record<string, Record<string, string>> = {
  "POST /login": { email: "x@example.test", password: "wrong password" },
  "POST /signup": { email: "new-signup@example.test", name: "New", password: "long enough pw" },
  "POST /setup": { email: "a@b.test", name: "A", password: "long enough password" },
  "POST /password/forgot": { email: "forgetful@example.test" },
  "POST /password/reset": { password: "long enough password" },
  "POST /account/password": { currentPassword: "x", newPassword: "another long password" },
  "POST /login/two-factor": { code: "123456" },
  "POST /account/two-factor": { code: "123456" },
  "POST /account/two-factor/recovery-codes": { proof: "a password" },
  "POST /account/two-factor/disable": { proof: "a password" },
  "POST /tickets": { title: "Forged", description: "forged" },
  "POST /tickets/:id": { status: "solved" },
  "POST /tickets/:id/replies": { content: "Forged reply" },
  "POST /tickets/:id/ccs": { ccAddress: "forged-cc@example.org" },
  "POST /tickets/:id/ccs/remove": { address: "forged-cc@example.org" },
  "POST /admin/users": {
    email: "forged@example.test",
    name: "Forged",
    role: "admin",
    password: "long enough password",
  },
  "POST /admin/users/:id": { role: "admin" },
  "POST /admin/settings": { signupEnabled: "true" },
  "POST /account/tokens": { name: "Forged token" },
};

/** Valid JSON bodies for the API's routes, from its OpenAPI document (filled in by the test). */
const API_BODIES = new Map<string, unknown>();

/** Everything a forged request could change, summed up so a test can compare before and after. */
async function fingerprint(world: World): Promise<string> {
  const rows = await world.deps.db.execute(sql`
    select
      (select count(*) from users) as users,
      (select string_agg(role::text || disabled::text, ',' order by id) from users) as roles,
      (select count(*) from sessions) as sessions,
      (select count(*) from tickets) as tickets,
      (select string_agg(status::text, ',' order by id) from tickets) as statuses,
      (select count(*) from messages) as messages,
      (select count(*) from ticket_events) as events,
      (select count(*) from ticket_ccs) as ccs,
      (select string_agg(key || '=' || value::text, ',' order by key) from settings) as settings,
      (select count(*) from api_tokens) as tokens,
      (select count(*) from two_factor where enabled_at is not null) as two_factor,
      (select count(*) from recovery_codes) as recovery_codes,
      (select count(*) from sso_providers) as sso_providers
  `);
  const list = (rows as unknown as { rows?: unknown[] }).rows ?? (rows as unknown as unknown[]);
  return JSON.stringify(list);
}

/** A state-changing request as the route wants it, with the token given (or none). */
function forge(
  browser: Browser,
  route: string,
  url: string,
  token: string | undefined,
  where: "body" | "header" = "body",
): Promise<LightMyRequestResponse> {
  const [method] = route.split(" ") as [string];
  const fields = { ...(FIELDS[route] ?? {}) };
  if (url.startsWith("/api/")) {
    // A body the route's schema accepts, so the request reaches the token check.
    return rawRequest(browser, {
      method,
      url,
      headers: {
        "content-type": "application/json",
        ...(token !== undefined ? { "x-csrf-token": token } : {}),
      },
      payload: JSON.stringify(API_BODIES.get(route) ?? {}),
    });
  }
  if (token !== undefined && where === "body") fields._csrf = token;
  return rawRequest(browser, {
    method,
    url,
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      ...(token !== undefined && where === "header" ? { "x-csrf-token": token } : {}),
    },
    payload: new URLSearchParams(fields).toString(),
  });
}

describeEachDatabase(
  "CSRF: every state-changing route refuses a missing or foreign token",
  (world) => {
    test("every POST/PUT/PATCH/DELETE the app serves, signed in and anonymous", async () => {
      const { deps, app } = world();
      const routes = registeredRoutes(app).filter((r) => UNSAFE_METHODS.has(r.split(" ")[0] ?? ""));
      assert.ok(routes.length >= 10, `read only ${routes.length} state-changing routes`);
      const { operations, resolve } = await apiOperations(app);
      for (const op of operations) {
        const route = `${op.method} ${op.path.replace(/\{(\w+)\}/g, ":$1")}`;
        if (op.body) API_BODIES.set(route, exampleFor(op.body, resolve));
      }

      const victimUser = await makeAdmin(deps);
      const target = await makeCustomer(deps);
      const ticket = await makeTicket(deps, target);
      // The victim had a token before signing in (bound to the anonymous visitor).
      const victim = world().browser();
      const anonymousToken = tokenIn((await victim.get("/login")).body);
      await victim.signIn(victimUser.email, victimUser.password);
      const attacker = await world().signedIn(await makeAdmin(deps));
      const attackerToken = tokenIn((await attacker.get("/account")).body);
      const strangerToken = tokenIn((await world().browser().get("/login")).body);

      const urlOf = (route: string) => {
        const pattern = route.split(" ")[1] ?? "";
        const id = pattern.startsWith("/admin/users") ? target.id : ticket.id;
        return pattern.replace(/:id\b/, String(id)).replace(/:[a-zA-Z]+/g, "1");
      };

      const before = await fingerprint(world());
      const failures: string[] = [];
      for (const route of routes) {
        const url = urlOf(route);
        const attempts: [string, Promise<LightMyRequestResponse>][] = [
          ["no token", forge(victim, route, url, undefined)],
          ["an empty token", forge(victim, route, url, "")],
          ["another session's token", forge(victim, route, url, attackerToken)],
          [
            "another session's token in the header",
            forge(victim, route, url, attackerToken, "header"),
          ],
          ["the victim's own token from before sign-in", forge(victim, route, url, anonymousToken)],
          ["a stranger's anonymous token", forge(victim, route, url, strangerToken)],
          ["a made-up token", forge(victim, route, url, "x".repeat(40))],
        ];
        for (const [what, pending] of attempts) {
          const response = await pending;
          if (response.statusCode !== 403 || !CSRF_REFUSAL.test(response.body)) {
            failures.push(`${route} with ${what}: ${response.statusCode}`);
          }
        }
      }
      assert.deepEqual(failures, []);
      assert.equal(await fingerprint(world()), before, "a refused request changed nothing");
      // The victim is still signed in: not even sign-out was forged.
      assert.equal((await victim.get("/account")).statusCode, 200);

      // Control: with the right token the same requests get past the check, so
      // the refusals above were the token's doing and not some other rule's.
      // (Sign-out replaces the session, so it goes last.)
      const last = (r: string) => (r.endsWith("/logout") ? 1 : 0);
      const refused: string[] = [];
      for (const route of [...routes].sort((a, b) => last(a) - last(b))) {
        const page = await victim.get("/account");
        const own = tokenIn(
          page.statusCode === 200 ? page.body : (await victim.get("/login")).body,
        );
        const response = await forge(victim, route, urlOf(route), own);
        if (CSRF_REFUSAL.test(response.body)) refused.push(route);
      }
      assert.deepEqual(refused, [], "the right token is accepted");
    });

    test("anonymous forms: a login or sign-up forged from another site is refused", async () => {
      const { deps } = world();
      const user = await makeCustomer(deps);
      const visitor = world().browser();
      await visitor.get("/login"); // has its own CSRF cookie
      const foreign = tokenIn((await world().browser().get("/login")).body);
      for (const url of [
        "/login",
        "/signup",
        "/setup?token=x",
        "/password/forgot",
        "/password/reset?token=x",
        "/signup/confirm?token=x",
        "/login/two-factor",
      ]) {
        for (const token of [undefined, foreign]) {
          const response = await postForm(visitor, url, {
            email: user.email,
            password: user.password,
            name: "X",
            ...(token ? { _csrf: token } : {}),
          });
          assert.equal(response.statusCode, 403, `${url} with ${token ? "a foreign" : "no"} token`);
        }
      }
      // A browser that never opened a form (no CSRF cookie at all) is refused too.
      const fresh = world().browser();
      const noSecret = await postForm(fresh, "/login", {
        email: user.email,
        password: user.password,
        _csrf: foreign,
      });
      assert.equal(noSecret.statusCode, 403);
      assert.equal(visitor.signedIn || fresh.signedIn, false);
    });

    test("a multipart form without its token is refused and stores no file", async () => {
      const { deps } = world();
      const owner = await makeCustomer(deps);
      const ticket = await makeTicket(deps, owner);
      const browser = await world().signedIn(owner);
      const form = new FormData();
      form.set("content", "forged");
      form.append("attachments", new Blob(["x"]), "forged.txt");
      const request = new Request("http://localhost/", { method: "POST", body: form });
      const response = await rawRequest(browser, {
        method: "POST",
        url: `/tickets/${ticket.id}/replies`,
        headers: { "content-type": request.headers.get("content-type") ?? "" },
        payload: Buffer.from(await request.arrayBuffer()),
      });
      assert.equal(response.statusCode, 403);
      const page = await browser.get(`/tickets/${ticket.id}`);
      assert.doesNotMatch(page.body, /forged/);
    });

    test("sign-out is not a GET (a link or image on another site cannot sign anyone out)", async () => {
      const user = await makeCustomer(world().deps);
      const browser = await world().signedIn(user);
      const response = await world().app.inject({
        method: "GET",
        url: "/logout",
        headers: { cookie: cookieHeader(browser) },
      });
      assert.equal(response.statusCode, 404);
      assert.equal((await browser.get("/account")).statusCode, 200);
    });
  },
);
