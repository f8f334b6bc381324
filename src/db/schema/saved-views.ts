import { index, integer, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { users } from "./users.ts";

/** A saved view's search as stored: the desk's filters, each as in the desk's address. */
export interface SavedViewFilters {
  queue?: string;
  q?: string;
  status?: string;
  priority?: string;
  assignee?: string;
  team?: string;
  organisation?: string;
  tag?: string;
  sort?: string;
}

/**
 * Saved views (src/saved-views): a desk search kept as a queue. Shared ones
 * have no owner (admins keep them); personal ones belong to one agent, who
 * alone sees them, and go with their account. `position` orders each owner's
 * views (the shared ones among themselves).
 */
export const savedViews = pgTable(
  "saved_views",
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    /** null: shared with all staff; else the agent whose own view it is. */
    ownerId: integer().references(() => users.id, { onDelete: "cascade" }),
    name: text().notNull(),
    filters: jsonb().$type<SavedViewFilters>().notNull(),
    position: integer().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("saved_views_owner_idx").on(t.ownerId, t.position)],
);
