import { randomUUID } from "node:crypto";
import type { Deps } from "../deps.ts";
import { queueRuleMail, type RuleMailBody } from "../email/outbox.service.ts";
import type { Translator } from "../i18n/i18n.ts";
import { escapeHtml } from "../lib/html.ts";
import { ALWAYS, type Calendar, offsetAt } from "./business-time.ts";
import { DEFAULT_LEASE_MS, runSlaRecompute, type SlaPassOptions } from "./recompute.ts";
import * as repo from "./sla.repo.ts";
import { calendarOf } from "./sla.schemas.ts";

export { runSlaRecompute, type SlaPassOptions };

/**
 * The SLA's scheduled work, safe on any number of nodes (DESIGN.md section 8),
 * each job claimed with a lease like time rules (rules/scheduler.ts):
 * - notify: a near breach and a breach are each mailed once per target, to the
 *   assignee or, while a ticket has nobody, to its team's members who are not
 *   away (else the admins). The flag and the outbox row are written in one transaction with the
 *   target locked (`SKIP LOCKED`), so two nodes never send the same one twice.
 * - recompute (recompute.ts): after a calendar, policy or team calendar changed,
 *   every clock not met gets the due time of its (possibly new) target and calendar.
 */

type Notice = "near_breach" | "breach";

/**
 * "2026-03-09 10:00 Europe/Berlin (09:00 UTC)": the due time on the clock's own
 * calendar, where its business hours are, and in UTC.
 */
export function dueText(dueAt: Date, calendar: Calendar): string {
  const utc = dueAt.toISOString();
  if (calendar.timeZone === "UTC") return `${utc.slice(0, 16).replace("T", " ")} UTC`;
  const local = new Date(+dueAt + offsetAt(calendar, +dueAt)).toISOString();
  return `${local.slice(0, 16).replace("T", " ")} ${calendar.timeZone} (${utc.slice(11, 16)} UTC)`;
}

/**
 * The due time for one reader: `dueText` (the calendar's zone, where its
 * hours are, and UTC), and, for a reader in another zone, their own time too,
 * in their language with the zone named.
 */
function dueFor(t: Translator, dueAt: Date, calendar: Calendar): string {
  const due = dueText(dueAt, calendar);
  if (t.timeZone === "UTC" || t.timeZone === calendar.timeZone) return due;
  const local = new Intl.DateTimeFormat(t.locale, {
    dateStyle: "medium",
    timeStyle: "short",
    timeZone: t.timeZone,
  }).format(dueAt);
  return t.t("mail.sla.dueForReader", { due, local, zone: t.timeZone });
}

/** A notice in the recipient's language and zone. */
function describe(
  t: Translator,
  kind: repo.TargetKind,
  notice: Notice,
  dueAt: Date,
  calendar: Calendar,
  title: string,
  ticketId: number,
): RuleMailBody {
  // A string: ICU would group a number's digits (#1,234).
  const values = { target: kind, id: String(ticketId), title, due: dueFor(t, dueAt, calendar) };
  const text =
    notice === "breach" ? t.t("mail.sla.breachText", values) : t.t("mail.sla.dueSoonText", values);
  return {
    subject:
      notice === "breach"
        ? t.t("mail.sla.breachSubject", values)
        : t.t("mail.sla.dueSoonSubject", values),
    text,
    html: `<p>${escapeHtml(text)}</p>`,
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
    const calendar = await repo.findCalendar(tx, target.calendarId);
    const clock = calendar ? calendarOf(calendar) : ALWAYS;
    const { kind, dueAt } = target;
    const sent = notice;
    const mail = (t: Translator) => describe(t, kind, sent, dueAt, clock, ticket.title, ticket.id);
    if (ticket.assigneeId !== null) {
      await queueRuleMail(deps, tx, ticket, { kind: "assignee" }, mail);
    } else {
      // Unassigned: the ticket's team (those not away), else every active admin.
      const team = ticket.teamId === null ? [] : await repo.teamAddresses(tx, ticket.teamId);
      for (const address of team.length > 0 ? team : await repo.adminAddresses(tx)) {
        await queueRuleMail(deps, tx, ticket, { kind: "address", address }, mail);
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
