import assert from "node:assert/strict";
import { test } from "node:test";
import type { LightMyRequestResponse } from "fastify";
import { findOrCreateCustomer, SIGN_IN_LIMITS } from "../../src/accounts/accounts.service.ts";
import { rateLimits } from "../../src/db/schema/index.ts";
import type { Browser } from "../helpers/browser.ts";
import { makeAdmin, makeCustomer } from "../helpers/factories.ts";
import { describeEachDatabase } from "../helpers/world.ts";
import { header, postForm, tokenIn } from "./support.ts";

let ipCounter = 0;
/** A fresh client address, so tests (and attempts) do not share the per-IP limit by accident. */
function freshIp(): string {
  ipCounter += 1;
  return `198.51.${Math.floor(ipCounter / 250)}.${(ipCounter % 250) + 1}`;
}

/** A sign-in attempt from `ip`, with a valid form token. */
async function signInFrom(
  browser: Browser,
  token: string,
  ip: string,
  email: string,
  password: string,
): Promise<LightMyRequestResponse> {
  return browser.app.inject({
    method: "POST",
    url: "/login",
    remoteAddress: ip,
    headers: {
      cookie: [...browser.cookies].map(([k, v]) => `${k}=${v}`).join("; "),
      "content-type": "application/x-www-form-urlencoded",
    },
    payload: new URLSearchParams({ _csrf: token, email, password }).toString(),
  });
}

/** A sign-up or reset request from `ip`, with a valid form token. */
async function postFrom(
  browser: Browser,
  token: string,
  ip: string,
  url: string,
  fields: Record<string, string>,
): Promise<LightMyRequestResponse> {
  return browser.app.inject({
    method: "POST",
    url,
    remoteAddress: ip,
    headers: {
      cookie: [...browser.cookies].map(([k, v]) => `${k}=${v}`).join("; "),
      "content-type": "application/x-www-form-urlencoded",
    },
    payload: new URLSearchParams({ _csrf: token, ...fields }).toString(),
  });
}

/** The page without what legitimately differs between two requests (token, typed email). */
function normalised(response: LightMyRequestResponse, email: string): string {
  return response.body
    .replace(/name="_csrf" value="[^"]+"/g, 'name="_csrf" value=""')
    .replaceAll(email, "EMAIL");
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

describeEachDatabase("sign-in brute force and account enumeration", (world) => {
  let browser: Browser;
  let token: string;

  test("setup: one anonymous browser with a form token", async () => {
    browser = world().browser();
    token = tokenIn((await browser.get("/login")).body);
  });

  test("per account: after the limit, even the right password from a new address is refused", async () => {
    const user = await makeCustomer(world().deps);
    for (let i = 0; i < SIGN_IN_LIMITS.perAccount; i++) {
      const wrong = await signInFrom(browser, token, freshIp(), user.email, `guess ${i}`);
      assert.equal(wrong.statusCode, 401, `guess ${i}`);
    }
    const right = await signInFrom(browser, token, freshIp(), user.email, user.password);
    assert.equal(right.statusCode, 429);
    assert.ok(Number(header(right, "retry-after")) > 0, "Retry-After says when to come back");
    assert.match(right.body, /Too many sign-in attempts/);
    assert.equal(right.cookies.length, 0, "no session was started");
    // The email's case or stray spaces do not make it another account.
    const variant = await signInFrom(
      browser,
      token,
      freshIp(),
      ` ${user.email.toUpperCase()} `,
      user.password,
    );
    assert.equal(variant.statusCode, 429);
  });

  test("per address: many accounts guessed from one address are cut off", async () => {
    const user = await makeCustomer(world().deps);
    const ip = freshIp();
    for (let i = 0; i < SIGN_IN_LIMITS.perIp; i++) {
      const response = await signInFrom(browser, token, ip, `nobody-${i}@example.test`, "guess");
      assert.equal(response.statusCode, 401, `attempt ${i}`);
    }
    const blocked = await signInFrom(browser, token, ip, user.email, user.password);
    assert.equal(blocked.statusCode, 429);
    const elsewhere = await signInFrom(browser, token, freshIp(), user.email, user.password);
    assert.equal(elsewhere.statusCode, 303, "the same account from another address still works");
  });

  test("unknown email, wrong password and disabled account read exactly alike", async () => {
    const { deps } = world();
    const user = await makeCustomer(deps);
    const disabled = await makeCustomer(deps);
    const admin = await world().signedIn(await makeAdmin(deps));
    assert.equal(
      (await admin.post(`/admin/users/${disabled.id}`, { disabled: "true" })).statusCode,
      303,
    );
    const unknown = "no-such-person@example.test";
    const answers = [
      [unknown, await signInFrom(browser, token, freshIp(), unknown, "some password")],
      [user.email, await signInFrom(browser, token, freshIp(), user.email, "some password")],
      [
        disabled.email,
        await signInFrom(browser, token, freshIp(), disabled.email, disabled.password),
      ],
    ] as const;
    const [first, ...rest] = answers.map(([email, r]) => ({
      status: r.statusCode,
      body: normalised(r, email),
      cookies: r.cookies.map((c: { name: string }) => c.name).sort(),
    }));
    for (const other of rest) assert.deepEqual(other, first);
    assert.equal(first?.status, 401);

    // The limit reveals nothing either: an unknown email is limited like a real one.
    const ghost = "ghost@example.test";
    for (let i = 0; i <= SIGN_IN_LIMITS.perAccount; i++) {
      await signInFrom(browser, token, freshIp(), ghost, "guess");
    }
    assert.equal((await signInFrom(browser, token, freshIp(), ghost, "guess")).statusCode, 429);
  });

  test("timing: an unknown email costs the same as a wrong password", async () => {
    const { deps } = world();
    // Two accounts, so the samples stay under the per-account limit.
    const known = [await makeCustomer(deps), await makeCustomer(deps)];
    const SAMPLES = 10;
    const timings = { known: [] as number[], unknown: [] as number[] };
    // Interleaved, so a burst of load on the machine hits both sides alike.
    for (let i = 0; i < SAMPLES; i++) {
      for (const side of i % 2
        ? (["unknown", "known"] as const)
        : (["known", "unknown"] as const)) {
        const email =
          side === "known"
            ? (known[i % 2]?.email ?? "")
            : `unknown-${i}-${Date.now()}@example.test`;
        const started = process.hrtime.bigint();
        const response = await signInFrom(browser, token, freshIp(), email, `wrong ${i}`);
        timings[side].push(Number(process.hrtime.bigint() - started) / 1e6);
        assert.equal(response.statusCode, 401);
      }
    }
    const knownMs = median(timings.known);
    const unknownMs = median(timings.unknown);
    // Verifying an argon2id hash takes tens of milliseconds; skipping it for an
    // unknown email would make that side several times faster. A factor of 2.5
    // either way leaves room for a busy machine and still catches that.
    const ratio = knownMs / unknownMs;
    assert.ok(
      ratio < 2.5 && ratio > 1 / 2.5,
      `median ${knownMs.toFixed(1)} ms for a known email, ${unknownMs.toFixed(1)} ms for an unknown one`,
    );
  });

  test("a sign-in form posted without the token gets no further than CSRF", async () => {
    const user = await makeCustomer(world().deps);
    const response = await postForm(world().browser(), "/login", {
      email: user.email,
      password: user.password,
    });
    assert.equal(response.statusCode, 403);
  });

  test("sign-up and password reset: same page, same time, whether or not the address has an account", async () => {
    const { deps } = world();
    // One account with a password, one made from mail (no password): neither shows.
    const withPassword = await makeCustomer(deps);
    const { user: mailOnly } = await findOrCreateCustomer(deps.db, {
      email: `mail-only-${Date.now()}@example.test`,
    });
    const SAMPLES = 8;
    for (const [url, fields] of [
      ["/signup", (email: string) => ({ email, name: "Probe", password: "a long password" })],
      ["/password/forgot", (email: string) => ({ email })],
    ] as const) {
      const timings = { known: [] as number[], unknown: [] as number[] };
      const pages = new Set<string>();
      for (let i = 0; i < SAMPLES; i++) {
        for (const side of i % 2
          ? (["unknown", "known"] as const)
          : (["known", "unknown"] as const)) {
          const email =
            side === "known"
              ? i % 4 < 2
                ? withPassword.email
                : mailOnly.email
              : `unknown-${i}-${Date.now()}@example.test`;
          const started = process.hrtime.bigint();
          const response = await postFrom(browser, token, freshIp(), url, fields(email));
          timings[side].push(Number(process.hrtime.bigint() - started) / 1e6);
          assert.equal(response.statusCode, 200, `${url} for ${side}`);
          pages.add(normalised(response, email));
        }
        // Each address may ask 5 times an hour; this test asks more often.
        await deps.db.delete(rateLimits);
      }
      assert.equal(pages.size, 1, `${url} answers one page for every address`);
      const ratio = median(timings.known) / median(timings.unknown);
      assert.ok(
        ratio < 2.5 && ratio > 1 / 2.5,
        `${url}: median ${median(timings.known).toFixed(1)} ms with an account, ${median(timings.unknown).toFixed(1)} ms without`,
      );
    }
  });
});
