CREATE TYPE "public"."rule_kind" AS ENUM('trigger', 'automation');--> statement-breakpoint
CREATE TABLE "rule_failures" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "rule_failures_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"rule_id" integer NOT NULL,
	"ticket_id" integer,
	"reason" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "rule_firings" (
	"rule_id" integer NOT NULL,
	"ticket_id" integer NOT NULL,
	"occurrence" timestamp (3) with time zone NOT NULL,
	"fired_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "rule_firings_rule_id_ticket_id_occurrence_pk" PRIMARY KEY("rule_id","ticket_id","occurrence")
);
--> statement-breakpoint
CREATE TABLE "rules" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "rules_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"kind" "rule_kind" NOT NULL,
	"name" text NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"position" integer NOT NULL,
	"event" text,
	"clock" text,
	"hours" integer,
	"match" text DEFAULT 'all' NOT NULL,
	"conditions" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"actions" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"lease_until" timestamp (3) with time zone,
	"lease_token" text,
	"checked_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "rule_failures" ADD CONSTRAINT "rule_failures_rule_id_rules_id_fk" FOREIGN KEY ("rule_id") REFERENCES "public"."rules"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rule_failures" ADD CONSTRAINT "rule_failures_ticket_id_tickets_id_fk" FOREIGN KEY ("ticket_id") REFERENCES "public"."tickets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rule_firings" ADD CONSTRAINT "rule_firings_rule_id_rules_id_fk" FOREIGN KEY ("rule_id") REFERENCES "public"."rules"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rule_firings" ADD CONSTRAINT "rule_firings_ticket_id_tickets_id_fk" FOREIGN KEY ("ticket_id") REFERENCES "public"."tickets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "rule_failures_rule_idx" ON "rule_failures" USING btree ("rule_id","id");--> statement-breakpoint
CREATE INDEX "rule_firings_ticket_idx" ON "rule_firings" USING btree ("ticket_id");--> statement-breakpoint
CREATE INDEX "rules_kind_position_idx" ON "rules" USING btree ("kind","position","id");--> statement-breakpoint
-- The default time rules (issue 13), shipped editable and enabled. A migration runs
-- once per database, so they are seeded exactly once; admins may change or delete them.
INSERT INTO "rules" ("kind", "name", "position", "clock", "hours", "conditions", "actions") VALUES
  ('automation', 'Close solved tickets after 4 days without activity', 1, 'updated', 96,
    '[{"field":"status","op":"is","value":"solved"}]'::jsonb,
    '[{"type":"set_status","value":"closed"}]'::jsonb),
  ('automation', 'Remind the customer of a pending ticket after 3 days', 2, 'pending', 72,
    '[]'::jsonb,
    '[{"type":"send_mail","to":"requester","subject":"Reminder: {{ticket.title}}","body":"Hello {{requester.name}},\n\nWe are waiting for your answer on ticket #{{ticket.id}} ({{ticket.title}}). Reply to this mail to continue; without an answer we will mark it solved in 7 days.\n\n{{ticket.url}}"}]'::jsonb),
  ('automation', 'Solve pending tickets 7 days after the reminder', 3, 'pending', 240,
    '[]'::jsonb,
    '[{"type":"set_status","value":"solved"}]'::jsonb);
