import { type Actor, isAdmin } from "../accounts/index.ts";
import type { Db, Executor, Tx } from "../db/client.ts";
import { Watched } from "../db/watched.ts";
import type { Deps } from "../deps.ts";
import type { DomainEvent, TicketSnapshot } from "../events/events.ts";
import {
  Conflict,
  type FieldError,
  Forbidden,
  fieldProblem,
  Invalid,
  NotFound,
} from "../lib/errors.ts";
import { parseConditions } from "../rules/condition-form.ts";
import { matches, type TicketFacts } from "../rules/conditions.ts";
import type { Priority } from "../tickets/lifecycle.ts";
import { ALWAYS, type Calendar } from "./business-time.ts";
import {
  type Clock,
  meetClock,
  pauseClock,
  reopenClock,
  resumeClock,
  retarget,
  startClock,
} from "./clock.ts";
import { choosePolicy } from "./policy.ts";
import { runSlaRecompute } from "./recompute.ts";
import * as repo from "./sla.repo.ts";
import {
  type CalendarForm,
  CONDITION_NAME_MAX,
  calendarOf,
  parseCalendarForm,
  parsePolicyForm,
  SLA_CONDITION_FIELDS,
  type SlaConditionForm,
  TARGET_KINDS,
  type TargetKind,
} from "./sla.schemas.ts";

/**
 * SLA clocks (issue 14): calendars and policies, edited by admins; per-ticket
 * targets kept by an in-transaction reaction to ticket events (sla.reaction.ts),
 * notified and recomputed by scheduled work (scheduler.ts).
 */

export type CalendarRow = repo.CalendarRow;
export type PolicyRow = repo.PolicyRow;

const recomputing = new WeakMap<object, Promise<unknown>>();

/**
 * Starts the recomputation on this node now, without waiting for it (the
 * request that asked for it returns at once); the scheduler on every node
 * also picks it up, and the lease lets one node do it.
 */
function recomputeSoon(deps: Deps): void {
  const running = (recomputing.get(deps.db) ?? Promise.resolve())
    .then(() => runSlaRecompute(deps))
    .then((result) => {
      if (result.clocks > 0) deps.log.info(result, "SLA due times recomputed");
    })
    .catch((error: unknown) => deps.log.error({ err: error }, "SLA recomputation failed"));
  recomputing.set(deps.db, running);
}

/** Waits for recomputations this node started (tests; shutdown). */
export async function recomputationsSettled(deps: Deps): Promise<void> {
  await recomputing.get(deps.db);
}

function requireAdmin(actor: Actor): void {
  if (!isAdmin(actor))
    throw new Forbidden("Only admins manage SLA calendars and policies.", "error.onlyAdmins.sla");
}

/**
 * Every calendar by id, kept in memory on a listening node (src/db/watched.ts):
 * a ticket write whose clocks start or move needs one. Every change to a
 * calendar goes through `calendars.change`; one made since the copy was read
 * (the default, created on first use) is read from the database when asked for.
 */
export const calendars = new Watched(
  "tessera_calendars",
  async (db: Executor) => new Map((await repo.listCalendars(db)).map((c) => [c.id, c])),
);

async function calendarRow(db: Db, tx: Executor, id: number): Promise<CalendarRow | undefined> {
  return (await calendars.get(db, tx)).get(id) ?? (await repo.findCalendar(tx, id));
}

/** The default calendar, created (24/7, UTC) the first time it is asked for. */
export async function defaultCalendar(
  deps: Deps,
  db: Tx | Deps["db"] = deps.db,
): Promise<CalendarRow> {
  const found = await repo.findDefaultCalendar(db);
  if (found) return found;
  await repo.insertDefaultCalendar(db, {
    name: "24/7",
    timeZone: ALWAYS.timeZone,
    periods: ALWAYS.periods,
    holidays: [],
  });
  const created = await repo.findDefaultCalendar(db);
  if (!created) throw new Error("no default calendar after creating it");
  return created;
}

/** Admins: every calendar (the default first created if missing), the policies and the teams (for their own policies). */
export async function getSlaSettings(deps: Deps, actor: Actor) {
  requireAdmin(actor);
  await defaultCalendar(deps);
  const [calendars, policies, teams, conditions, recompute] = await Promise.all([
    repo.listCalendars(deps.db),
    repo.listPolicies(deps.db),
    repo.listTeamCalendars(deps.db),
    repo.listConditions(deps.db),
    repo.jobState(deps.db, "recompute"),
  ]);
  return {
    calendars,
    policies,
    teams,
    conditions,
    recomputing: recompute?.requestedAt != null,
  };
}

export async function getCalendar(deps: Deps, actor: Actor, id: number): Promise<CalendarRow> {
  requireAdmin(actor);
  const row = await repo.findCalendar(deps.db, id);
  if (!row) throw new NotFound("calendar", id);
  return row;
}

/**
 * Creates (no `id`) or changes a calendar from its form. Refused field by
 * field: an unknown time zone, a malformed period or date, and a calendar with
 * no working hours. A change recomputes the due times of running clocks in
 * the background.
 */
export async function saveCalendar(
  deps: Deps,
  actor: Actor,
  form: CalendarForm,
  id?: number,
): Promise<CalendarRow> {
  requireAdmin(actor);
  if (id !== undefined && !(await repo.findCalendar(deps.db, id)))
    throw new NotFound("calendar", id);
  const parsed = parseCalendarForm(form);
  if (!parsed.ok) throw new Invalid(parsed.errors);
  const row = await calendars.change(deps.db, async (tx) => {
    if (await repo.calendarNameTaken(tx, parsed.name, id)) {
      throw Invalid.field("name", "is taken by another calendar", "error.field.calendarTaken");
    }
    const values = { name: parsed.name, ...parsed.calendar };
    if (id === undefined) return repo.insertCalendar(tx, values);
    const updated = await repo.updateCalendar(tx, id, values);
    if (!updated) throw new NotFound("calendar", id);
    await repo.requestRecompute(tx);
    return updated;
  });
  if (id !== undefined) recomputeSoon(deps);
  return row;
}

/**
 * Makes a calendar the default: the one new policies start on, and where clocks
 * recorded on a deleted calendar go.
 */
export async function makeDefaultCalendar(deps: Deps, actor: Actor, id: number): Promise<void> {
  requireAdmin(actor);
  await calendars.change(deps.db, async (tx) => {
    if (!(await repo.findCalendar(tx, id))) throw new NotFound("calendar", id);
    await repo.setDefaultCalendar(tx, id);
  });
}

/** What keeps a calendar from being deleted: a team on it, or a policy (general, a team's or a condition's). */
export type CalendarUse =
  | { team: string; priority?: undefined; condition?: undefined }
  | { priority: Priority; team: string | null; condition: string | null };

/**
 * A calendar that cannot be deleted: the default one (`calendar_default`), or
 * one in use (`calendar_in_use`, each use named, so a page can say it in the
 * reader's language; `message` is the API's English).
 */
export class CalendarNotDeleted extends Conflict {
  constructor(
    code: "calendar_default" | "calendar_in_use",
    readonly calendar: string,
    readonly uses: readonly CalendarUse[] = [],
  ) {
    super(
      code,
      code === "calendar_default"
        ? `"${calendar}" is the default calendar: make another the default first.`
        : `"${calendar}" is in use by ${uses.map(useText).join(", ")}: choose another calendar there first.`,
      // The uses are named by the SLA page (each in the reader's language); elsewhere, in general.
      code === "calendar_default" ? "error.sla.calendarDefault" : "error.sla.calendarUsed",
      { calendar },
    );
  }
}

function useText(use: CalendarUse): string {
  if (use.priority === undefined) return `team ${use.team}`;
  if (use.team !== null) return `team ${use.team}'s ${use.priority} policy`;
  if (use.condition !== null) return `condition ${use.condition}'s ${use.priority} policy`;
  return `the ${use.priority} policy`;
}

/**
 * Deletes a calendar. Refused (CalendarNotDeleted, naming them) while a team or
 * a policy uses it, and for the default calendar. Clocks recorded on it (met
 * ones, or running ones the recomputation has not moved yet) move to the
 * default calendar, and running clocks are recomputed.
 */
export async function deleteCalendar(deps: Deps, actor: Actor, id: number): Promise<void> {
  requireAdmin(actor);
  const fallback = await defaultCalendar(deps);
  await calendars.change(deps.db, async (tx) => {
    const row = await repo.findCalendar(tx, id);
    if (!row) throw new NotFound("calendar", id);
    if (row.isDefault) throw new CalendarNotDeleted("calendar_default", row.name);
    const users = await repo.calendarUsers(tx, id);
    const uses: CalendarUse[] = [
      ...users.teams.map((team) => ({ team })),
      ...users.policies.map((p) => ({
        priority: p.priority,
        team: p.teamName,
        condition: p.conditionName,
      })),
    ];
    if (uses.length > 0) throw new CalendarNotDeleted("calendar_in_use", row.name, uses);
    await repo.moveTargetsToCalendar(tx, id, fallback.id);
    await repo.deleteCalendar(tx, id);
    await repo.requestRecompute(tx);
  });
  recomputeSoon(deps);
}

/** The general policies' scope: no team, no condition. */
export const GENERAL: PolicyScope = { teamId: null, conditionId: null };

/** NotFound unless the team or SLA condition a policy is for exists. */
async function checkScope(db: Executor, scope: PolicyScope): Promise<void> {
  if (scope.teamId !== null && !(await repo.teamExists(db, scope.teamId))) {
    throw new NotFound("team", scope.teamId);
  }
  if (scope.conditionId !== null && !(await repo.findCondition(db, scope.conditionId))) {
    throw new NotFound("SLA condition", scope.conditionId);
  }
}

/**
 * Sets the SLA policy of a priority from its form (targets optional, in
 * minutes or hours, on a calendar); all targets empty removes it. `scope`:
 * the general policy (every ticket without another), a team's own, or an SLA
 * condition's (the tickets that meet it). Running clocks are recomputed in the
 * background.
 */
export async function savePolicy(
  deps: Deps,
  actor: Actor,
  priority: Priority,
  form: Record<string, string>,
  scope: PolicyScope = GENERAL,
): Promise<void> {
  requireAdmin(actor);
  if (scope.teamId !== null && scope.conditionId !== null) {
    throw new Error("a policy is for a team or for a condition, not both");
  }
  await checkScope(deps.db, scope);
  const parsed = parsePolicyForm(form);
  if (!parsed.ok) throw new Invalid(parsed.errors);
  const v = parsed.values;
  await deps.db.transaction(async (tx) => {
    if (!(await repo.findCalendar(tx, v.calendarId)))
      throw Invalid.field("calendarId", "must be chosen", "error.field.mustBeChosen");
    if (
      v.firstResponseMinutes === null &&
      v.nextResponseMinutes === null &&
      v.resolutionMinutes === null
    ) {
      await repo.deletePolicy(tx, priority, scope);
    } else await repo.upsertPolicy(tx, { priority, ...scope, ...v });
    await repo.requestRecompute(tx);
  });
  recomputeSoon(deps);
}

/** Removes a team's or an SLA condition's own policy for `priority` (its tickets get the next one). */
export async function removePolicy(
  deps: Deps,
  actor: Actor,
  priority: Priority,
  scope: PolicyScope,
): Promise<void> {
  requireAdmin(actor);
  await deps.db.transaction(async (tx) => {
    await repo.deletePolicy(tx, priority, scope);
    await repo.requestRecompute(tx);
  });
  recomputeSoon(deps);
}

// --- SLA conditions ---

export type SlaCondition = repo.SlaCondition;
export type PolicyScope = repo.PolicyScope;

export async function getCondition(deps: Deps, actor: Actor, id: number): Promise<SlaCondition> {
  requireAdmin(actor);
  const found = await repo.findCondition(deps.db, id);
  if (!found) throw new NotFound("SLA condition", id);
  return found;
}

/**
 * Creates (no `id`) or changes an SLA condition from its form: a name and
 * rule conditions on the fields that stay with a ticket (channel, requester,
 * subject), at least one. Running clocks are recomputed in the background
 * (which tickets meet it may have changed).
 */
export async function saveCondition(
  deps: Deps,
  actor: Actor,
  form: SlaConditionForm,
  id?: number,
): Promise<SlaCondition> {
  requireAdmin(actor);
  const errors: FieldError[] = [];
  const name = form.name.trim();
  if (name === "" || name.length > CONDITION_NAME_MAX) {
    errors.push(
      fieldProblem(
        "name",
        `is required (at most ${CONDITION_NAME_MAX} characters)`,
        "error.field.nameRequiredMax",
        { max: CONDITION_NAME_MAX },
      ),
    );
  }
  const parsed = await parseConditions(form, SLA_CONDITION_FIELDS);
  errors.push(...parsed.errors);
  if (parsed.errors.length === 0 && parsed.conditions.length === 0) {
    errors.push(
      fieldProblem(
        "conditions.0.field",
        "needs at least one condition",
        "error.field.needsCondition",
      ),
    );
  }
  if (errors.length > 0) throw new Invalid(errors);
  const values = { name, match: parsed.match, conditions: parsed.conditions };
  const saved = await deps.db.transaction(async (tx) => {
    let row: SlaCondition | undefined;
    if (id === undefined) row = await repo.insertCondition(tx, values);
    else if (await repo.updateCondition(tx, id, values)) row = await repo.findCondition(tx, id);
    if (!row) throw new NotFound("SLA condition", id);
    await repo.requestRecompute(tx);
    return row;
  });
  recomputeSoon(deps);
  return saved;
}

/** Deletes an SLA condition and its policies; its tickets get the next policy. */
export async function deleteCondition(deps: Deps, actor: Actor, id: number): Promise<void> {
  requireAdmin(actor);
  await deps.db.transaction(async (tx) => {
    if (!(await repo.deleteCondition(tx, id))) throw new NotFound("SLA condition", id);
    await repo.requestRecompute(tx);
  });
  recomputeSoon(deps);
}

/** Moves an SLA condition one place up or down in the order they are checked in. */
export async function moveCondition(
  deps: Deps,
  actor: Actor,
  id: number,
  direction: "up" | "down",
): Promise<void> {
  requireAdmin(actor);
  await deps.db.transaction(async (tx) => {
    if (!(await repo.findCondition(tx, id))) throw new NotFound("SLA condition", id);
    if (await repo.moveCondition(tx, id, direction)) await repo.requestRecompute(tx);
  });
  recomputeSoon(deps);
}

// --- for the teams feature: a team's calendar ---

/** Whether calendar `id` exists (a team may choose it). */
export async function calendarExists(db: Executor, id: number): Promise<boolean> {
  return (await repo.findCalendar(db, id)) !== undefined;
}

/**
 * Asks for the recomputation of running clocks in `tx` (a team's calendar
 * changed there); call `startRecompute` once it committed.
 */
export async function requestRecompute(tx: Tx): Promise<void> {
  await repo.requestRecompute(tx);
}

/** Starts an asked-for recomputation on this node now, without waiting for it. */
export function startRecompute(deps: Deps): void {
  recomputeSoon(deps);
}

/** The calendars a team may choose (any signed-in staff page may list them), by name. */
export async function listCalendarChoices(deps: Deps): Promise<{ id: number; name: string }[]> {
  await defaultCalendar(deps);
  return (await repo.listCalendars(deps.db)).map((c) => ({ id: c.id, name: c.name }));
}

// --- the clocks of a ticket (the in-transaction reaction) ---

/**
 * The policy of a ticket and the calendar its clocks run on: the rows this
 * ticket may get, decided by `choosePolicy` (policy.ts, the same rule the
 * recomputation applies).
 */
async function policyFor(
  db: Db,
  tx: Tx,
  ticket: TicketSnapshot,
): Promise<{ policy: repo.PolicyRow; calendar: CalendarRow } | undefined> {
  const { policies, conditions, teamCalendarId, requesterEmail } = await repo.candidatePolicies(
    tx,
    ticket.priority,
    ticket.teamId,
    ticket.requesterId,
  );
  const teamCalendars = new Map<number, number | null>();
  if (ticket.teamId !== null) teamCalendars.set(ticket.teamId, teamCalendarId);
  // The same facts the recomputation checks in SQL: the ticket's own fields, never a message's.
  const facts: TicketFacts = { ...ticket, body: ticket.description, requesterEmail };
  const conditionIds = conditions
    .filter((c) => matches(c.match, c.conditions, facts))
    .map((c) => c.id);
  const choice = choosePolicy(
    policies,
    teamCalendars,
    { ...ticket, conditionIds },
    conditions.map((c) => c.id),
  );
  if (!choice) return undefined;
  const calendar = await calendarRow(db, tx, choice.calendarId);
  return calendar ? { policy: choice.policy, calendar } : undefined;
}

function minutesFor(policy: repo.PolicyRow, kind: TargetKind): number | null {
  if (kind === "first_response") return policy.firstResponseMinutes;
  if (kind === "next_response") return policy.nextResponseMinutes;
  return policy.resolutionMinutes;
}

function clockOf(row: repo.TargetRow): Clock {
  return {
    targetMinutes: row.targetMinutes,
    warnPercent: row.warnPercent,
    resumedAt: row.resumedAt,
    usedMs: row.usedMs,
    pausedAt: row.pausedAt,
    dueAt: row.dueAt,
    warnAt: row.warnAt,
    metAt: row.metAt,
    breachedAt: row.breachedAt,
  };
}

/** One ticket's targets while its events are applied: loaded once, written when changed. */
class TicketClocks {
  readonly #calendars = new Map<number, Calendar>();
  constructor(
    readonly db: Db,
    readonly tx: Tx,
    readonly rows: repo.TargetRow[],
  ) {}

  current(kind: TargetKind): repo.TargetRow | undefined {
    return this.rows.findLast((r) => r.kind === kind);
  }

  async calendar(id: number): Promise<Calendar> {
    let cal = this.#calendars.get(id);
    if (!cal) {
      const row = await calendarRow(this.db, this.tx, id);
      cal = row ? calendarOf(row) : ALWAYS;
      this.#calendars.set(id, cal);
    }
    return cal;
  }

  /** Starts the clocks of `kinds` the policy has a target for, in one statement. */
  async start(
    ticketId: number,
    kinds: readonly TargetKind[],
    at: Date,
    policy: { policy: repo.PolicyRow; calendar: CalendarRow },
  ) {
    const calendar = calendarOf(policy.calendar);
    this.#calendars.set(policy.calendar.id, calendar);
    const rows = kinds.flatMap((kind) => {
      const minutes = minutesFor(policy.policy, kind);
      if (minutes === null) return [];
      const clock = startClock(
        calendar,
        { targetMinutes: minutes, warnPercent: policy.policy.warnPercent },
        at,
      );
      return [{ ticketId, kind, calendarId: policy.calendar.id, startedAt: at, ...clock }];
    });
    this.rows.push(...(await repo.insertTargets(this.tx, rows)));
  }

  /** Applies `move` to a target and writes it back when it changed. */
  async move(row: repo.TargetRow, move: (cal: Calendar, clock: Clock) => Clock): Promise<void> {
    const before = clockOf(row);
    const after = move(await this.calendar(row.calendarId), before);
    if (after === before) return;
    Object.assign(row, after);
    await repo.updateTarget(this.tx, row.id, after);
  }
}

function eventTime(event: DomainEvent): Date {
  return event.type === "ticket.created" ? event.ticket.createdAt : event.ticket.updatedAt;
}

/**
 * Keeps a ticket's SLA targets in step with what happened to it, in the
 * transaction of the change:
 * - created: first-response and resolution clocks start (if the policy has them);
 * - a public staff reply meets the first response and the running next response;
 *   a customer message after the first response starts a next-response clock;
 * - pending pauses every running clock, back to open/new resumes them with the
 *   business time they had left; solved meets the resolution (reopened: resumes);
 * - a priority or team change applies the policy (and calendar) the ticket now
 *   gets to the clocks not met.
 */
export async function applyTicketEvents(
  deps: Deps,
  tx: Tx,
  events: readonly DomainEvent[],
): Promise<void> {
  const byTicket = new Map<number, DomainEvent[]>();
  for (const e of events) {
    // Changes that move no clock (an assignment, a title) read no clocks either.
    if (e.type === "ticket.updated" && !e.changes.priority && !e.changes.teamId) continue;
    if (e.type === "message.created" && e.message.internal) continue;
    byTicket.set(e.ticket.id, [...(byTicket.get(e.ticket.id) ?? []), e]);
  }
  for (const [ticketId, list] of byTicket) {
    // A ticket created in this write has no clocks yet: one query less on every creation.
    const fresh = list[0]?.type === "ticket.created";
    const clocks = new TicketClocks(deps.db, tx, fresh ? [] : await repo.listTargets(tx, ticketId));
    let touched = false;
    for (const event of list) {
      touched = (await applyEvent(clocks, event)) || touched;
    }
    if (touched) await repo.refreshTicketDue(tx, ticketId);
  }
}

async function applyEvent(clocks: TicketClocks, event: DomainEvent): Promise<boolean> {
  const at = eventTime(event);
  const ticketId = event.ticket.id;
  const open = (kind: TargetKind) => {
    const row = clocks.current(kind);
    return row && row.metAt === null ? row : undefined;
  };
  switch (event.type) {
    case "ticket.created": {
      const policy = await policyFor(clocks.db, clocks.tx, event.ticket);
      if (!policy) return false;
      await clocks.start(ticketId, ["first_response", "resolution"], at, policy);
      return true;
    }
    case "message.created": {
      if (event.message.internal) return false;
      const fromCustomer = event.byRequester || event.authorRole === "customer";
      if (!fromCustomer) {
        let changed = false;
        for (const kind of ["first_response", "next_response"] as const) {
          const row = open(kind);
          if (row) {
            await clocks.move(row, (cal, c) => meetClock(cal, c, at));
            changed = true;
          }
        }
        return changed;
      }
      if (open("first_response") || open("next_response")) return false;
      const policy = await policyFor(clocks.db, clocks.tx, event.ticket);
      if (!policy || policy.policy.nextResponseMinutes === null) return false;
      await clocks.start(ticketId, ["next_response"], at, policy);
      return true;
    }
    case "ticket.status_changed": {
      const { from, to } = event.change;
      let changed = false;
      for (const row of [...clocks.rows]) {
        if (row !== clocks.current(row.kind)) continue;
        if (to === "pending" || to === "closed" || to === "solved") {
          const move =
            row.kind === "resolution" && to !== "pending"
              ? (cal: Calendar, c: Clock) => meetClock(cal, c, at)
              : (cal: Calendar, c: Clock) => pauseClock(cal, c, at);
          if (row.metAt === null) {
            await clocks.move(row, move);
            changed = true;
          }
        } else if (from === "pending" || from === "solved") {
          // Back to work: paused clocks resume; a resolution met by solving runs again.
          if (row.kind === "resolution" && row.metAt !== null && from === "solved") {
            await clocks.move(row, (cal, c) => reopenClock(cal, c, at));
            changed = true;
          } else if (row.metAt === null && row.pausedAt !== null) {
            await clocks.move(row, (cal, c) => resumeClock(cal, c, at));
            changed = true;
          }
        }
      }
      return changed;
    }
    case "ticket.updated": {
      // Another priority or team may mean another policy or calendar.
      if (!event.changes.priority && !event.changes.teamId) return false;
      const policy = await policyFor(clocks.db, clocks.tx, event.ticket);
      let changed = false;
      for (const kind of TARGET_KINDS) {
        const row = open(kind);
        const minutes = policy ? minutesFor(policy.policy, kind) : null;
        if (row && (minutes === null || !policy)) {
          await repo.deleteTarget(clocks.tx, row.id);
          clocks.rows.splice(clocks.rows.indexOf(row), 1);
          changed = true;
        } else if (row && policy && minutes !== null) {
          const calendar = calendarOf(policy.calendar);
          await clocks.move(row, (_cal, c) =>
            retarget(calendar, c, {
              targetMinutes: minutes,
              warnPercent: policy.policy.warnPercent,
            }),
          );
          await repo.updateTarget(clocks.tx, row.id, { calendarId: policy.calendar.id });
          changed = true;
        } else if (
          !row &&
          policy &&
          minutes !== null &&
          kind !== "next_response" &&
          !clocks.current(kind)
        ) {
          // A target the old priority did not have: counted from the ticket's creation.
          const firstAnswered = kind === "first_response" && event.ticket.status !== "new";
          if (firstAnswered || ["solved", "closed"].includes(event.ticket.status)) continue;
          await clocks.start(ticketId, [kind], event.ticket.createdAt, policy);
          const started = clocks.current(kind);
          if (started && event.ticket.status === "pending") {
            await clocks.move(started, (cal, c) => pauseClock(cal, c, at));
          }
          changed = true;
        }
      }
      return changed;
    }
    default:
      return false;
  }
}
