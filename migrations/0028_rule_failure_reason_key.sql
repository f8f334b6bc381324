ALTER TABLE "rule_failures" ADD COLUMN "reason_key" text;--> statement-breakpoint
ALTER TABLE "rule_failures" ADD COLUMN "reason_values" jsonb;