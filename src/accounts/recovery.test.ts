import assert from "node:assert/strict";
import { test } from "node:test";
import { and, desc, eq, sql } from "drizzle-orm";
import type { Browser } from "../../test/helpers/browser.ts";
import { makeCustomer, PASSWORD } from "../../test/helpers/factories.ts";
import { describeEachDatabase, type World } from "../../test/helpers/world.ts";
import { accountLinks, outbox, rateLimits, users } from "../db/schema/index.ts";
import { hashToken } from "../lib/tokens.ts";
import { findOrCreateCustomer, resolveSession } from "./accounts.service.ts";
import { issueLink, peekLink, useLink } from "./links.service.ts";
import { MAIL_LINK_LIMITS } from "./recovery.service.ts";

const SESSION = "tessera_session";

/** The newest mail queued to `address`. */
async function lastMail(world: World, address: string) {
  const [row] = await world.deps.db
    .select()
    .from(outbox)
    .where(sql`lower(${outbox.toAddress}) = lower(${address})`)
    .orderBy(desc(outbox.id))
    .limit(1);
  assert.ok(row, `a mail to ${address}`);
  return row;
}

/** The path and query of the link in a mail's text that goes to `path`. */
function linkIn(text: string, path: string): string {
  const match = new RegExp(
    `https?://[^\\s/]+(${path.replace(/\//g, "\\/")}\\?token=[A-Za-z0-9_-]+)`,
  ).exec(text);
  assert.ok(match?.[1], `a ${path} link in the mail`);
  return match[1];
}

/** The words of a page's main section, without the CSRF token (which differs per visitor). */
function pageText(body: string): string {
  return body.replace(/name="_csrf" value="[^"]*"/g, "").replace(/\s+/g, " ");
}

async function forget(browser: Browser, email: string) {
  return browser.post("/password/forgot", { email }, { csrfFrom: "/password/forgot" });
}

async function clearLimits(world: World) {
  await world.deps.db.delete(rateLimits);
}

describeEachDatabase("password reset", (world) => {
  test("a customer resets a forgotten password from the mail; every old session ends", async () => {
    const { deps } = world();
    await clearLimits(world());
    const customer = await makeCustomer(deps);
    const phone = await world().signedIn(customer);
    const laptop = await world().signedIn(customer);
    const oldSessions = [phone.cookies.get(SESSION), laptop.cookies.get(SESSION)];

    const login = await world().browser().get("/login");
    assert.match(login.body, /<a href="\/password\/forgot">Forgot your password\?<\/a>/);

    const visitor = world().browser();
    const form = await visitor.get("/password/forgot");
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /<label for="field-email">Email<\/label>/);
    const sent = await forget(visitor, customer.email.toUpperCase());
    assert.equal(sent.statusCode, 200);
    assert.match(sent.body, /Check your inbox/);

    const mail = await lastMail(world(), customer.email);
    assert.equal(mail.kind, "account.password_reset");
    assert.equal(mail.recipientId, customer.id);
    assert.match(mail.subject, /Reset your password/);
    const link = linkIn(mail.textBody, "/password/reset");
    assert.ok(mail.textBody.includes(deps.config.publicUrl.origin), "the link is the public URL");
    assert.ok(mail.htmlBody.includes(`href="${deps.config.publicUrl.origin}${link}"`));
    const token = new URL(link, "http://x").searchParams.get("token") ?? "";
    const [stored] = await deps.db
      .select()
      .from(accountLinks)
      .where(eq(accountLinks.userId, customer.id));
    assert.equal(stored?.tokenHash, hashToken(token));
    assert.ok(!JSON.stringify(stored).includes(token), "only the hash is stored");

    const resetForm = await visitor.get(link);
    assert.equal(resetForm.statusCode, 200);
    assert.match(String(resetForm.headers["cache-control"]), /no-store/);
    assert.match(resetForm.body, /<label for="field-password">New password<\/label>/);

    const short = await visitor.post(link, { password: "short" }, { csrfFrom: link });
    assert.equal(short.statusCode, 422);
    assert.match(short.body, /New password must be at least 8 characters/);

    const newPassword = "a brand new passphrase";
    const done = await visitor.post(link, { password: newPassword }, { csrfFrom: link });
    assert.equal(done.statusCode, 303);
    assert.equal(done.headers.location, "/tickets?notice=password-reset");
    assert.equal((await visitor.get("/account")).statusCode, 200, "signed in by the reset");

    for (const old of oldSessions) assert.equal(await resolveSession(deps, old ?? ""), undefined);
    assert.equal((await phone.get("/account")).statusCode, 303, "the phone is signed out");

    const again = await world()
      .browser()
      .post("/login", { email: customer.email, password: PASSWORD });
    assert.equal(again.statusCode, 401, "the old password no longer works");
    await world().browser().signIn(customer.email, newPassword);

    // The link is used up: neither its form nor a second post works.
    const reused = await world().browser().get(link);
    assert.equal(reused.statusCode, 404);
    assert.match(reused.body, /This link no longer works/);
    const replay = await world()
      .browser()
      .post(link, { password: "yet another passphrase" }, { csrfFrom: "/login" });
    assert.equal(replay.statusCode, 404);
    await world().browser().signIn(customer.email, newPassword);
  });

  test("the answer is the same for an unknown address; only the mail differs", async () => {
    const { deps } = world();
    await clearLimits(world());
    const customer = await makeCustomer(deps);
    const unknown = `nobody-${Date.now()}@example.test`;
    const known = await forget(world().browser(), customer.email);
    const stranger = await forget(world().browser(), unknown);
    assert.equal(known.statusCode, stranger.statusCode);
    assert.equal(pageText(known.body), pageText(stranger.body));
    const mail = await lastMail(world(), unknown);
    assert.equal(mail.kind, "account.reset_no_account");
    assert.doesNotMatch(mail.textBody, /token=/, "no link for an address without an account");
    const invalid = await forget(world().browser(), "not-an-email");
    assert.equal(invalid.statusCode, 422);
    assert.match(invalid.body, /Email must be an email address/);
  });

  test("requests are limited per address and per IP", async () => {
    const { deps } = world();
    await clearLimits(world());
    const customer = await makeCustomer(deps);
    for (let i = 0; i < MAIL_LINK_LIMITS.perAddress; i++) {
      assert.equal((await forget(world().browser(), customer.email)).statusCode, 200);
    }
    const before = (await deps.db.select().from(outbox).where(eq(outbox.toAddress, customer.email)))
      .length;
    const over = await forget(world().browser(), customer.email);
    assert.equal(over.statusCode, 429);
    assert.ok(Number(over.headers["retry-after"]) > 0);
    assert.match(over.body, /Too many requests/);
    const after = (await deps.db.select().from(outbox).where(eq(outbox.toAddress, customer.email)))
      .length;
    assert.equal(after, before, "no mail over the limit");

    // Other addresses from the same IP, up to the per-IP limit.
    await clearLimits(world());
    for (let i = 0; i < MAIL_LINK_LIMITS.perIp; i++) {
      assert.equal(
        (await forget(world().browser(), `ip-${i}-${Date.now()}@example.test`)).statusCode,
        200,
      );
    }
    assert.equal((await forget(world().browser(), `ip-last@example.test`)).statusCode, 429);
    await clearLimits(world());
  });

  test("a reset link is refused when tampered with, expired, for another purpose or account", async () => {
    const { deps } = world();
    await clearLimits(world());
    const alice = await makeCustomer(deps);
    const bob = await makeCustomer(deps);
    const issue = (
      userId: number,
      email: string,
      purpose: "password_reset" | "signup_confirm" = "password_reset",
    ) => issueLink(deps.db, { purpose, userId, email });

    const token = await issue(alice.id, alice.email);
    const flipped = `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`;
    for (const bad of ["", "x", flipped, `${token}A`, token.toUpperCase(), hashToken(token)]) {
      assert.equal(await peekLink(deps.db, bad, "password_reset"), undefined, bad);
      assert.equal(await useLink(deps.db, bad, { purpose: "password_reset" }), undefined, bad);
      const page = await world()
        .browser()
        .get(`/password/reset?token=${encodeURIComponent(bad)}`);
      assert.equal(page.statusCode, 404);
    }
    assert.equal(
      await useLink(deps.db, token, { purpose: "signup_confirm" }),
      undefined,
      "wrong purpose",
    );
    assert.equal(
      await useLink(deps.db, token, { purpose: "password_reset", userId: bob.id }),
      undefined,
      "another account's",
    );
    assert.equal(
      (await useLink(deps.db, token, { purpose: "password_reset", userId: alice.id }))?.userId,
      alice.id,
    );
    assert.equal(
      await useLink(deps.db, token, { purpose: "password_reset" }),
      undefined,
      "used once only",
    );

    // A sign-up link does not reset a password.
    const signupToken = await issue(alice.id, alice.email, "signup_confirm");
    const wrongPurpose = `/password/reset?token=${signupToken}`;
    assert.equal((await world().browser().get(wrongPurpose)).statusCode, 404);

    // Expired an instant ago: refused, and the password is unchanged.
    const late = await issue(alice.id, alice.email);
    await deps.db
      .update(accountLinks)
      .set({ expiresAt: sql`now() - interval '1 second'` })
      .where(eq(accountLinks.tokenHash, hashToken(late)));
    const expired = await world()
      .browser()
      .post(
        `/password/reset?token=${late}`,
        { password: "new enough pass" },
        { csrfFrom: "/login" },
      );
    assert.equal(expired.statusCode, 404);
    await world().browser().signIn(alice.email, alice.password);

    // Parallel uses of one link: exactly one wins.
    const racing = await issue(bob.id, bob.email);
    const results = await Promise.all(
      Array.from({ length: 5 }, () => useLink(deps.db, racing, { purpose: "password_reset" })),
    );
    assert.equal(results.filter(Boolean).length, 1);

    // A link lives an hour.
    const fresh = await issue(bob.id, bob.email);
    const [row] = await deps.db
      .select({
        ttl: sql<number>`extract(epoch from ${accountLinks.expiresAt} - ${accountLinks.createdAt})::int`,
      })
      .from(accountLinks)
      .where(and(eq(accountLinks.tokenHash, hashToken(fresh))));
    assert.ok(row && Math.abs(row.ttl - 3600) <= 5, `lives ${row?.ttl}s`);

    // A newer reset voids older links; a disabled account's link does nothing.
    const older = await issue(bob.id, bob.email);
    const newer = await issue(bob.id, bob.email);
    const b = world().browser();
    const used = await b.post(
      `/password/reset?token=${newer}`,
      { password: "bob's new passphrase" },
      { csrfFrom: "/login" },
    );
    assert.equal(used.statusCode, 303);
    assert.equal(
      await peekLink(deps.db, older, "password_reset"),
      undefined,
      "older links are void",
    );
  });
});

describeEachDatabase("verified sign-up", (world) => {
  const signUp = (browser: Browser, email: string, name = "Sam Signup", password = PASSWORD) =>
    browser.post("/signup", { email, name, password }, { csrfFrom: "/signup" });

  test("the same page for a new address, an account and an account without a password; the mails differ", async () => {
    const { deps } = world();
    await clearLimits(world());
    const fresh = `fresh-${Date.now()}@example.test`;
    const existing = await makeCustomer(deps);
    const { user: mailOnly } = await findOrCreateCustomer(deps.db, {
      email: `mail-only-${Date.now()}@example.test`,
      name: "From Mail",
    });
    const answers = [];
    for (const email of [fresh, existing.email, mailOnly.email]) {
      answers.push(await signUp(world().browser(), email));
    }
    for (const answer of answers) {
      assert.equal(answer.statusCode, 200);
      assert.equal(pageText(answer.body), pageText(answers[0]?.body ?? ""));
      assert.match(answer.body, /Check your inbox/);
    }

    assert.equal((await lastMail(world(), fresh)).kind, "account.signup_confirm");
    assert.equal((await lastMail(world(), mailOnly.email)).kind, "account.signup_confirm");
    const exists = await lastMail(world(), existing.email);
    assert.equal(exists.kind, "account.signup_exists");
    assert.match(exists.subject, /already have an account/);
    assert.ok(exists.textBody.includes(`${deps.config.publicUrl.origin}/login`));
    // Its reset link works, and the sign-up changed nothing meanwhile.
    await world().browser().signIn(existing.email, existing.password);
    const reset = linkIn(exists.textBody, "/password/reset");
    const b = world().browser();
    assert.equal((await b.get(reset)).statusCode, 200);
    const done = await b.post(reset, { password: "chosen after all" }, { csrfFrom: reset });
    assert.equal(done.statusCode, 303);
  });

  test("an account made from mail is claimed by confirming: the password and name chosen are set", async () => {
    const { deps } = world();
    await clearLimits(world());
    const { user } = await findOrCreateCustomer(deps.db, {
      email: `claim-${Date.now()}@example.test`,
      name: "claim",
    });
    await signUp(world().browser(), user.email.toUpperCase(), "Claire Claim", "claimed passphrase");
    const link = linkIn((await lastMail(world(), user.email)).textBody, "/signup/confirm");
    const b = world().browser();
    const confirmed = await b.post(link, {}, { csrfFrom: link });
    assert.equal(confirmed.statusCode, 303);
    const account = await b.get("/account");
    assert.match(account.body, /Claire Claim/);
    assert.match(account.body, new RegExp(user.email));
    await world().browser().signIn(user.email, "claimed passphrase");
    const [row] = await deps.db.select().from(users).where(eq(users.id, user.id));
    assert.equal(row?.role, "customer");
  });

  test("confirmation links: single use, expire, tamper-proof, purpose-bound; a second sign-up loses", async () => {
    const { deps } = world();
    await clearLimits(world());
    const email = `twice-${Date.now()}@example.test`;
    await signUp(world().browser(), email, "First");
    const first = linkIn((await lastMail(world(), email)).textBody, "/signup/confirm");
    await signUp(world().browser(), email, "Second", "second passphrase");
    const second = linkIn((await lastMail(world(), email)).textBody, "/signup/confirm");
    assert.notEqual(first, second);

    const token = new URL(first, "http://x").searchParams.get("token") ?? "";
    const flipped = `/signup/confirm?token=${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`;
    assert.equal((await world().browser().get(flipped)).statusCode, 404);
    assert.equal(
      (await world().browser().post(flipped, {}, { csrfFrom: "/login" })).statusCode,
      404,
    );
    // A confirmation link is not a reset link.
    const asReset = `/password/reset?token=${token}`;
    assert.equal((await world().browser().get(asReset)).statusCode, 404);

    const b = world().browser();
    assert.equal((await b.post(first, {}, { csrfFrom: first })).statusCode, 303);
    const reused = await world().browser().post(first, {}, { csrfFrom: "/login" });
    assert.equal(reused.statusCode, 404);
    assert.match(reused.body, /This link no longer works/);
    // The other pending sign-up for the address finds it taken, and changes nothing.
    const taken = await world().browser().post(second, {}, { csrfFrom: "/login" });
    assert.equal(taken.statusCode, 409);
    assert.match(taken.body, /already has an account/);
    await world().browser().signIn(email, PASSWORD);
    assert.equal(
      (await world().browser().post(second, {}, { csrfFrom: "/login" })).statusCode,
      404,
    );

    // Expired: refused, nothing created.
    const late = `late-${Date.now()}@example.test`;
    await signUp(world().browser(), late);
    const lateLink = linkIn((await lastMail(world(), late)).textBody, "/signup/confirm");
    await deps.db
      .update(accountLinks)
      .set({ expiresAt: sql`now() - interval '1 second'` })
      .where(eq(accountLinks.email, late));
    assert.equal((await world().browser().get(lateLink)).statusCode, 404);
    assert.equal(
      (await world().browser().post(lateLink, {}, { csrfFrom: "/login" })).statusCode,
      404,
    );
    const [row] = await deps.db.select().from(users).where(eq(users.email, late));
    assert.equal(row, undefined);
  });

  test("sign-up requests are limited per address", async () => {
    await clearLimits(world());
    const email = `limited-${Date.now()}@example.test`;
    for (let i = 0; i < MAIL_LINK_LIMITS.perAddress; i++) {
      assert.equal((await signUp(world().browser(), email)).statusCode, 200);
    }
    const over = await signUp(world().browser(), email);
    assert.equal(over.statusCode, 429);
    assert.match(over.body, /Too many sign-ups/);
    assert.ok(Number(over.headers["retry-after"]) > 0);
    await clearLimits(world());
  });
});
