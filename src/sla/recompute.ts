import { randomUUID } from "node:crypto";
import type { Deps } from "../deps.ts";
import type { Calendar } from "./business-time.ts";
import { schedule } from "./clock.ts";
import { type PolicyIndex, policyIndex } from "./policy.ts";
import * as repo from "./sla.repo.ts";
import { calendarOf } from "./sla.schemas.ts";

/**
 * The recomputation (claimed with a lease, like the notices in scheduler.ts):
 * after a calendar, a policy, an SLA condition or a team's calendar changed,
 * every clock not met gets the due time of its (possibly new) target and
 * calendar, chosen by the same rule as a new ticket's (policy.ts; whether a
 * ticket meets an SLA condition is checked in SQL as it is read), in batches,
 * each batch one transaction that also records how far it got (resumed after a crash).
 * Apart from scheduler.ts so the admin services can start it without the mail code.
 */

export interface SlaPassOptions {
  /** As if it were this instant (tests move the clock instead of waiting). */
  now?: Date | undefined;
  batchSize?: number | undefined;
  leaseMs?: number | undefined;
  shouldStop?: (() => boolean) | undefined;
}

export const DEFAULT_LEASE_MS = 60_000;

type Batch = Parameters<typeof repo.writeRecomputed>[1];

const sameInstant = (a: Date | null, b: Date | null) =>
  a === null ? b === null : b !== null && +a === +b;

/** The new target and due times of one batch of clocks, and each ticket's due-first row. Pure. */
function recomputeBatch(
  rows: readonly repo.OpenTarget[],
  policies: PolicyIndex,
  calendarById: Map<number, Calendar>,
): Batch {
  const batch: Batch = { removed: [], targets: [], due: [], noneRunning: [] };
  // Per ticket: its earliest running due and warning instants, null while none runs.
  const running = new Map<number, Batch["due"][number] | null>();
  const queued = new Map<number, repo.OpenTarget["queue"]>();
  for (const row of rows) {
    if (!running.has(row.ticketId)) {
      running.set(row.ticketId, null);
      queued.set(row.ticketId, row.queue);
    }
    const choice = policies.choose(row);
    const policy = choice?.policy;
    const minutes = !policy
      ? null
      : row.kind === "first_response"
        ? policy.firstResponseMinutes
        : row.kind === "next_response"
          ? policy.nextResponseMinutes
          : policy.resolutionMinutes;
    const calendar = choice ? calendarById.get(choice.calendarId) : undefined;
    if (!choice || !policy || minutes === null || !calendar) {
      batch.removed.push(row.id);
      continue;
    }
    // A paused clock has no due time; a running one is scheduled anew (clock.ts).
    const { dueAt, warnAt } =
      row.pausedAt === null
        ? schedule(calendar, {
            targetMinutes: minutes,
            warnPercent: policy.warnPercent,
            resumedAt: row.resumedAt,
            usedMs: row.usedMs,
          })
        : { dueAt: row.dueAt, warnAt: row.warnAt };
    // Only what changed is written: most clocks of a small change keep their due times.
    if (
      !sameInstant(dueAt, row.dueAt) ||
      !sameInstant(warnAt, row.warnAt) ||
      minutes !== row.targetMinutes ||
      policy.warnPercent !== row.warnPercent ||
      choice.calendarId !== row.calendarId
    ) {
      batch.targets.push({
        id: row.id,
        calendarId: choice.calendarId,
        targetMinutes: minutes,
        warnPercent: policy.warnPercent,
        dueAt,
        warnAt,
      });
    }
    if (dueAt && warnAt) {
      const seen = running.get(row.ticketId);
      running.set(row.ticketId, {
        ticketId: row.ticketId,
        dueAt: seen && +seen.dueAt < +dueAt ? seen.dueAt : dueAt,
        warnAt: seen && +seen.warnAt < +warnAt ? seen.warnAt : warnAt,
        nearBreach: (seen?.nearBreach ?? false) || row.nearBreachNotified,
        breached: (seen?.breached ?? false) || row.breached,
      });
    }
  }
  for (const [ticketId, due] of running) {
    const now = queued.get(ticketId);
    if (!due) {
      if (now) batch.noneRunning.push(ticketId);
    } else if (
      !now ||
      +now.dueAt !== +due.dueAt ||
      +now.warnAt !== +due.warnAt ||
      now.nearBreach !== due.nearBreach ||
      now.breached !== due.breached
    ) {
      batch.due.push(due);
    }
  }
  return batch;
}

/**
 * One recomputation pass, if one was asked for: how many clocks it looked at
 * and how many of them changed (only those are written).
 * Ticket by ticket in batches, each written in a transaction that records how
 * far it got; the next batch is read and computed while the last one is written.
 */
export async function runSlaRecompute(
  deps: Deps,
  options: SlaPassOptions = {},
): Promise<{ clocks: number; rewritten: number }> {
  const token = randomUUID();
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const batchSize = options.batchSize ?? 5_000;
  const job = await repo.claimJob(deps.db, "recompute", token, leaseMs);
  const done = { clocks: 0, rewritten: 0 };
  if (!job) return done;
  let finished = false;
  let writing: Promise<boolean> | undefined;
  try {
    const [policies, calendars, teams, conditions] = await Promise.all([
      repo.listPolicies(deps.db),
      repo.listCalendars(deps.db),
      repo.listTeamCalendars(deps.db),
      repo.listConditions(deps.db),
    ]);
    const policyOf = policyIndex(
      policies,
      new Map(teams.map((t) => [t.id, t.calendarId])),
      conditions.map((c) => c.id),
    );
    // Only conditions with a policy decide anything: the others are not checked.
    const deciding = conditions.filter((c) => policies.some((p) => p.conditionId === c.id));
    const calendarById = new Map(calendars.map((c) => [c.id, calendarOf(c)]));
    let afterId = job.afterId;
    let renewedAt = Date.now();
    for (;;) {
      if (options.shouldStop?.()) return done;
      const { rows, done: last } = await repo.openTargetsAfter(
        deps.db,
        afterId,
        batchSize,
        deciding,
      );
      const batch = recomputeBatch(rows, policyOf, calendarById);
      afterId = rows.at(-1)?.ticketId ?? afterId;
      if (writing && !(await writing)) return done;
      const progress = afterId;
      writing = deps.db.transaction(async (tx) => {
        if (!(await repo.saveProgress(tx, token, progress))) return false;
        await repo.writeRecomputed(tx, batch);
        return true;
      });
      done.clocks += rows.length;
      done.rewritten += batch.targets.length + batch.removed.length;
      if (Date.now() - renewedAt > leaseMs / 3) {
        if (!(await repo.renewJob(deps.db, "recompute", token, leaseMs))) return done;
        renewedAt = Date.now();
      }
      if (last) break;
    }
    finished = (await writing) ?? true;
    writing = undefined;
    return done;
  } finally {
    await writing?.catch(() => false);
    await repo.releaseJob(deps.db, "recompute", token, finished ? job : undefined);
  }
}
