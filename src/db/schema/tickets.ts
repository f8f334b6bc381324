import { sql } from "drizzle-orm";
import {
  type AnyPgColumn,
  bigint,
  boolean,
  check,
  customType,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import type { Locale } from "../../i18n/i18n.ts";
import { teams } from "./teams.ts";
import { users } from "./users.ts";

/** A full-text search document, written by SQL only (see tickets.repo). */
const tsvector = customType<{ data: string }>({ dataType: () => "tsvector" });

/**
 * A transaction id (64 bits, never wraps), as `pg_current_xact_id()` returns it;
 * read as a decimal string. The change feed orders by it (src/tickets/tickets.repo.ts).
 */
const xid8 = customType<{ data: string; driverData: string }>({ dataType: () => "xid8" });

/**
 * The PostgreSQL text-search configuration of each language Tessera speaks: a
 * ticket's words are stemmed in its language's (PostgreSQL 15 and PGlite ship
 * all six). A query is parsed in each of them in use (`search_configs`), so
 * adding one here needs a migration for `tickets_search_config_known` too.
 */
export const SEARCH_CONFIGS = {
  en: "english",
  de: "german",
  fr: "french",
  es: "spanish",
  "pt-BR": "portuguese",
  ar: "arabic",
} as const satisfies Record<Locale, string>;

export type SearchConfig = (typeof SEARCH_CONFIGS)[Locale];

/** Each configuration once, in a fixed order. */
export const SEARCH_CONFIG_NAMES: readonly SearchConfig[] = [
  ...new Set(Object.values(SEARCH_CONFIGS)),
];

/**
 * The configurations tickets are stemmed with, each once: a query is parsed
 * only in these (tickets.repo `matchesSearch`), so an instance whose tickets
 * are all English searches as it did with English alone. A configuration is
 * added, in the same transaction, with the first ticket stemmed in it
 * (tickets.service), and never removed.
 */
export const searchConfigs = pgTable("search_configs", {
  config: text().$type<SearchConfig>().primaryKey(),
});

/** Declaration order is sort order: `ORDER BY priority` sorts low -> urgent. */
export const ticketStatus = pgEnum("ticket_status", ["new", "open", "pending", "solved", "closed"]);
export const ticketPriority = pgEnum("ticket_priority", ["low", "normal", "high", "urgent"]);
/** How a ticket came in: the portal, a mail, or the API. */
export const ticketChannel = pgEnum("ticket_channel", ["web", "email", "api"]);

export const tickets = pgTable(
  "tickets",
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    title: text().notNull(),
    description: text().notNull(),
    status: ticketStatus().notNull().default("new"),
    priority: ticketPriority().notNull().default("normal"),
    requesterId: integer()
      .notNull()
      .references(() => users.id),
    assigneeId: integer().references(() => users.id),
    /** The team the ticket belongs to, if any (src/teams). */
    teamId: integer().references(() => teams.id, { onDelete: "set null" }),
    channel: ticketChannel().notNull().default("web"),
    /** Set on a follow-up opened by a reply to a closed ticket. */
    followUpOf: integer().references((): AnyPgColumn => tickets.id),
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
    /** When the status last changed (time rules: "hours since solved", "since set pending"). */
    statusChangedAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
    /** The requester's last public message (the first one included). */
    lastCustomerReplyAt: timestamp({ withTimezone: true, precision: 3 }),
    /** Staff's last public reply. */
    lastAgentReplyAt: timestamp({ withTimezone: true, precision: 3 }),
    /**
     * The ticket as one search document: its title and every public message,
     * appended as messages arrive. One document per ticket lets PostgreSQL
     * choose between the GIN index (rare words) and walking a queue index
     * (common words), and makes `-word` exclude a ticket, not a message.
     */
    search: tsvector().notNull().default(sql`''::tsvector`),
    /** Internal notes' words, searched for staff only. */
    internalSearch: tsvector().notNull().default(sql`''::tsvector`),
    /**
     * The text-search configuration (a `SEARCH_CONFIGS` value) both documents
     * were made with, chosen when the ticket is opened and never changed: words
     * added later must stem as the ones already there. Text, not `regconfig`,
     * which would keep pg_upgrade from upgrading the database. Tickets from
     * before it existed are English, as they were indexed.
     */
    searchConfig: text().$type<SearchConfig>().notNull().default("english"),
    /**
     * The transaction that last changed what the API shows of the ticket: the
     * change feed's position (`GET /api/v1/tickets?updatedSince=`), read only
     * below the oldest transaction still running, so none can land behind a reader.
     */
    changeXid: xid8().notNull().default(sql`pg_current_xact_id()`),
    /** Counts those changes: the ticket's ETag, and the controls' version field. */
    version: integer().notNull().default(1),
    /**
     * An integration's own id for the ticket (API only), unique when set:
     * `GET /api/v1/tickets?externalId=` finds it.
     */
    externalId: text(),
    /**
     * Custom field values (src/fields), keyed by the field's id: `{"3": "printer",
     * "4": 12, "5": ["a", "b"], "6": true}`. A JSONB column with a GIN index
     * (`jsonb_path_ops`, queried with `@>`) was measured against typed rows in
     * their own table (bench/fields/measure.sql): faster filtering and writes, one
     * index of a few megabytes, and the ticket row already carries its values.
     */
    fields: jsonb().$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
  },
  (t) => [
    uniqueIndex("tickets_external_id_idx").on(t.externalId).where(sql`${t.externalId} is not null`),
    // Every stored configuration is one a query is parsed in: a ticket with
    // another would never be found.
    check(
      "tickets_search_config_known",
      sql`${t.searchConfig} in (${sql.raw(SEARCH_CONFIG_NAMES.map((c) => `'${c}'`).join(", "))})`,
    ),
    index("tickets_search_idx").using("gin", t.search),
    index("tickets_internal_search_idx").using("gin", t.internalSearch),
    index("tickets_fields_idx").using("gin", t.fields.op("jsonb_path_ops")),
    // Part of a word in a title (`printe`): trigrams, for ILIKE '%printe%' (pg_trgm, issue 15).
    index("tickets_title_trgm_idx").using("gin", t.title.op("gin_trgm_ops")),
    // Queues: filtered by status (and assignee), newest activity first, keyset on (updated_at, id).
    index("tickets_status_updated_idx").on(t.status, t.updatedAt, t.id),
    index("tickets_assignee_status_updated_idx").on(t.assigneeId, t.status, t.updatedAt, t.id),
    // Team queues: a team's tickets by status, and its unassigned ones (the pool).
    index("tickets_team_status_updated_idx").on(t.teamId, t.status, t.updatedAt, t.id),
    index("tickets_team_unassigned_idx")
      .on(t.teamId, t.status, t.updatedAt, t.id)
      .where(sql`${t.assigneeId} is null`),
    index("tickets_requester_updated_idx").on(t.requesterId, t.updatedAt, t.id),
    index("tickets_updated_idx").on(t.updatedAt, t.id),
    index("tickets_created_idx").on(t.createdAt, t.id),
    // The change feed: keyset on (change_xid, id).
    index("tickets_change_idx").on(t.changeXid, t.id),
    index("tickets_priority_idx").on(t.priority, t.id),
    // Time rules (src/rules): which tickets not closed have a clock that ran past a
    // threshold. Partial, so they hold only the tickets still being worked on.
    ...(
      [
        ["created", t.createdAt],
        ["updated", t.updatedAt],
        ["status_changed", t.statusChangedAt],
        ["customer_reply", t.lastCustomerReplyAt],
        ["agent_reply", t.lastAgentReplyAt],
      ] as const
    ).map(([name, column]) =>
      index(`tickets_open_${name}_idx`).on(column).where(sql`${t.status} <> 'closed'`),
    ),
  ],
);

export const messages = pgTable(
  "messages",
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    ticketId: integer()
      .notNull()
      .references(() => tickets.id, { onDelete: "cascade" }),
    authorId: integer()
      .notNull()
      .references(() => users.id),
    content: text().notNull(),
    /** Internal notes are for staff only and never reach a customer. */
    internal: boolean().notNull().default(false),
    /** What was trimmed from an incoming mail (quoted history, signatures): shown behind "Show quoted text". */
    quoted: text(),
    /**
     * An HTML-only mail's HTML after sanitising (strict allow-list), with inline
     * images as `cid:<n>` (the n-th attachment of the message); shown instead of
     * the text, which stays for search and notifications.
     */
    html: text(),
    /** Came in by mail: staff can download the original (.eml) from inbound_emails. */
    viaEmail: boolean().notNull().default(false),
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [index("messages_ticket_idx").on(t.ticketId, t.id)],
);

/**
 * The audit trail, written from the domain events (src/tickets/events.ts): one
 * row per change of status, priority or assignee, per rule that fired. Never updated.
 */
export const ticketEvents = pgTable(
  "ticket_events",
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    ticketId: integer()
      .notNull()
      .references(() => tickets.id, { onDelete: "cascade" }),
    actorId: integer().references(() => users.id),
    /** created | status | priority | assignee | follow_up | rule */
    kind: text().notNull(),
    /** For `field` rows: the custom field's name at the time. */
    field: text(),
    fromValue: text(),
    toValue: text(),
    /** The macro this change was made through (its name at the time), if any. */
    viaMacro: text(),
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [index("ticket_events_ticket_idx").on(t.ticketId, t.id)],
);

/**
 * Other people who get copies of a ticket's public replies by mail (from the
 * To and Cc of an inbound mail, or added by staff), and whose replies by mail
 * join the ticket. One address once per ticket (case-insensitive).
 */
export const ticketCcs = pgTable(
  "ticket_ccs",
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    ticketId: integer()
      .notNull()
      .references(() => tickets.id, { onDelete: "cascade" }),
    /** Lower-cased. */
    address: text().notNull(),
    /** As a mail header or staff gave it: untrusted, shown escaped. */
    name: text(),
    /** Who added it: staff, or the sender of the mail that named it. */
    addedBy: integer().references(() => users.id),
    addedAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("ticket_ccs_ticket_address_idx").on(t.ticketId, t.address),
    index("ticket_ccs_address_idx").on(t.address),
  ],
);

export const attachments = pgTable(
  "attachments",
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    ticketId: integer()
      .notNull()
      .references(() => tickets.id, { onDelete: "cascade" }),
    messageId: integer().references(() => messages.id, { onDelete: "cascade" }),
    uploaderId: integer()
      .notNull()
      .references(() => users.id),
    /** As the uploader named it: untrusted, shown escaped, sent only in Content-Disposition. */
    filename: text().notNull(),
    contentType: text().notNull(),
    size: bigint({ mode: "number" }).notNull(),
    /** Hex SHA-256 of the content; the file lives at DATA_DIR/attachments/<aa>/<sha256>. */
    sha256: text().notNull(),
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [index("attachments_ticket_idx").on(t.ticketId, t.id)],
);
