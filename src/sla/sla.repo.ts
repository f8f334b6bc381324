import { and, asc, eq, gt, inArray, isNotNull, isNull, lte, not, or, sql } from "drizzle-orm";
import type { Executor } from "../db/client.ts";
import {
  slaCalendars,
  slaJobs,
  slaPolicies,
  teamMembers,
  teams,
  ticketSlaDue,
  ticketSlaTargets,
  tickets,
  users,
} from "../db/schema/index.ts";
import type { Priority } from "../tickets/lifecycle.ts";

export type CalendarRow = typeof slaCalendars.$inferSelect;
export type PolicyRow = typeof slaPolicies.$inferSelect;
export type TargetRow = typeof ticketSlaTargets.$inferSelect;
export type NewTargetRow = typeof ticketSlaTargets.$inferInsert;
export type TargetKind = TargetRow["kind"];

// --- calendars ---

export async function listCalendars(db: Executor): Promise<CalendarRow[]> {
  return db.select().from(slaCalendars).orderBy(asc(slaCalendars.name), asc(slaCalendars.id));
}

export async function findCalendar(db: Executor, id: number): Promise<CalendarRow | undefined> {
  const [row] = await db.select().from(slaCalendars).where(eq(slaCalendars.id, id));
  return row;
}

export async function findCalendarsByIds(db: Executor, ids: number[]): Promise<CalendarRow[]> {
  if (ids.length === 0) return [];
  return db.select().from(slaCalendars).where(inArray(slaCalendars.id, ids));
}

export async function findDefaultCalendar(db: Executor): Promise<CalendarRow | undefined> {
  const [row] = await db.select().from(slaCalendars).where(eq(slaCalendars.isDefault, true));
  return row;
}

/** Inserts the default calendar unless one exists (two nodes at once: the unique index decides). */
export async function insertDefaultCalendar(
  db: Executor,
  values: typeof slaCalendars.$inferInsert,
): Promise<void> {
  await db
    .insert(slaCalendars)
    .values({ ...values, isDefault: true })
    .onConflictDoNothing();
}

export async function insertCalendar(
  db: Executor,
  values: typeof slaCalendars.$inferInsert,
): Promise<CalendarRow> {
  const [row] = await db.insert(slaCalendars).values(values).returning();
  if (!row) throw new Error("insert returned nothing");
  return row;
}

export async function updateCalendar(
  db: Executor,
  id: number,
  values: Partial<typeof slaCalendars.$inferInsert>,
): Promise<CalendarRow | undefined> {
  const [row] = await db
    .update(slaCalendars)
    .set({ ...values, updatedAt: sql`now()` })
    .where(eq(slaCalendars.id, id))
    .returning();
  return row;
}

export async function setDefaultCalendar(db: Executor, id: number): Promise<void> {
  await db.update(slaCalendars).set({ isDefault: false }).where(eq(slaCalendars.isDefault, true));
  await db.update(slaCalendars).set({ isDefault: true }).where(eq(slaCalendars.id, id));
}

export async function calendarNameTaken(db: Executor, name: string, exceptId?: number) {
  const rows = await db
    .select({ id: slaCalendars.id })
    .from(slaCalendars)
    .where(sql`lower(${slaCalendars.name}) = lower(${name})`);
  return rows.some((r) => r.id !== exceptId);
}

// --- policies ---

export async function listPolicies(db: Executor): Promise<PolicyRow[]> {
  return db.select().from(slaPolicies);
}

/**
 * What the policy rule needs for one ticket of `teamId` (or none) and
 * `priority`, in one statement: the general policy and its team's for the
 * priority, and the calendar its team chose (null: none; also null when there is
 * no candidate policy, when no clock starts anyway).
 */
export async function candidatePolicies(
  db: Executor,
  priority: Priority,
  teamId: number | null,
): Promise<{ policies: PolicyRow[]; teamCalendarId: number | null }> {
  const rows = await db
    .select({
      policy: slaPolicies,
      teamCalendarId:
        teamId === null
          ? sql<number | null>`null::int`
          : sql<
              number | null
            >`(select ${teams.calendarId} from ${teams} where ${teams.id} = ${teamId})`,
    })
    .from(slaPolicies)
    .where(
      and(
        eq(slaPolicies.priority, priority),
        teamId === null
          ? isNull(slaPolicies.teamId)
          : or(isNull(slaPolicies.teamId), eq(slaPolicies.teamId, teamId)),
      ),
    );
  return { policies: rows.map((r) => r.policy), teamCalendarId: rows[0]?.teamCalendarId ?? null };
}

/** Every team with the calendar it chose (null: none), by name. */
export async function listTeamCalendars(
  db: Executor,
): Promise<{ id: number; name: string; calendarId: number | null }[]> {
  return db
    .select({ id: teams.id, name: teams.name, calendarId: teams.calendarId })
    .from(teams)
    .orderBy(asc(teams.name), asc(teams.id));
}

export async function upsertPolicy(
  db: Executor,
  values: Omit<typeof slaPolicies.$inferInsert, "id">,
): Promise<void> {
  await db
    .insert(slaPolicies)
    .values(values)
    .onConflictDoUpdate({
      target: [slaPolicies.teamId, slaPolicies.priority],
      set: {
        calendarId: values.calendarId,
        firstResponseMinutes: values.firstResponseMinutes ?? null,
        nextResponseMinutes: values.nextResponseMinutes ?? null,
        resolutionMinutes: values.resolutionMinutes ?? null,
        warnPercent: values.warnPercent ?? 80,
        updatedAt: sql`now()`,
      },
    });
}

export async function deletePolicy(
  db: Executor,
  priority: Priority,
  teamId: number | null,
): Promise<void> {
  await db
    .delete(slaPolicies)
    .where(
      and(
        eq(slaPolicies.priority, priority),
        teamId === null ? isNull(slaPolicies.teamId) : eq(slaPolicies.teamId, teamId),
      ),
    );
}

/** Whether team `id` exists. */
export async function teamExists(db: Executor, id: number): Promise<boolean> {
  const rows = await db.select({ id: teams.id }).from(teams).where(eq(teams.id, id));
  return rows.length > 0;
}

/**
 * The names of the teams, and the policies, that use calendar `id` (a team or
 * policy taking it up meanwhile is refused by the foreign keys).
 */
export async function calendarUsers(db: Executor, id: number) {
  const [byTeams, byPolicies] = await Promise.all([
    db
      .select({ name: teams.name })
      .from(teams)
      .where(eq(teams.calendarId, id))
      .orderBy(asc(teams.name)),
    db
      .select({ priority: slaPolicies.priority, teamName: teams.name })
      .from(slaPolicies)
      .leftJoin(teams, eq(teams.id, slaPolicies.teamId))
      .where(eq(slaPolicies.calendarId, id)),
  ]);
  return { teams: byTeams.map((t) => t.name), policies: byPolicies };
}

/** Moves the clocks recorded on calendar `from` (met ones: history) to calendar `to`. */
export async function moveTargetsToCalendar(db: Executor, from: number, to: number) {
  await db
    .update(ticketSlaTargets)
    .set({ calendarId: to })
    .where(eq(ticketSlaTargets.calendarId, from));
}

/** Deletes a calendar; false when there was none. */
export async function deleteCalendar(db: Executor, id: number): Promise<boolean> {
  const rows = await db
    .delete(slaCalendars)
    .where(eq(slaCalendars.id, id))
    .returning({ id: slaCalendars.id });
  return rows.length > 0;
}

// --- targets ---

/** A ticket's targets, oldest first (the last of each kind is its current one). */
export async function listTargets(db: Executor, ticketId: number): Promise<TargetRow[]> {
  return db
    .select()
    .from(ticketSlaTargets)
    .where(eq(ticketSlaTargets.ticketId, ticketId))
    .orderBy(asc(ticketSlaTargets.id));
}

/** Inserts targets in one statement; returns them in the order given. */
export async function insertTargets(db: Executor, rows: NewTargetRow[]): Promise<TargetRow[]> {
  if (rows.length === 0) return [];
  const inserted = await db.insert(ticketSlaTargets).values(rows).returning();
  return inserted.sort((a, b) => a.id - b.id);
}

export async function updateTarget(db: Executor, id: number, values: Partial<NewTargetRow>) {
  await db.update(ticketSlaTargets).set(values).where(eq(ticketSlaTargets.id, id));
}

export async function deleteTarget(db: Executor, id: number): Promise<void> {
  await db.delete(ticketSlaTargets).where(eq(ticketSlaTargets.id, id));
}

/** A PostgreSQL array literal of ids (numbers we hold, never user text). */
function idArray(ids: readonly number[]): string {
  return `{${ids.map((id) => String(Math.trunc(id))).join(",")}}`;
}

/** Keeps `ticket_sla_due` (the "due first" queue, the desk's badge) in step with the tickets' running targets. */
export async function refreshTicketsDue(db: Executor, ticketIds: readonly number[]): Promise<void> {
  if (ticketIds.length === 0) return;
  await db.execute(sql`
    with touched as (select unnest(${idArray(ticketIds)}::int[]) as ticket_id),
    due as (
      select touched.ticket_id, min(x.due_at) as due_at, min(x.warn_at) as warn_at,
        coalesce(bool_or(x.near_breach_notified), false) as near_breach,
        coalesce(bool_or(x.breached_at is not null), false) as breached
      from touched left join ${ticketSlaTargets} x on x.ticket_id = touched.ticket_id
        and x.met_at is null and x.due_at is not null
      group by touched.ticket_id
    ), gone as (
      delete from ${ticketSlaDue} d using due where d.ticket_id = due.ticket_id and due.due_at is null
    )
    insert into ${ticketSlaDue} (ticket_id, due_at, warn_at, near_breach, breached)
    select ticket_id, due_at, warn_at, near_breach, breached from due where due_at is not null
    on conflict (ticket_id) do update set due_at = excluded.due_at, warn_at = excluded.warn_at,
      near_breach = excluded.near_breach, breached = excluded.breached`);
}

export async function refreshTicketDue(db: Executor, ticketId: number): Promise<void> {
  await refreshTicketsDue(db, [ticketId]);
}

// --- notifications ---

/**
 * Running targets whose near-breach or breach is due at `now` and not yet
 * notified, with their ticket (not closed), oldest due first.
 */
export async function findToNotify(db: Executor, now: Date, limit: number) {
  const breach = and(
    isNull(ticketSlaTargets.metAt),
    isNotNull(ticketSlaTargets.dueAt),
    lte(ticketSlaTargets.dueAt, now),
    not(ticketSlaTargets.breachNotified),
  );
  const near = and(
    isNull(ticketSlaTargets.metAt),
    isNotNull(ticketSlaTargets.warnAt),
    lte(ticketSlaTargets.warnAt, now),
    not(ticketSlaTargets.nearBreachNotified),
  );
  const pick = (where: ReturnType<typeof and>) =>
    db.select({ id: ticketSlaTargets.id }).from(ticketSlaTargets).where(where).limit(limit);
  const [a, b] = await Promise.all([pick(breach), pick(near)]);
  return [...new Set([...a, ...b].map((r) => r.id))];
}

/** Locks a target and its ticket for notifying; undefined when taken elsewhere or gone. */
export async function lockTargetForNotify(db: Executor, id: number) {
  const [row] = await db
    .select({ target: ticketSlaTargets, ticket: tickets })
    .from(ticketSlaTargets)
    .innerJoin(tickets, eq(tickets.id, ticketSlaTargets.ticketId))
    .where(eq(ticketSlaTargets.id, id))
    .for("update", { of: ticketSlaTargets, skipLocked: true });
  return row;
}

/**
 * Who hears of a breach on an unassigned ticket in a team: its members who are
 * neither disabled nor away.
 */
export async function teamAddresses(db: Executor, teamId: number): Promise<string[]> {
  const rows = await db
    .select({ email: users.email })
    .from(teamMembers)
    .innerJoin(users, eq(users.id, teamMembers.userId))
    .where(and(eq(teamMembers.teamId, teamId), eq(users.disabled, false), eq(users.away, false)))
    .orderBy(asc(users.id));
  return rows.map((r) => r.email);
}

/** Active admins' addresses: who hears of a breach on an unassigned ticket no team member can take. */
export async function adminAddresses(db: Executor): Promise<string[]> {
  const rows = await db
    .select({ email: users.email })
    .from(users)
    .where(and(eq(users.role, "admin"), eq(users.disabled, false)))
    .orderBy(asc(users.id));
  return rows.map((r) => r.email);
}

// --- jobs (leases) ---

/** Marks the recomputation wanted (from the start); a pass in progress starts over. */
export async function requestRecompute(db: Executor): Promise<void> {
  await db
    .insert(slaJobs)
    .values({ name: "recompute", requestedAt: sql`now()`, afterId: 0 })
    .onConflictDoUpdate({
      target: slaJobs.name,
      set: { requestedAt: sql`now()`, afterId: 0 },
    });
}

/**
 * Claims a job with a lease (committed before any work): wanted (`requestedAt`
 * set, or always for `notify`) and not held by a live lease elsewhere.
 */
export async function claimJob(
  db: Executor,
  name: "recompute" | "notify",
  token: string,
  leaseMs: number,
): Promise<{ requestedAt: Date | null; afterId: number } | undefined> {
  if (name === "notify") {
    await db.insert(slaJobs).values({ name }).onConflictDoNothing();
  }
  const rows = await db
    .update(slaJobs)
    .set({ leaseUntil: sql`now() + ${leaseMs} * interval '1 millisecond'`, leaseToken: token })
    .where(
      and(
        eq(slaJobs.name, name),
        name === "recompute" ? isNotNull(slaJobs.requestedAt) : undefined,
        sql`(${slaJobs.leaseUntil} is null or ${slaJobs.leaseUntil} < now())`,
      ),
    )
    .returning({ requestedAt: slaJobs.requestedAt, afterId: slaJobs.afterId });
  return rows[0];
}

export async function renewJob(db: Executor, name: string, token: string, leaseMs: number) {
  const rows = await db
    .update(slaJobs)
    .set({ leaseUntil: sql`now() + ${leaseMs} * interval '1 millisecond'` })
    .where(and(eq(slaJobs.name, name), eq(slaJobs.leaseToken, token)))
    .returning({ name: slaJobs.name });
  return rows.length > 0;
}

/** Records progress of the recomputation; false when the lease was lost. */
export async function saveProgress(db: Executor, token: string, afterId: number) {
  const rows = await db
    .update(slaJobs)
    .set({ afterId })
    .where(and(eq(slaJobs.name, "recompute"), eq(slaJobs.leaseToken, token)))
    .returning({ name: slaJobs.name });
  return rows.length > 0;
}

/**
 * Gives a job back. A finished recomputation is cleared unless it was asked
 * for again while it ran (`requestedAt` moved on): then it starts over.
 */
export async function releaseJob(
  db: Executor,
  name: string,
  token: string,
  finished: { requestedAt: Date | null } | undefined,
): Promise<void> {
  const done =
    finished && name === "recompute"
      ? {
          requestedAt: sql`case when ${slaJobs.requestedAt} = ${finished.requestedAt} then null else ${slaJobs.requestedAt} end`,
          afterId: sql`case when ${slaJobs.requestedAt} = ${finished.requestedAt} then ${slaJobs.afterId} else 0 end`,
          finishedAt: sql`now()`,
        }
      : {};
  await db
    .update(slaJobs)
    .set({ leaseUntil: null, leaseToken: null, ...done })
    .where(and(eq(slaJobs.name, name), eq(slaJobs.leaseToken, token)));
}

export async function jobState(db: Executor, name: string) {
  const [row] = await db.select().from(slaJobs).where(eq(slaJobs.name, name));
  return row;
}

/**
 * The clocks not met of the tickets after `afterTicketId`, ticket by ticket:
 * about `limit` rows, cut at a ticket boundary so each ticket's clocks come
 * together (its due-first row is then computed from all of them).
 */
export async function openTargetsAfter(db: Executor, afterTicketId: number, limit: number) {
  // Three index-driven reads merged here: a join would let the planner hash whole tables
  // for every batch.
  const targets = await db
    .select()
    .from(ticketSlaTargets)
    .where(and(gt(ticketSlaTargets.ticketId, afterTicketId), isNull(ticketSlaTargets.metAt)))
    .orderBy(asc(ticketSlaTargets.ticketId), asc(ticketSlaTargets.id))
    .limit(limit);
  const last = targets.at(-1);
  const done = targets.length < limit || !last;
  const whole = done ? targets : targets.filter((r) => r.ticketId !== last?.ticketId);
  // One ticket with more clocks than a batch: take them all the same.
  const taken = whole.length > 0 ? whole : targets;
  const ids = [...new Set(taken.map((t) => t.ticketId))];
  if (ids.length === 0) return { rows: [], done: true };
  const [priorities, queue] = await Promise.all([
    db
      .select({ id: tickets.id, priority: tickets.priority, teamId: tickets.teamId })
      .from(tickets)
      .where(sql`${tickets.id} = any(${idArray(ids)}::int[])`),
    db
      .select()
      .from(ticketSlaDue)
      .where(sql`${ticketSlaDue.ticketId} = any(${idArray(ids)}::int[])`),
  ]);
  const ticketOf = new Map(priorities.map((p) => [p.id, p]));
  const queueOf = new Map(queue.map((q) => [q.ticketId, q]));
  const rows = taken.flatMap((t) => {
    const ticket = ticketOf.get(t.ticketId);
    if (!ticket) return [];
    const q = queueOf.get(t.ticketId);
    return [
      {
        ...t,
        priority: ticket.priority,
        teamId: ticket.teamId,
        // The ticket's due-first row as it is (rewritten only when it changes).
        queueDueAt: q?.dueAt ?? null,
        queueWarnAt: q?.warnAt ?? null,
        queueNearBreach: q?.nearBreach ?? null,
        queueBreached: q?.breached ?? null,
      },
    ];
  });
  return { rows, done };
}

/** A PostgreSQL array literal of numbers or instants (values we made, never user text). */
function arrayLiteral(values: readonly (number | Date | boolean | null)[]): string {
  return `{${values
    .map((v) => (v === null ? "NULL" : v instanceof Date ? `"${v.toISOString()}"` : String(v)))
    .join(",")}}`;
}

/**
 * Writes one batch of the recomputation in the caller's transaction: targets
 * no policy asks for are deleted, the others get their new target and due
 * times, and each ticket's due-first row is replaced (or removed when none of
 * its clocks runs).
 */
export async function writeRecomputed(
  db: Executor,
  batch: {
    removed: number[];
    targets: {
      id: number;
      calendarId: number;
      targetMinutes: number;
      warnPercent: number;
      dueAt: Date | null;
      warnAt: Date | null;
    }[];
    due: { ticketId: number; dueAt: Date; warnAt: Date; nearBreach: boolean; breached: boolean }[];
    noneRunning: number[];
  },
): Promise<void> {
  if (batch.removed.length > 0) {
    await db.delete(ticketSlaTargets).where(inArray(ticketSlaTargets.id, batch.removed));
  }
  const t = batch.targets;
  if (t.length > 0) {
    await db.execute(sql`
      update ${ticketSlaTargets} t set
        calendar_id = v.calendar_id, target_minutes = v.target_minutes, warn_percent = v.warn_percent,
        due_at = v.due_at, warn_at = v.warn_at
      from unnest(
        ${arrayLiteral(t.map((r) => r.id))}::int[], ${arrayLiteral(t.map((r) => r.calendarId))}::int[],
        ${arrayLiteral(t.map((r) => r.targetMinutes))}::int[], ${arrayLiteral(t.map((r) => r.warnPercent))}::int[],
        ${arrayLiteral(t.map((r) => r.dueAt))}::timestamptz[], ${arrayLiteral(t.map((r) => r.warnAt))}::timestamptz[]
      ) as v(id, calendar_id, target_minutes, warn_percent, due_at, warn_at)
      where t.id = v.id`);
  }
  const d = batch.due;
  if (d.length > 0) {
    await db.execute(sql`
      insert into ${ticketSlaDue} (ticket_id, due_at, warn_at, near_breach, breached)
      select * from unnest(
        ${arrayLiteral(d.map((r) => r.ticketId))}::int[], ${arrayLiteral(d.map((r) => r.dueAt))}::timestamptz[],
        ${arrayLiteral(d.map((r) => r.warnAt))}::timestamptz[], ${arrayLiteral(d.map((r) => r.nearBreach))}::boolean[],
        ${arrayLiteral(d.map((r) => r.breached))}::boolean[])
      on conflict (ticket_id) do update set due_at = excluded.due_at, warn_at = excluded.warn_at,
        near_breach = excluded.near_breach, breached = excluded.breached`);
  }
  if (batch.noneRunning.length > 0) {
    await db.delete(ticketSlaDue).where(inArray(ticketSlaDue.ticketId, batch.noneRunning));
  }
}
