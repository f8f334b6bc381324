DROP INDEX "inbound_emails_ticket_idx";--> statement-breakpoint
DROP INDEX "outbox_ticket_idx";--> statement-breakpoint
CREATE INDEX "inbound_emails_ticket_idx" ON "inbound_emails" USING btree ("ticket_id","id");--> statement-breakpoint
CREATE INDEX "outbox_ticket_idx" ON "outbox" USING btree ("ticket_id","id");