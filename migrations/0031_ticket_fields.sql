CREATE TABLE "ticket_fields" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "ticket_fields_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"name" text NOT NULL,
	"label" text NOT NULL,
	"type" text NOT NULL,
	"choices" text[] DEFAULT '{}'::text[] NOT NULL,
	"customer_visible" boolean DEFAULT false NOT NULL,
	"required_to_solve" boolean DEFAULT false NOT NULL,
	"position" integer DEFAULT 0 NOT NULL,
	"disabled" boolean DEFAULT false NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ticket_fields_type_known" CHECK ("ticket_fields"."type" in ('text', 'number', 'date', 'choice', 'choices', 'checkbox'))
);
--> statement-breakpoint
ALTER TABLE "ticket_events" ADD COLUMN "field" text;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "fields" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "ticket_fields_name_key_idx" ON "ticket_fields" USING btree (lower("name"));--> statement-breakpoint
CREATE INDEX "tickets_fields_idx" ON "tickets" USING gin ("fields" jsonb_path_ops);