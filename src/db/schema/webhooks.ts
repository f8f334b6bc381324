import { sql } from "drizzle-orm";
import { boolean, index, integer, pgEnum, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { tickets } from "./tickets.ts";

/**
 * Where admins want ticket events sent (src/webhooks). The secret signs every
 * delivery (Standard Webhooks); after a rotation the previous one keeps
 * signing alongside it until `previous_secret_expires_at`.
 */
export const webhookEndpoints = pgTable("webhook_endpoints", {
  id: integer().primaryKey().generatedAlwaysAsIdentity(),
  url: text().notNull(),
  description: text().notNull().default(""),
  /** The webhook event types it gets (`ticket.created`, ...). */
  eventTypes: text().array().notNull(),
  enabled: boolean().notNull().default(true),
  /** `whsec_` + base64 of 32 random bytes; it must be readable to sign with. */
  secret: text().notNull(),
  previousSecret: text(),
  previousSecretExpiresAt: timestamp({ withTimezone: true, precision: 3 }),
  createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  updatedAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
});

export const webhookDeliveryStatus = pgEnum("webhook_delivery_status", [
  "pending",
  "delivered",
  "failed",
]);

/**
 * One event for one endpoint: written in the transaction of the change (the
 * webhooks reaction), sent by the worker (src/webhooks/webhooks.worker.ts).
 * The body is composed when written and sent unchanged on every attempt, with
 * the same `webhook-id`, so receivers can recognise a repeat.
 */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    endpointId: integer()
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: "cascade" }),
    /** The `webhook-id` header: `msg_` + a random UUID. */
    webhookId: text().notNull().unique(),
    eventType: text().notNull(),
    ticketId: integer().references(() => tickets.id, { onDelete: "set null" }),
    /** The JSON body exactly as signed and sent. */
    body: text().notNull(),
    status: webhookDeliveryStatus().notNull().default("pending"),
    attempts: integer().notNull().default(0),
    /** Not before this: the backoff after a failure, or the lease of a worker holding it. */
    nextAttemptAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
    /** Random id of the claim holding the row; only that claim may record the outcome. */
    claimToken: text(),
    lastAttemptAt: timestamp({ withTimezone: true, precision: 3 }),
    /** HTTP status of the last attempt; null when no answer came (refused, timeout, blocked). */
    responseStatus: integer(),
    responseMs: integer(),
    /** The first 1 KiB of the last answer's body, as text (shown escaped). */
    responseExcerpt: text(),
    lastError: text(),
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
    /** When it was last queued (written, or resent by an admin): tries stop 24 hours after. */
    queuedAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
    deliveredAt: timestamp({ withTimezone: true, precision: 3 }),
  },
  (t) => [
    index("webhook_deliveries_due_idx")
      .on(t.nextAttemptAt, t.id)
      .where(sql`${t.status} = 'pending'`),
    index("webhook_deliveries_endpoint_idx").on(t.endpointId, t.id),
  ],
);
