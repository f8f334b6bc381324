import type { Priority, Status } from "../lifecycle.ts";
import { SLA_STATE_LABELS, type SlaState } from "../sla.ts";

/** What each status means to a person reading a list. */
export const STATUS_LABELS: Record<Status, string> = {
  new: "New",
  open: "Open",
  pending: "Pending",
  solved: "Solved",
  closed: "Closed",
};

export const PRIORITY_LABELS: Record<Priority, string> = {
  low: "Low",
  normal: "Normal",
  high: "High",
  urgent: "Urgent",
};

/** A ticket's status as a small labelled badge (class `badge status-<status>` for the stylesheet). */
export function StatusBadge({ status }: { status: Status }) {
  return <span class={`badge status-${status}`}>{STATUS_LABELS[status]}</span>;
}

/** A ticket's priority as a small labelled badge (class `badge priority-<priority>`). */
export function PriorityBadge({ priority }: { priority: Priority }) {
  return <span class={`badge priority-${priority}`}>{PRIORITY_LABELS[priority]}</span>;
}

/** An SLA target's state (class `badge sla-<state>`): on track, due soon, breached, paused, met. */
export function SlaBadge({ state }: { state: SlaState }) {
  return <span class={`badge sla-${state.replace("_", "-")}`}>{SLA_STATE_LABELS[state]}</span>;
}
