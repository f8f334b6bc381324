import { type Actor, isStaff } from "../accounts/index.ts";
import type { Deps } from "../deps.ts";
import { AppError, Forbidden, Invalid, type MessageArgs } from "../lib/errors.ts";
import { parse } from "../lib/validate.ts";
import { applyMacro } from "../macros/macros.service.ts";
import type { UpdateTicketInput } from "../tickets/tickets.schemas.ts";
import * as tickets from "../tickets/tickets.service.ts";
import { BULK_MAX, BulkChanges, type BulkOutcome } from "./bulk.schemas.ts";

/**
 * Bulk actions: one change (assign, status, priority, team, tags, or a macro)
 * to many tickets, each in its own transaction through the same service
 * functions a hand edit uses, so every rule and notification fires as if done
 * by hand. One ticket refused (closed, gone, not allowed) leaves the others changed.
 */

export interface BulkResult {
  id: number;
  outcome: BulkOutcome;
  /** Refused: the error's code, English message, and its catalog key for pages. */
  code?: string | undefined;
  message?: string | undefined;
  messageKey?: string | undefined;
  messageValues?: MessageArgs | undefined;
}

/** More ids than one bulk action takes: 422. */
export class TooManyTickets extends Invalid {
  override readonly status = 422;
  constructor(count: number) {
    super(
      [],
      `At most ${BULK_MAX} tickets at once (${count} given).`,
      "too_many_tickets",
      "error.bulk.tooMany",
      { max: BULK_MAX, count },
    );
  }
}

function requireStaffActor(actor: Actor): void {
  if (!isStaff(actor))
    throw new Forbidden("Only staff change tickets in bulk.", "error.bulk.onlyStaff");
}

/** The changes checked: at least one, and a macro alone. */
function checkChanges(input: BulkChanges): BulkChanges {
  const changes = parse(BulkChanges, input);
  const kinds = Object.entries(changes).filter(([, v]) =>
    Array.isArray(v) ? v.length > 0 : v !== undefined,
  );
  if (kinds.length === 0) {
    throw new Invalid([], "Choose a change to make.", "invalid", "error.bulk.noChange");
  }
  if (changes.macroId !== undefined && kinds.length > 1) {
    throw new Invalid(
      [],
      "A macro is applied alone: leave out the other changes.",
      "invalid",
      "error.bulk.macroAlone",
    );
  }
  return changes;
}

/** Tickets changed side by side by one bulk action. */
const BULK_CONCURRENCY = 4;

/** One ticket's outcome: changed, already so, or refused and why. */
async function changeTicket(
  deps: Deps,
  actor: Actor,
  id: number,
  changes: BulkChanges,
): Promise<BulkResult> {
  try {
    const changed = await changeOne(deps, actor, id, changes);
    return { id, outcome: changed ? "changed" : "unchanged" };
  } catch (error) {
    if (error instanceof AppError) {
      return {
        id,
        outcome: "refused",
        code: error.code,
        message: error.message,
        messageKey: error.messageKey,
        messageValues: error.messageValues,
      };
    }
    deps.log.error({ err: error, ticketId: id }, "bulk change failed");
    return {
      id,
      outcome: "refused",
      code: "unexpected",
      message: "An unexpected error stopped this change.",
      messageKey: "error.bulk.unexpected",
    };
  }
}

/** One ticket: its changes in one transaction; whether anything changed. */
async function changeOne(
  deps: Deps,
  actor: Actor,
  id: number,
  changes: BulkChanges,
): Promise<boolean> {
  if (changes.macroId !== undefined) {
    await applyMacro(deps, actor, id, changes.macroId);
    return true;
  }
  // Read once before: a field that differs is a change (updateTicket makes it or refuses).
  const before = await tickets.getTicket(deps, actor, id);
  const fields: UpdateTicketInput = {};
  if (changes.status !== undefined) fields.status = changes.status;
  if (changes.priority !== undefined) fields.priority = changes.priority;
  if (changes.assigneeId !== undefined)
    fields.assigneeId = changes.assigneeId === "me" ? actor.id : changes.assigneeId;
  if (changes.teamId !== undefined) fields.teamId = changes.teamId;
  const fieldsChange =
    (fields.status !== undefined && fields.status !== before.status) ||
    (fields.priority !== undefined && fields.priority !== before.priority) ||
    (fields.assigneeId !== undefined && fields.assigneeId !== before.assigneeId) ||
    (fields.teamId !== undefined && fields.teamId !== before.teamId);
  const add = changes.addTags ?? [];
  const remove = changes.removeTags ?? [];
  const tagging = add.length > 0 || remove.length > 0;
  const had = new Set(
    tagging ? (await tickets.listTicketTags(deps, actor, id)).map((n) => n.toLowerCase()) : [],
  );
  const tagsChange =
    add.some((n) => !had.has(n.trim().toLowerCase())) ||
    remove.some((n) => had.has(n.trim().toLowerCase()));
  await deps.db.transaction(async (tx) => {
    if (Object.keys(fields).length > 0) {
      await tickets.updateTicket(deps, actor, id, fields, { tx });
    }
    if (tagging) await tickets.changeTags(deps, actor, id, { add, remove }, { tx });
  });
  return fieldsChange || tagsChange;
}

/**
 * Makes `changes` to each ticket in `ids` (staff; at most BULK_MAX, else
 * TooManyTickets), each in its own transaction (a few side by side), the
 * results in the order given (each id once). Returns per ticket whether it changed, was already so, or was refused
 * and why; an unexpected failure on one ticket is logged and reported as refused.
 */
export async function bulkChange(
  deps: Deps,
  actor: Actor,
  ids: readonly number[],
  input: BulkChanges,
): Promise<BulkResult[]> {
  requireStaffActor(actor);
  const unique = [...new Set(ids)];
  if (unique.length > BULK_MAX) throw new TooManyTickets(unique.length);
  if (unique.length === 0) {
    throw new Invalid([], "Choose at least one ticket.", "invalid", "error.bulk.noTickets");
  }
  const changes = checkChanges(input);
  const results: BulkResult[] = new Array(unique.length);
  // A few tickets at a time, each in its own transaction (pool connections are left for others).
  let next = 0;
  const worker = async () => {
    while (next < unique.length) {
      const index = next++;
      results[index] = await changeTicket(deps, actor, unique[index] as number, changes);
    }
  };
  await Promise.all(Array.from({ length: Math.min(BULK_CONCURRENCY, unique.length) }, worker));
  return results;
}

/**
 * The ids of the tickets a desk list shows, in its order, at most `max` + 1 (so
 * the caller knows whether more match), read a page at a time.
 */
export async function matchingTicketIds(
  deps: Deps,
  actor: Actor,
  query: tickets.ListQuery,
  max = BULK_MAX,
): Promise<{ ids: number[]; more: boolean }> {
  requireStaffActor(actor);
  const ids: number[] = [];
  let cursor: string | undefined;
  do {
    const page = await tickets.listTickets(deps, actor, {
      ...query,
      cursor,
      limit: tickets.PAGE_SIZE_MAX,
      withSnippets: false,
    });
    ids.push(...page.tickets.map((t) => t.id));
    cursor = page.nextCursor;
  } while (cursor && ids.length <= max);
  return { ids: ids.slice(0, max), more: ids.length > max };
}
