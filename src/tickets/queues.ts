import { ACTIVE_STATUSES, type Status } from "./lifecycle.ts";

/** The staff dashboard's queues, each a fixed filter; counted for the sidebar. */
export const QUEUES = {
  unassigned: { label: "Unassigned", statuses: ACTIVE_STATUSES, assignee: "none" },
  mine: { label: "Mine", statuses: ACTIVE_STATUSES, assignee: "me" },
  open: { label: "All open", statuses: ["new", "open"] },
  pending: { label: "Pending", statuses: ["pending"] },
  done: { label: "Solved and closed", statuses: ["solved", "closed"] },
} as const satisfies Record<
  string,
  { label: string; statuses: readonly Status[]; assignee?: "me" | "none" }
>;
export type QueueName = keyof typeof QUEUES;
