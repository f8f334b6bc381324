CREATE TYPE "public"."ticket_relation_kind" AS ENUM('child_of', 'related');--> statement-breakpoint
CREATE TABLE "ticket_relations" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "ticket_relations_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"kind" "ticket_relation_kind" NOT NULL,
	"ticket_id" integer NOT NULL,
	"other_id" integer NOT NULL,
	"created_by" integer,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ticket_relations_not_self" CHECK ("ticket_relations"."ticket_id" <> "ticket_relations"."other_id"),
	CONSTRAINT "ticket_relations_related_ordered" CHECK ("ticket_relations"."kind" <> 'related' or "ticket_relations"."ticket_id" < "ticket_relations"."other_id")
);
--> statement-breakpoint
ALTER TABLE "ticket_relations" ADD CONSTRAINT "ticket_relations_ticket_id_tickets_id_fk" FOREIGN KEY ("ticket_id") REFERENCES "public"."tickets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ticket_relations" ADD CONSTRAINT "ticket_relations_other_id_tickets_id_fk" FOREIGN KEY ("other_id") REFERENCES "public"."tickets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ticket_relations" ADD CONSTRAINT "ticket_relations_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "ticket_relations_pair_key" ON "ticket_relations" USING btree (least("ticket_id", "other_id"),greatest("ticket_id", "other_id"));--> statement-breakpoint
CREATE UNIQUE INDEX "ticket_relations_one_parent_key" ON "ticket_relations" USING btree ("ticket_id") WHERE "ticket_relations"."kind" = 'child_of';--> statement-breakpoint
CREATE INDEX "ticket_relations_ticket_idx" ON "ticket_relations" USING btree ("ticket_id","kind");--> statement-breakpoint
CREATE INDEX "ticket_relations_other_idx" ON "ticket_relations" USING btree ("other_id","kind");