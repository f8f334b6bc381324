import { sql } from "drizzle-orm";
import { type Actor, setAwayFlag } from "../accounts/index.ts";
import type { Tx } from "../db/client.ts";
import type { Deps } from "../deps.ts";
import { ACTIVE_STATUSES } from "../tickets/lifecycle.ts";
import { assignPicked, assignWithReason } from "../tickets/tickets.service.ts";
import * as repo from "./assignment.repo.ts";

/**
 * Assigns a ticket routed to a team that assigns automatically, inside the
 * transaction that routed it: the team row is locked (so concurrent
 * assignments in the team, on any node, take turns), then one statement picks
 * a member (skipping away and disabled people and those at the team's cap),
 * moves the team's cursor to them and assigns the ticket with the reason in
 * the audit trail (tickets' assignPicked): two statements in all. A ticket
 * nobody can take stays unassigned, in the team's queue.
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
  const pick = repo.pickAndMoveCursor(tx, { ...team, assignment: team.assignment }, (open) =>
    team.assignment === "round_robin"
      ? sql`${`round-robin in team ${team.name}`}::text`
      : sql`${`fewest open tickets in team ${team.name} (`}::text || ${open} || ' open)'`,
  );
  const assigned = await assignPicked(deps, tx, ticketId, pick);
  return assigned?.assigneeId ?? undefined;
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
