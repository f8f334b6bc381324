import { sql } from "drizzle-orm";
import {
  boolean,
  check,
  integer,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";

/** The kinds of custom ticket field (src/fields). */
export const FIELD_TYPES = ["text", "number", "date", "choice", "choices", "checkbox"] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

/**
 * Custom ticket fields, defined by admins (src/fields). A ticket's values live
 * in `tickets.fields` (JSONB keyed by this table's id: chosen by measurement,
 * bench/fields/measure.sql), so renaming a label touches
 * one row.
 */
export const ticketFields = pgTable(
  "ticket_fields",
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    /** The key the API, search (`field:<name>=`) and rules use: unique whatever its case, never changed. */
    name: text().notNull(),
    /** What people read on pages. */
    label: text().notNull(),
    type: text().$type<FieldType>().notNull(),
    /** The values a `choice` or `choices` field offers, in order. */
    choices: text().array().notNull().default(sql`'{}'::text[]`),
    /** Shown to customers (read-only on their ticket, filled in on the new-ticket form). */
    customerVisible: boolean().notNull().default(false),
    /** A ticket is solved or closed only with a value (rules excepted). */
    requiredToSolve: boolean().notNull().default(false),
    /** Order on pages, smallest first. */
    position: integer().notNull().default(0),
    /** Hidden everywhere and not settable; its values are kept (enable it again to see them). */
    disabled: boolean().notNull().default(false),
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("ticket_fields_name_key_idx").on(sql`lower(${t.name})`),
    check(
      "ticket_fields_type_known",
      sql`${t.type} in (${sql.raw(FIELD_TYPES.map((c) => `'${c}'`).join(", "))})`,
    ),
  ],
);
