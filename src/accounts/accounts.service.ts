import type { Executor } from "../db/client.ts";
import type { Deps } from "../deps.ts";
import { isLocale, isTimeZone, type Locale } from "../i18n/i18n.ts";
import {
  Conflict,
  type FieldError,
  Forbidden,
  fieldProblem,
  Invalid,
  NotFound,
  Taken,
  TooManyRequests,
} from "../lib/errors.ts";
import { hashToken, newToken, safeEqual } from "../lib/tokens.ts";
import { Email, parse, trimFields } from "../lib/validate.ts";
import * as settings from "../settings/settings.service.ts";
import * as repo from "./accounts.repo.ts";
import {
  ChangePasswordInput,
  CreateUserInput,
  NAME_MAX,
  SignUpInput,
  UpdateUserInput,
} from "./accounts.schemas.ts";
import { type Actor, isAdmin, isStaff, type Role } from "./actor.ts";
import { pruneLinks, voidLinks } from "./links.service.ts";
import { hashPassword, verifyPassword } from "./passwords.ts";
import { logAccountEvent } from "./security-log.ts";
import * as twoFactorRepo from "./two-factor.repo.ts";

export type User = Omit<repo.UserRow, "passwordHash"> & { hasPassword: boolean };

function toUser(row: repo.UserRow): User {
  const { passwordHash, ...rest } = row;
  return { ...rest, hasPassword: passwordHash !== null };
}

export function toActor(row: repo.UserRow): Actor {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    away: row.away,
    locale: row.locale ?? undefined,
    timeZone: row.timeZone ?? undefined,
  };
}

async function insertNewUser(
  db: Executor,
  input: { email: string; name: string; role: Role; password?: string | undefined },
): Promise<repo.UserRow> {
  const passwordHash = input.password ? await hashPassword(input.password) : null;
  const row = await repo.insertUser(db, {
    email: input.email,
    name: input.name,
    role: input.role,
    passwordHash,
  });
  if (!row) throw new Taken("email", "already has an account", "error.field.emailTaken");
  return row;
}

/**
 * Creates an account of any role. Admins only; `"system"` is the command line,
 * which is trusted because it runs with access to the database itself.
 */
export async function createUser(
  deps: Deps,
  actor: Actor | "system",
  input: CreateUserInput,
): Promise<User> {
  if (actor !== "system" && !isAdmin(actor)) throw new Forbidden();
  const data = parse(CreateUserInput, trimFields(input, ["email", "name"]));
  return toUser(await insertNewUser(deps.db, data));
}

/**
 * The customer account for an email address, created without a password when
 * there is none (they can claim it later by setting one). Used when staff open
 * a ticket on someone's behalf and when mail arrives from a new sender. Runs in
 * the caller's transaction, so the account exists only if the ticket does.
 */
export async function findOrCreateCustomer(
  db: Executor,
  input: { email: string; name?: string | undefined },
): Promise<{ user: User; created: boolean }> {
  const email = parse(Email, input.email.trim());
  const name = (input.name?.trim() || email.split("@")[0] || email).slice(0, NAME_MAX);
  const inserted = await repo.insertUser(db, { email, name, role: "customer", passwordHash: null });
  if (inserted) return { user: toUser(inserted), created: true };
  // Taken: by a concurrent insert (now committed) or long ago. Same lookup either way.
  const existing = await repo.findUserByEmail(db, email);
  if (!existing) throw new Error(`user ${email} neither inserted nor found`);
  return { user: toUser(existing), created: false };
}

/** Switches customer self sign-up on or off (admins only). */
export async function setSignupEnabled(deps: Deps, actor: Actor, enabled: boolean): Promise<void> {
  if (!isAdmin(actor)) throw new Forbidden();
  await settings.updateInstanceSettings(deps.db, { signupEnabled: enabled });
}

/** What the ticket link in customers' notifications does (see ticket-links.service.ts); admins only. */
export async function setTicketLinkMode(deps: Deps, actor: Actor, mode: string): Promise<void> {
  if (!isAdmin(actor)) throw new Forbidden();
  const ticketLinks = settings.TICKET_LINK_MODES.find((m) => m === mode);
  if (!ticketLinks)
    throw Invalid.field("ticketLinks", "is not a valid choice", "error.field.notAChoice");
  await settings.updateInstanceSettings(deps.db, { ticketLinks });
}

export async function getTicketLinkMode(deps: Deps): Promise<settings.TicketLinkMode> {
  return (await settings.getInstanceSettings(deps.db)).ticketLinks;
}

/**
 * Sets the actor's own language and time zone; "" for either means the
 * instance's default (the language then follows the browser). Anything but a
 * catalog's language or an IANA zone is refused, naming the field.
 */
export async function setLanguageAndZone(
  deps: Deps,
  actor: Actor,
  input: { locale: string; timeZone: string },
): Promise<void> {
  const errors: FieldError[] = [];
  if (input.locale !== "" && !isLocale(input.locale)) {
    errors.push(
      fieldProblem("locale", "is not a language Tessera speaks", "error.field.notALanguage"),
    );
  }
  if (input.timeZone !== "" && !isTimeZone(input.timeZone)) {
    errors.push(
      fieldProblem(
        "timeZone",
        "is not an IANA time zone (such as Europe/Paris)",
        "error.field.notATimeZone",
      ),
    );
  }
  if (errors.length > 0) throw new Invalid(errors);
  await repo.updateUser(deps.db, actor.id, {
    locale: input.locale || null,
    timeZone: input.timeZone || null,
  });
}

/** Sets only the actor's language (the switcher on every page). */
export async function setLanguage(deps: Deps, actor: Actor, locale: string): Promise<void> {
  if (!isLocale(locale))
    throw Invalid.field("locale", "is not a language Tessera speaks", "error.field.notALanguage");
  await repo.updateUser(deps.db, actor.id, { locale });
}

/**
 * The instance's default language and time zone (admins change them on the
 * users page): from memory on a server, read once after each change.
 */
export async function getInstanceLanguageDefaults(
  deps: Pick<Deps, "db">,
): Promise<{ locale: Locale; timeZone: string }> {
  return settings.getLanguageDefaults(deps.db);
}

/** Sets the instance's default language and time zone (admins only), refusing unknown ones. */
export async function setInstanceLanguageDefaults(
  deps: Deps,
  actor: Actor,
  input: { locale: string; timeZone: string },
): Promise<void> {
  if (!isAdmin(actor)) throw new Forbidden();
  const errors: FieldError[] = [];
  if (!isLocale(input.locale)) {
    errors.push(
      fieldProblem("defaultLocale", "is not a language Tessera speaks", "error.field.notALanguage"),
    );
  }
  if (!isTimeZone(input.timeZone)) {
    errors.push(
      fieldProblem(
        "defaultTimeZone",
        "is not an IANA time zone (such as Europe/Paris)",
        "error.field.notATimeZone",
      ),
    );
  }
  if (errors.length > 0 || !isLocale(input.locale)) throw new Invalid(errors);
  await settings.setLanguageDefaults(deps.db, { locale: input.locale, timeZone: input.timeZone });
}

/** Whether customers may sign themselves up. */
export async function isSignupEnabled(deps: Deps): Promise<boolean> {
  return (await settings.getInstanceSettings(deps.db)).signupEnabled;
}

/** True until the first account exists: the setup page is open only then. */
export async function needsSetup(deps: Deps): Promise<boolean> {
  return (await repo.countUsers(deps.db)) === 0;
}

/** The first-run link printed to the log, or undefined once an account exists. */
export async function setupLink(deps: Deps): Promise<string | undefined> {
  if (!(await needsSetup(deps))) return undefined;
  const token = await settings.getOrCreateSetupToken(deps.db);
  return new URL(`/setup?token=${encodeURIComponent(token)}`, deps.config.publicUrl).href;
}

/** Whether `token` is the live first-run token (and no account exists yet). */
export async function checkSetupToken(deps: Deps, token: unknown): Promise<boolean> {
  if (typeof token !== "string" || !(await needsSetup(deps))) return false;
  const stored = await settings.findSetupToken(deps.db);
  return stored !== undefined && safeEqual(stored, token);
}

/** Creates the first admin with the one-time setup token; then the token is gone. */
export async function completeSetup(
  deps: Deps,
  token: unknown,
  input: SignUpInput,
): Promise<Actor> {
  // Without the live token the page does not exist, whatever was typed into it.
  if (!(await checkSetupToken(deps, token))) throw new NotFound("page");
  const data = parse(SignUpInput, trimFields(input, ["email", "name"]));
  const passwordHash = await hashPassword(data.password);
  return deps.db.transaction(async (tx) => {
    // Serialise concurrent attempts and check again under the lock: only one first admin.
    await settings.lockAdminChanges(tx);
    const stored = await settings.findSetupToken(tx);
    if (
      typeof token !== "string" ||
      !stored ||
      !safeEqual(stored, token) ||
      (await repo.countUsers(tx)) > 0
    ) {
      throw new NotFound("page");
    }
    const row = await repo.insertUser(tx, {
      email: data.email,
      name: data.name,
      role: "admin",
      passwordHash,
    });
    if (!row)
      throw new Conflict("setup_done", "Setup has already been completed.", "error.setupDone");
    await settings.deleteSetupToken(tx);
    return toActor(row);
  });
}

// Sign-in throttling counts failures, per IP and per account: people behind one
// office address who sign in successfully never lock each other out.
const WINDOW_MS = 15 * 60_000;
export const SIGN_IN_LIMITS = { perIp: 30, perAccount: 10 } as const;

/**
 * Checks an email and password. Failures are rate limited per IP and per email address
 * (whether or not the account exists, so limits reveal nothing), and equally slow
 * for unknown emails and wrong passwords. The answer never says which was wrong.
 */
export async function signIn(
  deps: Deps,
  input: { email: string; password: string; ip: string },
): Promise<Actor> {
  const email = String(input.email ?? "")
    .trim()
    .toLowerCase()
    .slice(0, 254);
  const password = String(input.password ?? "").slice(0, 1024);
  const accountKey = `sign-in:account:${email}`;
  const ipKey = `sign-in:ip:${input.ip}`;
  // Every attempt is counted before the password is checked, in one statement per
  // key, so a burst of parallel guesses cannot all slip under the limit; a
  // successful attempt is taken back afterwards.
  const [ipHit, accountHit] = await Promise.all([
    repo.hitRateLimit(deps.db, ipKey, WINDOW_MS),
    repo.hitRateLimit(deps.db, accountKey, WINDOW_MS),
  ]);
  const blockedUntil =
    ipHit.count > SIGN_IN_LIMITS.perIp
      ? ipHit.resetAt
      : accountHit.count > SIGN_IN_LIMITS.perAccount
        ? accountHit.resetAt
        : undefined;
  if (blockedUntil) {
    throw new TooManyRequests(Math.max(1, Math.ceil((blockedUntil.getTime() - Date.now()) / 1000)));
  }

  const user = email ? await repo.findUserByEmail(deps.db, email) : undefined;
  const ok = await verifyPassword(user?.passwordHash, password);
  if (!ok || !user || user.disabled) {
    throw new Invalid(
      [],
      "That email and password do not match an active account.",
      "invalid",
      "error.form.wrongPassword",
    );
  }
  await repo.clearRateLimit(deps.db, accountKey);
  await repo.releaseRateLimit(deps.db, ipKey);
  return toActor(user);
}

/** Where a session was started from, kept for the user's and admins' information. */
export interface SessionClient {
  ip?: string | undefined;
  userAgent?: string | undefined;
}

/**
 * Starts a server-side session; returns the cookie value (only its hash is stored).
 * Sign-in goes through `two-factor.service.ts` `startSignIn`, which asks for the
 * second step first when the account has one; `enrolmentOnly` opens the two-factor
 * page and nothing else. With `onlyTicket`, the session reaches that one ticket and
 * ends when the link that opened it would (`until`), if that comes first.
 */
export async function startSession(
  deps: Deps,
  userId: number,
  client: SessionClient,
  options: { enrolmentOnly?: boolean; onlyTicket?: { ticketId: number; until: Date } } = {},
): Promise<string> {
  const token = newToken();
  const { onlyTicket } = options;
  const max = Date.now() + deps.config.sessionMaxMs;
  await repo.insertSession(deps.db, {
    id: hashToken(token),
    userId,
    expiresAt: new Date(onlyTicket ? Math.min(max, onlyTicket.until.getTime()) : max),
    ip: client.ip ?? null,
    userAgent: client.userAgent?.slice(0, 500) ?? null,
    enrolmentOnly: options.enrolmentOnly ?? false,
    ticketId: onlyTicket?.ticketId ?? null,
  });
  return token;
}

// A session's last-seen time is written at most this often, not on every request.
const TOUCH_INTERVAL_MS = 60_000;

/**
 * The person behind a session cookie and whether the session is enrolment-only
 * (it may open the two-factor page and sign out, nothing else); undefined when
 * the session does not exist, has been idle too long, passed its absolute
 * expiry, or its user is disabled. A session opened from a ticket link comes
 * back with `onlyTicketId` on its actor.
 */
export async function resolveSessionState(
  deps: Deps,
  token: string,
): Promise<{ actor: Actor; enrolmentOnly: boolean } | undefined> {
  if (!token || token.length > 100) return undefined;
  const id = hashToken(token);
  const found = await repo.findLiveSession(deps.db, id);
  if (!found) return undefined;
  const idleFor = Date.now() - found.session.lastSeenAt.getTime();
  const onlyTicketId = found.session.ticketId ?? undefined;
  // A ticket link is for customers: staff (a customer promoted since) sign in fully.
  const staffOnLink = onlyTicketId !== undefined && isStaff(found.user);
  if (found.user.disabled || staffOnLink || idleFor > deps.config.sessionIdleMs) {
    await repo.deleteSession(deps.db, id);
    return undefined;
  }
  if (idleFor > TOUCH_INTERVAL_MS) await repo.touchSession(deps.db, id);
  const actor = toActor(found.user);
  return {
    actor: onlyTicketId === undefined ? actor : { ...actor, onlyTicketId },
    enrolmentOnly: found.session.enrolmentOnly,
  };
}

/** The actor of a full session (not an enrolment-only one), as `resolveSessionState`. */
export async function resolveSession(deps: Deps, token: string): Promise<Actor | undefined> {
  const state = await resolveSessionState(deps, token);
  return state && !state.enrolmentOnly ? state.actor : undefined;
}

/** One of a person's sessions as their sessions page shows it. */
export interface SessionInfo {
  /** The session this request came with. */
  current: boolean;
  createdAt: Date;
  lastSeenAt: Date;
  ip: string | null;
  userAgent: string | null;
}

/** The actor's own live sessions: this one (`currentToken`) first, then the most recently used. */
export async function listOwnSessions(
  deps: Deps,
  actor: Actor,
  currentToken: string | undefined,
): Promise<SessionInfo[]> {
  const currentId = currentToken ? hashToken(currentToken) : undefined;
  const rows = await repo.listUserSessions(deps.db, actor.id);
  const idleBefore = Date.now() - deps.config.sessionIdleMs;
  return rows
    .filter((row) => row.lastSeenAt.getTime() >= idleBefore)
    .map((row) => ({
      current: row.id === currentId,
      createdAt: row.createdAt,
      lastSeenAt: row.lastSeenAt,
      ip: row.ip,
      userAgent: row.userAgent,
    }))
    .sort((a, b) => Number(b.current) - Number(a.current));
}

/** "Sign out everywhere else": ends every session of the actor but the one `currentToken` is. */
export async function endOtherSessions(
  deps: Deps,
  actor: Actor,
  currentToken: string,
): Promise<number> {
  const ended = await repo.deleteOtherSessions(deps.db, actor.id, hashToken(currentToken));
  logAccountEvent(deps, "sessions.ended_others", { userId: actor.id, ended });
  return ended;
}

/** Ends every session of a user (admins only): they must sign in again everywhere. */
export async function endUserSessions(deps: Deps, actor: Actor, userId: number): Promise<number> {
  if (!isAdmin(actor)) throw new Forbidden();
  const user = await repo.findUserById(deps.db, userId);
  if (!user || isAutomation(user)) throw new NotFound("user", userId);
  const ended = await repo.deleteUserSessions(deps.db, userId);
  logAccountEvent(deps, "sessions.ended_by_admin", { userId, by: actor.id, ended });
  return ended;
}

export async function endSession(deps: Deps, token: string): Promise<void> {
  await repo.deleteSession(deps.db, hashToken(token));
}

/**
 * Changes the actor's own password, ends all their sessions and voids the
 * ticket links of their mails; with `keepSignedIn` the caller gets a fresh
 * session token for the current browser.
 */
export async function changePassword(
  deps: Deps,
  actor: Actor,
  input: ChangePasswordInput,
  options: { keepSignedIn: false } | { keepSignedIn: true; client: SessionClient },
): Promise<string | undefined> {
  const data = parse(ChangePasswordInput, input);
  const user = await repo.findUserById(deps.db, actor.id);
  if (!user) throw new NotFound("user", actor.id);
  if (user.passwordHash && !(await verifyPassword(user.passwordHash, data.currentPassword))) {
    throw Invalid.field(
      "currentPassword",
      "is not your current password",
      "error.field.notCurrentPassword",
    );
  }
  const passwordHash = await hashPassword(data.newPassword);
  await deps.db.transaction(async (tx) => {
    await repo.updateUser(tx, actor.id, { passwordHash });
    await repo.deleteUserSessions(tx, actor.id);
    // A new password is the way to shut out whoever got hold of an old mail.
    await voidLinks(tx, actor.id, "ticket_access");
  });
  return options.keepSignedIn ? startSession(deps, actor.id, options.client) : undefined;
}

/**
 * Changes a user's name, role or disabled flag (admins only). Disabling ends
 * the user's sessions at once. The last active admin cannot be demoted or disabled.
 */
export async function updateUser(
  deps: Deps,
  actor: Actor,
  id: number,
  input: UpdateUserInput,
): Promise<User> {
  if (!isAdmin(actor)) throw new Forbidden();
  const data = parse(UpdateUserInput, trimFields(input, ["name"]));
  return deps.db.transaction(async (tx) => {
    await settings.lockAdminChanges(tx);
    const user = await repo.findUserById(tx, id);
    if (!user || isAutomation(user)) throw new NotFound("user", id);
    const losesAdmin =
      user.role === "admin" &&
      !user.disabled &&
      ((data.role && data.role !== "admin") || data.disabled);
    if (losesAdmin && (await repo.countActiveAdmins(tx)) <= 1) {
      throw new Conflict(
        "last_admin",
        "This is the last active admin; make another admin first.",
        "admin.lastAdmin",
      );
    }
    const updated = await repo.updateUser(tx, id, data);
    if (!updated) throw new NotFound("user", id);
    if (data.disabled) await repo.deleteUserSessions(tx, id);
    else if (data.role && data.role !== user.role) {
      // Made staff (or no longer staff) while two-factor is required of staff.
      const { requireStaffTwoFactor } = await settings.getInstanceSettings(tx);
      if (requireStaffTwoFactor) await twoFactorRepo.syncEnrolmentOnly(tx, true, id);
    }
    return toUser(updated);
  });
}

/** The address of the automation account: `.invalid` never receives mail (RFC 2606). */
export const AUTOMATION_EMAIL = "automation@tessera.invalid";

function isAutomation(user: Pick<repo.UserRow, "email">): boolean {
  return user.email.toLowerCase() === AUTOMATION_EMAIL;
}

/**
 * The account automation rules act as, created on first use inside the
 * caller's transaction: an agent (so rule actions pass the same permission
 * checks as a person's), disabled and without a password (so it can never sign
 * in, is never assignable and gets no mail), left out of the admin users list
 * and closed to edits there. Kept per database once read: accounts are never
 * deleted, and this one cannot be edited.
 */
export async function automationActor(deps: Pick<Deps, "db">, tx: Executor): Promise<Actor> {
  const known = automationActors.get(deps.db);
  if (known) return known;
  const found = await repo.findUserByEmail(tx, AUTOMATION_EMAIL);
  if (found) {
    const actor = toActor(found);
    automationActors.set(deps.db, actor);
    return actor;
  }
  // Created in the caller's transaction, which may roll back: not kept.
  const row =
    (await repo.insertUser(tx, {
      email: AUTOMATION_EMAIL,
      name: "Automation",
      role: "agent",
      passwordHash: null,
      disabled: true,
      emailNotifications: false,
    })) ?? (await repo.findUserByEmail(tx, AUTOMATION_EMAIL));
  if (!row) throw new Error("the automation account was neither found nor created");
  return toActor(row);
}

const automationActors = new WeakMap<Deps["db"], Actor>();

/** The account with exactly this email (any case), for staff (or the command line) looking someone up. */
export async function findUserByEmail(
  deps: Deps,
  actor: Actor | "system",
  email: string,
): Promise<User | undefined> {
  if (actor !== "system" && !isStaff(actor)) throw new Forbidden();
  const user = await repo.findUserByEmail(deps.db, email.trim());
  return user ? toUser(user) : undefined;
}

export async function getUser(deps: Deps, actor: Actor, id: number): Promise<User> {
  if (!isStaff(actor) && actor.id !== id) throw new NotFound("user", id);
  const user = await repo.findUserById(deps.db, id);
  if (!user) throw new NotFound("user", id);
  return toUser(user);
}

export const USERS_PAGE_MAX = 100;

/** Users by id for staff, filtered by role and a name/email fragment; keyset paginated. */
export async function listUsers(
  deps: Deps,
  actor: Actor,
  filter: {
    role?: Role | undefined;
    q?: string | undefined;
    afterId?: number | undefined;
    limit?: number | undefined;
  },
): Promise<{ users: User[]; nextAfterId: number | undefined }> {
  if (!isStaff(actor)) throw new Forbidden();
  const limit = Math.min(Math.max(filter.limit ?? 50, 1), USERS_PAGE_MAX);
  const rows = await repo.listUsers(deps.db, {
    role: filter.role,
    q: filter.q?.trim().slice(0, 200) || undefined,
    afterId: filter.afterId,
    hideEmail: AUTOMATION_EMAIL,
    limit: limit + 1,
  });
  const page = rows.slice(0, limit);
  return {
    users: page.map(toUser),
    nextAfterId: rows.length > limit ? page.at(-1)?.id : undefined,
  };
}

/** Active agents and admins: the people a ticket can be assigned to. */
export async function listAssignableStaff(deps: Deps): Promise<Actor[]> {
  return (await repo.listActiveStaff(deps.db)).map(toActor);
}

/** Whether a user exists, is active staff, and so may hold tickets. */
export async function isActiveStaff(db: Executor, id: number): Promise<boolean> {
  return (await activeStaffActor(db, id)) !== undefined;
}

/** Staff member `id` as an actor, when active (what a ticket can be assigned to). */
export async function activeStaffActor(db: Executor, id: number): Promise<Actor | undefined> {
  const user = await repo.findUserById(db, id);
  return user && !user.disabled && isStaff(user) ? toActor(user) : undefined;
}

/**
 * Marks a staff member away or back, in the caller's transaction (automatic
 * assignment skips away agents). Returns whether the flag changed.
 */
export async function setAwayFlag(db: Executor, actor: Actor, away: boolean): Promise<boolean> {
  if (!isStaff(actor)) throw new Forbidden("Only staff can be away.", "error.onlyStaff.away");
  const user = await repo.findUserById(db, actor.id);
  if (!user) throw new NotFound("user", actor.id);
  if (user.away === away) return false;
  await repo.updateUser(db, actor.id, { away });
  return true;
}

/** Deletes sessions past their expiry or idle limit, and finished rate-limit windows. */
export async function pruneExpired(deps: Deps): Promise<void> {
  await repo.deleteExpiredSessions(deps.db, new Date(Date.now() - deps.config.sessionIdleMs));
  await repo.deleteExpiredRateLimits(deps.db);
  await pruneLinks(deps.db);
}

/** Users' names and roles as shown beside tickets and events, by id, in one query. */
export async function findPublicProfiles(
  deps: Deps,
  ids: readonly number[],
): Promise<Map<number, { id: number; name: string; role: Role }>> {
  const rows = ids.length > 0 ? await repo.findUsersByIds(deps.db, [...new Set(ids)]) : [];
  return new Map(rows.map((u) => [u.id, { id: u.id, name: u.name, role: u.role }]));
}
