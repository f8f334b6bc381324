ALTER TYPE "public"."account_link_purpose" ADD VALUE 'ticket_access';--> statement-breakpoint
ALTER TABLE "account_links" ADD COLUMN "ticket_id" integer;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "ticket_id" integer;