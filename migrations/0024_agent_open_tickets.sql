ALTER TABLE "users" ADD COLUMN "open_tickets" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- hand-written: users.open_tickets kept by triggers on tickets (see src/db/schema/users.ts).
-- The statuses are lifecycle.ts ACTIVE_STATUSES; the WHEN clauses keep the function from
-- running for the many ticket updates that change neither the assignee nor whether it is active.
UPDATE "users" SET "open_tickets" = c.n
FROM (SELECT "assignee_id" AS id, count(*)::int AS n FROM "tickets"
      WHERE "assignee_id" IS NOT NULL AND "status" IN ('new', 'open', 'pending')
      GROUP BY "assignee_id") c
WHERE "users"."id" = c.id;--> statement-breakpoint
CREATE FUNCTION "tickets_count_open"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  before_id integer;
  after_id integer;
BEGIN
  IF TG_OP <> 'INSERT' AND OLD.status IN ('new', 'open', 'pending') THEN before_id := OLD.assignee_id; END IF;
  IF TG_OP <> 'DELETE' AND NEW.status IN ('new', 'open', 'pending') THEN after_id := NEW.assignee_id; END IF;
  IF before_id IS NOT DISTINCT FROM after_id THEN RETURN NULL; END IF;
  -- The lower id first: two transactions moving tickets between the same two
  -- agents in opposite directions lock their rows in one order, never deadlock.
  IF before_id IS NOT NULL AND (after_id IS NULL OR before_id < after_id) THEN
    UPDATE users SET open_tickets = open_tickets - 1 WHERE id = before_id;
    IF after_id IS NOT NULL THEN UPDATE users SET open_tickets = open_tickets + 1 WHERE id = after_id; END IF;
  ELSE
    UPDATE users SET open_tickets = open_tickets + 1 WHERE id = after_id;
    IF before_id IS NOT NULL THEN UPDATE users SET open_tickets = open_tickets - 1 WHERE id = before_id; END IF;
  END IF;
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "tickets_count_open_insert" AFTER INSERT ON "tickets" FOR EACH ROW
  WHEN (NEW.assignee_id IS NOT NULL AND NEW.status IN ('new', 'open', 'pending'))
  EXECUTE FUNCTION "tickets_count_open"();--> statement-breakpoint
CREATE TRIGGER "tickets_count_open_update" AFTER UPDATE OF "assignee_id", "status" ON "tickets" FOR EACH ROW
  WHEN (OLD.assignee_id IS DISTINCT FROM NEW.assignee_id
        OR (OLD.status IN ('new', 'open', 'pending')) <> (NEW.status IN ('new', 'open', 'pending')))
  EXECUTE FUNCTION "tickets_count_open"();--> statement-breakpoint
CREATE TRIGGER "tickets_count_open_delete" AFTER DELETE ON "tickets" FOR EACH ROW
  WHEN (OLD.assignee_id IS NOT NULL AND OLD.status IN ('new', 'open', 'pending'))
  EXECUTE FUNCTION "tickets_count_open"();
