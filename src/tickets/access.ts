import { type Actor, isStaff } from "../accounts/index.ts";
import type { Executor } from "../db/client.ts";
import { NotFound } from "../lib/errors.ts";
import * as organisations from "../organisations/index.ts";
import * as teams from "../teams/index.ts";
import * as repo from "./tickets.repo.ts";

/**
 * Who may see what of a ticket: the one place it is decided, for pages and API
 * alike. Every read and write of a ticket, its messages, events and files goes
 * through `visibleTicket` (or `canSee` on a row already read); what is hidden
 * answers 404 naming what was asked for, never 403, so a stranger cannot tell
 * a ticket exists.
 */

/**
 * Its requester, and the requester's colleagues when their organisation shares
 * tickets; staff, unless the ticket's team is restricted and they are an
 * agent outside it (tickets without a team are open to all staff). A session
 * opened from a ticket link (`onlyTicketId`) sees that ticket and no other.
 */
export async function canSee(
  db: Executor,
  actor: Actor,
  ticket: Pick<repo.TicketRow, "requesterId" | "teamId"> & { id?: number },
): Promise<boolean> {
  if (actor.onlyTicketId !== undefined && actor.onlyTicketId !== ticket.id) return false;
  if (ticket.requesterId === actor.id) return true;
  // A customer: a colleague's ticket, when their organisation shares tickets.
  if (!isStaff(actor)) return organisations.sharesTickets(db, actor.id, ticket.requesterId);
  return ticket.teamId === null || !(await teams.hidesFrom(db, actor, ticket.teamId));
}

/**
 * Who may change a ticket they see (its status; staff also the rest): staff
 * and its requester. Colleagues who see it through their organisation read
 * and reply, nothing more.
 */
export function mayChange(actor: Actor, ticket: Pick<repo.TicketRow, "requesterId">): boolean {
  return isStaff(actor) || ticket.requesterId === actor.id;
}

/** Internal notes, their files and the audit trail: staff only. */
export function seesInternal(actor: Actor): boolean {
  return isStaff(actor);
}

/**
 * The same rule as `canSee` for lists, inside their own statement: the teams
 * whose tickets to leave out (a subquery; undefined when none can be hidden).
 */
export function hiddenTeams(db: Executor, actor: Actor) {
  return isStaff(actor) ? teams.hiddenTeamsQuery(db, actor) : undefined;
}

/**
 * Whose tickets a list shows, inside its own statement: customers their own
 * and, in an organisation that shares tickets, their colleagues' (a
 * subquery); staff whoever they asked for.
 */
export function listedRequesters(
  db: Executor,
  actor: Actor,
  asked: number | undefined,
): Pick<repo.TicketConditions, "requesterId" | "colleaguesOf"> {
  if (isStaff(actor)) return { requesterId: asked };
  return { requesterId: actor.id, colleaguesOf: organisations.colleaguesQuery(db, actor.id) };
}

/**
 * Ticket `id` if `actor` may see it, else NotFound("ticket", id). With `lock`,
 * the row is locked for the caller's transaction (writes).
 */
export async function visibleTicket(
  db: Executor,
  actor: Actor,
  id: number,
  options: { lock?: boolean } = {},
): Promise<repo.TicketRow> {
  const ticket = options.lock ? await repo.lockTicket(db, id) : await repo.findTicket(db, id);
  if (!ticket || !(await canSee(db, actor, ticket))) throw new NotFound("ticket", id);
  return ticket;
}

/** Attachment `id` if `actor` may download it (its ticket, and not an internal note's unless staff). */
export async function visibleAttachment(db: Executor, actor: Actor, id: number) {
  const found = await repo.findAttachment(db, id);
  const visible =
    found &&
    (await canSee(db, actor, { ...found, id: found.ticketId })) &&
    (!found.internal || seesInternal(actor));
  if (!found || !visible) throw new NotFound("attachment", id);
  return found.attachment;
}
