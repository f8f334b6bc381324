import type { Priority } from "../tickets/lifecycle.ts";
import type { PolicyRow } from "./sla.repo.ts";

/**
 * Which SLA policy and which calendar a ticket's clocks run on: the one rule,
 * pure. The reaction (sla.service.ts) asks it for one ticket with the rows it
 * loaded for that ticket; the recomputation (recompute.ts) asks it for every
 * ticket of a batch with every policy and team loaded once.
 */

/** What the rule needs of a ticket. */
export interface PolicySubject {
  teamId: number | null;
  priority: Priority;
}

/** A ticket's policy and the calendar its clocks use. */
export interface PolicyChoice {
  policy: PolicyRow;
  calendarId: number;
}

export interface PolicyIndex {
  choose(ticket: PolicySubject): PolicyChoice | undefined;
}

const key = (teamId: number | null, priority: Priority) => `${teamId ?? ""}:${priority}`;

/**
 * Indexes `policies` (any subset holding the ones a ticket may get) and the
 * teams' own calendars (team id -> calendar id, null: none chosen; teams not
 * listed have none). The rule:
 * - the policy is the ticket's team's own for its priority, else the general
 *   one (no team) for its priority, else none;
 * - the calendar is the team's when it chose one, else the policy's.
 */
export function policyIndex(
  policies: readonly PolicyRow[],
  teamCalendars: ReadonlyMap<number, number | null>,
): PolicyIndex {
  const byKey = new Map(policies.map((p) => [key(p.teamId, p.priority), p]));
  return {
    choose(ticket) {
      const policy =
        (ticket.teamId !== null ? byKey.get(key(ticket.teamId, ticket.priority)) : undefined) ??
        byKey.get(key(null, ticket.priority));
      if (!policy) return undefined;
      const teamCalendar = ticket.teamId === null ? null : teamCalendars.get(ticket.teamId);
      return { policy, calendarId: teamCalendar ?? policy.calendarId };
    },
  };
}

/** One ticket's choice: `policyIndex(...).choose(ticket)`. */
export function choosePolicy(
  policies: readonly PolicyRow[],
  teamCalendars: ReadonlyMap<number, number | null>,
  ticket: PolicySubject,
): PolicyChoice | undefined {
  return policyIndex(policies, teamCalendars).choose(ticket);
}
