ALTER TYPE "public"."ticket_relation_kind" ADD VALUE 'merged_into';--> statement-breakpoint
ALTER TYPE "public"."ticket_relation_kind" ADD VALUE 'split_from';