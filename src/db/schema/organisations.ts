import { sql } from "drizzle-orm";
import {
  boolean,
  index,
  integer,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { users } from "./users.ts";

/**
 * Customers' organisations (src/organisations): a name, the mail domains that
 * are theirs, and whether members see each other's tickets.
 */
export const organisations = pgTable(
  "organisations",
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    name: text().notNull(),
    /** Members see (and may answer) each other's tickets, never internal notes. */
    shareTickets: boolean().notNull().default(false),
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("organisations_name_lower_key").on(sql`lower(${t.name})`)],
);

/**
 * An organisation's mail domains, lower case: a domain belongs to one
 * organisation at most, so a verified address joins exactly one.
 */
export const organisationDomains = pgTable(
  "organisation_domains",
  {
    domain: text().primaryKey(),
    organisationId: integer()
      .notNull()
      .references(() => organisations.id, { onDelete: "cascade" }),
  },
  (t) => [index("organisation_domains_org_idx").on(t.organisationId)],
);

/** Who belongs to which organisation: a customer to one at most (the key is the user). */
export const organisationMembers = pgTable(
  "organisation_members",
  {
    userId: integer()
      .primaryKey()
      .references(() => users.id, { onDelete: "cascade" }),
    organisationId: integer()
      .notNull()
      .references(() => organisations.id, { onDelete: "cascade" }),
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [index("organisation_members_org_idx").on(t.organisationId, t.userId)],
);
