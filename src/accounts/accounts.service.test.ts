import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { eq } from "drizzle-orm";
import { makeAdmin, makeAgent, makeCustomer, PASSWORD } from "../../test/helpers/factories.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { outbox, sessions, users } from "../db/schema/index.ts";
import type { Deps } from "../deps.ts";
import { Conflict, type FieldError, Forbidden, Invalid, TooManyRequests } from "../lib/errors.ts";
import { hashToken } from "../lib/tokens.ts";
import {
  createUser,
  pruneExpired,
  resolveSession,
  SIGN_IN_LIMITS,
  setSignupEnabled,
  signIn,
  startSession,
  updateUser,
} from "./accounts.service.ts";
import type { Role } from "./actor.ts";
import { verifyPassword } from "./passwords.ts";
import { confirmSignup, requestSignup } from "./recovery.service.ts";

const NO_MATCH = "That email and password do not match an active account.";

function unique(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString("hex")}@example.test`;
}

/** A client address of its own, so per-IP sign-in limits never cross tests. */
function freshIp(): string {
  return `test-client-${randomBytes(4).toString("hex")}`;
}

/** The Invalid thrown by `run`, for asserting on its field errors. */
async function invalidFrom(run: () => Promise<unknown>): Promise<Invalid> {
  try {
    await run();
  } catch (error) {
    if (error instanceof Invalid) return error;
    throw error;
  }
  assert.fail("expected Invalid to be thrown");
}

function byField(errors: FieldError[]): Record<string, string> {
  return Object.fromEntries(errors.map((e) => [e.field, e.message]));
}

async function sessionCount(deps: Deps, userId: number): Promise<number> {
  return (await deps.db.select().from(sessions).where(eq(sessions.userId, userId))).length;
}

describeEachDatabase("accounts service", (world) => {
  test("createUser reports every invalid field at once", async () => {
    const { deps } = world();
    const error = await invalidFrom(() =>
      createUser(deps, "system", {
        email: "not-an-email",
        name: "   ",
        role: "owner" as Role,
        password: "short",
      }),
    );
    const fields = byField(error.errors);
    assert.equal(fields.email, "must be an email address");
    assert.equal(fields.name, "is required");
    assert.match(fields.role ?? "", /must be one of: customer, agent, admin/);
    assert.equal(fields.password, "must be at least 8 characters");
  });

  test("createUser trims the name and email it stores", async () => {
    const { deps } = world();
    const email = unique("trim");
    const user = await createUser(deps, "system", {
      email: `  ${email} `,
      name: "  Grace Hopper ",
      role: "agent",
      password: PASSWORD,
    });
    assert.equal(user.email, email);
    assert.equal(user.name, "Grace Hopper");
    assert.equal(user.role, "agent");
    assert.equal(user.hasPassword, true);
    assert.equal("passwordHash" in user, false);
  });

  test("only admins (or the command line) may create users", async () => {
    const { deps } = world();
    const agent = await makeAgent(deps);
    const customer = await makeCustomer(deps);
    for (const actor of [agent, customer]) {
      await assert.rejects(
        createUser(deps, actor, {
          email: unique("x"),
          name: "X",
          role: "admin",
          password: PASSWORD,
        }),
        Forbidden,
      );
    }
    const admin = await makeAdmin(deps);
    const created = await createUser(deps, admin, {
      email: unique("by-admin"),
      name: "By admin",
      role: "agent",
      password: PASSWORD,
    });
    assert.equal(created.role, "agent");
  });

  test("emails are unique whatever their case, for admins and for sign-up", async () => {
    const { deps } = world();
    const email = unique("Mixed.Case");
    await createUser(deps, "system", {
      email,
      name: "First",
      role: "customer",
      password: PASSWORD,
    });
    const again = await invalidFrom(() =>
      createUser(deps, "system", {
        email: email.toUpperCase(),
        name: "Second",
        role: "agent",
        password: PASSWORD,
      }),
    );
    assert.deepEqual(again.errors, [
      { field: "email", message: "already has an account", key: "error.field.emailTaken" },
    ]);
  });

  test("sign-in finds the account whatever the case of the email typed", async () => {
    const { deps } = world();
    const user = await makeCustomer(deps, { email: unique("case") });
    const actor = await signIn(deps, {
      email: ` ${user.email.toUpperCase()} `,
      password: PASSWORD,
      ip: freshIp(),
    });
    assert.equal(actor.id, user.id);
  });

  test("sign-in gives the same answer for an unknown email, a wrong password, a disabled account and an account without a password", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const known = await makeCustomer(deps);
    const disabled = await makeCustomer(deps);
    await updateUser(deps, admin, disabled.id, { disabled: true });
    const noPassword = await createUser(deps, "system", {
      email: unique("nopass"),
      name: "No password",
      role: "customer",
    });
    const ip = freshIp();
    const attempts = [
      { email: unique("nobody"), password: PASSWORD },
      { email: known.email, password: "wrong password" },
      { email: disabled.email, password: PASSWORD },
      { email: noPassword.email, password: "" },
    ];
    for (const input of attempts) {
      const error = await invalidFrom(() => signIn(deps, { ...input, ip }));
      assert.equal(error.message, NO_MATCH, input.email);
      assert.deepEqual(error.errors, [], input.email);
    }
  });

  test("an unknown email costs a password hash check, like a wrong password", async () => {
    const { deps } = world();
    const user = await makeCustomer(deps);
    // The cheapest of a few direct argon2 checks is a floor for what one costs here.
    const hashCosts: number[] = [];
    const [stored] = await deps.db.select().from(users).where(eq(users.id, user.id));
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      await verifyPassword(stored?.passwordHash, "not it");
      hashCosts.push(performance.now() - started);
    }
    const hashCost = Math.min(...hashCosts);
    const ip = freshIp();
    const started = performance.now();
    await assert.rejects(signIn(deps, { email: unique("ghost"), password: "x", ip }), Invalid);
    const unknownCost = performance.now() - started;
    assert.ok(
      unknownCost >= hashCost * 0.5,
      `unknown email took ${unknownCost.toFixed(1)} ms, a hash check ${hashCost.toFixed(1)} ms`,
    );
  });

  test("after 10 failures an account is locked for the window, even with the right password", async () => {
    const { deps } = world();
    const user = await makeCustomer(deps);
    const other = await makeCustomer(deps);
    for (let i = 0; i < SIGN_IN_LIMITS.perAccount; i++) {
      await assert.rejects(
        signIn(deps, { email: user.email, password: "wrong", ip: freshIp() }),
        Invalid,
      );
    }
    const error = await signIn(deps, { email: user.email, password: PASSWORD, ip: freshIp() }).then(
      () => assert.fail("expected the account to be locked"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof TooManyRequests);
    assert.ok(error.retryAfterSeconds > 0 && error.retryAfterSeconds <= 15 * 60);
    // Another account is not affected.
    const actor = await signIn(deps, { email: other.email, password: PASSWORD, ip: freshIp() });
    assert.equal(actor.id, other.id);
  });

  test("a successful sign-in resets the account's failure count", async () => {
    const { deps } = world();
    const user = await makeCustomer(deps);
    const ip = freshIp();
    for (let i = 0; i < SIGN_IN_LIMITS.perAccount - 1; i++) {
      await assert.rejects(signIn(deps, { email: user.email, password: "wrong", ip }), Invalid);
    }
    await signIn(deps, { email: user.email, password: PASSWORD, ip });
    for (let i = 0; i < SIGN_IN_LIMITS.perAccount - 1; i++) {
      await assert.rejects(signIn(deps, { email: user.email, password: "wrong", ip }), Invalid);
    }
    const actor = await signIn(deps, { email: user.email, password: PASSWORD, ip });
    assert.equal(actor.id, user.id);
  });

  test("one address is throttled after 30 attempts, whichever accounts it tries", async () => {
    const { deps } = world();
    const user = await makeCustomer(deps);
    const ip = freshIp();
    for (let i = 0; i < SIGN_IN_LIMITS.perIp; i++) {
      await assert.rejects(signIn(deps, { email: unique("spray"), password: "x", ip }), Invalid);
    }
    await assert.rejects(
      signIn(deps, { email: user.email, password: PASSWORD, ip }),
      TooManyRequests,
    );
    const actor = await signIn(deps, { email: user.email, password: PASSWORD, ip: freshIp() });
    assert.equal(actor.id, user.id);
  });

  test("a burst of parallel wrong passwords gets no more tries than the limit", async () => {
    const { deps } = world();
    const user = await makeCustomer(deps);
    const results = await Promise.allSettled(
      Array.from({ length: 3 * SIGN_IN_LIMITS.perAccount }, () =>
        signIn(deps, { email: user.email, password: "wrong", ip: freshIp() }),
      ),
    );
    const checked = results.filter((r) => r.status === "rejected" && r.reason instanceof Invalid);
    const throttled = results.filter(
      (r) => r.status === "rejected" && r.reason instanceof TooManyRequests,
    );
    assert.equal(checked.length, SIGN_IN_LIMITS.perAccount);
    assert.equal(throttled.length, 2 * SIGN_IN_LIMITS.perAccount);
  });

  test("successful sign-ins from one address never count towards its limit", async () => {
    const { deps } = world();
    const user = await makeCustomer(deps);
    const ip = freshIp();
    for (let i = 0; i < SIGN_IN_LIMITS.perIp + 5; i++) {
      const actor = await signIn(deps, { email: user.email, password: PASSWORD, ip });
      assert.equal(actor.id, user.id);
    }
  });

  test("housekeeping deletes expired and idle sessions and keeps live ones", async () => {
    const { deps } = world();
    const user = await makeCustomer(deps);
    const live = await startSession(deps, user.id, {});
    const expired = await startSession(deps, user.id, {});
    const idle = await startSession(deps, user.id, {});
    await deps.db
      .update(sessions)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(sessions.id, hashToken(expired)));
    await deps.db
      .update(sessions)
      .set({ lastSeenAt: new Date(Date.now() - deps.config.sessionIdleMs - 1000) })
      .where(eq(sessions.id, hashToken(idle)));
    await pruneExpired(deps);
    const left = await deps.db
      .select({ id: sessions.id })
      .from(sessions)
      .where(eq(sessions.userId, user.id));
    assert.deepEqual(
      left.map((r) => r.id),
      [hashToken(live)],
    );
  });

  test("sessions are stored only as a hash of the cookie value", async () => {
    const { deps } = world();
    const user = await makeCustomer(deps);
    const token = await startSession(deps, user.id, { ip: "203.0.113.9", userAgent: "test" });
    const rows = await deps.db.select().from(sessions).where(eq(sessions.userId, user.id));
    assert.deepEqual(
      rows.map((r) => r.id),
      [hashToken(token)],
    );
    assert.equal((await resolveSession(deps, token))?.id, user.id);
  });

  test("a session idle for longer than the idle limit ends and is deleted", async () => {
    const { deps } = world();
    const user = await makeCustomer(deps);
    const token = await startSession(deps, user.id, {});
    const id = hashToken(token);
    await deps.db
      .update(sessions)
      .set({ lastSeenAt: new Date(Date.now() - deps.config.sessionIdleMs + 60 * 60_000) })
      .where(eq(sessions.id, id));
    assert.equal((await resolveSession(deps, token))?.id, user.id, "still within the idle limit");
    await deps.db
      .update(sessions)
      .set({ lastSeenAt: new Date(Date.now() - deps.config.sessionIdleMs - 60_000) })
      .where(eq(sessions.id, id));
    assert.equal(await resolveSession(deps, token), undefined);
    assert.equal(await sessionCount(deps, user.id), 0);
  });

  test("a session past its absolute expiry ends, however recently it was used", async () => {
    const { deps } = world();
    const user = await makeCustomer(deps);
    const token = await startSession(deps, user.id, {});
    await deps.db
      .update(sessions)
      .set({ expiresAt: new Date(Date.now() - 1000), lastSeenAt: new Date() })
      .where(eq(sessions.id, hashToken(token)));
    assert.equal(await resolveSession(deps, token), undefined);
  });

  test("a new session expires after the configured maximum", async () => {
    const { deps } = world();
    const user = await makeCustomer(deps);
    const token = await startSession(deps, user.id, {});
    const [row] = await deps.db
      .select()
      .from(sessions)
      .where(eq(sessions.id, hashToken(token)));
    const expiresIn = (row?.expiresAt.getTime() ?? 0) - Date.now();
    assert.ok(Math.abs(expiresIn - deps.config.sessionMaxMs) < 60_000);
  });

  test("unknown and oversized session tokens resolve to nobody", async () => {
    const { deps } = world();
    assert.equal(await resolveSession(deps, "no-such-session"), undefined);
    assert.equal(await resolveSession(deps, ""), undefined);
    assert.equal(await resolveSession(deps, "x".repeat(101)), undefined);
  });

  test("disabling a user ends all their sessions at once; enabling does not revive them", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const user = await makeCustomer(deps);
    const first = await startSession(deps, user.id, {});
    const second = await startSession(deps, user.id, {});
    const bystander = await makeCustomer(deps);
    const bystanderToken = await startSession(deps, bystander.id, {});

    const updated = await updateUser(deps, admin, user.id, { disabled: true });
    assert.equal(updated.disabled, true);
    assert.equal(await sessionCount(deps, user.id), 0);
    assert.equal(await resolveSession(deps, first), undefined);
    assert.equal(await resolveSession(deps, second), undefined);
    assert.equal((await resolveSession(deps, bystanderToken))?.id, bystander.id);

    await updateUser(deps, admin, user.id, { disabled: false });
    assert.equal(await resolveSession(deps, first), undefined);
    assert.equal((await signIn(deps, { ...user, ip: freshIp() })).id, user.id);
  });

  test("a disabled user's session is refused even if its row survived", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const user = await makeCustomer(deps);
    await updateUser(deps, admin, user.id, { disabled: true });
    // A session created after the fact (e.g. racing the disable) is still refused.
    const token = await startSession(deps, user.id, {});
    assert.equal(await resolveSession(deps, token), undefined);
  });

  test("a role change applies to existing sessions on their next request", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const user = await makeCustomer(deps);
    const token = await startSession(deps, user.id, {});
    await updateUser(deps, admin, user.id, { role: "agent" });
    assert.equal((await resolveSession(deps, token))?.role, "agent");
  });

  test("only admins may update users, and an unknown user is not found", async () => {
    const { deps } = world();
    const agent = await makeAgent(deps);
    const admin = await makeAdmin(deps);
    const customer = await makeCustomer(deps);
    await assert.rejects(updateUser(deps, agent, customer.id, { role: "admin" }), Forbidden);
    await assert.rejects(updateUser(deps, admin, 2_000_000_000, { role: "agent" }), {
      code: "not_found",
    });
  });

  test("sign-up makes customers only, and is refused while switched off", async () => {
    const { deps } = world();
    const email = unique("self");
    await requestSignup(deps, { email, name: "Self", password: PASSWORD, ip: "192.0.2.1" });
    const [mail] = await deps.db.select().from(outbox).where(eq(outbox.toAddress, email));
    const token = /token=([A-Za-z0-9_-]+)/.exec(mail?.textBody ?? "")?.[1];
    const confirmed = await confirmSignup(deps, token);
    assert.equal(confirmed.status === "confirmed" && confirmed.actor.role, "customer");
    const admin = await makeAdmin(deps);
    await assert.rejects(setSignupEnabled(deps, await makeAgent(deps), false), Forbidden);
    await setSignupEnabled(deps, admin, false);
    try {
      await assert.rejects(
        requestSignup(deps, { email: unique("late"), name: "Late", password: PASSWORD, ip: "" }),
        Forbidden,
      );
    } finally {
      await setSignupEnabled(deps, admin, true);
    }
  });
});

// A database of its own: "last admin" depends on every admin that exists.
describeEachDatabase("accounts service: the last active admin", (world) => {
  test("the only active admin can be neither demoted nor disabled", async () => {
    const { deps } = world();
    const only = await makeAdmin(deps);
    await assert.rejects(updateUser(deps, only, only.id, { role: "agent" }), (error: unknown) => {
      assert.ok(error instanceof Conflict);
      assert.equal(error.code, "last_admin");
      return true;
    });
    await assert.rejects(updateUser(deps, only, only.id, { disabled: true }), Conflict);

    // A disabled admin does not count as another admin.
    const dormant = await makeAdmin(deps);
    await updateUser(deps, only, dormant.id, { disabled: true });
    await assert.rejects(updateUser(deps, only, only.id, { role: "customer" }), Conflict);

    // With a second active admin, the first may step down; then the second is the last.
    const second = await makeAdmin(deps);
    const demoted = await updateUser(deps, second, only.id, { role: "agent" });
    assert.equal(demoted.role, "agent");
    await assert.rejects(updateUser(deps, second, second.id, { disabled: true }), Conflict);
    // Other changes to the last admin are still allowed.
    const renamed = await updateUser(deps, second, second.id, { name: "Still in charge" });
    assert.equal(renamed.name, "Still in charge");
  });
});
