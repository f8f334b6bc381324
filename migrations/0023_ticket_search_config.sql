-- Each ticket's text-search configuration (issue 20). A constant default makes
-- adding the column a catalog change (PostgreSQL 11+): no table rewrite, and
-- every existing ticket reads 'english', the configuration its documents were
-- made with, without an UPDATE of every row.
ALTER TABLE "tickets" ADD COLUMN "search_config" text DEFAULT 'english' NOT NULL;--> statement-breakpoint
-- NOT VALID: new and changed rows are checked, existing ones (all 'english', the
-- default) are not scanned while the migration's transaction holds the table's lock.
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_search_config_known" CHECK ("tickets"."search_config" in ('english', 'german', 'french', 'spanish', 'portuguese', 'arabic')) NOT VALID;
