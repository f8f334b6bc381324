import { type Actor, getUser, isAdmin, isStaff } from "../accounts/index.ts";
import type { Deps } from "../deps.ts";
import * as fields from "../fields/index.ts";
import { type FieldError, Forbidden, fieldProblem, Invalid, NotFound } from "../lib/errors.ts";
import { parse, trimFields } from "../lib/validate.ts";
import * as tickets from "../tickets/tickets.service.ts";
import * as repo from "./canned.repo.ts";
import { CannedInput, PERSONAL_CANNED_MAX, SHARED_CANNED_MAX } from "./canned.schemas.ts";
import { BUILT_IN_PLACEHOLDERS, fillPlaceholders, placeholdersIn } from "./placeholders.ts";

export interface CannedReply {
  id: number;
  title: string;
  body: string;
  /** Shared with all staff; else the viewer's own. */
  shared: boolean;
  /** Whether the viewer may change it: their own, or a shared one for an admin. */
  editable: boolean;
  updatedAt: Date;
}

/**
 * Where placeholder values come from. Each source names its placeholders
 * (checked when a canned reply is saved) and gives their values for one
 * ticket, as plain text (escaped when filled in).
 */
export interface PlaceholderSource {
  names(deps: Deps): Promise<readonly string[]>;
  values(deps: Deps, actor: Actor, ticketId: number): Promise<ReadonlyMap<string, string>>;
}

/** The requester, the ticket and the agent inserting the reply. */
const builtInPlaceholders: PlaceholderSource = {
  names: async () => BUILT_IN_PLACEHOLDERS,
  async values(deps, actor, ticketId) {
    const ticket = await tickets.getTicket(deps, actor, ticketId);
    const requester = await getUser(deps, actor, ticket.requesterId);
    return new Map([
      ["requester.name", requester.name],
      ["requester.email", requester.email],
      ["ticket.id", String(ticket.id)],
      ["ticket.title", ticket.title],
      ["agent.name", actor.name],
    ]);
  },
};

/**
 * Custom ticket fields (src/fields): `{{field.<name>}}` for each enabled one,
 * its value as text (several choices joined with ", "); an unset value leaves
 * the placeholder as written, for the agent to see.
 */
const fieldPlaceholders: PlaceholderSource = {
  async names(deps) {
    return (await fields.allFields(deps.db))
      .filter((f) => !f.disabled)
      .map((f) => `field.${f.name}`);
  },
  async values(deps, actor, ticketId) {
    const [ticket, defs] = await Promise.all([
      tickets.getTicket(deps, actor, ticketId),
      fields.fieldsFor(deps.db, actor),
    ]);
    const out = new Map<string, string>();
    for (const def of defs) {
      const value = fields.storedValue(def, ticket.fields);
      if (value !== undefined) out.set(`field.${def.name}`, fields.valueText(value));
    }
    return out;
  },
};

/** Every source of placeholders: its names are accepted on save and filled on insert. */
const SOURCES: readonly PlaceholderSource[] = [builtInPlaceholders, fieldPlaceholders];

/** Customers never reach canned replies: to them they do not exist. */
function requireStaffActor(actor: Actor): void {
  if (!isStaff(actor)) throw new NotFound("canned reply");
}

function mayEdit(actor: Actor, row: repo.CannedRow): boolean {
  return row.ownerId === null ? isAdmin(actor) : row.ownerId === actor.id;
}

function toReply(actor: Actor, row: repo.CannedRow): CannedReply {
  return {
    id: row.id,
    title: row.title,
    body: row.body,
    shared: row.ownerId === null,
    editable: mayEdit(actor, row),
    updatedAt: row.updatedAt,
  };
}

/** Every placeholder name a canned reply may use, in the order the help lists them. */
export async function knownPlaceholders(deps: Deps): Promise<string[]> {
  return (await Promise.all(SOURCES.map((s) => s.names(deps)))).flat();
}

/** The input checked: lengths, and every placeholder known (else the unknown ones are named). */
async function validInput(deps: Deps, input: CannedInput): Promise<CannedInput> {
  const data = parse(CannedInput, trimFields(input, ["title"]));
  if (data.body.trim() === "") {
    throw Invalid.field("body", "is required", "error.field.required");
  }
  const problem = await placeholderProblem(deps, data.body, "body");
  if (problem) throw new Invalid([problem]);
  return data;
}

/**
 * The problem with `text`'s placeholders, on `field`: the unknown ones named;
 * undefined when all are known. Macros check their reply and note texts with it.
 */
export async function placeholderProblem(
  deps: Deps,
  text: string,
  field: string,
): Promise<FieldError | undefined> {
  const known = new Set(await knownPlaceholders(deps));
  const unknown = placeholdersIn(text).filter((name) => !known.has(name));
  if (unknown.length === 0) return undefined;
  const names = unknown.map((name) => `{{${name}}}`).join(", ");
  return fieldProblem(
    field,
    `has unknown placeholders: ${names}`,
    "error.canned.unknownPlaceholder",
    { names, count: unknown.length },
  );
}

/**
 * `text` with its placeholders filled in for one ticket, `actor` as the agent
 * (values escaped as plain Markdown text). The ticket must be one `actor` sees.
 */
export async function fillForTicket(
  deps: Deps,
  actor: Actor,
  ticketId: number,
  text: string,
): Promise<string> {
  const values = new Map<string, string>();
  for (const source of SOURCES) {
    for (const [name, value] of await source.values(deps, actor, ticketId)) values.set(name, value);
  }
  return fillPlaceholders(text, values);
}

/** The canned replies `actor` may use (staff only): the shared ones, then their own, by title. */
export async function listCannedReplies(deps: Deps, actor: Actor): Promise<CannedReply[]> {
  requireStaffActor(actor);
  return (await repo.listUsable(deps.db, actor.id)).map((row) => toReply(actor, row));
}

/** One canned reply `actor` may use; another agent's own is NotFound, even for an admin. */
export async function getCannedReply(deps: Deps, actor: Actor, id: number): Promise<CannedReply> {
  requireStaffActor(actor);
  const row = await repo.findUsable(deps.db, id, actor.id);
  if (!row) throw new NotFound("canned reply", id);
  return toReply(actor, row);
}

/**
 * Creates a canned reply: the author's own, or shared with all staff (admins
 * only). Unknown placeholders are refused, and each owner has a limit.
 */
export async function createCannedReply(
  deps: Deps,
  actor: Actor,
  input: CannedInput,
): Promise<CannedReply> {
  requireStaffActor(actor);
  if (input.shared && !isAdmin(actor)) {
    throw new Forbidden("Only admins share canned replies.", "error.canned.onlyAdminsShare");
  }
  const data = await validInput(deps, input);
  const ownerId = data.shared ? null : actor.id;
  return deps.db.transaction(async (tx) => {
    await repo.lockOwner(tx, ownerId);
    const max = ownerId === null ? SHARED_CANNED_MAX : PERSONAL_CANNED_MAX;
    if ((await repo.countOwned(tx, ownerId)) >= max) {
      throw new Invalid(
        [],
        `There may be at most ${max} ${ownerId === null ? "shared" : "personal"} canned replies.`,
        "too_many",
        ownerId === null ? "error.canned.tooManyShared" : "error.canned.tooManyPersonal",
        { max },
      );
    }
    const row = await repo.insert(tx, { ownerId, title: data.title, body: data.body });
    return toReply(actor, row);
  });
}

/** The canned reply `actor` may change: NotFound if they may not see it, Forbidden if only see it. */
async function editable(deps: Deps, actor: Actor, id: number): Promise<repo.CannedRow> {
  requireStaffActor(actor);
  const row = await repo.findUsable(deps.db, id, actor.id);
  if (!row) throw new NotFound("canned reply", id);
  if (!mayEdit(actor, row)) {
    throw new Forbidden("Only admins change shared canned replies.", "error.canned.onlyAdminsEdit");
  }
  return row;
}

/** Changes a canned reply's title and body (its owner, or an admin for a shared one). */
export async function updateCannedReply(
  deps: Deps,
  actor: Actor,
  id: number,
  input: CannedInput,
): Promise<CannedReply> {
  const existing = await editable(deps, actor, id);
  const data = await validInput(deps, { ...input, shared: existing.ownerId === null });
  const row = await repo.update(deps.db, id, { title: data.title, body: data.body });
  if (!row) throw new NotFound("canned reply", id);
  return toReply(actor, row);
}

/** Deletes a canned reply (its owner, or an admin for a shared one). */
export async function deleteCannedReply(deps: Deps, actor: Actor, id: number): Promise<void> {
  await editable(deps, actor, id);
  if (!(await repo.remove(deps.db, id))) throw new NotFound("canned reply", id);
}

/**
 * A canned reply as it reads on one ticket: every placeholder filled in with
 * this ticket's values and `actor` as the agent, the values escaped so they
 * stay plain text in the Markdown reply. The ticket must be one `actor` sees.
 */
export async function renderCannedReply(
  deps: Deps,
  actor: Actor,
  ticketId: number,
  id: number,
): Promise<{ id: number; title: string; body: string }> {
  const reply = await getCannedReply(deps, actor, id);
  return {
    id: reply.id,
    title: reply.title,
    body: await fillForTicket(deps, actor, ticketId, reply.body),
  };
}
