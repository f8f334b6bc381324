import { randomUUID } from "node:crypto";
import type { Deps } from "../deps.ts";
import { queueRuleMail } from "../email/outbox.service.ts";
import type { Calendar } from "./business-time.ts";
import { retarget } from "./clock.ts";
import * as repo from "./sla.repo.ts";
import { calendarOf, TARGET_LABELS } from "./sla.schemas.ts";

/**
 * The SLA's scheduled work, safe on any number of nodes (DESIGN.md section 8),
 * each job claimed with a lease like time rules (rules/scheduler.ts):
 * - notify: a near breach and a breach are each mailed once per target, to the
 *   assignee or, while a ticket has nobody (and until teams exist), to the
 *   admins. The flag and the outbox row are written in one transaction with the
 *   target locked (`SKIP LOCKED`), so two nodes never send the same one twice.
 * - recompute: after a calendar or policy changed, every clock not met gets the
 *   due time of its (possibly new) target and calendar, in batches, each batch
 *   one transaction that also records how far it got (resumed after a crash).
 */

export interface SlaPassOptions {
  /** As if it were this instant (tests move the clock instead of waiting). */
  now?: Date | undefined;
  batchSize?: number | undefined;
  leaseMs?: number | undefined;
  shouldStop?: (() => boolean) | undefined;
}

const DEFAULT_LEASE_MS = 60_000;

type Notice = "near_breach" | "breach";

function describe(kind: repo.TargetKind, notice: Notice, dueAt: Date, title: string, id: number) {
  const what = TARGET_LABELS[kind];
  const due = `${dueAt.toISOString().slice(0, 16).replace("T", " ")} UTC`;
  return notice === "breach"
    ? {
        subject: `SLA breached: ${what.toLowerCase()} on #${id} ${title}`,
        text: `The ${what.toLowerCase()} target of ticket #${id} "${title}" was due at ${due} and has not been met.`,
      }
    : {
        subject: `SLA due soon: ${what.toLowerCase()} on #${id} ${title}`,
        text: `The ${what.toLowerCase()} target of ticket #${id} "${title}" is due at ${due}.`,
      };
}

/** Notifies one target if it is still due for a notice; returns what it sent. */
async function notifyOne(deps: Deps, targetId: number, now: Date): Promise<Notice | undefined> {
  return deps.db.transaction(async (tx) => {
    const found = await repo.lockTargetForNotify(tx, targetId);
    if (!found) return undefined;
    const { target, ticket } = found;
    if (target.metAt !== null || target.dueAt === null || ticket.status === "closed")
      return undefined;
    let notice: Notice | undefined;
    if (!target.breachNotified && +target.dueAt <= +now) notice = "breach";
    else if (!target.nearBreachNotified && target.warnAt && +target.warnAt <= +now)
      notice = "near_breach";
    if (!notice) return undefined;
    await repo.updateTarget(
      tx,
      target.id,
      notice === "breach"
        ? {
            breachNotified: true,
            nearBreachNotified: true,
            breachedAt: target.breachedAt ?? target.dueAt,
          }
        : { nearBreachNotified: true },
    );
    await repo.refreshTicketDue(tx, ticket.id);
    const mail = describe(target.kind, notice, target.dueAt, ticket.title, ticket.id);
    const html = `<p>${mail.text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`)}</p>`;
    if (ticket.assigneeId !== null) {
      await queueRuleMail(deps, tx, ticket, { kind: "assignee" }, { ...mail, html });
    } else {
      // Unassigned: the ticket's team (those not away), else every active admin.
      const team = ticket.teamId === null ? [] : await repo.teamAddresses(tx, ticket.teamId);
      for (const address of team.length > 0 ? team : await repo.adminAddresses(tx)) {
        await queueRuleMail(deps, tx, ticket, { kind: "address", address }, { ...mail, html });
      }
    }
    return notice;
  });
}

/** One notification pass; returns how many notices it sent. */
export async function runSlaNotifications(deps: Deps, options: SlaPassOptions = {}) {
  const token = randomUUID();
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const sent = { nearBreach: 0, breach: 0 };
  if (!(await repo.claimJob(deps.db, "notify", token, leaseMs))) return sent;
  try {
    const now = options.now ?? new Date();
    let renewedAt = Date.now();
    for (;;) {
      const ids = await repo.findToNotify(deps.db, now, options.batchSize ?? 200);
      let progress = false;
      for (const id of ids) {
        if (options.shouldStop?.()) return sent;
        if (Date.now() - renewedAt > leaseMs / 3) {
          if (!(await repo.renewJob(deps.db, "notify", token, leaseMs))) return sent;
          renewedAt = Date.now();
        }
        // A breach and a near breach found in one pass are two notices, one at a time.
        for (let i = 0; i < 2; i++) {
          const notice = await notifyOne(deps, id, now);
          if (!notice) break;
          progress = true;
          if (notice === "breach") {
            sent.breach++;
            break;
          }
          sent.nearBreach++;
        }
      }
      if (ids.length < (options.batchSize ?? 200) || !progress) return sent;
    }
  } finally {
    await repo.releaseJob(deps.db, "notify", token, undefined);
  }
}

type Batch = Parameters<typeof repo.writeRecomputed>[1];

/** The new target and due times of one batch of clocks, and each ticket's due-first row. Pure. */
function recomputeBatch(
  rows: Awaited<ReturnType<typeof repo.openTargetsAfter>>["rows"],
  policyOf: Map<string, repo.PolicyRow>,
  calendarById: Map<number, Calendar>,
): Batch {
  const batch: Batch = { removed: [], targets: [], due: [], noneRunning: [] };
  const running = new Map<number, Batch["due"][number] | null>();
  for (const row of rows) {
    if (!running.has(row.ticketId)) running.set(row.ticketId, null);
    const policy = policyOf.get(row.priority);
    const minutes = !policy
      ? null
      : row.kind === "first_response"
        ? policy.firstResponseMinutes
        : row.kind === "next_response"
          ? policy.nextResponseMinutes
          : policy.resolutionMinutes;
    const calendar = policy ? calendarById.get(policy.calendarId) : undefined;
    if (!policy || minutes === null || !calendar) {
      batch.removed.push(row.id);
      continue;
    }
    const target = { targetMinutes: minutes, warnPercent: policy.warnPercent };
    const clock = retarget(calendar, row, target);
    // Only what changed is written: most clocks of a small change keep their due times.
    const same = (a: Date | null, b: Date | null) =>
      a === null ? b === null : b !== null && +a === +b;
    if (
      !same(clock.dueAt, row.dueAt) ||
      !same(clock.warnAt, row.warnAt) ||
      minutes !== row.targetMinutes ||
      policy.warnPercent !== row.warnPercent ||
      policy.calendarId !== row.calendarId
    ) {
      batch.targets.push({
        id: row.id,
        calendarId: policy.calendarId,
        ...target,
        dueAt: clock.dueAt,
        warnAt: clock.warnAt,
      });
    }
    if (clock.dueAt && clock.warnAt) {
      const seen = running.get(row.ticketId);
      running.set(row.ticketId, {
        ticketId: row.ticketId,
        dueAt: seen && +seen.dueAt < +clock.dueAt ? seen.dueAt : clock.dueAt,
        warnAt: seen && +seen.warnAt < +clock.warnAt ? seen.warnAt : clock.warnAt,
        nearBreach: (seen?.nearBreach ?? false) || row.nearBreachNotified,
        breached: (seen?.breached ?? false) || row.breachedAt !== null,
      });
    }
  }
  const queued = new Map(rows.map((r) => [r.ticketId, r]));
  for (const [ticketId, due] of running) {
    const now = queued.get(ticketId);
    if (!due) {
      if (now?.queueDueAt) batch.noneRunning.push(ticketId);
    } else if (
      !now?.queueDueAt ||
      +now.queueDueAt !== +due.dueAt ||
      +(now.queueWarnAt ?? 0) !== +due.warnAt ||
      now.queueNearBreach !== due.nearBreach ||
      now.queueBreached !== due.breached
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
    const [policies, calendars] = await Promise.all([
      repo.listPolicies(deps.db),
      repo.listCalendars(deps.db),
    ]);
    const policyOf = new Map<string, repo.PolicyRow>(policies.map((p) => [p.priority, p]));
    const calendarById = new Map(calendars.map((c) => [c.id, calendarOf(c)]));
    let afterId = job.afterId;
    let renewedAt = Date.now();
    for (;;) {
      if (options.shouldStop?.()) return done;
      const { rows, done: last } = await repo.openTargetsAfter(deps.db, afterId, batchSize);
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

/** Both passes now and every `intervalMs` after the last ended, until stopped. */
export function startSlaScheduler(deps: Deps, intervalMs: number): { stop(): Promise<void> } {
  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  const leaseMs = Math.max(5_000, 2 * intervalMs);
  const pass = () => {
    const options = { leaseMs, shouldStop: () => stopping };
    running = runSlaRecompute(deps, options)
      .then(() => runSlaNotifications(deps, options))
      .then(
        (sent) => {
          if (sent.breach + sent.nearBreach > 0) deps.log.info(sent, "SLA notices sent");
        },
        (error: unknown) => deps.log.error({ err: error }, "SLA pass failed"),
      )
      .finally(() => {
        running = undefined;
        if (!stopping) {
          timer = setTimeout(pass, intervalMs);
          timer.unref();
        }
      });
  };
  pass();
  return {
    async stop() {
      stopping = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
