import { sql } from "drizzle-orm";
import {
  boolean,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";

/**
 * Business-hours calendars (src/sla). Periods and holidays are validated data
 * (sla/business-time.ts `Period[]`, `Holiday[]`), stored as JSONB. One is the
 * default (24/7, created on first use when none exists).
 * A team may choose one (`teams.calendar_id`); otherwise its tickets run on
 * their SLA policy's calendar. In a file of its own: `teams` refers to it and
 * `sla.ts` refers to `teams`.
 */
export const slaCalendars = pgTable(
  "sla_calendars",
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    name: text().notNull(),
    timeZone: text().notNull(),
    periods: jsonb().notNull().default(sql`'[]'::jsonb`),
    holidays: jsonb().notNull().default(sql`'[]'::jsonb`),
    isDefault: boolean().notNull().default(false),
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("sla_calendars_name_idx").on(sql`lower(${t.name})`),
    // At most one default.
    uniqueIndex("sla_calendars_default_idx").on(t.isDefault).where(sql`${t.isDefault}`),
  ],
);
