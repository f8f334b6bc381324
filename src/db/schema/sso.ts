import { sql } from "drizzle-orm";
import {
  boolean,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { users } from "./users.ts";

/**
 * OpenID Connect providers an admin set up for single sign-on
 * (src/accounts/sso.service.ts). The provider is trusted to vouch for the
 * email addresses it calls verified.
 */
export const ssoProviders = pgTable(
  "sso_providers",
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    /** Shown on the sign-in button: "Sign in with <name>". */
    name: text().notNull(),
    /** The issuer identifier; its discovery document is `<issuer>/.well-known/openid-configuration`. */
    issuer: text().notNull(),
    clientId: text().notNull(),
    /**
     * Readable, as the two-factor secrets are (docs/ARCHITECTURE.md, "Single
     * sign-on"); never shown again once saved. Null for a public client (PKCE alone).
     */
    clientSecret: text(),
    /**
     * Lower-case mail domains whose verified addresses get a new agent account
     * on their first sign-in; empty: only people with an account may sign in.
     */
    newStaffDomains: text().array().notNull().default(sql`'{}'::text[]`),
    enabled: boolean().notNull().default(true),
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("sso_providers_name_lower_key").on(sql`lower(${t.name})`)],
);

/**
 * Which account a provider's subject (`sub`) signed in to, linked at the first
 * sign-in by verified address: afterwards the subject decides, so an address
 * changed at the provider still reaches the same account.
 */
export const ssoIdentities = pgTable(
  "sso_identities",
  {
    providerId: integer()
      .notNull()
      .references(() => ssoProviders.id, { onDelete: "cascade" }),
    subject: text().notNull(),
    userId: integer()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
    lastUsedAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.providerId, t.subject] }),
    index("sso_identities_user_idx").on(t.userId),
  ],
);
