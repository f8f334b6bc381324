CREATE TYPE "public"."ticket_channel" AS ENUM('web', 'email', 'api');--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "quoted" text;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "channel" "ticket_channel" DEFAULT 'web' NOT NULL;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "status_changed_at" timestamp (3) with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "last_customer_reply_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "last_agent_reply_at" timestamp (3) with time zone;--> statement-breakpoint
-- Backfill what the history tells, rewriting each ticket row once: a ticket opened
-- by an inbound mail came by email (tickets opened through the API before this
-- migration cannot be told from web ones and stay 'web'); the status clock comes
-- from the audit trail, the reply clocks from the public messages.
UPDATE "tickets" t SET
    "channel" = x."channel",
    "status_changed_at" = x."status_changed_at",
    "last_customer_reply_at" = x."customer_at",
    "last_agent_reply_at" = x."agent_at"
  FROM (
    SELECT tk."id",
      CASE WHEN em."ticket_id" IS NULL THEN 'web' ELSE 'email' END::"ticket_channel" AS "channel",
      coalesce(ev."at", tk."created_at") AS "status_changed_at",
      m."customer_at",
      m."agent_at"
    FROM "tickets" tk
    LEFT JOIN (
      SELECT DISTINCT "ticket_id" FROM "inbound_emails"
      WHERE "status" = 'ticket' AND "ticket_id" IS NOT NULL
    ) em ON em."ticket_id" = tk."id"
    LEFT JOIN (
      SELECT "ticket_id", max("created_at") AS "at" FROM "ticket_events"
      WHERE "kind" IN ('created', 'status') GROUP BY "ticket_id"
    ) ev ON ev."ticket_id" = tk."id"
    LEFT JOIN (
      SELECT msg."ticket_id",
        max(msg."created_at") FILTER (WHERE msg."author_id" = tk2."requester_id") AS "customer_at",
        max(msg."created_at") FILTER (WHERE msg."author_id" <> tk2."requester_id" AND u."role" <> 'customer') AS "agent_at"
      FROM "messages" msg
      JOIN "tickets" tk2 ON tk2."id" = msg."ticket_id"
      JOIN "users" u ON u."id" = msg."author_id"
      WHERE NOT msg."internal"
      GROUP BY msg."ticket_id"
    ) m ON m."ticket_id" = tk."id"
  ) x
  WHERE x."id" = t."id";
