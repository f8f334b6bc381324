import type { Executor } from "../db/client.ts";
import type { Deps } from "../deps.ts";
import { queueAccountMail } from "../email/outbox.service.ts";
import { isLocale, type Locale, type Translator, translator } from "../i18n/i18n.ts";
import { Forbidden, TooManyRequests } from "../lib/errors.ts";
import { parse, trimFields } from "../lib/validate.ts";
import { joinByVerifiedAddress } from "../organisations/index.ts";
import * as settings from "../settings/settings.service.ts";
import * as repo from "./accounts.repo.ts";
import { ForgotPasswordInput, ResetPasswordInput, SignUpInput } from "./accounts.schemas.ts";
import type { Actor } from "./actor.ts";
import * as links from "./links.service.ts";
import * as mails from "./mails.ts";
import { hashPassword } from "./passwords.ts";

/**
 * Password reset and verified sign-up. Both answer the same whatever the
 * address (the mail differs, and only its owner reads it), and do the same
 * work either way: a lookup, one argon2 hash for sign-up, and one outbox row
 * written in one transaction. Requests are limited per address and per IP.
 */

const HOUR_MS = 3600_000;
export const MAIL_LINK_LIMITS = { perAddress: 5, perIp: 30, windowMs: HOUR_MS } as const;

function toActor(row: repo.UserRow): Actor {
  return { id: row.id, email: row.email, name: row.name, role: row.role, away: row.away };
}

function url(deps: Deps, path: string, token?: string): string {
  const u = new URL(path, deps.config.publicUrl);
  if (token !== undefined) u.searchParams.set("token", token);
  return u.href;
}

/** Counts one request for `what` by address and by IP; over either limit, TooManyRequests. */
async function limit(deps: Deps, what: string, email: string, ip: string): Promise<void> {
  const { perAddress, perIp, windowMs } = MAIL_LINK_LIMITS;
  const [byIp, byAddress] = await Promise.all([
    repo.hitRateLimit(deps.db, `${what}:ip:${ip}`, windowMs),
    repo.hitRateLimit(deps.db, `${what}:address:${email.toLowerCase()}`, windowMs),
  ]);
  const until =
    byIp.count > perIp
      ? byIp.resetAt
      : byAddress.count > perAddress
        ? byAddress.resetAt
        : undefined;
  if (until) {
    throw new TooManyRequests(Math.max(1, Math.ceil((until.getTime() - Date.now()) / 1000)));
  }
}

const live = (user: repo.UserRow | undefined): user is repo.UserRow => !!user && !user.disabled;

/**
 * The language of a mail about an account: the first of `locales` set (the
 * account's own, the page's for someone asking there), else the instance's.
 * Account mails tell no times, so the zone is the instance's too.
 */
async function mailReader(
  deps: Deps,
  tx: Executor,
  ...locales: (string | null | undefined)[]
): Promise<Translator> {
  const defaults = await settings.languageDefaults.get(deps.db, tx);
  return translator(locales.find(isLocale) ?? defaults.locale, defaults.timeZone);
}

/**
 * "Forgot your password?": mails a reset link (one hour, once) to an active
 * account's address, or a mail saying there is no account to any other. An
 * account without a password is claimed this way too. The mail is in the
 * account's language (else the instance's); without an account, in the
 * language of the page it was asked on (`locale`).
 */
export async function requestPasswordReset(
  deps: Deps,
  input: { email: string; ip: string; locale?: Locale | undefined },
): Promise<void> {
  const { email } = parse(ForgotPasswordInput, trimFields({ email: input.email }, ["email"]));
  await limit(deps, "reset", email, input.ip);
  await deps.db.transaction(async (tx) => {
    const user = await repo.findUserByEmail(tx, email);
    if (live(user)) {
      await mailResetLink(deps, tx, user);
    } else {
      await queueAccountMail(deps, tx, {
        kind: "account.reset_no_account",
        recipientId: null,
        to: email,
        ...mails.resetNoAccountMail(await mailReader(deps, tx, input.locale), {
          email,
          signupUrl: url(deps, "/signup"),
        }),
      });
    }
  });
}

async function mailResetLink(deps: Deps, tx: Executor, user: repo.UserRow): Promise<void> {
  const token = await links.issueLink(tx, {
    purpose: "password_reset",
    userId: user.id,
    email: user.email,
  });
  await queueAccountMail(deps, tx, {
    kind: "account.password_reset",
    recipientId: user.id,
    to: user.email,
    ...mails.resetMail(await mailReader(deps, tx, user.locale), {
      name: user.name,
      resetUrl: url(deps, "/password/reset", token),
    }),
  });
}

/** Whether a reset link is live (to show its form); using it is `resetPassword`. */
export async function checkResetLink(deps: Deps, token: unknown): Promise<boolean> {
  const link = await links.peekLink(deps.db, token, "password_reset");
  if (!link?.userId) return false;
  const user = await repo.findUserById(deps.db, link.userId);
  return live(user) && sameAddress(user.email, link.email);
}

const sameAddress = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/**
 * Sets a new password with a reset link: uses the link (once), voids the
 * account's other reset links and its mails' ticket links, and ends all its
 * sessions, in one transaction.
 * Returns the account to sign in, or undefined when the link is unknown,
 * used, expired, for another purpose, or its account is disabled or has
 * another address now. The password follows the rules of sign-up.
 */
export async function resetPassword(
  deps: Deps,
  token: unknown,
  input: ResetPasswordInput,
): Promise<Actor | undefined> {
  const data = parse(ResetPasswordInput, input);
  const passwordHash = await hashPassword(data.password);
  return deps.db.transaction(async (tx) => {
    const link = await links.useLink(tx, token, { purpose: "password_reset" });
    if (!link?.userId) return undefined;
    const user = await repo.findUserById(tx, link.userId);
    if (!live(user) || !sameAddress(user.email, link.email)) return undefined;
    const updated = await repo.updateUser(tx, user.id, { passwordHash });
    // Following the mailed link proved the address: its domain's organisation, if any.
    await joinByVerifiedAddress(tx, user);
    await links.voidLinks(tx, user.id, "password_reset");
    await links.voidLinks(tx, user.id, "ticket_access");
    await repo.deleteUserSessions(tx, user.id);
    return updated ? toActor(updated) : undefined;
  });
}

async function refuseWhenSignupOff(deps: Deps): Promise<void> {
  if (!(await settings.getInstanceSettings(deps.db)).signupEnabled) {
    throw new Forbidden(
      "Sign-up is switched off here; ask the support team for an account.",
      "error.signUpOff",
    );
  }
}

/**
 * Sign-up, verified: answers alike for every address and mails either a
 * confirmation link (a new address, or an account without a password, made
 * by mail, the API or staff, which the link claims) or, to an address that
 * already has an account, a mail saying so with a sign-in and a reset link.
 * Nothing is created until the link is followed: the name and the password's
 * hash wait in the link's row. Refused when an admin has switched sign-up off.
 * `locale` is the language of the page signed up on: the confirmation is
 * written in it, and the account made by the link keeps it (so later mail is
 * too); the mail to an existing account is in that account's language.
 */
export async function requestSignup(
  deps: Deps,
  input: SignUpInput & { ip: string; locale?: Locale | undefined },
): Promise<void> {
  // Checked before the input, so a switched-off sign-up refuses every attempt alike.
  await refuseWhenSignupOff(deps);
  const { ip, locale, ...fields } = input;
  const data = parse(SignUpInput, trimFields(fields, ["email", "name"]));
  await limit(deps, "signup", data.email, ip);
  // Hashed whatever the address, so every answer costs the same.
  const passwordHash = await hashPassword(data.password);
  await deps.db.transaction(async (tx) => {
    const user = await repo.findUserByEmail(tx, data.email);
    if (!user || (user.passwordHash === null && !user.disabled)) {
      const token = await links.issueLink(tx, {
        purpose: "signup_confirm",
        userId: user?.id,
        email: user?.email ?? data.email,
        payload: { name: data.name, passwordHash, ...(locale ? { locale } : {}) },
      });
      await queueAccountMail(deps, tx, {
        kind: "account.signup_confirm",
        recipientId: user?.id ?? null,
        to: user?.email ?? data.email,
        ...mails.confirmSignupMail(await mailReader(deps, tx, locale, user?.locale), {
          name: data.name,
          confirmUrl: url(deps, "/signup/confirm", token),
        }),
      });
      return;
    }
    const resetToken = user.disabled
      ? undefined
      : await links.issueLink(tx, {
          purpose: "password_reset",
          userId: user.id,
          email: user.email,
        });
    await queueAccountMail(deps, tx, {
      kind: "account.signup_exists",
      recipientId: user.id,
      to: user.email,
      ...mails.alreadySignedUpMail(await mailReader(deps, tx, user.locale), {
        name: user.name,
        signInUrl: url(deps, "/login"),
        resetUrl: resetToken === undefined ? undefined : url(deps, "/password/reset", resetToken),
      }),
    });
  });
}

/** Whether a sign-up confirmation link is live (to show its button). */
export async function checkSignupLink(deps: Deps, token: unknown): Promise<boolean> {
  return (await links.peekLink(deps.db, token, "signup_confirm")) !== undefined;
}

export type ConfirmResult =
  | { status: "confirmed"; actor: Actor }
  | { status: "invalid" }
  | { status: "taken" };

/**
 * Follows a sign-up confirmation: creates the customer account with the name
 * and password chosen at sign-up, or sets them on the account without a
 * password it was sent for. `taken` when the address got a password in the
 * meantime (the link is used up all the same); `invalid` for a dead link.
 * The language of the page signed up on becomes the account's, unless it has one.
 */
export async function confirmSignup(deps: Deps, token: unknown): Promise<ConfirmResult> {
  // Switched off after the mail went out: the link waits (unused) until it is on again.
  await refuseWhenSignupOff(deps);
  return deps.db.transaction(async (tx): Promise<ConfirmResult> => {
    const link = await links.useLink(tx, token, { purpose: "signup_confirm" });
    if (!link?.payload) return { status: "invalid" };
    const { name, passwordHash } = link.payload;
    const locale = isLocale(link.payload.locale) ? link.payload.locale : undefined;
    let user =
      link.userId === null
        ? await repo.insertUser(tx, {
            email: link.email,
            name,
            role: "customer",
            passwordHash,
            ...(locale ? { locale } : {}),
          })
        : undefined;
    if (user) {
      await joinByVerifiedAddress(tx, user);
      return { status: "confirmed", actor: toActor(user) };
    }
    // An account exists: the one the link was for, or one made since (by mail, or another link).
    user =
      link.userId === null
        ? await repo.findUserByEmail(tx, link.email)
        : await repo.findUserById(tx, link.userId);
    if (!user || user.disabled || !sameAddress(user.email, link.email))
      return { status: "invalid" };
    if (user.passwordHash !== null) return { status: "taken" };
    const claimed = await repo.updateUser(tx, user.id, {
      passwordHash,
      name,
      ...(locale && user.locale === null ? { locale } : {}),
    });
    await repo.deleteUserSessions(tx, user.id);
    await joinByVerifiedAddress(tx, user);
    return claimed ? { status: "confirmed", actor: toActor(claimed) } : { status: "invalid" };
  });
}
