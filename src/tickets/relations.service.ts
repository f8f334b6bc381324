import { type Actor, isStaff } from "../accounts/index.ts";
import type { Deps } from "../deps.ts";
import {
  type DomainEvent,
  isRecorded,
  type LinkRelation,
  type TicketRelation,
} from "../events/events.ts";
import { Conflict, Forbidden, Invalid, NotFound } from "../lib/errors.ts";
import { parse } from "../lib/validate.ts";
import { canSee, visibleTicket } from "./access.ts";
import { isEditable, type Status } from "./lifecycle.ts";
import * as repo from "./relations.repo.ts";
import { AddRelationInput, MAX_RELATIONS } from "./tickets.schemas.ts";
import { record, type Ticket, TicketClosed } from "./tickets.service.ts";

/** A link as one ticket sees it: what the other ticket is to it, and the other's title and status. */
export interface Relation {
  readonly id: number;
  readonly relation: LinkRelation;
  readonly ticket: { readonly id: number; readonly title: string; readonly status: Status };
}

/** What `other` is to `ticketId` in a stored row. */
export function relationFrom(
  row: { kind: repo.RelationRow["kind"]; ticketId: number },
  ticketId: number,
): LinkRelation {
  const mine = row.ticketId === ticketId;
  switch (row.kind) {
    case "related":
      return "related";
    case "child_of":
      return mine ? "parent" : "child";
    case "merged_into":
      return mine ? "merged_into" : "merged_from";
    case "split_from":
      return mine ? "split_from" : "split_into";
  }
}

function onlyStaff(actor: Actor): void {
  if (!isStaff(actor))
    throw new Forbidden("Only staff can see and change linked tickets.", "error.onlyStaff.links");
}

/**
 * A ticket's links, for staff: its parent, children and related tickets, each
 * with its status; tickets the reader may not see (a restricted team's) are
 * left out.
 */
export async function listRelations(
  deps: Deps,
  actor: Actor,
  ticketId: number,
): Promise<Relation[]> {
  await visibleTicket(deps.db, actor, ticketId);
  onlyStaff(actor);
  return visibleRelations(deps, actor, ticketId);
}

/** The links of a ticket already shown to `actor` (staff), as listRelations gives them. */
export async function visibleRelations(
  deps: Deps,
  actor: Actor,
  ticketId: number,
): Promise<Relation[]> {
  const rows = await repo.listRelations(deps.db, ticketId);
  const out: Relation[] = [];
  for (const row of rows) {
    if (!(await canSee(deps.db, actor, row.other))) continue;
    out.push({
      id: row.id,
      relation: relationFrom(row, ticketId),
      ticket: { id: row.other.id, title: row.other.title, status: row.other.status },
    });
  }
  return out;
}

/**
 * Staff link a ticket to another: the other becomes its parent, its child, or
 * a related ticket. One link per pair of tickets; a ticket has one parent at
 * most, and parents never loop back to a ticket's own children. Closed
 * tickets are final: neither this ticket nor a new parent or child may be
 * closed (a closed ticket can still be related). Both tickets' audit trails
 * say so.
 */
export async function addRelation(
  deps: Deps,
  actor: Actor,
  ticketId: number,
  input: AddRelationInput,
): Promise<Relation> {
  const data = parse(AddRelationInput, input);
  if (!isStaff(actor)) {
    await visibleTicket(deps.db, actor, ticketId);
    onlyStaff(actor);
  }
  return deps.db.transaction(async (tx) => {
    if (data.relation !== "related") await repo.lockParentLinks(tx);
    // Both rows are locked in id order, so two links between the same tickets queue up.
    // This ticket is read first either way: a 404 for it comes before anything about the other.
    const read = await visibleTicket(tx, actor, ticketId, { lock: ticketId < data.ticketId });
    if (data.ticketId === ticketId)
      throw Invalid.field("ticketId", "is this ticket itself", "error.field.linkSelf");
    const other = await visibleTicket(tx, actor, data.ticketId, { lock: true }).catch(
      (error: unknown) => {
        if (!(error instanceof NotFound)) throw error;
        throw Invalid.field("ticketId", "is not a ticket you can see", "error.field.linkUnknown", {
          id: data.ticketId,
        });
      },
    );
    // The higher of the two: locked now, and read again under its lock.
    const ticket =
      ticketId < other.id ? read : await visibleTicket(tx, actor, ticketId, { lock: true });
    if (!isEditable(ticket.status)) throw new TicketClosed();
    if (data.relation !== "related" && !isEditable(other.status))
      throw Invalid.field(
        "ticketId",
        "is closed: a closed ticket cannot become a parent or a child",
        "error.field.linkClosed",
        { id: other.id },
      );
    const existing = await repo.findRelationBetween(tx, ticketId, other.id);
    if (existing)
      throw Invalid.field(
        "ticketId",
        "is linked to this ticket already",
        "error.field.linkExists",
        {
          id: other.id,
        },
      );
    if ((await repo.listRelations(tx, ticketId)).length >= MAX_RELATIONS)
      throw Invalid.field(
        "ticketId",
        `a ticket has at most ${MAX_RELATIONS} links; remove one first`,
        "error.field.maxLinks",
        { max: MAX_RELATIONS },
      );
    // The child and the parent of the new link.
    const [child, parent] =
      data.relation === "parent" ? [ticketId, other.id] : [other.id, ticketId];
    if (data.relation !== "related") {
      const hasParent = await repo.findParentId(tx, child);
      if (hasParent !== undefined)
        throw Invalid.field(
          "ticketId",
          `#${child} has a parent already (#${hasParent}); remove that link first`,
          "error.field.linkHasParent",
          { child, parent: hasParent },
        );
      if (await repo.isAncestorOrSelf(tx, child, parent))
        throw Invalid.field(
          "ticketId",
          `#${child} is above #${parent} already: the link would make a loop`,
          "error.field.linkLoop",
          { child, parent },
        );
    }
    const row = await repo.insertRelation(tx, {
      kind: data.relation === "related" ? "related" : "child_of",
      ticketId: data.relation === "related" ? Math.min(ticketId, other.id) : child,
      otherId: data.relation === "related" ? Math.max(ticketId, other.id) : parent,
      createdBy: actor.id,
    });
    if (!row)
      throw new Conflict(
        "link_exists",
        "These tickets were linked meanwhile.",
        "error.linkedMeanwhile",
      );
    await record(deps, tx, linkEvents("ticket.linked", actor, row, ticket, other));
    return {
      id: row.id,
      relation: data.relation as LinkRelation,
      ticket: { id: other.id, title: other.title, status: other.status },
    };
  });
}

/** Staff remove a link (`relationId`, one of `ticketId`'s); both audit trails say so. */
export async function removeRelation(
  deps: Deps,
  actor: Actor,
  ticketId: number,
  relationId: number,
): Promise<void> {
  if (!isStaff(actor)) {
    await visibleTicket(deps.db, actor, ticketId);
    onlyStaff(actor);
  }
  await deps.db.transaction(async (tx) => {
    const ticket = await visibleTicket(tx, actor, ticketId, { lock: true });
    const found = (await repo.listRelations(tx, ticketId)).find((r) => r.id === relationId);
    if (!found || !(await canSee(tx, actor, found.other))) throw new NotFound("link", relationId);
    if (isRecorded(relationFrom(found, ticketId)))
      throw new Conflict(
        "link_recorded",
        "A link made by merging or splitting tickets stays: it records what happened.",
        "error.merge.linkRecorded",
      );
    const row = await repo.deleteRelation(tx, relationId);
    if (!row) throw new NotFound("link", relationId);
    const other = await visibleTicket(tx, actor, found.other.id);
    await record(deps, tx, linkEvents("ticket.unlinked", actor, row, ticket, other));
  });
}

/** The event on each of the two tickets, with the relation as seen from it. */
function linkEvents(
  type: "ticket.linked" | "ticket.unlinked",
  actor: Actor,
  row: repo.RelationRow,
  ticket: Ticket,
  other: Ticket,
): DomainEvent[] {
  const as = (id: number) => relationFrom(row, id) as TicketRelation;
  return [
    { type, actor, ticket, relation: as(ticket.id), otherId: other.id },
    { type, actor, ticket: other, relation: as(other.id), otherId: ticket.id },
  ];
}
