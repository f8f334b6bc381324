import type { Actor } from "../accounts/index.ts";
import type { Tx } from "../db/client.ts";
import type { Deps } from "../deps.ts";
import { NotFound } from "../lib/errors.ts";
import { findTag } from "../tags/index.ts";
import type { Priority, Status } from "../tickets/lifecycle.ts";
import * as tickets from "../tickets/tickets.service.ts";
import type { Action } from "./rules.schemas.ts";

/**
 * The field and tag actions rules and macros share (a macro's actions are the
 * rules' own types): what they change, and the change made through the ticket
 * services a hand edit uses.
 */

/** The ticket fields `actions` set (the last of each kind wins). */
export function fieldChange(actions: readonly { type: string }[]) {
  const change: {
    status?: Status;
    priority?: Priority;
    assigneeId?: number | null;
    teamId?: number | null;
  } = {};
  for (const action of actions as readonly Action[]) {
    if (action.type === "set_status") change.status = action.value;
    else if (action.type === "set_priority") change.priority = action.value;
    else if (action.type === "set_assignee") change.assigneeId = action.value;
    else if (action.type === "set_team") change.teamId = action.value;
  }
  return change;
}

/**
 * Makes the field changes of `actions`, then their tag changes, on ticket
 * `ticketId` in `tx` as `actor`. A tag deleted since the actions were saved
 * is NotFound (nothing is applied). Returns the ticket after the field
 * changes, or undefined when there were none.
 */
export async function applyFieldAndTagActions(
  deps: Deps,
  tx: Tx,
  actor: Actor,
  ticketId: number,
  actions: readonly { type: string }[],
  options: { solveWithOpenChildren: boolean; skipRequiredFields?: boolean },
): Promise<tickets.Ticket | undefined> {
  const change = fieldChange(actions);
  let ticket: tickets.Ticket | undefined;
  if (Object.keys(change).length > 0) {
    ticket = await tickets.updateTicket(
      deps,
      actor,
      ticketId,
      {
        ...change,
        ...(change.status && options.solveWithOpenChildren ? { solveWithOpenChildren: true } : {}),
      },
      { tx, ...(options.skipRequiredFields ? { skipRequiredFields: true } : {}) },
    );
  }
  const add: string[] = [];
  const remove: string[] = [];
  for (const action of actions as readonly Action[]) {
    if (action.type !== "add_tag" && action.type !== "remove_tag") continue;
    const tag = await findTag(tx, action.value);
    if (!tag) throw new NotFound("tag", action.value);
    (action.type === "add_tag" ? add : remove).push(tag.name);
  }
  if (add.length > 0 || remove.length > 0) {
    await tickets.changeTags(deps, actor, ticketId, { add, remove }, { tx });
  }
  return ticket;
}
