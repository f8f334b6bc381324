import { type Actor, setAwayFlag } from "../accounts/index.ts";
import type { Tx } from "../db/client.ts";
import type { Deps } from "../deps.ts";
import { ACTIVE_STATUSES } from "../tickets/lifecycle.ts";
import { assignWithReason } from "../tickets/tickets.service.ts";
import * as repo from "./assignment.repo.ts";

/** Who gets the next ticket, or undefined when nobody can take one. */
export function pickAssignee(
  mode: "round_robin" | "fewest_open",
  members: readonly { id: number; open: number }[],
  lastAssigneeId: number | null,
  cap: number | null,
): { id: number; open: number } | undefined {
  const eligible = members.filter((m) => cap === null || m.open < cap);
  if (eligible.length === 0) return undefined;
  // The rotation: members by id, starting after the last one assigned.
  const after = lastAssigneeId ?? 0;
  const rotation = [
    ...eligible.filter((m) => m.id > after),
    ...eligible.filter((m) => m.id <= after),
  ];
  if (mode === "round_robin") return rotation[0];
  // Fewest open tickets; among equals, the next in the rotation (so ties take turns).
  let best = rotation[0];
  for (const m of rotation) if (best && m.open < best.open) best = m;
  return best;
}

// Fewest-open compares counts up to this; beyond it, agents count as equally busy.
const FEWEST_OPEN_COUNT_MAX = 1_000;

/**
 * Assigns a ticket routed to a team that assigns automatically, inside the
 * transaction that routed it: the team row is locked (so concurrent
 * assignments in the team, on any node, take turns), a member is picked
 * (skipping away and disabled people and those at the team's cap), and the
 * assignment goes through updateTicket with its reason in the audit trail.
 * A ticket nobody can take stays unassigned, in the team's queue.
 */
export async function autoAssign(
  deps: Deps,
  tx: Tx,
  ticketId: number,
): Promise<number | undefined> {
  // The ticket as it is now (an earlier reaction may have assigned or moved it), and its
  // team locked when it assigns.
  const found = await repo.lockRouting(tx, ticketId);
  if (!found || found.assigneeId !== null || !ACTIVE_STATUSES.includes(found.status)) {
    return undefined;
  }
  const team = found.team;
  if (team.assignment === "off") return undefined;
  const countUpTo =
    team.assignment === "fewest_open"
      ? Math.max(team.maxOpenPerAgent ?? 0, FEWEST_OPEN_COUNT_MAX)
      : team.maxOpenPerAgent;
  const members = await repo.availableMembers(tx, team.id, countUpTo);
  const chosen = pickAssignee(team.assignment, members, team.lastAssigneeId, team.maxOpenPerAgent);
  if (!chosen) return undefined;
  await repo.setLastAssignee(tx, team.id, chosen.id);
  const reason =
    team.assignment === "round_robin"
      ? `round-robin in team ${team.name}`
      : `fewest open tickets in team ${team.name} (${chosen.open} open)`;
  const assigned = await assignWithReason(
    deps,
    tx,
    ticketId,
    { from: null, to: chosen.id },
    reason,
  );
  return assigned ? chosen.id : undefined;
}

/**
 * Marks the actor away or back. Going away, each of their teams that asks for
 * it gets their unanswered tickets back in its pool (unassigned, with the
 * reason in the audit trail), in the same transaction.
 */
export async function setAway(deps: Deps, actor: Actor, away: boolean): Promise<void> {
  await deps.db.transaction(async (tx) => {
    const changed = await setAwayFlag(tx, actor, away);
    if (!changed || !away) return;
    for (const team of await repo.handBackTeams(tx, actor.id)) {
      for (const ticketId of await repo.unansweredTickets(tx, actor.id, team.id)) {
        await assignWithReason(
          deps,
          tx,
          ticketId,
          { from: actor.id, to: null },
          `handed back to team ${team.name}: ${actor.name} is away`,
        );
      }
    }
  });
}
