import { type Actor, isAdmin, isStaff } from "../accounts/index.ts";
import type { SavedViewFilters } from "../db/schema/index.ts";
import type { Deps } from "../deps.ts";
import { Forbidden, Invalid, NotFound } from "../lib/errors.ts";
import { parse, trimFields } from "../lib/validate.ts";
import { DEFAULT_QUEUE, type DeskFilters, parseDeskQuery } from "../tickets/desk-query.ts";
import { parseSearchQuery } from "../tickets/search-query.ts";
import * as tickets from "../tickets/tickets.service.ts";
import * as repo from "./saved-views.repo.ts";
import {
  PERSONAL_VIEWS_MAX,
  SHARED_VIEWS_MAX,
  VIEW_FILTERS,
  ViewChange,
  type ViewFilters,
  ViewInput,
} from "./saved-views.schemas.ts";

export interface SavedView {
  id: number;
  name: string;
  /** Shared with all staff; else the viewer's own. */
  shared: boolean;
  /** Whether the viewer may change it: their own, or a shared one for an admin. */
  editable: boolean;
  /** Its place among the shared views or its owner's, from 1. */
  position: number;
  /** The desk's filters it keeps (every one present: "" when unset). */
  filters: DeskFilters;
  updatedAt: Date;
}

/** Customers never reach saved views: to them they do not exist. */
function requireStaffActor(actor: Actor): void {
  if (!isStaff(actor)) throw new NotFound("view");
}

function mayEdit(actor: Actor, row: repo.SavedViewRow): boolean {
  return row.ownerId === null ? isAdmin(actor) : row.ownerId === actor.id;
}

/** Stored filters as the desk reads them (a requester and a cursor are never kept). */
export function deskFilters(stored: SavedViewFilters): DeskFilters {
  const filters: DeskFilters = {
    queue: DEFAULT_QUEUE,
    status: "",
    priority: "",
    assignee: "",
    team: "",
    organisation: "",
    requester: "",
    requesterId: "",
    q: "",
    tag: "",
    sort: "",
    cursor: "",
  };
  for (const key of VIEW_FILTERS) {
    const value = stored[key];
    if (typeof value === "string" && value !== "")
      (filters as unknown as Record<string, string>)[key] = value;
  }
  return filters;
}

function toView(actor: Actor, row: repo.SavedViewRow, position: number): SavedView {
  return {
    id: row.id,
    name: row.name,
    shared: row.ownerId === null,
    editable: mayEdit(actor, row),
    position,
    filters: deskFilters(row.filters),
    updatedAt: row.updatedAt,
  };
}

/** Rows with their place in their group (shared, or one owner's), from 1. */
function numbered(actor: Actor, rows: readonly repo.SavedViewRow[]): SavedView[] {
  const next = new Map<number | null, number>();
  return rows.map((row) => {
    const position = (next.get(row.ownerId) ?? 0) + 1;
    next.set(row.ownerId, position);
    return toView(actor, row, position);
  });
}

/**
 * The filters checked as the desk checks its address (a filter it does not
 * know is refused, a search it cannot read says where), kept without the empty ones.
 */
function validFilters(input: ViewFilters): SavedViewFilters {
  const kept: SavedViewFilters = {};
  for (const key of VIEW_FILTERS) {
    const value = input[key]?.trim();
    if (value) kept[key] = value;
  }
  parseDeskQuery(kept);
  parseSearchQuery(kept.q ?? "", { staff: true });
  return kept;
}

/** The views `actor` may use (staff only): the shared ones, then their own, each in its order. */
export async function listViews(deps: Deps, actor: Actor): Promise<SavedView[]> {
  requireStaffActor(actor);
  return numbered(actor, await repo.listUsable(deps.db, actor.id));
}

/** One view `actor` may use; another agent's own is NotFound, even for an admin. */
export async function getView(deps: Deps, actor: Actor, id: number): Promise<SavedView> {
  requireStaffActor(actor);
  const row = await repo.findUsable(deps.db, id, actor.id);
  if (!row) throw new NotFound("view", id);
  const group = await repo.listOwned(deps.db, row.ownerId);
  return toView(actor, row, group.findIndex((r) => r.id === id) + 1);
}

/**
 * Saves a desk search as a view: the author's own, or shared with all staff
 * (admins only), last in its group. Filters the desk would refuse are refused.
 */
export async function createView(deps: Deps, actor: Actor, input: ViewInput): Promise<SavedView> {
  requireStaffActor(actor);
  if (input.shared && !isAdmin(actor)) {
    throw new Forbidden("Only admins share views.", "error.views.onlyAdminsShare");
  }
  const data = parse(ViewInput, trimFields(input, ["name"]));
  const filters = validFilters(data.filters);
  const ownerId = data.shared ? null : actor.id;
  return deps.db.transaction(async (tx) => {
    await repo.lockOwner(tx, ownerId);
    const group = await repo.listOwned(tx, ownerId);
    const max = ownerId === null ? SHARED_VIEWS_MAX : PERSONAL_VIEWS_MAX;
    if (group.length >= max) {
      throw new Invalid(
        [],
        `There may be at most ${max} ${ownerId === null ? "shared" : "personal"} views.`,
        "too_many",
        ownerId === null ? "error.views.tooManyShared" : "error.views.tooManyPersonal",
        { max },
      );
    }
    const position = (group.at(-1)?.position ?? 0) + 1;
    const row = await repo.insert(tx, { ownerId, name: data.name, filters, position });
    return toView(actor, row, group.length + 1);
  });
}

/** The view `actor` may change: NotFound if they may not see it, Forbidden if only see it. */
async function editable(deps: Deps, actor: Actor, id: number): Promise<repo.SavedViewRow> {
  requireStaffActor(actor);
  const row = await repo.findUsable(deps.db, id, actor.id);
  if (!row) throw new NotFound("view", id);
  if (!mayEdit(actor, row)) {
    throw new Forbidden("Only admins change shared views.", "error.views.onlyAdminsEdit");
  }
  return row;
}

/**
 * Renames a view and/or moves it to `position` among its group (its owner's,
 * or the shared ones), the others closing up around it. Its owner, or an
 * admin for a shared one.
 */
export async function updateView(
  deps: Deps,
  actor: Actor,
  id: number,
  change: ViewChange,
): Promise<SavedView> {
  const existing = await editable(deps, actor, id);
  const data = parse(ViewChange, change.name === undefined ? change : trimFields(change, ["name"]));
  return deps.db.transaction(async (tx) => {
    await repo.lockOwner(tx, existing.ownerId);
    let row = existing;
    if (data.name !== undefined) {
      const renamed = await repo.rename(tx, id, data.name);
      if (!renamed) throw new NotFound("view", id);
      row = renamed;
    }
    const group = await repo.listOwned(tx, existing.ownerId);
    const from = group.findIndex((r) => r.id === id);
    if (from < 0) throw new NotFound("view", id);
    const to = Math.min(data.position ?? from + 1, group.length) - 1;
    if (to !== from) {
      const [moved] = group.splice(from, 1);
      if (moved) group.splice(to, 0, moved);
    }
    // Positions 1..n, written only where they change.
    for (const [index, r] of group.entries()) {
      if (r.position !== index + 1) await repo.setPosition(tx, r.id, index + 1);
    }
    return toView(actor, row, to + 1);
  });
}

/** Deletes a view (its owner, or an admin for a shared one). */
export async function deleteView(deps: Deps, actor: Actor, id: number): Promise<void> {
  await editable(deps, actor, id);
  if (!(await repo.remove(deps.db, id))) throw new NotFound("view", id);
}

/** Each of `views` with its count, as the desk counts its queues (capped, one statement). */
export async function countViews(
  deps: Deps,
  actor: Actor,
  views: readonly SavedView[],
): Promise<Map<number, number>> {
  requireStaffActor(actor);
  const queries: tickets.CountedView[] = [];
  for (const view of views) {
    try {
      queries.push({ id: view.id, query: parseDeskQuery(view.filters).query });
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
    }
  }
  return tickets.countViews(deps, actor, queries);
}

/** A page of a view's tickets, as the desk lists them (the view's filters and sort). */
export async function listViewTickets(
  deps: Deps,
  actor: Actor,
  id: number,
  page: { cursor?: string | undefined; limit?: number | undefined },
): Promise<tickets.TicketPage> {
  const view = await getView(deps, actor, id);
  const { query } = parseDeskQuery(view.filters);
  return tickets.listTickets(deps, actor, {
    ...query,
    cursor: page.cursor,
    limit: page.limit,
    withDescription: true,
    withSnippets: true,
  });
}
