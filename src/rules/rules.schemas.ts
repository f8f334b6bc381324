import { CHANNELS } from "../events/events.ts";
import type { FieldValue } from "../fields/index.ts";
import { PRIORITIES, STATUSES } from "../tickets/lifecycle.ts";

/**
 * What a rule is made of, as data: the shapes stored in `rules.conditions` and
 * `rules.actions` (JSONB). A new condition field or action type is one entry
 * here, one case in conditions.ts (JS and SQL) and, for actions, one in
 * engine.ts. Validation lives in rules.service.ts (it needs the database to
 * resolve people) and reports each problem on its form field
 * (`conditions.2.value`, `actions.0.body`).
 */

export const RULE_KINDS = ["trigger", "automation"] as const;
export type RuleKind = (typeof RULE_KINDS)[number];

/**
 * When a trigger runs. Names only, here and in the lists below: pages take
 * the words for each from the catalogs (views/rules.tsx).
 */
export const TRIGGER_EVENTS = [
  "ticket_created",
  "ticket_updated",
  "customer_replied",
  "agent_replied",
  "note_added",
  "status_changed",
] as const;
export type TriggerEvent = (typeof TRIGGER_EVENTS)[number];

/** The clock a time rule counts hours from. */
export const CLOCKS = [
  "created",
  "updated",
  "solved",
  "pending",
  "customer_reply",
  "agent_reply",
] as const;
export type Clock = (typeof CLOCKS)[number];

/** A time rule can wait at most a year. */
export const HOURS_MAX = 24 * 366;

export const MATCHES = ["all", "any"] as const;
export type Match = (typeof MATCHES)[number];

/** Condition fields: the operators each takes and what its value is. */
export const CONDITION_FIELDS = {
  status: { ops: ["is", "is_not"], values: STATUSES },
  priority: { ops: ["is", "is_not"], values: PRIORITIES },
  channel: { ops: ["is", "is_not"], values: CHANNELS },
  requester_email: { ops: ["is", "is_not"], values: "email" },
  requester_domain: { ops: ["is", "is_not"], values: "domain" },
  subject: { ops: ["contains", "not_contains"], values: "text" },
  body: { ops: ["contains", "not_contains"], values: "text" },
  assignee: { ops: ["is", "is_not"], values: "staff" },
  team: { ops: ["is", "is_not"], values: "team" },
  tag: { ops: ["is", "is_not"], values: "tag" },
  field: { ops: ["is", "is_not"], values: "field" },
} as const;
export type ConditionField = keyof typeof CONDITION_FIELDS;
export type ConditionOp = "is" | "is_not" | "contains" | "not_contains";

/**
 * One condition. Values: a status/priority/channel name; an address or a
 * domain (stored lower case); text (matched case-insensitively); for the
 * assignee a staff user id, or null for "nobody"; for the team a team id, or
 * null for "no team"; for a tag its id ("tag is X": the ticket carries it), so
 * a renamed tag still matches; for a custom field `"<field id>"` ("is set")
 * or `"<field id>=<JSON value>"` (its value is, or contains, that one: see
 * conditions.ts `fieldCondition`).
 */
export interface Condition {
  readonly field: ConditionField;
  readonly op: ConditionOp;
  readonly value: string | number | null;
}

export const MAIL_RECIPIENTS = ["requester", "assignee", "all_agents", "address"] as const;
export type MailRecipient = (typeof MAIL_RECIPIENTS)[number];

export const ACTION_TYPES = [
  "set_status",
  "set_priority",
  "set_assignee",
  "set_team",
  "add_note",
  "send_mail",
  "add_tag",
  "remove_tag",
  "set_field",
] as const;
export type ActionType = (typeof ACTION_TYPES)[number];

export type Action =
  | { readonly type: "set_status"; readonly value: (typeof STATUSES)[number] }
  | { readonly type: "set_priority"; readonly value: (typeof PRIORITIES)[number] }
  /** A staff user id, or null to unassign. */
  | { readonly type: "set_assignee"; readonly value: number | null }
  /** A team id, or null for no team. */
  | { readonly type: "set_team"; readonly value: number | null }
  | { readonly type: "add_note"; readonly body: string }
  /** A tag id: put on the ticket, or taken off. */
  | { readonly type: "add_tag" | "remove_tag"; readonly value: number }
  /** A custom field by id, and the value it gets as stored (null: unset). */
  | { readonly type: "set_field"; readonly field: number; readonly value: FieldValue | null }
  | {
      readonly type: "send_mail";
      readonly to: MailRecipient;
      /** Only for `to: "address"`. */
      readonly address?: string | undefined;
      readonly subject: string;
      readonly body: string;
    };

/** A rule as stored and run. */
export interface Rule {
  readonly id: number;
  readonly kind: RuleKind;
  readonly name: string;
  readonly enabled: boolean;
  readonly position: number;
  readonly event: TriggerEvent | null;
  readonly clock: Clock | null;
  readonly hours: number | null;
  readonly match: Match;
  readonly conditions: readonly Condition[];
  readonly actions: readonly Action[];
}

/**
 * A rule as an admin submits it: every value a string, exactly as typed (the
 * form keeps it on a 422). Condition and action rows left empty are ignored.
 */
export interface RuleForm {
  kind: string;
  name: string;
  enabled: boolean;
  event: string;
  clock: string;
  hours: string;
  match: string;
  conditions: { field: string; op: string; value: string }[];
  actions: {
    type: string;
    value: string;
    to: string;
    address: string;
    subject: string;
    body: string;
  }[];
}

/** A form's condition rows as submitted (`conditions.3.value`), every value as typed. */
export function conditionRowsOf(get: (name: string) => string): RuleForm["conditions"] {
  return Array.from({ length: CONDITIONS_MAX }, (_, i) => ({
    field: get(`conditions.${i}.field`),
    op: get(`conditions.${i}.op`),
    value: get(`conditions.${i}.value`),
  }));
}

/** Rows up to the last one used: rows the admin left empty are not shown back as used rows. */
export function lastUsed<T>(rows: readonly T[], used: (row: T) => boolean): T[] {
  let n = 0;
  rows.forEach((row, i) => {
    if (used(row)) n = i + 1;
  });
  return rows.slice(0, n);
}

/** Whether a condition row holds anything. */
export const conditionRowUsed = (c: RuleForm["conditions"][number]) =>
  c.field !== "" || c.value !== "";

export const NAME_MAX = 200;
export const TEMPLATE_MAX = 10_000;
export const SUBJECT_MAX = 250;
export const TEXT_VALUE_MAX = 500;
/** Rows the form offers (and the most a rule may have). */
export const CONDITIONS_MAX = 10;
export const ACTIONS_MAX = 10;
