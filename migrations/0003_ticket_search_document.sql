DROP INDEX "messages_search_idx";--> statement-breakpoint
ALTER TABLE "messages" DROP COLUMN "search";--> statement-breakpoint
ALTER TABLE "tickets" ALTER COLUMN "search" DROP EXPRESSION;--> statement-breakpoint
ALTER TABLE "tickets" ALTER COLUMN "search" SET DEFAULT ''::tsvector;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "internal_search" "tsvector" DEFAULT ''::tsvector NOT NULL;--> statement-breakpoint
-- One search document per ticket: the title and its public messages; internal notes apart.
-- Text is capped so no document nears PostgreSQL's 1 MB tsvector limit.
UPDATE "tickets" AS t SET
  "search" = to_tsvector('english', t."title") || coalesce((
    SELECT to_tsvector('english', left(string_agg(m."content", E'\n' ORDER BY m."id"), 200000))
    FROM "messages" AS m WHERE m."ticket_id" = t."id" AND NOT m."internal"), ''::tsvector),
  "internal_search" = coalesce((
    SELECT to_tsvector('english', left(string_agg(m."content", E'\n' ORDER BY m."id"), 200000))
    FROM "messages" AS m WHERE m."ticket_id" = t."id" AND m."internal"), ''::tsvector);--> statement-breakpoint
CREATE INDEX "tickets_internal_search_idx" ON "tickets" USING gin ("internal_search");
