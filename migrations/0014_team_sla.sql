DROP INDEX "sla_policies_priority_idx";--> statement-breakpoint
ALTER TABLE "sla_policies" ADD COLUMN "team_id" integer;--> statement-breakpoint
ALTER TABLE "teams" ADD COLUMN "calendar_id" integer;--> statement-breakpoint
ALTER TABLE "sla_policies" ADD CONSTRAINT "sla_policies_team_id_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."teams"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "teams" ADD CONSTRAINT "teams_calendar_id_sla_calendars_id_fk" FOREIGN KEY ("calendar_id") REFERENCES "public"."sla_calendars"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sla_policies" ADD CONSTRAINT "sla_policies_team_priority_key" UNIQUE NULLS NOT DISTINCT("team_id","priority");