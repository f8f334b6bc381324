import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";

export const userRole = pgEnum("user_role", ["customer", "agent", "admin"]);

export const users = pgTable(
  "users",
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    email: text().notNull(),
    name: text().notNull(),
    role: userRole().notNull().default("customer"),
    /** Null for an account that has never set a password (e.g. created by email). */
    passwordHash: text(),
    disabled: boolean().notNull().default(false),
    /** Staff: mail me about assignments, customer replies and new tickets (customers always get theirs). */
    emailNotifications: boolean().notNull().default(true),
    /** Staff: away (automatic assignment skips them until they are back). */
    away: boolean().notNull().default(false),
    /**
     * Tickets assigned to them that are new, open or pending (lifecycle's
     * ACTIVE_STATUSES): what fewest-open assignment and a team's cap compare.
     * Kept by triggers on tickets (migration 0024), so every path that assigns
     * or changes a status, SQL included, keeps it true; never written by the app.
     */
    openTickets: integer().notNull().default(0),
    /** The language pages and mail use for them (a locale of src/i18n); null: negotiated, then the instance's. */
    locale: text(),
    /** IANA time zone their times are shown in; null: the instance's. */
    timeZone: text(),
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("users_email_lower_key").on(sql`lower(${t.email})`),
    index("users_role_idx").on(t.role, t.id),
    // Part of a name or an address in a ticket search (`jdoe@exa`): trigrams (pg_trgm, issue 15).
    index("users_name_trgm_idx").using("gin", t.name.op("gin_trgm_ops")),
    index("users_email_trgm_idx").using("gin", t.email.op("gin_trgm_ops")),
  ],
);

export const sessions = pgTable(
  "sessions",
  {
    /** SHA-256 (hex) of the cookie value; the value itself is never stored. */
    id: text().primaryKey(),
    userId: integer()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
    lastSeenAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
    expiresAt: timestamp({ withTimezone: true, precision: 3 }).notNull(),
    ip: text(),
    userAgent: text(),
    /**
     * Signed in with a password while two-factor is required for staff and not set up:
     * the session opens the two-factor page and sign-out, nothing else, until enrolment.
     */
    enrolmentOnly: boolean().notNull().default(false),
    /**
     * Set for a session opened from a ticket link in a mail: it reaches this
     * one ticket and nothing else (src/accounts/ticket-links.service.ts).
     * Null for a full sign-in. No foreign key: tickets are never deleted.
     */
    ticketId: integer(),
  },
  (t) => [index("sessions_user_idx").on(t.userId)],
);

/**
 * A person's TOTP authenticator (RFC 6238). The row exists from the start of
 * enrolment; `enabled_at` is set once a first code from the app has been entered.
 */
export const twoFactor = pgTable("two_factor", {
  userId: integer()
    .primaryKey()
    .references(() => users.id, { onDelete: "cascade" }),
  /**
   * The shared secret in base32, stored readable: codes are computed from it, and
   * sealing it would need a key that a zero-configuration install does not have
   * (docs/ARCHITECTURE.md, "Two-factor sign-in").
   */
  secret: text().notNull(),
  /** Null while enrolment waits for its first code. */
  enabledAt: timestamp({ withTimezone: true, precision: 3 }),
  /** The 30-second time step of the last code accepted: it and earlier ones are refused. */
  lastStep: bigint({ mode: "number" }),
  createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
});

/** Single-use recovery codes for two-factor sign-in: only their SHA-256 is kept. */
export const recoveryCodes = pgTable(
  "recovery_codes",
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    userId: integer()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** Hex SHA-256 of the code, lower case without its dash. */
    codeHash: text().notNull(),
    usedAt: timestamp({ withTimezone: true, precision: 3 }),
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("recovery_codes_user_code_key").on(t.userId, t.codeHash)],
);

/** Fixed-window counters shared by every app node (sign-in throttling). */
export const rateLimits = pgTable("rate_limits", {
  key: text().primaryKey(),
  count: integer().notNull(),
  resetAt: timestamp({ withTimezone: true, precision: 3 }).notNull(),
});

/** Instance-wide settings changed at run time (not configuration). */
export const settings = pgTable("settings", {
  key: text().primaryKey(),
  value: jsonb().notNull(),
  updatedAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
});

/** Personal API tokens: only the SHA-256 of the secret is kept. Revoking deletes the row. */
export const apiTokens = pgTable(
  "api_tokens",
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    userId: integer()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text().notNull(),
    /** The first characters of the token, shown so people can tell their tokens apart. */
    prefix: text().notNull(),
    /** Hex SHA-256 of the whole token. */
    tokenHash: text().notNull().unique(),
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
    lastUsedAt: timestamp({ withTimezone: true, precision: 3 }),
  },
  (t) => [index("api_tokens_user_idx").on(t.userId, t.id)],
);

/**
 * Responses to API writes sent with an `Idempotency-Key`, kept 24 hours so a
 * retried request gets the first answer instead of doing the work twice.
 */
export const idempotencyKeys = pgTable(
  "idempotency_keys",
  {
    userId: integer()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    key: text().notNull(),
    /** Hex SHA-256 of method, path and body: the same key with another request is refused. */
    fingerprint: text().notNull(),
    status: integer().notNull(),
    body: jsonb().notNull(),
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.key] }),
    index("idempotency_keys_created_idx").on(t.createdAt),
  ],
);

export const accountLinkPurpose = pgEnum("account_link_purpose", [
  "password_reset",
  "signup_confirm",
  "sign_in_second_step",
  "ticket_access",
]);

/**
 * Expiring secrets sent by mail (password reset, sign-up confirmation, the
 * ticket link of a notification), and the pending second step of a two-factor
 * sign-in (held in a short-lived cookie, never mailed). Only the SHA-256 of the
 * secret is kept; a link is bound to its purpose and to an account (`user_id`)
 * or, for a sign-up not confirmed yet, to an address. Used links keep their row
 * (with `used_at`) until pruned.
 */
export const accountLinks = pgTable(
  "account_links",
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    /** Hex SHA-256 of the secret in the link. */
    tokenHash: text().notNull().unique(),
    purpose: accountLinkPurpose().notNull(),
    userId: integer().references(() => users.id, { onDelete: "cascade" }),
    /** The address the link was mailed to; it must still be the account's when used. */
    email: text().notNull(),
    /** `ticket_access`: the ticket the link opens (no foreign key: tickets are never deleted). */
    ticketId: integer(),
    /**
     * A pending sign-up: the name and the argon2id hash of the password chosen,
     * and the language of the page it was made on (the new account's).
     */
    payload: jsonb().$type<{ name: string; passwordHash: string; locale?: string }>(),
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
    expiresAt: timestamp({ withTimezone: true, precision: 3 }).notNull(),
    usedAt: timestamp({ withTimezone: true, precision: 3 }),
  },
  (t) => [index("account_links_expires_idx").on(t.expiresAt)],
);
