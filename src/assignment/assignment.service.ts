import { type Actor, setAwayFlag } from "../accounts/index.ts";
import type { Tx } from "../db/client.ts";
import type { Deps } from "../deps.ts";
import { ACTIVE_STATUSES } from "../tickets/lifecycle.ts";
import { assignWithReason } from "../tickets/tickets.service.ts";
import * as repo from "./assignment.repo.ts";

// Fewest-open compares counts up to this; beyond it, agents count as equally busy.
const FEWEST_OPEN_COUNT_MAX = 1_000;

/**
 * Assigns a ticket routed to a team that assigns automatically, inside the
 * transaction that routed it: the team row is locked (so concurrent
 * assignments in the team, on any node, take turns), a member is picked
 * (skipping away and disabled people and those at the team's cap) as the
 * team's cursor moves to them, and the assignment is written with its reason
 * in the audit trail (tickets' assignWithReason): three statements in all.
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
  const chosen = await repo.pickAndMoveCursor(
    tx,
    { ...team, assignment: team.assignment },
    countUpTo,
  );
  if (!chosen) return undefined;
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
