import { ACTIVE_STATUSES, type Status } from "./lifecycle.ts";

/** The staff dashboard's queues, each a fixed filter; counted for the sidebar. */
export const QUEUES = {
  unassigned: { label: "Unassigned", statuses: ACTIVE_STATUSES, assignee: "none" },
  mine: { label: "Mine", statuses: ACTIVE_STATUSES, assignee: "me" },
  // The pool of the teams the agent is in (src/teams).
  myTeams: {
    label: "My teams, unassigned",
    statuses: ACTIVE_STATUSES,
    assignee: "none",
    team: "mine",
  },
  open: { label: "All open", statuses: ["new", "open"] },
  pending: { label: "Pending", statuses: ["pending"] },
  // Years of finished tickets: a count would read QUEUE_COUNT_CAP index entries on
  // every desk view to say "10,000+", which tells an agent nothing. Not counted.
  done: { label: "Solved and closed", statuses: ["solved", "closed"], counted: false },
  // One team's active tickets (`team=ID`): linked, with its counts, from the desk's team list.
  team: { label: "Team", statuses: ACTIVE_STATUSES, counted: false, listed: false },
} as const satisfies Record<
  string,
  {
    label: string;
    statuses: readonly Status[];
    assignee?: "me" | "none";
    team?: "mine";
    counted?: false;
    /** false: not in the queue list (reached from the team list). */
    listed?: false;
  }
>;
export type QueueName = keyof typeof QUEUES;

/**
 * Queue counts stop here: agents need "how many" for working queues, while an
 * exact count of years of solved tickets would cost a scan of most of the table
 * on every page view. The desk shows "10,000+".
 */
export const QUEUE_COUNT_CAP = 10_000;
