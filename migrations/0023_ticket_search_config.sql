-- Each ticket's text-search configuration (issue 20). A constant default makes
-- adding the column a catalog change (PostgreSQL 11+): no table rewrite, and
-- every existing ticket reads 'english', the configuration its documents were
-- made with, without an UPDATE of every row.
ALTER TABLE "tickets" ADD COLUMN "search_config" text DEFAULT 'english' NOT NULL;--> statement-breakpoint
-- NOT VALID: new and changed rows are checked, existing ones (all 'english', the
-- default) are not scanned while the migration's transaction holds the table's lock.
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_search_config_known" CHECK ("tickets"."search_config" in ('english', 'german', 'french', 'spanish', 'portuguese', 'arabic')) NOT VALID;--> statement-breakpoint
-- The configurations in use, each once: a query is parsed only in these.
CREATE TABLE "search_configs" (
	"config" text PRIMARY KEY NOT NULL
);
--> statement-breakpoint
-- English, and every configuration a ticket already has. Just after the column
-- was added that is English alone; DISTINCT keeps this right should it ever run
-- on tickets that are not (it reads the table once, without rewriting it).
INSERT INTO "search_configs" ("config")
  SELECT 'english' UNION SELECT DISTINCT "search_config" FROM "tickets"
  ON CONFLICT DO NOTHING;
