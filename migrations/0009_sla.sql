CREATE TYPE "public"."sla_target_kind" AS ENUM('first_response', 'next_response', 'resolution');--> statement-breakpoint
CREATE TABLE "sla_calendars" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "sla_calendars_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"name" text NOT NULL,
	"time_zone" text NOT NULL,
	"periods" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"holidays" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"is_default" boolean DEFAULT false NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sla_jobs" (
	"name" text PRIMARY KEY NOT NULL,
	"requested_at" timestamp (3) with time zone,
	"after_id" integer DEFAULT 0 NOT NULL,
	"lease_until" timestamp (3) with time zone,
	"lease_token" text,
	"finished_at" timestamp (3) with time zone
);
--> statement-breakpoint
CREATE TABLE "sla_policies" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "sla_policies_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"priority" "ticket_priority" NOT NULL,
	"calendar_id" integer NOT NULL,
	"first_response_minutes" integer,
	"next_response_minutes" integer,
	"resolution_minutes" integer,
	"warn_percent" integer DEFAULT 80 NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ticket_sla_due" (
	"ticket_id" integer PRIMARY KEY NOT NULL,
	"due_at" timestamp (3) with time zone NOT NULL,
	"warn_at" timestamp (3) with time zone NOT NULL,
	"near_breach" boolean DEFAULT false NOT NULL,
	"breached" boolean DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ticket_sla_targets" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "ticket_sla_targets_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"ticket_id" integer NOT NULL,
	"kind" "sla_target_kind" NOT NULL,
	"calendar_id" integer NOT NULL,
	"target_minutes" integer NOT NULL,
	"warn_percent" integer NOT NULL,
	"started_at" timestamp (3) with time zone NOT NULL,
	"resumed_at" timestamp (3) with time zone NOT NULL,
	"used_ms" bigint DEFAULT 0 NOT NULL,
	"paused_at" timestamp (3) with time zone,
	"due_at" timestamp (3) with time zone,
	"warn_at" timestamp (3) with time zone,
	"met_at" timestamp (3) with time zone,
	"breached_at" timestamp (3) with time zone,
	"near_breach_notified" boolean DEFAULT false NOT NULL,
	"breach_notified" boolean DEFAULT false NOT NULL
);
--> statement-breakpoint
ALTER TABLE "sla_policies" ADD CONSTRAINT "sla_policies_calendar_id_sla_calendars_id_fk" FOREIGN KEY ("calendar_id") REFERENCES "public"."sla_calendars"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ticket_sla_due" ADD CONSTRAINT "ticket_sla_due_ticket_id_tickets_id_fk" FOREIGN KEY ("ticket_id") REFERENCES "public"."tickets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ticket_sla_targets" ADD CONSTRAINT "ticket_sla_targets_ticket_id_tickets_id_fk" FOREIGN KEY ("ticket_id") REFERENCES "public"."tickets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ticket_sla_targets" ADD CONSTRAINT "ticket_sla_targets_calendar_id_sla_calendars_id_fk" FOREIGN KEY ("calendar_id") REFERENCES "public"."sla_calendars"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "sla_calendars_name_idx" ON "sla_calendars" USING btree (lower("name"));--> statement-breakpoint
CREATE UNIQUE INDEX "sla_calendars_default_idx" ON "sla_calendars" USING btree ("is_default") WHERE "sla_calendars"."is_default";--> statement-breakpoint
CREATE UNIQUE INDEX "sla_policies_priority_idx" ON "sla_policies" USING btree ("priority");--> statement-breakpoint
CREATE INDEX "ticket_sla_due_idx" ON "ticket_sla_due" USING btree ("due_at","ticket_id");--> statement-breakpoint
CREATE INDEX "ticket_sla_targets_ticket_idx" ON "ticket_sla_targets" USING btree ("ticket_id","id");--> statement-breakpoint
CREATE INDEX "ticket_sla_targets_running_due_idx" ON "ticket_sla_targets" USING btree ("due_at","ticket_id") WHERE "ticket_sla_targets"."met_at" is null and "ticket_sla_targets"."due_at" is not null;--> statement-breakpoint
CREATE INDEX "ticket_sla_targets_running_warn_idx" ON "ticket_sla_targets" USING btree ("warn_at") WHERE "ticket_sla_targets"."met_at" is null and "ticket_sla_targets"."warn_at" is not null and not "ticket_sla_targets"."near_breach_notified";