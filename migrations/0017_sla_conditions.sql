CREATE TABLE "sla_conditions" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "sla_conditions_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"name" text NOT NULL,
	"match" text DEFAULT 'all' NOT NULL,
	"conditions" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"position" integer NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "sla_policies" DROP CONSTRAINT "sla_policies_team_priority_key";--> statement-breakpoint
ALTER TABLE "sla_policies" ADD COLUMN "condition_id" integer;--> statement-breakpoint
ALTER TABLE "sla_policies" ADD CONSTRAINT "sla_policies_condition_id_sla_conditions_id_fk" FOREIGN KEY ("condition_id") REFERENCES "public"."sla_conditions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sla_policies" ADD CONSTRAINT "sla_policies_scope_priority_key" UNIQUE NULLS NOT DISTINCT("team_id","condition_id","priority");--> statement-breakpoint
ALTER TABLE "sla_policies" ADD CONSTRAINT "sla_policies_one_scope" CHECK ("sla_policies"."team_id" is null or "sla_policies"."condition_id" is null);