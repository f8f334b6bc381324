CREATE TYPE "public"."ticket_channel" AS ENUM('web', 'email', 'api');--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "quoted" text;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "channel" "ticket_channel" DEFAULT 'web' NOT NULL;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "status_changed_at" timestamp (3) with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "last_customer_reply_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "last_agent_reply_at" timestamp (3) with time zone;--> statement-breakpoint
-- Backfill what the history tells: a ticket opened by an inbound mail came by email
-- (tickets opened through the API before this migration are indistinguishable from
-- web ones and stay 'web'); the clocks come from the audit trail and the messages.
UPDATE "tickets" t SET "channel" = 'email'
  FROM "inbound_emails" i
  WHERE i."ticket_id" = t."id" AND i."status" = 'ticket';--> statement-breakpoint
UPDATE "tickets" t SET "status_changed_at" = coalesce(
    (SELECT max(e."created_at") FROM "ticket_events" e
      WHERE e."ticket_id" = t."id" AND e."kind" IN ('created', 'status')),
    t."created_at");--> statement-breakpoint
UPDATE "tickets" t SET
    "last_customer_reply_at" = m."customer_at",
    "last_agent_reply_at" = m."agent_at"
  FROM (
    SELECT msg."ticket_id",
      max(msg."created_at") FILTER (WHERE msg."author_id" = tk."requester_id") AS "customer_at",
      max(msg."created_at") FILTER (WHERE msg."author_id" <> tk."requester_id" AND u."role" <> 'customer') AS "agent_at"
    FROM "messages" msg
    JOIN "tickets" tk ON tk."id" = msg."ticket_id"
    JOIN "users" u ON u."id" = msg."author_id"
    WHERE NOT msg."internal"
    GROUP BY msg."ticket_id"
  ) m
  WHERE m."ticket_id" = t."id";
