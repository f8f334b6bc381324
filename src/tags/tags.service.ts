import type { SQL } from "drizzle-orm";
import { type Actor, isAdmin, isStaff } from "../accounts/index.ts";
import type { Executor } from "../db/client.ts";
import type { Deps } from "../deps.ts";
import { Conflict, Forbidden, Invalid, NotFound, Taken } from "../lib/errors.ts";
import { enabledTriggers } from "../rules/cache.ts";
import * as repo from "./tags.repo.ts";
import { MAX_TAGS_PER_TICKET, SUGGESTIONS_MAX, TAG_MAX } from "./tags.schemas.ts";

/**
 * Tags: staff's free-form labels for tickets, never shown to customers. A
 * name is trimmed, at most TAG_MAX characters, without commas (lists of tags
 * are written with them) or control characters, and unique whatever its case.
 * Putting tags on a ticket and taking them off is the ticket's business
 * (tickets.service: `addTags`, `removeTag`, `setTags`, with events and the
 * audit trail); this module keeps the names and the admin's operations.
 */

export type Tag = repo.TagRow;

// Control, format (bidi overrides, zero-width) and separator characters other than a plain space.
const FORBIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

/** A tag name as typed, checked: trimmed, or Invalid on `field`. */
export function checkTagName(raw: string, field = "tag"): string {
  const name = raw.trim().replace(/ {2,}/g, " ");
  if (name === "") throw Invalid.field(field, "is required", "error.field.required");
  if ([...name].length > TAG_MAX)
    throw Invalid.field(field, `must be at most ${TAG_MAX} characters`, "error.tags.tooLong", {
      max: TAG_MAX,
    });
  if (name.includes(",") || FORBIDDEN.test(name))
    throw Invalid.field(
      field,
      "must not contain commas or control characters",
      "error.tags.characters",
    );
  return name;
}

/** Several names, each checked, each once whatever its case (the first spelling kept). */
export function checkTagNames(raws: readonly string[], field = "tags"): string[] {
  const seen = new Map<string, string>();
  raws.forEach((raw, i) => {
    const name = checkTagName(raw, raws.length === 1 ? field : `${field}.${i}`);
    if (!seen.has(name.toLowerCase())) seen.set(name.toLowerCase(), name);
  });
  if (seen.size > MAX_TAGS_PER_TICKET)
    throw Invalid.field(
      field,
      `a ticket has at most ${MAX_TAGS_PER_TICKET} tags`,
      "error.tags.tooMany",
      { max: MAX_TAGS_PER_TICKET },
    );
  return [...seen.values()];
}

/** The tags of these (checked) names, made when missing: inside the caller's transaction. */
export function tagsNamed(db: Executor, names: readonly string[]): Promise<Tag[]> {
  return repo.findOrCreateTags(db, names);
}

/** A tag by name (any case), if it exists. */
export function findTagByName(db: Executor, name: string): Promise<Tag | undefined> {
  return repo.findTagByName(db, name.trim());
}

export const listTicketTags = repo.listTicketTags;
export const insertTicketTags = repo.insertTicketTags;
export const deleteTicketTags = repo.deleteTicketTags;

/**
 * The ids of the tickets carrying the tag named `name` (any case), as a
 * subquery for `tickets.id in (...)`: what a queue's tag filter and the
 * search language's `tag:` use. A name no tag has yields no ticket. The tag's
 * id is looked up first, so the planner sees a constant and its statistics
 * (measured: a rare and a common tag each within a millisecond at 200,000 tickets).
 */
export async function taggedTicketIds(db: Executor, name: string): Promise<SQL> {
  const tag = await repo.findTagByName(db, name.trim());
  return repo.taggedQuery(db, tag?.id ?? 0);
}

/** The same as one subquery (the desk's counts of saved views: no statement of its own). */
export function taggedTicketIdsNamed(db: Executor, name: string): SQL {
  return repo.taggedByNameQuery(db, name);
}

/** The same for a tag id (rule conditions keep ids, so a renamed tag still matches). */
export function taggedTicketIdsById(db: Executor, tagId: number): SQL {
  return repo.taggedQuery(db, tagId);
}

export const findTag = repo.findTag;

/** A ticket's tag names as an array, for a list statement's rows (see tags.repo). */
export const tagNamesOfRow = repo.tagNamesOfRow;

/**
 * What the ticket page shows (staff): the ticket's tags and the names the
 * autocomplete offers, read in one statement.
 */
export async function ticketTagsForPage(
  deps: Deps,
  actor: Actor,
  ticketId: number,
): Promise<{ tags: string[]; suggestions: string[] }> {
  if (!isStaff(actor)) throw new Forbidden();
  const rows = await repo.ticketTagsAndNames(deps.db, ticketId, SUGGESTIONS_MAX);
  return {
    tags: rows.filter((r) => r.carried).map((r) => r.name),
    suggestions: rows.filter((r) => !r.carried).map((r) => r.name),
  };
}

function requireAdmin(actor: Actor): void {
  if (!isAdmin(actor)) throw new Forbidden("Only admins manage tags.", "error.tags.onlyAdmins");
}

/** Every tag with how many tickets carry it (admins: the Tags page). */
export async function listTags(deps: Deps, actor: Actor) {
  requireAdmin(actor);
  return repo.listTagsWithCounts(deps.db);
}

export type TagWithCount = Awaited<ReturnType<typeof listTags>>[number];

/**
 * Renames a tag (admins): one row, every ticket carrying it shows the new
 * name. Another tag's name (any case) is refused: merge into it instead.
 */
export async function renameTag(deps: Deps, actor: Actor, id: number, raw: string): Promise<Tag> {
  requireAdmin(actor);
  const name = checkTagName(raw, "name");
  return deps.db.transaction(async (tx) => {
    const other = await repo.findTagByName(tx, name);
    if (other && other.id !== id)
      throw new Taken(
        "name",
        "is another tag's name: merge into it instead",
        "error.tags.nameTaken",
      );
    if (!(await repo.renameTag(tx, id, name))) throw new NotFound("tag", id);
    return { id, name };
  });
}

/**
 * Merges a tag into another, named (admins): every ticket carrying it carries
 * the other instead (once), every rule and macro naming it names the other, and it is
 * deleted. Returns the tag kept.
 */
export async function mergeTag(
  deps: Deps,
  actor: Actor,
  id: number,
  intoName: string,
): Promise<Tag> {
  requireAdmin(actor);
  const name = checkTagName(intoName, "into");
  // Through the rules' cache: every node drops its copy of the triggers at commit.
  return enabledTriggers.change(deps.db, async (tx) => {
    const from = await repo.findTag(tx, id);
    if (!from) throw new NotFound("tag", id);
    const into = await repo.findTagByName(tx, name);
    if (!into)
      throw Invalid.field("into", "must be the name of an existing tag", "error.tags.notATag");
    if (into.id === from.id)
      throw Invalid.field("into", "must be another tag", "error.tags.mergeSelf");
    await repo.mergeTags(tx, from.id, into.id);
    await repo.retargetTagUses(tx, from.id, into.id);
    return into;
  });
}

/** A tag some rules or macros name cannot be deleted: they would stop working. */
export class TagInUse extends Conflict {
  constructor(
    readonly rules: readonly string[],
    readonly macros: readonly string[],
  ) {
    const names = (list: readonly string[]) => list.map((n) => `"${n}"`).join(", ");
    super(
      "tag_in_use",
      rules.length > 0
        ? `This tag is used by the rules ${names(rules)}: change them, or merge the tag into another.`
        : `This tag is used by the macros ${names(macros)}: change them, or merge the tag into another.`,
      rules.length > 0 ? "error.tags.inRules" : "error.tags.inMacros",
      rules.length > 0 ? { rules } : { macros },
    );
  }
}

/**
 * Deletes a tag (admins): every ticket loses it. Refused while a rule or a
 * macro names it (its condition or action would fail on every ticket).
 */
export async function deleteTag(deps: Deps, actor: Actor, id: number): Promise<void> {
  requireAdmin(actor);
  await deps.db.transaction(async (tx) => {
    const uses = await repo.tagUses(tx, id);
    if (uses.rules.length > 0 || uses.macros.length > 0)
      throw new TagInUse(uses.rules, uses.macros);
    if (!(await repo.deleteTag(tx, id))) throw new NotFound("tag", id);
  });
}
