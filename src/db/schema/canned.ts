import { sql } from "drizzle-orm";
import { index, integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { users } from "./users.ts";

/**
 * Canned replies (src/canned): a title and a Markdown body with placeholders.
 * Shared ones have no owner (admins keep them); personal ones belong to one
 * agent, who alone sees them, and go with their account.
 */
export const cannedReplies = pgTable(
  "canned_replies",
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    /** null: shared with all staff; else the agent whose own reply it is. */
    ownerId: integer().references(() => users.id, { onDelete: "cascade" }),
    title: text().notNull(),
    body: text().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().default(sql`now()`),
  },
  (t) => [index("canned_replies_owner_idx").on(t.ownerId)],
);
