import { randomInt } from "node:crypto";
import { Secret, TOTP } from "otpauth";
import QRCode from "qrcode";
import type { Executor } from "../db/client.ts";
import type { Deps } from "../deps.ts";
import { Conflict, Forbidden, Invalid, NotFound, TooManyRequests } from "../lib/errors.ts";
import { hashToken, safeEqual } from "../lib/tokens.ts";
import * as settings from "../settings/settings.service.ts";
import * as repo from "./accounts.repo.ts";
import { type SessionClient, startSession } from "./accounts.service.ts";
import { type Actor, isAdmin, isStaff } from "./actor.ts";
import { issueLink, peekLink, useLink } from "./links.service.ts";
import { verifyPassword } from "./passwords.ts";
import { logAccountEvent } from "./security-log.ts";
import * as tfRepo from "./two-factor.repo.ts";

/**
 * Two-factor sign-in with TOTP (RFC 6238: 6 digits, 30-second steps, SHA-1,
 * which is what every authenticator app supports), through the `otpauth` package.
 *
 * - A code is accepted one step either side of now (clocks drift), and never twice:
 *   the step of the last accepted code is stored and only later steps pass.
 * - Ten single-use recovery codes (50 random bits each) stand in for a lost phone;
 *   only their SHA-256 is kept.
 * - After a correct password, an account with two-factor gets no session: a
 *   single-use `sign_in_second_step` link (links.service.ts) lives 5 minutes in a
 *   cookie, and only a valid code turns it into a session.
 * - Wrong codes are counted per account and per IP in `rate_limits`, as passwords are.
 */

const ISSUER = "Tessera";
const PERIOD = 30;
const DIGITS = 6;
/** Steps either side of now that are accepted. */
const WINDOW = 1;
export const RECOVERY_CODE_COUNT = 10;
const WINDOW_MS = 15 * 60_000;
/** Wrong codes allowed in 15 minutes, as `SIGN_IN_LIMITS` allows wrong passwords. */
export const CODE_LIMITS = { perIp: 30, perAccount: 10 } as const;

const TOTP_SHAPE = /^\d{6}$/;
// RFC 4648 base32 letters: no 0, 1, 8 or 9 to mistake for letters.
const RECOVERY_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";
const RECOVERY_SHAPE = /^[a-z2-7]{10}$/;

function totpOf(secret: string, label: string): TOTP {
  return new TOTP({
    issuer: ISSUER,
    label,
    algorithm: "SHA1",
    digits: DIGITS,
    period: PERIOD,
    secret: Secret.fromBase32(secret),
  });
}

/** What a typed code looks like once spaces and dashes are gone. */
function normalise(code: string): string {
  return String(code ?? "")
    .slice(0, 100)
    .replace(/[\s-]/g, "")
    .toLowerCase();
}

/** The time step `code` is valid for (within the window), or undefined. */
function stepOf(secret: string, code: string, now = Date.now()): number | undefined {
  if (!TOTP_SHAPE.test(code)) return undefined;
  const totp = totpOf(secret, "");
  const delta = totp.validate({ token: code, timestamp: now, window: WINDOW });
  return delta === null ? undefined : totp.counter({ timestamp: now }) + delta;
}

function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const chars = Array.from({ length: 10 }, () => RECOVERY_ALPHABET[randomInt(32)]).join("");
    return `${chars.slice(0, 5)}-${chars.slice(5)}`;
  });
}

function recoveryHash(code: string): string {
  return hashToken(normalise(code));
}

/**
 * Counts one code attempt against the account and the IP before it is checked
 * (so parallel guesses cannot all slip under the limit); throws when over.
 * Returns how to take the attempt back when it was right.
 */
async function countAttempt(
  deps: Deps,
  userId: number,
  ip: string,
): Promise<{ succeeded: () => Promise<void> }> {
  const accountKey = `two-factor:account:${userId}`;
  const ipKey = `two-factor:ip:${ip}`;
  const [ipHit, accountHit] = await Promise.all([
    repo.hitRateLimit(deps.db, ipKey, WINDOW_MS),
    repo.hitRateLimit(deps.db, accountKey, WINDOW_MS),
  ]);
  const blockedUntil =
    ipHit.count > CODE_LIMITS.perIp
      ? ipHit.resetAt
      : accountHit.count > CODE_LIMITS.perAccount
        ? accountHit.resetAt
        : undefined;
  if (blockedUntil) {
    logAccountEvent(deps, "sign_in.second_step_refused", { userId, ip, reason: "rate_limited" });
    throw new TooManyRequests(Math.max(1, Math.ceil((blockedUntil.getTime() - Date.now()) / 1000)));
  }
  return {
    succeeded: async () => {
      await repo.clearRateLimit(deps.db, accountKey);
      await repo.releaseRateLimit(deps.db, ipKey);
    },
  };
}

const WRONG_CODE = "is not a valid code";
const USED_CODE = "has been used already: wait for the next code in your app";

/**
 * Checks a TOTP code or an unused recovery code of an enrolled account in `tx`,
 * using it up (a later step recorded, or the recovery code marked used). Throws
 * Invalid on field `field` otherwise.
 */
async function useCode(
  tx: Executor,
  enrolled: tfRepo.TwoFactorRow,
  code: string,
  field: string,
): Promise<"totp" | "recovery_code"> {
  const typed = normalise(code);
  if (TOTP_SHAPE.test(typed)) {
    const step = stepOf(enrolled.secret, typed);
    if (step === undefined) throw Invalid.field(field, WRONG_CODE, "error.field.wrongCode");
    if (!(await tfRepo.advanceLastStep(tx, enrolled.userId, step))) {
      throw Invalid.field(field, USED_CODE, "error.field.usedCode");
    }
    return "totp";
  }
  if (RECOVERY_SHAPE.test(typed)) {
    const hash = hashToken(typed);
    const used = await tfRepo.useRecoveryCode(tx, enrolled.userId, hash);
    // Found by its hash; compared again in constant time all the same.
    if (used && safeEqual(used, hash)) return "recovery_code";
  }
  throw Invalid.field(field, WRONG_CODE, "error.field.wrongCode");
}

async function enrolledRow(db: Executor, userId: number) {
  const row = await tfRepo.findTwoFactor(db, userId);
  return row?.enabledAt ? row : undefined;
}

/** Whether two-factor is required of this person (staff, when the admin setting is on). */
async function isRequiredOf(db: Executor, actor: Pick<Actor, "role">): Promise<boolean> {
  return isStaff(actor) && (await settings.getInstanceSettings(db)).requireStaffTwoFactor;
}

// --- sign-in ---

export type SignInStep =
  /** A session was started: `token` is its cookie value. */
  | { kind: "session"; token: string }
  /** The account has two-factor: `token` is the pending step's secret, for a short-lived cookie. */
  | { kind: "second-step"; token: string };

/**
 * What follows a correct password (or a used reset or sign-up link): a session,
 * or for an account with two-factor the pending second step, which grants
 * nothing. Staff without two-factor, while it is required, get an enrolment-only session.
 */
export async function startSignIn(
  deps: Deps,
  actor: Actor,
  client: SessionClient,
): Promise<SignInStep> {
  if (await enrolledRow(deps.db, actor.id)) {
    const token = await issueLink(deps.db, {
      purpose: "sign_in_second_step",
      email: actor.email,
      userId: actor.id,
    });
    return { kind: "second-step", token };
  }
  const enrolmentOnly = await isRequiredOf(deps.db, actor);
  const token = await startSession(deps, actor.id, client, { enrolmentOnly });
  logAccountEvent(deps, "sign_in.completed", { userId: actor.id, ip: client.ip, enrolmentOnly });
  return { kind: "session", token };
}

/** Whether `token` is a live pending second step (to show its form). */
export async function checkSecondStep(deps: Deps, token: unknown): Promise<boolean> {
  return (await peekLink(deps.db, token, "sign_in_second_step")) !== undefined;
}

/**
 * Finishes a two-factor sign-in with a TOTP code or a recovery code. Returns
 * undefined when the pending step is unknown, expired, already used or its
 * account is disabled (sign in again); throws Invalid for a wrong code (the step
 * stays usable) and TooManyRequests past the limits.
 */
export async function completeSignIn(
  deps: Deps,
  pendingToken: unknown,
  input: { code: string },
  client: SessionClient & { ip: string },
): Promise<
  { actor: Actor; token: string; method: "totp" | "recovery_code"; codesLeft: number } | undefined
> {
  const pending = await peekLink(deps.db, pendingToken, "sign_in_second_step");
  if (!pending?.userId) return undefined;
  const userId = pending.userId;
  const attempt = await countAttempt(deps, userId, client.ip);
  const user = await repo.findUserById(deps.db, userId);
  const enrolled = await enrolledRow(deps.db, userId);
  if (!user || user.disabled || !enrolled) return undefined;
  const method = await deps.db.transaction(async (tx) => {
    // Used in the same transaction as the code: a wrong code rolls back and leaves it usable.
    if (!(await useLink(tx, pendingToken, { purpose: "sign_in_second_step", userId }))) {
      return undefined;
    }
    return useCode(tx, enrolled, input.code, "code");
  });
  if (!method) return undefined;
  await attempt.succeeded();
  const actor: Actor = {
    id: user.id,
    email: user.email,
    name: user.name,
    role: user.role,
    away: user.away,
  };
  const token = await startSession(deps, user.id, client);
  const codesLeft = await tfRepo.countUnusedRecoveryCodes(deps.db, user.id);
  logAccountEvent(deps, "sign_in.completed", { userId, ip: client.ip, method });
  return { actor, token, method, codesLeft };
}

// --- enrolment and management ---

export interface TwoFactorStatus {
  enabled: boolean;
  /** Unused recovery codes (0 while not enabled). */
  recoveryCodesLeft: number;
  /** Required of this person (staff, with the admin setting on): it cannot be turned off. */
  required: boolean;
}

export async function getStatus(deps: Deps, actor: Actor): Promise<TwoFactorStatus> {
  const [enrolled, required] = await Promise.all([
    enrolledRow(deps.db, actor.id),
    isRequiredOf(deps.db, actor),
  ]);
  return {
    enabled: enrolled !== undefined,
    recoveryCodesLeft: enrolled ? await tfRepo.countUnusedRecoveryCodes(deps.db, actor.id) : 0,
    required,
  };
}

export interface Enrolment {
  /** The secret in base32, for typing into an app by hand. */
  secret: string;
  /** The `otpauth://` URI the QR code holds. */
  uri: string;
  /** The QR code as an SVG document, drawn on the server. */
  qrSvg: string;
}

/**
 * Starts enrolment (or continues one not confirmed yet, so a reloaded page shows
 * the same QR code): a new 160-bit secret, its URI and QR code.
 */
export async function beginEnrolment(deps: Deps, actor: Actor): Promise<Enrolment> {
  const row = await tfRepo.insertPendingTwoFactor(
    deps.db,
    actor.id,
    new Secret({ size: 20 }).base32,
  );
  if (!row) throw new Error(`two-factor row of user ${actor.id} neither inserted nor found`);
  if (row.enabledAt)
    throw new Conflict("two_factor_enabled", "Two-factor is already on.", "error.twoFactor.on");
  const uri = totpOf(row.secret, actor.email).toString();
  const qrSvg = await QRCode.toString(uri, { type: "svg", errorCorrectionLevel: "M", margin: 2 });
  return { secret: row.secret, uri, qrSvg };
}

/**
 * Turns two-factor on once a code from the app matches the pending secret;
 * returns the ten recovery codes, shown this once. Lifts an enrolment-only session.
 */
export async function confirmEnrolment(
  deps: Deps,
  actor: Actor,
  input: { code: string; ip: string },
): Promise<string[]> {
  const row = await tfRepo.findTwoFactor(deps.db, actor.id);
  if (!row) throw new NotFound("two-factor enrolment");
  if (row.enabledAt)
    throw new Conflict("two_factor_enabled", "Two-factor is already on.", "error.twoFactor.on");
  const attempt = await countAttempt(deps, actor.id, input.ip);
  const step = stepOf(row.secret, normalise(input.code));
  if (step === undefined) throw Invalid.field("code", WRONG_CODE, "error.field.wrongCode");
  const codes = newRecoveryCodes();
  await deps.db.transaction(async (tx) => {
    if (!(await tfRepo.enableTwoFactor(tx, actor.id, step))) {
      throw new Conflict("two_factor_enabled", "Two-factor is already on.", "error.twoFactor.on");
    }
    await tfRepo.replaceRecoveryCodes(tx, actor.id, codes.map(recoveryHash));
    await tfRepo.syncEnrolmentOnly(tx, await isRequiredOf(tx, actor), actor.id);
  });
  await attempt.succeeded();
  logAccountEvent(deps, "two_factor.enabled", { userId: actor.id, ip: input.ip });
  return codes;
}

/**
 * Checks that the person at the keyboard is the account's owner: a current code
 * (used up in `tx` like any other) or the password. Returns what to run in the
 * transaction; the password is checked first, outside it (argon2 takes a while).
 */
async function checkProof(
  deps: Deps,
  actor: Actor,
  enrolled: tfRepo.TwoFactorRow,
  proof: string,
): Promise<(tx: Executor) => Promise<void>> {
  if (TOTP_SHAPE.test(normalise(proof))) {
    return async (tx) => {
      await useCode(tx, enrolled, proof, "proof");
    };
  }
  const user = await repo.findUserById(deps.db, actor.id);
  if (!user?.passwordHash || !(await verifyPassword(user.passwordHash, proof.slice(0, 1024)))) {
    throw Invalid.field(
      "proof",
      "is neither a current code nor your password",
      "error.field.proof",
    );
  }
  return async () => {};
}

/** Replaces the recovery codes (after a code or the password); returns the new ones. */
export async function regenerateRecoveryCodes(
  deps: Deps,
  actor: Actor,
  input: { proof: string; ip: string },
): Promise<string[]> {
  const enrolled = await enrolledRow(deps.db, actor.id);
  if (!enrolled)
    throw new Conflict("two_factor_off", "Two-factor is not on.", "error.twoFactor.off");
  const attempt = await countAttempt(deps, actor.id, input.ip);
  const proven = await checkProof(deps, actor, enrolled, input.proof);
  const codes = newRecoveryCodes();
  await deps.db.transaction(async (tx) => {
    await proven(tx);
    await tfRepo.replaceRecoveryCodes(tx, actor.id, codes.map(recoveryHash));
  });
  await attempt.succeeded();
  logAccountEvent(deps, "two_factor.recovery_codes_regenerated", { userId: actor.id });
  return codes;
}

/**
 * Turns two-factor off (after a code or the password), deleting the secret and
 * the recovery codes. Refused to staff while the admin setting requires it.
 */
export async function disableTwoFactor(
  deps: Deps,
  actor: Actor,
  input: { proof: string; ip: string },
): Promise<void> {
  const enrolled = await enrolledRow(deps.db, actor.id);
  if (!enrolled)
    throw new Conflict("two_factor_off", "Two-factor is not on.", "error.twoFactor.off");
  if (await isRequiredOf(deps.db, actor)) {
    throw new Conflict(
      "two_factor_required",
      "Two-factor sign-in is required for staff here, so it cannot be turned off.",
      "error.twoFactor.required",
    );
  }
  const attempt = await countAttempt(deps, actor.id, input.ip);
  const proven = await checkProof(deps, actor, enrolled, input.proof);
  await deps.db.transaction(async (tx) => {
    await proven(tx);
    await tfRepo.deleteTwoFactor(tx, actor.id);
  });
  await attempt.succeeded();
  logAccountEvent(deps, "two_factor.disabled", { userId: actor.id, ip: input.ip });
}

/**
 * Removes two-factor from an account without a code: for someone who lost both
 * their phone and their recovery codes. Only from the command line (`"system"`),
 * which runs with access to the database itself. Returns whether it was on.
 */
export async function resetTwoFactor(deps: Deps, actor: "system", email: string): Promise<boolean> {
  if (actor !== "system") throw new Forbidden();
  const user = await repo.findUserByEmail(deps.db, email.trim());
  if (!user) throw new NotFound("account with the email", email.trim());
  const wasOn = (await enrolledRow(deps.db, user.id)) !== undefined;
  await deps.db.transaction(async (tx) => {
    await tfRepo.deleteTwoFactor(tx, user.id);
    await tfRepo.syncEnrolmentOnly(tx, await isRequiredOf(tx, user), user.id);
  });
  logAccountEvent(deps, "two_factor.reset", { userId: user.id, by: "system", wasOn });
  return wasOn;
}

/** Whether staff must use two-factor. */
export async function isRequiredForStaff(deps: Deps): Promise<boolean> {
  return (await settings.getInstanceSettings(deps.db)).requireStaffTwoFactor;
}

/**
 * Requires two-factor of staff, or stops requiring it (admins only; an admin
 * must have it on first, so the setting cannot lock its own author out of the
 * admin pages). Sessions of staff without it become enrolment-only at once
 * (and free again when it is switched off).
 */
export async function setRequiredForStaff(
  deps: Deps,
  actor: Actor,
  required: boolean,
): Promise<void> {
  if (!isAdmin(actor)) throw new Forbidden();
  if (required === (await isRequiredForStaff(deps))) return;
  if (required && !(await enrolledRow(deps.db, actor.id))) {
    throw new Conflict(
      "two_factor_off",
      "Turn on two-factor sign-in for your own account before requiring it of staff.",
      "admin.twoFactorFirst",
    );
  }
  await deps.db.transaction(async (tx) => {
    await settings.updateInstanceSettings(tx, { requireStaffTwoFactor: required });
    await tfRepo.syncEnrolmentOnly(tx, required);
  });
  logAccountEvent(deps, "two_factor.requirement_changed", { by: actor.id, required });
}
