import { sql } from "drizzle-orm";
import {
  boolean,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
} from "drizzle-orm/pg-core";
import type { MessageArgs } from "../../lib/errors.ts";
import { tickets } from "./tickets.ts";

/** A trigger reacts to a ticket event; an automation (time rule) to a clock running out. */
export const ruleKind = pgEnum("rule_kind", ["trigger", "automation"]);

/**
 * Automation rules, edited by admins (src/rules). Conditions and actions are
 * validated data (rules/rules.schemas.ts), stored as JSONB so later features
 * (tags, teams, business hours, webhooks) add kinds without a migration.
 */
export const rules = pgTable(
  "rules",
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    kind: ruleKind().notNull(),
    name: text().notNull(),
    enabled: boolean().notNull().default(true),
    /** Rules of a kind run in ascending position (admins reorder them). */
    position: integer().notNull(),
    /** Triggers: the event that runs the rule (ticket_created, customer_replied, ...). */
    event: text(),
    /** Automations: the clock (created, updated, solved, pending, customer_reply, agent_reply)... */
    clock: text(),
    /** ...and how many hours after it starts the rule is due. */
    hours: integer(),
    /** all: every condition must hold; any: at least one. */
    match: text().notNull().default("all"),
    conditions: jsonb().notNull().default(sql`'[]'::jsonb`),
    actions: jsonb().notNull().default(sql`'[]'::jsonb`),
    /** Scheduler lease (automations): until when a node holds the rule, and which claim. */
    leaseUntil: timestamp({ withTimezone: true, precision: 3 }),
    leaseToken: text(),
    /** When a scheduler pass last finished this rule. */
    checkedAt: timestamp({ withTimezone: true, precision: 3 }),
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [index("rules_kind_position_idx").on(t.kind, t.position, t.id)],
);

/**
 * One row per time rule that fired on a ticket for one occurrence of its clock
 * (the instant the clock started): written in the same transaction as the
 * rule's actions, so an action happens once, or again only after a crash
 * rolled it back.
 */
export const ruleFirings = pgTable(
  "rule_firings",
  {
    ruleId: integer()
      .notNull()
      .references(() => rules.id, { onDelete: "cascade" }),
    ticketId: integer()
      .notNull()
      .references(() => tickets.id, { onDelete: "cascade" }),
    occurrence: timestamp({ withTimezone: true, precision: 3 }).notNull(),
    firedAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.ruleId, t.ticketId, t.occurrence] }),
    index("rule_firings_ticket_idx").on(t.ticketId),
  ],
);

/** Why a rule did not act: a refused action (rolled back alone) or a loop cut. Shown to admins. */
export const ruleFailures = pgTable(
  "rule_failures",
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    ruleId: integer()
      .notNull()
      .references(() => rules.id, { onDelete: "cascade" }),
    ticketId: integer().references(() => tickets.id, { onDelete: "cascade" }),
    /** English, as the refusing service said it (the API's words); shown where there is no key. */
    reason: text().notNull(),
    /** The reason as a catalog key and its values, so the rules page says it in the reader's language. */
    reasonKey: text(),
    reasonValues: jsonb().$type<MessageArgs>(),
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [index("rule_failures_rule_idx").on(t.ruleId, t.id)],
);
