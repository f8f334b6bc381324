import { sql } from "drizzle-orm";
import {
  check,
  index,
  integer,
  pgEnum,
  pgTable,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { tickets } from "./tickets.ts";
import { users } from "./users.ts";

/**
 * `child_of`: ticket is a child of other. `related`: both ways, stored with ticket < other.
 * `merged_into`: ticket (closed) was merged into other. `split_from`: ticket was opened
 * from a message of other. The last two are written by merging and splitting
 * (src/tickets/merge.service.ts), never by the link form.
 */
export const ticketRelationKind = pgEnum("ticket_relation_kind", [
  "child_of",
  "related",
  "merged_into",
  "split_from",
]);

/**
 * Links between tickets that staff make (src/tickets/relations.service.ts):
 * one per pair of tickets, whatever its kind; a ticket has at most one parent.
 */
export const ticketRelations = pgTable(
  "ticket_relations",
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    kind: ticketRelationKind().notNull(),
    ticketId: integer()
      .notNull()
      .references(() => tickets.id, { onDelete: "cascade" }),
    otherId: integer()
      .notNull()
      .references(() => tickets.id, { onDelete: "cascade" }),
    createdBy: integer().references(() => users.id),
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("ticket_relations_pair_key").on(
      sql`least(${t.ticketId}, ${t.otherId})`,
      sql`greatest(${t.ticketId}, ${t.otherId})`,
    ),
    uniqueIndex("ticket_relations_one_parent_key")
      .on(t.ticketId)
      .where(sql`${t.kind} = 'child_of'`),
    index("ticket_relations_ticket_idx").on(t.ticketId, t.kind),
    index("ticket_relations_other_idx").on(t.otherId, t.kind),
    check("ticket_relations_not_self", sql`${t.ticketId} <> ${t.otherId}`),
    check(
      "ticket_relations_related_ordered",
      sql`${t.kind} <> 'related' or ${t.ticketId} < ${t.otherId}`,
    ),
  ],
);
