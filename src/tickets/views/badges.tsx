import { DEFAULT_TRANSLATOR, type MessageKey, type Translator } from "../../i18n/i18n.ts";
import type { Priority, Status } from "../lifecycle.ts";
import type { SlaState } from "../sla.ts";

/** What each status means to a person reading a list (catalog keys). */
const STATUS_KEYS: Record<Status, MessageKey> = {
  new: "status.new",
  open: "status.open",
  pending: "status.pending",
  solved: "status.solved",
  closed: "status.closed",
};

const PRIORITY_KEYS: Record<Priority, MessageKey> = {
  low: "priority.low",
  normal: "priority.normal",
  high: "priority.high",
  urgent: "priority.urgent",
};

const SLA_STATE_KEYS: Record<SlaState, MessageKey> = {
  on_track: "sla.onTrack",
  due_soon: "sla.dueSoon",
  breached: "sla.breached",
  paused: "sla.paused",
  met: "sla.met",
  met_late: "sla.metLate",
};

type T = Translator["t"];

/** A status's name in the reader's language (English where a page is not converted yet). */
export function statusLabel(status: Status, t: T = DEFAULT_TRANSLATOR.t): string {
  return t(STATUS_KEYS[status]);
}

/** A priority's name in the reader's language. */
export function priorityLabel(priority: Priority, t: T = DEFAULT_TRANSLATOR.t): string {
  return t(PRIORITY_KEYS[priority]);
}

/** A ticket's status as a small labelled badge (class `badge status-<status>` for the stylesheet). */
export function StatusBadge({ status, t }: { status: Status; t?: T }) {
  return <span class={`badge status-${status}`}>{statusLabel(status, t)}</span>;
}

/** A ticket's priority as a small labelled badge (class `badge priority-<priority>`). */
export function PriorityBadge({ priority, t }: { priority: Priority; t?: T }) {
  return <span class={`badge priority-${priority}`}>{priorityLabel(priority, t)}</span>;
}

/** An SLA target's state (class `badge sla-<state>`): on track, due soon, breached, paused, met. */
export function SlaBadge({ state, t = DEFAULT_TRANSLATOR.t }: { state: SlaState; t?: T }) {
  return <span class={`badge sla-${state.replace("_", "-")}`}>{t(SLA_STATE_KEYS[state])}</span>;
}
