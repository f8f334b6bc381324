import type { Db, Executor } from "../db/client.ts";
import { Watched } from "../db/watched.ts";
import { isLocale, isTimeZone, type Locale } from "../i18n/i18n.ts";
import { newToken } from "../lib/tokens.ts";
import * as repo from "./settings.repo.ts";

/** Instance-wide switches an admin changes at run time, with their defaults. */
export interface InstanceSettings {
  /** Customers may create their own accounts at /signup. */
  signupEnabled: boolean;
  /** Agents and admins must sign in with two-factor; without it they are sent to set it up. */
  requireStaffTwoFactor: boolean;
  /**
   * What the ticket link in a customer's notification does for an account
   * without a password: `open` signs them in to that ticket alone; `set_password`
   * asks them to choose a password first (claiming the account, a full sign-in).
   */
  ticketLinks: TicketLinkMode;
  /** The language of pages for readers with no setting of their own and no match in `Accept-Language`. */
  defaultLocale: Locale;
  /** The IANA time zone of readers with no zone of their own. */
  defaultTimeZone: string;
}

export const TICKET_LINK_MODES = ["open", "set_password"] as const;
export type TicketLinkMode = (typeof TICKET_LINK_MODES)[number];

const DEFAULTS: InstanceSettings = {
  signupEnabled: true,
  requireStaffTwoFactor: false,
  ticketLinks: "open",
  defaultLocale: "en",
  defaultTimeZone: "UTC",
};

export async function getInstanceSettings(db: Executor): Promise<InstanceSettings> {
  const stored = await repo.findSetting(db, "instance");
  const merged = { ...DEFAULTS, ...(typeof stored === "object" && stored !== null ? stored : {}) };
  // A language or zone the runtime no longer knows (an older Node, a removed catalog) reads as the default.
  if (!isLocale(merged.defaultLocale)) merged.defaultLocale = DEFAULTS.defaultLocale;
  if (!isTimeZone(merged.defaultTimeZone)) merged.defaultTimeZone = DEFAULTS.defaultTimeZone;
  return merged;
}

/**
 * Sets some instance settings, leaving the others as stored (merged in the
 * statement: a concurrent change to another field is kept). The default
 * language and zone change only through `setLanguageDefaults`.
 */
export async function updateInstanceSettings(
  db: Executor,
  change: Partial<Omit<InstanceSettings, "defaultLocale" | "defaultTimeZone">>,
): Promise<void> {
  await repo.mergeSetting(db, "instance", change);
}

export interface LanguageDefaults {
  locale: Locale;
  timeZone: string;
}

/**
 * The instance's default language and zone, kept in memory on a server: every
 * page of a reader without both a language and a zone of their own (every
 * anonymous visitor, most agents) needs them.
 */
/** The language and zone of an instance whose admins chose none (and when its settings cannot be read). */
export const BUILT_IN_LANGUAGE_DEFAULTS: LanguageDefaults = {
  locale: DEFAULTS.defaultLocale,
  timeZone: DEFAULTS.defaultTimeZone,
};

export const languageDefaults = new Watched(
  "tessera_language_defaults",
  async (db: Executor): Promise<LanguageDefaults> => {
    const s = await getInstanceSettings(db);
    return { locale: s.defaultLocale, timeZone: s.defaultTimeZone };
  },
);

/** The instance's default language and zone: from memory on a listening node. */
export function getLanguageDefaults(db: Db): Promise<LanguageDefaults> {
  return languageDefaults.get(db, db);
}

/** Sets the default language and zone, telling every node to drop its copy. */
export async function setLanguageDefaults(db: Db, defaults: LanguageDefaults): Promise<void> {
  await languageDefaults.change(db, (tx) =>
    repo.mergeSetting(tx, "instance", {
      defaultLocale: defaults.locale,
      defaultTimeZone: defaults.timeZone,
    }),
  );
}

/**
 * A random secret made on first start and shared by every app node through the
 * database (it keys CSRF tokens), so nobody has to configure one.
 */
export async function getOrCreateSecret(db: Executor, name: string): Promise<string> {
  const value = await repo.insertSettingIfAbsent(db, `secret:${name}`, newToken());
  if (typeof value !== "string") throw new Error(`setting secret:${name} is not a string`);
  return value;
}

const remembered = new WeakMap<object, Map<string, string>>();

/**
 * `getOrCreateSecret`, remembered per database (`deps.db`): a secret never changes
 * once made, so a process asks once, not on every use. `db` is what to ask that
 * first time: the caller's transaction where one is open (PGlite has one connection).
 */
export async function instanceSecret(
  deps: { db: Executor },
  name: string,
  db: Executor = deps.db,
): Promise<string> {
  let secrets = remembered.get(deps.db);
  if (!secrets) {
    secrets = new Map();
    remembered.set(deps.db, secrets);
  }
  const cached = secrets.get(name);
  if (cached) return cached;
  const secret = await getOrCreateSecret(db, name);
  secrets.set(name, secret);
  return secret;
}

/** The one-time first-run token; created if missing. */
export async function getOrCreateSetupToken(db: Executor): Promise<string> {
  const value = await repo.insertSettingIfAbsent(db, "setup_token", newToken());
  if (typeof value !== "string") throw new Error("setting setup_token is not a string");
  return value;
}

export async function findSetupToken(db: Executor): Promise<string | undefined> {
  const value = await repo.findSetting(db, "setup_token");
  return typeof value === "string" ? value : undefined;
}

export async function deleteSetupToken(db: Executor): Promise<void> {
  await repo.deleteSetting(db, "setup_token");
}

/**
 * Serialises first-run setup and admin changes inside a transaction, so two
 * concurrent requests cannot both create the first admin or both remove the
 * last one. Released at commit.
 */
export async function lockAdminChanges(tx: Executor): Promise<void> {
  await repo.advisoryLock(tx, SETUP_LOCK_ID);
}
const SETUP_LOCK_ID = 7_271_002;
