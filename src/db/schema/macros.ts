import { sql } from "drizzle-orm";
import { index, integer, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { users } from "./users.ts";

/**
 * Macros (src/macros): a name and a list of actions applied to a ticket in one
 * go. Shared ones have no owner (admins keep them); personal ones belong to
 * one agent, who alone sees them, and go with their account.
 */
export const macros = pgTable(
  "macros",
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    /** null: shared with all staff; else the agent whose own macro it is. */
    ownerId: integer().references(() => users.id, { onDelete: "cascade" }),
    name: text().notNull(),
    /** The actions, in order (macros.schemas.ts `MacroAction`). */
    actions: jsonb().notNull().default(sql`'[]'::jsonb`),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().default(sql`now()`),
  },
  (t) => [index("macros_owner_idx").on(t.ownerId)],
);
