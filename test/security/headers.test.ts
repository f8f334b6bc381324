import assert from "node:assert/strict";
import { test } from "node:test";
import type { LightMyRequestResponse } from "fastify";
import { SIGN_IN_LIMITS } from "../../src/accounts/accounts.service.ts";
import type { Browser } from "../helpers/browser.ts";
import { makeAdmin, makeAgent, makeCustomer, makeTicket } from "../helpers/factories.ts";
import { describeEachDatabase } from "../helpers/world.ts";
import {
  cookieHeader,
  header,
  postForm,
  registeredRoutes,
  sessionCookieOf,
  setCookies,
  tokenIn,
} from "./support.ts";

/** Problems with a Content-Security-Policy as a defence against injected script. */
export function cspProblems(policy: string): string[] {
  const directives = new Map<string, string[]>();
  for (const part of policy.split(";")) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) directives.set(name.toLowerCase(), values);
  }
  const problems: string[] = [];
  const scripts = directives.get("script-src") ?? directives.get("default-src");
  if (!scripts) problems.push("no script-src or default-src");
  for (const value of scripts ?? []) {
    if (/^'unsafe-(inline|eval|hashes)'$|^'wasm-unsafe-eval'$/.test(value))
      problems.push(`script-src allows ${value}`);
    if (value === "*" || /^(https?|data|blob|filesystem):$/.test(value))
      problems.push(`script-src allows any ${value}`);
  }
  const objects = directives.get("object-src") ?? directives.get("default-src");
  if (objects?.join(" ") !== "'none'" && !directives.has("sandbox"))
    problems.push("object-src is not 'none'");
  if (!directives.has("base-uri") && !directives.has("sandbox")) problems.push("no base-uri");
  if (!directives.has("frame-ancestors") && !directives.has("sandbox"))
    problems.push("no frame-ancestors (clickjacking)");
  return problems;
}

/** helmet's headers, the ones that matter for every kind of response. */
function headerProblems(response: LightMyRequestResponse, https: boolean): string[] {
  const problems: string[] = [];
  const expect = (name: string, pattern: RegExp) => {
    const value = header(response, name);
    if (!pattern.test(value)) problems.push(`${name}: "${value}"`);
  };
  expect("x-content-type-options", /^nosniff$/);
  expect("x-frame-options", /^(SAMEORIGIN|DENY)$/);
  expect("referrer-policy", /^(same-origin|no-referrer|strict-origin(-when-cross-origin)?)$/);
  expect("cross-origin-opener-policy", /^same-origin$/);
  expect("cross-origin-resource-policy", /^same-origin$/);
  expect("x-permitted-cross-domain-policies", /^none$/);
  expect("content-security-policy", /./);
  if (https) expect("strict-transport-security", /max-age=\d{7,}/);
  else if (header(response, "strict-transport-security"))
    problems.push("HSTS over plain http pins a site that cannot serve https");
  if (header(response, "x-powered-by")) problems.push("x-powered-by present");
  problems.push(...cspProblems(header(response, "content-security-policy")));
  return problems;
}

for (const https of [false, true]) {
  describeEachDatabase(
    `security headers on every response, cookies${https ? ", proxy" : ""} (${https ? "https behind a proxy" : "plain http"})`,
    (world) => {
      test("every page, for every role, and every kind of response", async () => {
        const { deps, app } = world();
        const owner = await makeCustomer(deps);
        const customer = await world().signedIn(owner);
        const anonymous = world().browser();
        const browsers: Record<string, Browser> = {
          anonymous,
          customer,
          agent: await world().signedIn(await makeAgent(deps)),
          admin: await world().signedIn(await makeAdmin(deps)),
        };
        const ticket = await makeTicket(deps, owner);
        const upload = await customer.postMultipart(
          `/tickets/${ticket.id}/replies`,
          { content: "file" },
          [{ field: "attachments", filename: "x.html", content: "<b>hi</b>", type: "text/html" }],
          { csrfFrom: `/tickets/${ticket.id}` },
        );
        assert.equal(upload.statusCode, 303);
        const attachmentId = /\/attachments\/(\d+)/.exec(
          (await customer.get(`/tickets/${ticket.id}`)).body,
        )?.[1];
        assert.ok(attachmentId);

        const responses: [string, LightMyRequestResponse][] = [];
        const gets = registeredRoutes(app).filter((r) => r.startsWith("GET "));
        // Over https the headers differ only by HSTS: one role's pages are enough there.
        const roles = Object.entries(browsers).filter(([who]) => !https || who === "customer");
        for (const [who, browser] of roles) {
          for (const route of gets) {
            // The live stream never ends, so its refusal stands in for it here. The
            // stream itself is no document (text/event-stream with nosniff and no-store,
            // written by src/live/live.pages.ts).
            if (route === "GET /live") {
              responses.push([`${route} as ${who}`, await browser.get("/live?ticket=0")]);
              continue;
            }
            const path = route
              .slice(4)
              .replace("/attachments/:id", `/attachments/${attachmentId}`)
              .replace(":id", String(ticket.id));
            responses.push([`${route} as ${who}`, await browser.get(path)]);
          }
        }
        const more: [string, Promise<LightMyRequestResponse>][] = [
          ["static css", anonymous.get("/static/style.css")],
          ["static js", anonymous.get("/static/script.js")],
          ["vendored htmx", anonymous.get("/static/vendor/htmx.min.js")],
          ["static 404", anonymous.get("/static/nope.js")],
          ["page 404", customer.get("/no/such/page")],
          ["400", customer.get("/tickets?cursor=%%%")],
          ["405-ish: DELETE", app.inject({ method: "DELETE", url: "/tickets" })],
          ["CSRF refusal", postForm(customer, "/tickets", { title: "t", description: "d" })],
          [
            "415",
            app.inject({
              method: "POST",
              url: "/login",
              headers: { "content-type": "application/json" },
              payload: "{}",
            }),
          ],
          [
            "413",
            app.inject({
              method: "POST",
              url: "/login",
              headers: { "content-type": "application/x-www-form-urlencoded" },
              payload: `a=${"x".repeat(2 * 1024 * 1024)}`,
            }),
          ],
          [
            "401 multipart",
            app.inject({
              method: "POST",
              url: "/tickets",
              headers: { "content-type": "multipart/form-data; boundary=x" },
              payload: "--x--",
            }),
          ],
          [
            "HEAD",
            app.inject({
              method: "HEAD",
              url: "/tickets",
              headers: { cookie: cookieHeader(customer) },
            }),
          ],
        ];
        for (const [label, pending] of more) responses.push([label, await pending]);

        const kinds = new Set(responses.map(([, r]) => `${r.statusCode}`));
        for (const status of ["200", "303", "400", "403", "404", "413", "415", "401"]) {
          assert.ok(kinds.has(status), `no ${status} among the responses checked`);
        }
        const failures = responses.flatMap(([label, response]) =>
          headerProblems(response, https).map((p) => `${label} (${response.statusCode}): ${p}`),
        );
        assert.deepEqual(failures, []);
        assert.ok(responses.length >= (https ? 25 : 60), `checked only ${responses.length}`);
      });

      if (https) {
        test("every cookie is Secure and __Host- pinned; pages send HSTS", async () => {
          const user = await makeCustomer(world().deps);
          const browser = world().browser();
          const form = await browser.get("/login");
          assert.match(header(form, "strict-transport-security"), /max-age=\d+/);
          const signIn = await browser.signIn(user.email, user.password);
          const cookies = [...setCookies(form), ...setCookies(signIn)];
          assert.deepEqual([...new Set(cookies.map((c) => c.name))].sort(), [
            "__Host-tessera_csrf",
            "__Host-tessera_session",
          ]);
          for (const cookie of cookies) {
            assert.equal(cookie.secure, true, `${cookie.name} Secure`);
            assert.equal(cookie.httpOnly, true, `${cookie.name} HttpOnly`);
            assert.equal(cookie.sameSite, "Lax", `${cookie.name} SameSite`);
            // __Host- cookies must have Path=/ and no Domain, or browsers drop them.
            assert.equal(cookie.path, "/");
            assert.equal(cookie.domain, undefined);
          }
          assert.equal((await browser.get("/tickets")).statusCode, 200, "the session works");
          const out = await browser.post("/logout");
          const cleared = sessionCookieOf(out);
          assert.equal(cleared?.secure, true, "clearing a __Host- cookie must be Secure too");
          assert.equal(cleared?.name, "__Host-tessera_session");
        });
      }

      if (https) {
        // This world is a real deployment's: https behind one reverse proxy (TRUST_PROXY).
        test("the address is the one the proxy saw, not what the client wrote", async () => {
          const browser = world().browser();
          const token = tokenIn((await browser.get("/login")).body);
          const attempt = (i: number, email: string, password: string) =>
            world().app.inject({
              method: "POST",
              url: "/login",
              remoteAddress: "127.0.0.1", // the proxy
              headers: {
                cookie: [...browser.cookies].map(([k, v]) => `${k}=${v}`).join("; "),
                "content-type": "application/x-www-form-urlencoded",
                // The client wrote the first address; the proxy appended the real one.
                "x-forwarded-for": `10.9.${Math.floor(i / 250)}.${i % 250}, 203.0.113.9`,
              },
              payload: new URLSearchParams({ _csrf: token, email, password }).toString(),
            });
          for (let i = 0; i < SIGN_IN_LIMITS.perIp; i++) {
            assert.equal((await attempt(i, `nobody-${i}@example.test`, "guess")).statusCode, 401);
          }
          const user = await makeCustomer(world().deps);
          assert.equal((await attempt(999, user.email, user.password)).statusCode, 429);
        });
      }

      // Fastify answers these before any hook runs (src/platform/framework-errors.ts).
      test("a malformed URL and an overlong path parameter get the headers too", async () => {
        const { app } = world();
        const failures: string[] = [];
        for (const url of ["/tickets/%E0%A4%A", `/tickets/${"9".repeat(200)}`]) {
          const response = await app.inject({ method: "GET", url });
          assert.ok(response.statusCode >= 400 && response.statusCode < 500, url);
          assert.doesNotMatch(response.body, /E0%A4|9{50}/, "the URL is not echoed");
          failures.push(...headerProblems(response, https).map((p) => `${url}: ${p}`));
        }
        assert.deepEqual(failures, []);
      });
    },
    { env: https ? { PUBLIC_URL: "https://help.example.test", TRUST_PROXY: "true" } : {} },
  );
}

test("the CSP check refuses what lets injected script run", () => {
  assert.deepEqual(
    cspProblems(
      "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    ),
    [],
  );
  for (const weak of [
    "default-src 'self'; script-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    "default-src 'self'; script-src 'self' 'unsafe-eval'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    "default-src *; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    "script-src 'self' https:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    "script-src 'self'; base-uri 'none'; frame-ancestors 'none'",
    "",
  ]) {
    assert.notDeepEqual(cspProblems(weak), [], weak);
  }
});
