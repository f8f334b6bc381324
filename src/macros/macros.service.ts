import { type Actor, getUser, isAdmin, isStaff } from "../accounts/index.ts";
import * as canned from "../canned/canned.service.ts";
import type { Deps } from "../deps.ts";
import { withMacro } from "../events/bus.ts";
import * as fields from "../fields/index.ts";
import { type FieldError, Forbidden, fieldProblem, Invalid, NotFound } from "../lib/errors.ts";
import { parse, trimFields } from "../lib/validate.ts";
import { applyFieldAndTagActions, fieldChange } from "../rules/actions.ts";
import { parseAction, typedFieldAction } from "../rules/rules.service.ts";
import { findTag } from "../tags/index.ts";
import { listTeams } from "../teams/index.ts";
import { ACTIVE_STATUSES, isEditable, statusAfterReply } from "../tickets/lifecycle.ts";
import { listRelations } from "../tickets/relations.service.ts";
import * as tickets from "../tickets/tickets.service.ts";
import * as repo from "./macros.repo.ts";
import {
  MACRO_ACTION_TYPES,
  MACRO_ACTIONS_MAX,
  MACRO_TEXT_MAX,
  type MacroAction,
  type MacroActionInput,
  MacroInput,
  PERSONAL_MACROS_MAX,
  SHARED_MACROS_MAX,
} from "./macros.schemas.ts";

/**
 * Macros: one action that applies several changes to a ticket (a reply or a
 * note, status, priority, assignee, team, tags, custom fields), shown as a
 * preview first.
 * Shared ones are the admins'; personal ones their owner's alone (as canned
 * replies). Applying one runs the ordinary ticket services in one transaction
 * as the agent, each change marked with the macro (`withMacro`), so rules,
 * notifications and the audit trail see it like a hand edit.
 */

export interface Macro {
  id: number;
  name: string;
  /** Shared with all staff; else the viewer's own. */
  shared: boolean;
  /** Whether the viewer may change it: their own, or a shared one for an admin. */
  editable: boolean;
  actions: readonly MacroAction[];
  updatedAt: Date;
}

/** A macro's action as typed in its form (and the API): people by address, teams and tags by name. */
export interface MacroActionForm {
  type: string;
  value: string;
  body: string;
}

/** Customers never reach macros: to them they do not exist. */
function requireStaffActor(actor: Actor): void {
  if (!isStaff(actor)) throw new NotFound("macro");
}

function mayEdit(actor: Actor, row: repo.MacroRow): boolean {
  return row.ownerId === null ? isAdmin(actor) : row.ownerId === actor.id;
}

function toMacro(actor: Actor, row: repo.MacroRow): Macro {
  return {
    id: row.id,
    name: row.name,
    shared: row.ownerId === null,
    editable: mayEdit(actor, row),
    actions: row.actions,
    updatedAt: row.updatedAt,
  };
}

const isText = (type: string): type is "add_reply" | "add_note" =>
  type === "add_reply" || type === "add_note";

/** Whether a form row holds anything (empty rows are ignored). */
export const actionRowUsed = (row: MacroActionInput | MacroActionForm) =>
  (row.value ?? "").trim() !== "" || (row.body ?? "").trim() !== "";

/** The input checked, every action resolved; else Invalid naming each field (`actions.2.value`). */
async function validInput(
  deps: Deps,
  input: MacroInput,
): Promise<{ name: string; actions: MacroAction[] }> {
  const unknownTypes = (input.actions ?? []).flatMap((row, i) =>
    (MACRO_ACTION_TYPES as readonly string[]).includes(row.type)
      ? []
      : [fieldProblem(`actions.${i}.type`, "needs an action", "error.macros.chooseAction")],
  );
  if (unknownTypes.length > 0) throw new Invalid(unknownTypes);
  const data = parse(MacroInput, trimFields(input, ["name"]));
  const errors: FieldError[] = [];
  const actions: MacroAction[] = [];
  for (const [i, row] of data.actions.slice(0, MACRO_ACTIONS_MAX).entries()) {
    const at = `actions.${i}`;
    if (isText(row.type)) {
      const body = (row.body ?? "").trim();
      if (body === "") {
        errors.push(fieldProblem(`${at}.body`, "is required", "error.field.required"));
        continue;
      }
      if (body.length > MACRO_TEXT_MAX || body.includes("\0")) {
        errors.push(
          fieldProblem(
            `${at}.body`,
            `must be at most ${MACRO_TEXT_MAX} characters of text`,
            "error.field.maxText",
            { max: MACRO_TEXT_MAX },
          ),
        );
        continue;
      }
      const problem = await canned.placeholderProblem(deps, body, `${at}.body`);
      if (problem) errors.push(problem);
      else actions.push({ type: row.type, body });
      continue;
    }
    // The field and tag actions are the rules' own: the same words, the same checks.
    const action = await parseAction(
      deps,
      { type: row.type, value: row.value ?? "", to: "", address: "", subject: "", body: "" },
      at,
      errors,
    );
    if (action) actions.push(action as MacroAction);
  }
  if (actions.length === 0 && errors.length === 0) {
    errors.push(
      fieldProblem(
        "actions.0.type",
        "is required: a macro needs at least one action",
        "error.macros.actionRequired",
      ),
    );
  }
  if (errors.length > 0) throw new Invalid(errors);
  return { name: data.name, actions };
}

/** The macros `actor` may use (staff only): the shared ones, then their own, by name. */
export async function listMacros(deps: Deps, actor: Actor): Promise<Macro[]> {
  requireStaffActor(actor);
  return (await repo.listUsable(deps.db, actor.id)).map((row) => toMacro(actor, row));
}

/** One macro `actor` may use; another agent's own is NotFound, even for an admin. */
export async function getMacro(deps: Deps, actor: Actor, id: number): Promise<Macro> {
  requireStaffActor(actor);
  const row = await repo.findUsable(deps.db, id, actor.id);
  if (!row) throw new NotFound("macro", id);
  return toMacro(actor, row);
}

/** Creates a macro: the author's own, or shared with all staff (admins only). */
export async function createMacro(deps: Deps, actor: Actor, input: MacroInput): Promise<Macro> {
  requireStaffActor(actor);
  if (input.shared && !isAdmin(actor)) {
    throw new Forbidden("Only admins share macros.", "error.macros.onlyAdminsShare");
  }
  const data = await validInput(deps, input);
  const ownerId = input.shared ? null : actor.id;
  return deps.db.transaction(async (tx) => {
    await repo.lockOwner(tx, ownerId);
    const max = ownerId === null ? SHARED_MACROS_MAX : PERSONAL_MACROS_MAX;
    if ((await repo.countOwned(tx, ownerId)) >= max) {
      throw new Invalid(
        [],
        `There may be at most ${max} ${ownerId === null ? "shared" : "personal"} macros.`,
        "too_many",
        "error.macros.tooMany",
        { max },
      );
    }
    return toMacro(actor, await repo.insert(tx, { ownerId, ...data }));
  });
}

/** The macro `actor` may change: NotFound if they may not see it, Forbidden if only see it. */
async function editable(deps: Deps, actor: Actor, id: number): Promise<repo.MacroRow> {
  requireStaffActor(actor);
  const row = await repo.findUsable(deps.db, id, actor.id);
  if (!row) throw new NotFound("macro", id);
  if (!mayEdit(actor, row)) {
    throw new Forbidden("Only admins change shared macros.", "error.macros.onlyAdminsEdit");
  }
  return row;
}

/** Changes a macro's name and actions (its owner, or an admin for a shared one). */
export async function updateMacro(
  deps: Deps,
  actor: Actor,
  id: number,
  input: MacroInput,
): Promise<Macro> {
  await editable(deps, actor, id);
  const data = await validInput(deps, input);
  const row = await repo.update(deps.db, id, data);
  if (!row) throw new NotFound("macro", id);
  return toMacro(actor, row);
}

/** Deletes a macro (its owner, or an admin for a shared one). */
export async function deleteMacro(deps: Deps, actor: Actor, id: number): Promise<void> {
  await editable(deps, actor, id);
  if (!(await repo.remove(deps.db, id))) throw new NotFound("macro", id);
}

/** Names for the people, teams and tags a list of actions refers to. */
async function namesFor(deps: Deps, actor: Actor, actions: readonly MacroAction[]) {
  const people = new Map<number, { name: string; email: string }>();
  for (const a of actions) {
    if (a.type === "set_assignee" && a.value !== null && !people.has(a.value)) {
      const user = await getUser(deps, actor, a.value).catch(() => undefined);
      if (user) people.set(a.value, { name: user.name, email: user.email });
    }
  }
  const needsTeams = actions.some((a) => a.type === "set_team");
  const teams = new Map(
    needsTeams ? (await listTeams(deps, actor)).map((t) => [t.id, t.name] as const) : [],
  );
  const tags = new Map<number, string>();
  for (const a of actions) {
    if ((a.type === "add_tag" || a.type === "remove_tag") && !tags.has(a.value)) {
      const tag = await findTag(deps.db, a.value);
      if (tag) tags.set(a.value, tag.name);
    }
  }
  const defs = actions.some((a) => a.type === "set_field")
    ? new Map((await fields.allFields(deps.db)).map((d) => [d.id, d] as const))
    : new Map<number, fields.FieldDef>();
  return { people, teams, tags, defs };
}

/** A macro's actions as its form shows them (and the API gives them). */
export async function actionsAsTyped(
  deps: Deps,
  actor: Actor,
  actions: readonly MacroAction[],
): Promise<MacroActionForm[]> {
  const { people, teams, tags, defs } = await namesFor(deps, actor, actions);
  return actions.map((a): MacroActionForm => {
    switch (a.type) {
      case "add_reply":
      case "add_note":
        return { type: a.type, value: "", body: a.body };
      case "set_status":
      case "set_priority":
        return { type: a.type, value: a.value, body: "" };
      case "set_assignee":
        return {
          type: a.type,
          value: a.value === null ? "nobody" : (people.get(a.value)?.email ?? `#${a.value}`),
          body: "",
        };
      case "set_team":
        return {
          type: a.type,
          value: a.value === null ? "none" : (teams.get(a.value) ?? `#${a.value}`),
          body: "",
        };
      case "set_field":
        return { type: a.type, value: typedFieldAction([...defs.values()], a), body: "" };
      default:
        // A deleted tag shows as its old id: saving the macro then asks for a tag's name.
        return { type: a.type, value: tags.get(a.value) ?? `#${a.value}`, body: "" };
    }
  });
}

/** NotFound unless `actor` is staff and sees the ticket. */
export async function checkTicket(deps: Deps, actor: Actor, ticketId: number): Promise<void> {
  requireStaffActor(actor);
  await tickets.getTicket(deps, actor, ticketId);
}

/** What a macro would change on one ticket, field by field. */
export interface MacroPreview {
  ticketId: number;
  macro: { id: number; name: string };
  /** Each field that changes: old and new, as people, team names, status and priority names. */
  changes: {
    field: "status" | "priority" | "assignee" | "team";
    from: string | null;
    to: string | null;
  }[];
  /** Each custom field that changes: its old and new value as text (null: unset). */
  fieldChanges: { name: string; label: string; from: string | null; to: string | null }[];
  tagsAdded: string[];
  tagsRemoved: string[];
  /** Each reply or note, its placeholders filled in (Markdown). */
  replies: { internal: boolean; body: string }[];
  /** Solving or closing a parent: its children still open (applying then asks to confirm). */
  openChildren: number[];
  /** Closed tickets are final: the macro cannot be applied. */
  closed: boolean;
}

/**
 * What applying macro `macroId` to ticket `ticketId` would do, changing
 * nothing: each field's old and new value, tags put on and taken off, the
 * replies and notes with their placeholders filled in, open children when it
 * solves a parent, and whether the ticket is closed.
 */
export async function previewMacro(
  deps: Deps,
  actor: Actor,
  ticketId: number,
  macroId: number,
): Promise<MacroPreview> {
  const macro = await getMacro(deps, actor, macroId);
  const ticket = await tickets.getTicket(deps, actor, ticketId);
  const { people, teams, tags, defs } = await namesFor(deps, actor, macro.actions);
  if (ticket.assigneeId !== null && !people.has(ticket.assigneeId)) {
    const user = await getUser(deps, actor, ticket.assigneeId).catch(() => undefined);
    if (user) people.set(ticket.assigneeId, { name: user.name, email: user.email });
  }
  if (ticket.teamId !== null && !teams.has(ticket.teamId)) {
    for (const t of await listTeams(deps, actor)) teams.set(t.id, t.name);
  }
  const person = (id: number | null) => (id === null ? null : (people.get(id)?.name ?? `#${id}`));
  const team = (id: number | null) => (id === null ? null : (teams.get(id) ?? `#${id}`));

  const replies: MacroPreview["replies"] = [];
  let status = ticket.status;
  for (const a of macro.actions) {
    if (a.type !== "add_reply" && a.type !== "add_note") continue;
    const internal = a.type === "add_note";
    replies.push({ internal, body: await canned.fillForTicket(deps, actor, ticketId, a.body) });
    status = statusAfterReply(status, { side: "staff", internal });
  }
  const change = fieldChange(macro.actions);
  if (change.status !== undefined) status = change.status;
  const changes: MacroPreview["changes"] = [];
  if (status !== ticket.status) changes.push({ field: "status", from: ticket.status, to: status });
  if (change.priority !== undefined && change.priority !== ticket.priority)
    changes.push({ field: "priority", from: ticket.priority, to: change.priority });
  if (change.assigneeId !== undefined && change.assigneeId !== ticket.assigneeId)
    changes.push({
      field: "assignee",
      from: person(ticket.assigneeId),
      to: person(change.assigneeId),
    });
  if (change.teamId !== undefined && change.teamId !== ticket.teamId)
    changes.push({ field: "team", from: team(ticket.teamId), to: team(change.teamId) });

  // The last value each field gets; a field deleted or disabled since is left out
  // (applying then refuses: the macro needs saving again).
  const fieldValues = new Map<number, fields.FieldValue | null>();
  for (const a of macro.actions) {
    if (a.type === "set_field" && defs.get(a.field)?.disabled === false)
      fieldValues.set(a.field, a.value);
  }
  const fieldChanges: MacroPreview["fieldChanges"] = [];
  for (const [id, value] of fieldValues) {
    const def = defs.get(id) as fields.FieldDef;
    const from = fields.valueText(fields.storedValue(def, ticket.fields)) || null;
    const to = fields.valueText(value) || null;
    if (from !== to) fieldChanges.push({ name: def.name, label: def.label, from, to });
  }

  const current = await tickets.listTicketTags(deps, actor, ticketId);
  const has = (name: string) => current.some((c) => c.toLowerCase() === name.toLowerCase());
  const tagsAdded: string[] = [];
  const tagsRemoved: string[] = [];
  for (const a of macro.actions) {
    if (a.type !== "add_tag" && a.type !== "remove_tag") continue;
    const name = tags.get(a.value);
    if (name === undefined) continue;
    if (a.type === "add_tag" && !has(name) && !tagsAdded.includes(name)) tagsAdded.push(name);
    if (a.type === "remove_tag" && has(name) && !tagsRemoved.includes(name)) tagsRemoved.push(name);
  }

  const solving = ACTIVE_STATUSES.includes(ticket.status) && !ACTIVE_STATUSES.includes(status);
  const openChildren = solving
    ? (await listRelations(deps, actor, ticketId))
        .filter((r) => r.relation === "child" && ACTIVE_STATUSES.includes(r.ticket.status))
        .map((r) => r.ticket.id)
    : [];
  return {
    ticketId,
    macro: { id: macro.id, name: macro.name },
    changes,
    fieldChanges,
    tagsAdded,
    tagsRemoved,
    replies,
    openChildren,
    closed: !isEditable(ticket.status),
  };
}

/**
 * Applies a macro to a ticket as `actor`, in one transaction: `macro.applied`,
 * its replies and notes (placeholders filled in), then its field changes, then
 * its tags, each through the ticket services a hand edit uses and each marked
 * with the macro in the audit trail. Solving a parent with open children is
 * refused with OpenChildren unless `solveWithOpenChildren` (the agent confirmed).
 * Closed tickets are refused (TicketClosed). Returns the ticket after.
 */
export async function applyMacro(
  deps: Deps,
  actor: Actor,
  ticketId: number,
  macroId: number,
  options: { solveWithOpenChildren?: boolean | undefined } = {},
): Promise<tickets.Ticket> {
  const macro = await getMacro(deps, actor, macroId);
  // Read before the transaction: the texts as the preview showed them.
  const texts: { internal: boolean; content: string }[] = [];
  for (const a of macro.actions) {
    if (a.type !== "add_reply" && a.type !== "add_note") continue;
    const content = await canned.fillForTicket(deps, actor, ticketId, a.body);
    texts.push({ internal: a.type === "add_note", content });
  }
  await deps.db.transaction((tx) =>
    withMacro({ id: macro.id, name: macro.name }, async () => {
      await tickets.recordMacroApplied(deps, tx, actor, ticketId);
      for (const text of texts) {
        await tickets.addReply(deps, actor, ticketId, text, [], { tx });
      }
      await applyFieldAndTagActions(deps, tx, actor, ticketId, macro.actions, {
        solveWithOpenChildren: options.solveWithOpenChildren === true,
      });
    }),
  );
  return tickets.getTicket(deps, actor, ticketId);
}
