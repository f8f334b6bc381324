CREATE TABLE "ticket_ccs" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "ticket_ccs_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"ticket_id" integer NOT NULL,
	"address" text NOT NULL,
	"name" text,
	"added_by" integer,
	"added_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "html" text;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "via_email" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "ticket_ccs" ADD CONSTRAINT "ticket_ccs_ticket_id_tickets_id_fk" FOREIGN KEY ("ticket_id") REFERENCES "public"."tickets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ticket_ccs" ADD CONSTRAINT "ticket_ccs_added_by_users_id_fk" FOREIGN KEY ("added_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "ticket_ccs_ticket_address_idx" ON "ticket_ccs" USING btree ("ticket_id","address");--> statement-breakpoint
CREATE INDEX "ticket_ccs_address_idx" ON "ticket_ccs" USING btree ("address");--> statement-breakpoint
CREATE INDEX "outbox_to_created_idx" ON "outbox" USING btree (lower("to_address"),"created_at");