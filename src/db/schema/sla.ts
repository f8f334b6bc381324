import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  text,
  timestamp,
  unique,
} from "drizzle-orm/pg-core";
import { slaCalendars } from "./calendars.ts";
import { teams } from "./teams.ts";
import { ticketPriority, tickets } from "./tickets.ts";

/**
 * SLA conditions: named groups of rule conditions (src/rules/conditions.ts,
 * only fields that do not change with the work on a ticket: channel, requester,
 * subject) whose tickets get policies of their own, checked in `position`
 * order before a team's own and the general policy (src/sla/policy.ts).
 */
export const slaConditions = pgTable("sla_conditions", {
  id: integer().primaryKey().generatedAlwaysAsIdentity(),
  name: text().notNull(),
  /** "all" or "any" of the conditions. */
  match: text().notNull().default("all"),
  conditions: jsonb().notNull().default(sql`'[]'::jsonb`),
  /** The first condition (lowest position) a ticket meets with a policy for its priority wins. */
  position: integer().notNull(),
  createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  updatedAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
});

/**
 * SLA policies: targets in business minutes per priority, on a calendar. A
 * general policy (no team, no condition) applies to every ticket; a team's
 * own policy for a priority overrides it, and a condition's policy overrides
 * both for the tickets that meet it (src/sla/policy.ts `choosePolicy`). One
 * policy per (team, condition, priority), the general one included: NULLS NOT
 * DISTINCT; a policy is for a team or for a condition, never both.
 */
export const slaPolicies = pgTable(
  "sla_policies",
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    priority: ticketPriority().notNull(),
    /** The team whose tickets it is for; null: every team (and tickets without one). */
    teamId: integer().references(() => teams.id, { onDelete: "cascade" }),
    /** The condition whose tickets it is for; null: not a condition's. */
    conditionId: integer().references(() => slaConditions.id, { onDelete: "cascade" }),
    calendarId: integer()
      .notNull()
      .references(() => slaCalendars.id),
    /** Targets in business minutes; null: no such target. */
    firstResponseMinutes: integer(),
    nextResponseMinutes: integer(),
    resolutionMinutes: integer(),
    /** A near breach is notified when this share of a target has elapsed. */
    warnPercent: integer().notNull().default(80),
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    unique("sla_policies_scope_priority_key")
      .on(t.teamId, t.conditionId, t.priority)
      .nullsNotDistinct(),
    check("sla_policies_one_scope", sql`${t.teamId} is null or ${t.conditionId} is null`),
  ],
);

export const slaTargetKind = pgEnum("sla_target_kind", [
  "first_response",
  "next_response",
  "resolution",
]);

/**
 * One SLA clock of a ticket. Written by the SLA reaction in the transaction
 * of the ticket change (src/sla/sla.reaction.ts). A next-response target gets a
 * new row per customer message that waits for an answer, so met or breached
 * stays recorded per occurrence for reports.
 *
 * The clock runs in business time from `resumed_at`; while the ticket is
 * pending it is paused (`paused_at` set, `due_at` null) and `used_ms` holds
 * the business time already spent.
 */
export const ticketSlaTargets = pgTable(
  "ticket_sla_targets",
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    ticketId: integer()
      .notNull()
      .references(() => tickets.id, { onDelete: "cascade" }),
    kind: slaTargetKind().notNull(),
    calendarId: integer()
      .notNull()
      .references(() => slaCalendars.id),
    /** The target in business minutes. */
    targetMinutes: integer().notNull(),
    warnPercent: integer().notNull(),
    startedAt: timestamp({ withTimezone: true, precision: 3 }).notNull(),
    /** When the clock last started running (the start, or the end of the last pause). */
    resumedAt: timestamp({ withTimezone: true, precision: 3 }).notNull(),
    /** Business milliseconds spent before `resumed_at`. */
    usedMs: bigint({ mode: "number" }).notNull().default(0),
    pausedAt: timestamp({ withTimezone: true, precision: 3 }),
    /** When the target runs out, and when it is nearly out; null while paused or met. */
    dueAt: timestamp({ withTimezone: true, precision: 3 }),
    warnAt: timestamp({ withTimezone: true, precision: 3 }),
    metAt: timestamp({ withTimezone: true, precision: 3 }),
    breachedAt: timestamp({ withTimezone: true, precision: 3 }),
    nearBreachNotified: boolean().notNull().default(false),
    breachNotified: boolean().notNull().default(false),
  },
  (t) => [
    // A ticket's targets in order (the reaction), and the recomputation's walk ticket by ticket.
    index("ticket_sla_targets_ticket_idx").on(t.ticketId, t.id),
    // Running clocks by due time: the "due first" queue, the breach scheduler
    // and the recomputation walk only these.
    index("ticket_sla_targets_running_due_idx")
      .on(t.dueAt, t.ticketId)
      .where(sql`${t.metAt} is null and ${t.dueAt} is not null`),
    index("ticket_sla_targets_running_warn_idx")
      .on(t.warnAt)
      .where(sql`${t.metAt} is null and ${t.warnAt} is not null and not ${t.nearBreachNotified}`),
  ],
);

/**
 * Each ticket with a running clock and the earliest due time among them: what
 * the "due first" queue walks (one row per ticket, so keyset pages are
 * stable). Kept by the SLA reaction with the targets, in the same transaction.
 */
export const ticketSlaDue = pgTable(
  "ticket_sla_due",
  {
    ticketId: integer()
      .primaryKey()
      .references(() => tickets.id, { onDelete: "cascade" }),
    dueAt: timestamp({ withTimezone: true, precision: 3 }).notNull(),
    /** The earliest near-breach instant among them. */
    warnAt: timestamp({ withTimezone: true, precision: 3 }).notNull(),
    /** Whether one of them was notified as nearly due, or as breached, by the scheduler. */
    nearBreach: boolean().notNull().default(false),
    breached: boolean().notNull().default(false),
  },
  (t) => [index("ticket_sla_due_idx").on(t.dueAt, t.ticketId)],
);

/**
 * Background work of the SLA feature, claimed with a lease like time rules:
 * `recompute` (due times of running clocks after a calendar or policy change,
 * resumed from `after_id` after a crash) and `notify` (the single row the
 * near-breach and breach pass holds while it runs).
 */
export const slaJobs = pgTable("sla_jobs", {
  name: text().primaryKey(),
  /** Set when work is wanted; cleared when a pass finished it. */
  requestedAt: timestamp({ withTimezone: true, precision: 3 }),
  /** recompute: the last ticket whose clocks are done (it walks ticket by ticket). */
  afterId: integer().notNull().default(0),
  leaseUntil: timestamp({ withTimezone: true, precision: 3 }),
  leaseToken: text(),
  finishedAt: timestamp({ withTimezone: true, precision: 3 }),
});
