import { sql } from "drizzle-orm";
import {
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { tickets } from "./tickets.ts";
import { users } from "./users.ts";

/**
 * Staff's free-form labels for tickets (src/tags). A name once, whatever its
 * case; tickets hold ids (`ticket_tags`), so renaming a tag is one row.
 */
export const tags = pgTable(
  "tags",
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    /** As first written (or renamed to), trimmed. */
    name: text().notNull(),
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("tags_name_key_idx").on(sql`lower(${t.name})`)],
);

/**
 * Which tickets carry which tag. Chosen over an `integer[]` column with a GIN
 * index by measurement (issue 15; both within a millisecond on a queue page of
 * open tickets by tag at 200,000 tickets): merging and deleting tags touch these
 * rows only, never the tickets', and counts per tag read one index.
 * `(tag_id, ticket_id)` serves rare tags and counts; the primary key the
 * per-ticket check of common tags while a queue's own index is walked.
 */
export const ticketTags = pgTable(
  "ticket_tags",
  {
    ticketId: integer()
      .notNull()
      .references(() => tickets.id, { onDelete: "cascade" }),
    tagId: integer()
      .notNull()
      .references(() => tags.id, { onDelete: "cascade" }),
    addedBy: integer().references(() => users.id),
    addedAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.ticketId, t.tagId] }),
    index("ticket_tags_tag_ticket_idx").on(t.tagId, t.ticketId),
  ],
);
