CREATE INDEX "tickets_open_created_idx" ON "tickets" USING btree ("created_at") WHERE "tickets"."status" <> 'closed';--> statement-breakpoint
CREATE INDEX "tickets_open_updated_idx" ON "tickets" USING btree ("updated_at") WHERE "tickets"."status" <> 'closed';--> statement-breakpoint
CREATE INDEX "tickets_open_status_changed_idx" ON "tickets" USING btree ("status_changed_at") WHERE "tickets"."status" <> 'closed';--> statement-breakpoint
CREATE INDEX "tickets_open_customer_reply_idx" ON "tickets" USING btree ("last_customer_reply_at") WHERE "tickets"."status" <> 'closed';--> statement-breakpoint
CREATE INDEX "tickets_open_agent_reply_idx" ON "tickets" USING btree ("last_agent_reply_at") WHERE "tickets"."status" <> 'closed';