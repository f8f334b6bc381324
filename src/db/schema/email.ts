import { sql } from "drizzle-orm";
import {
  customType,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  text,
  timestamp,
} from "drizzle-orm/pg-core";
import { messages, tickets } from "./tickets.ts";
import { users } from "./users.ts";

/** Raw bytes (an inbound message exactly as received, malformed or not). */
const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => "bytea",
  fromDriver: (value) => Buffer.from(value),
});

export const outboxStatus = pgEnum("outbox_status", ["pending", "sent", "failed"]);

/**
 * Outgoing mail, written in the transaction of the change that caused it and
 * delivered by the worker (src/email/worker.ts). A row is composed in full when
 * written, so delivery never depends on data that changed since.
 */
export const outbox = pgTable(
  "outbox",
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    /** What caused it, e.g. ticket.received, reply.public, ticket.assigned. */
    kind: text().notNull(),
    ticketId: integer().references(() => tickets.id, { onDelete: "set null" }),
    recipientId: integer().references(() => users.id, { onDelete: "set null" }),
    toAddress: text().notNull(),
    subject: text().notNull(),
    textBody: text().notNull(),
    htmlBody: text().notNull(),
    /** Our Message-ID (without angle brackets), sent unchanged on every attempt. */
    messageId: text().notNull().unique(),
    /** Extra headers: In-Reply-To, References, Reply-To. */
    headers: jsonb().$type<Record<string, string>>().notNull(),
    status: outboxStatus().notNull().default("pending"),
    attempts: integer().notNull().default(0),
    /** Not before this: the backoff after a failure, or the lease of a worker holding it. */
    nextAttemptAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
    /** Random id of the claim holding the row; only that claim may record the outcome. */
    claimToken: text(),
    lastError: text(),
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
    sentAt: timestamp({ withTimezone: true, precision: 3 }),
  },
  (t) => [
    index("outbox_due_idx").on(t.nextAttemptAt, t.id).where(sql`${t.status} = 'pending'`),
    index("outbox_status_idx").on(t.status, t.id),
    // A ticket's mails newest first (thread headers): with the id in the key, a ticket with
    // few mails is an index range, not a backward walk of the whole outbox for the LIMIT.
    index("outbox_ticket_idx").on(t.ticketId, t.id),
    // Automatic mails to one address in the last hour (loop protection).
    index("outbox_to_created_idx").on(sql`lower(${t.toAddress})`, t.createdAt),
  ],
);

export const inboundStatus = pgEnum("inbound_status", [
  "received",
  "ticket",
  "reply",
  "ignored",
  "failed",
]);

/**
 * Every message the listener (or the API) accepted, raw, with what became of
 * it. Malformed and ignored ones stay here for admins to look at.
 */
export const inboundEmails = pgTable(
  "inbound_emails",
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    /** The message exactly as received. */
    raw: bytea().notNull(),
    /** SMTP envelope sender ("" for bounces), undefined when posted through the API. */
    envelopeFrom: text(),
    envelopeTo: jsonb().$type<string[]>().notNull(),
    /** From the headers, when they parsed: untrusted, shown escaped. */
    fromAddress: text(),
    subject: text(),
    messageId: text(),
    status: inboundStatus().notNull().default("received"),
    /** Why it was ignored or failed, in words for an admin. */
    reason: text(),
    ticketId: integer().references(() => tickets.id, { onDelete: "set null" }),
    messageRowId: integer().references(() => messages.id, { onDelete: "set null" }),
    /** The HTML part after sanitising (strict allow-list), for staff to look at. */
    safeHtml: text(),
    receivedAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    index("inbound_emails_received_idx").on(t.receivedAt, t.id),
    index("inbound_emails_status_idx").on(t.status, t.id),
    index("inbound_emails_from_idx").on(sql`lower(${t.fromAddress})`, t.receivedAt),
    // A Message-ID received before (duplicates) and the thread a reply names.
    index("inbound_emails_message_id_idx").on(t.messageId),
    // A ticket's mails, for the customer's Message-IDs in our thread headers.
    index("inbound_emails_ticket_idx").on(t.ticketId, t.id),
  ],
);
