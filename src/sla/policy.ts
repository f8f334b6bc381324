import type { Priority } from "../tickets/lifecycle.ts";
import type { PolicyRow } from "./sla.repo.ts";

/**
 * Which SLA policy and which calendar a ticket's clocks run on: the one rule,
 * pure. The reaction (sla.service.ts) asks it for one ticket with the rows it
 * loaded for that ticket; the recomputation (recompute.ts) asks it for every
 * ticket of a batch with every policy and team loaded once. Whether a ticket
 * meets an SLA condition is decided by the caller, in JavaScript or in SQL
 * (src/rules/conditions.ts evaluates conditions both ways, alike).
 */

/** What the rule needs of a ticket. */
export interface PolicySubject {
  teamId: number | null;
  priority: Priority;
  /** The SLA conditions the ticket meets, in any order (absent: none). */
  conditionIds?: readonly number[] | undefined;
}

/** A ticket's policy and the calendar its clocks use. */
export interface PolicyChoice {
  policy: PolicyRow;
  calendarId: number;
}

export interface PolicyIndex {
  choose(ticket: PolicySubject): PolicyChoice | undefined;
}

const key = (policy: Pick<PolicyRow, "teamId" | "conditionId" | "priority">) =>
  `${policy.teamId ?? ""}:${policy.conditionId ?? ""}:${policy.priority}`;

/**
 * Indexes `policies` (any subset holding the ones a ticket may get), the
 * teams' own calendars (team id -> calendar id, null: none chosen; teams not
 * listed have none) and the SLA conditions' order (ids, first wins). The rule:
 * - the policy is, for the ticket's priority: the first condition's (in
 *   `conditionOrder`) the ticket meets that has one, else its team's own, else
 *   the general one (no team, no condition), else none;
 * - the calendar is the team's when it chose one, else the policy's.
 */
export function policyIndex(
  policies: readonly PolicyRow[],
  teamCalendars: ReadonlyMap<number, number | null>,
  conditionOrder: readonly number[] = [],
): PolicyIndex {
  const byKey = new Map(policies.map((p) => [key(p), p]));
  const conditional = conditionOrder.filter((id) => policies.some((p) => p.conditionId === id));
  return {
    choose(ticket) {
      const { priority, teamId } = ticket;
      const met = ticket.conditionIds ?? [];
      let policy: PolicyRow | undefined;
      for (const conditionId of met.length > 0 ? conditional : []) {
        if (!met.includes(conditionId)) continue;
        policy = byKey.get(key({ teamId: null, conditionId, priority }));
        if (policy) break;
      }
      policy ??=
        (teamId !== null ? byKey.get(key({ teamId, conditionId: null, priority })) : undefined) ??
        byKey.get(key({ teamId: null, conditionId: null, priority }));
      if (!policy) return undefined;
      const teamCalendar = teamId === null ? null : teamCalendars.get(teamId);
      return { policy, calendarId: teamCalendar ?? policy.calendarId };
    },
  };
}

/** One ticket's choice: `policyIndex(...).choose(ticket)`. */
export function choosePolicy(
  policies: readonly PolicyRow[],
  teamCalendars: ReadonlyMap<number, number | null>,
  ticket: PolicySubject,
  conditionOrder: readonly number[] = [],
): PolicyChoice | undefined {
  return policyIndex(policies, teamCalendars, conditionOrder).choose(ticket);
}
