import type { Actor } from "../accounts/index.ts";
import type { Tx } from "../db/client.ts";
import type { Deps } from "../deps.ts";
import * as fields from "../fields/index.ts";
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
 * Makes the field changes of `actions` (custom fields with them, in one
 * change), then their tag changes, on ticket `ticketId` in `tx` as `actor`. A
 * tag or a custom field deleted (or a field disabled) since the actions were
 * saved is NotFound (nothing is applied). Returns the ticket after the field
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
  const values = await customFieldValues(deps, tx, actions);
  let ticket: tickets.Ticket | undefined;
  if (Object.keys(change).length > 0 || values) {
    ticket = await tickets.updateTicket(
      deps,
      actor,
      ticketId,
      {
        ...change,
        ...(values ? { fields: values } : {}),
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

/**
 * The custom field values `actions` set, by field name as the ticket service
 * takes them (the last action for a field wins), or undefined when they set none.
 */
async function customFieldValues(
  deps: Deps,
  tx: Tx,
  actions: readonly { type: string }[],
): Promise<Record<string, fields.FieldValue | null> | undefined> {
  const sets = (actions as readonly Action[]).filter(
    (a): a is Extract<Action, { type: "set_field" }> => a.type === "set_field",
  );
  if (sets.length === 0) return undefined;
  const defs = await fields.allFields(deps.db, tx);
  const values: Record<string, fields.FieldValue | null> = {};
  for (const action of sets) {
    const def = defs.find((d) => d.id === action.field && !d.disabled);
    if (!def) throw new NotFound("field", action.field);
    values[def.name] = action.value;
  }
  return values;
}
