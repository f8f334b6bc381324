import { and, asc, count, eq, inArray, type SQL, sql } from "drizzle-orm";
import { type Executor, rowsOf } from "../db/client.ts";
import { macros, rules, tags, ticketTags } from "../db/schema/index.ts";

export type TagRow = { id: number; name: string };

const byName = asc(sql`lower(${tags.name})`);

/** A tag by its name, whatever its case. */
export async function findTagByName(db: Executor, name: string): Promise<TagRow | undefined> {
  const [row] = await db
    .select({ id: tags.id, name: tags.name })
    .from(tags)
    .where(eq(sql`lower(${tags.name})`, name.toLowerCase()));
  return row;
}

export async function findTag(db: Executor, id: number): Promise<TagRow | undefined> {
  const [row] = await db.select({ id: tags.id, name: tags.name }).from(tags).where(eq(tags.id, id));
  return row;
}

/** The tags of these names, made when missing (a name once, whatever its case). */
export async function findOrCreateTags(db: Executor, names: readonly string[]): Promise<TagRow[]> {
  if (names.length === 0) return [];
  await db
    .insert(tags)
    .values(names.map((name) => ({ name })))
    .onConflictDoNothing();
  return db
    .select({ id: tags.id, name: tags.name })
    .from(tags)
    .where(
      inArray(
        sql`lower(${tags.name})`,
        names.map((n) => n.toLowerCase()),
      ),
    )
    .orderBy(byName);
}

/** A ticket's tags, by name. */
export async function listTicketTags(db: Executor, ticketId: number): Promise<TagRow[]> {
  return db
    .select({ id: tags.id, name: tags.name })
    .from(ticketTags)
    .innerJoin(tags, eq(tags.id, ticketTags.tagId))
    .where(eq(ticketTags.ticketId, ticketId))
    .orderBy(byName);
}

/**
 * A ticket's tag names as an array, a subquery on the `tickets` row of the
 * statement it is put in (a list page reads them with its rows).
 */
export function tagNamesOfRow(): SQL {
  return sql`array(select ${tags.name} from ${ticketTags}
    join ${tags} on ${tags.id} = ${ticketTags.tagId}
    where ${ticketTags.ticketId} = "tickets"."id" order by lower(${tags.name}))`;
}

/**
 * In one statement: a ticket's tags (`carried`), then up to `limit` names of
 * all tags for suggestions, each part by name.
 */
export async function ticketTagsAndNames(
  db: Executor,
  ticketId: number,
  limit: number,
): Promise<{ name: string; carried: boolean }[]> {
  const result = await db.execute(sql`
    (select ${tags.name} as name, true as carried, 0 as part, lower(${tags.name}) as key
       from ${ticketTags} join ${tags} on ${tags.id} = ${ticketTags.tagId}
      where ${ticketTags.ticketId} = ${ticketId})
    union all
    (select ${tags.name}, false, 1, lower(${tags.name}) from ${tags}
      order by lower(${tags.name}) limit ${limit})
    order by part, key`);
  return rowsOf<{ name: string; carried: boolean }>(result);
}

/** Puts tags on a ticket; returns the ids of those it did not have. */
export async function insertTicketTags(
  db: Executor,
  ticketId: number,
  tagIds: readonly number[],
  addedBy: number,
): Promise<number[]> {
  if (tagIds.length === 0) return [];
  const rows = await db
    .insert(ticketTags)
    .values(tagIds.map((tagId) => ({ ticketId, tagId, addedBy })))
    .onConflictDoNothing()
    .returning({ tagId: ticketTags.tagId });
  return rows.map((r) => r.tagId);
}

/** Takes tags off a ticket; returns the ids it had. */
export async function deleteTicketTags(
  db: Executor,
  ticketId: number,
  tagIds: readonly number[],
): Promise<number[]> {
  if (tagIds.length === 0) return [];
  const rows = await db
    .delete(ticketTags)
    .where(and(eq(ticketTags.ticketId, ticketId), inArray(ticketTags.tagId, [...tagIds])))
    .returning({ tagId: ticketTags.tagId });
  return rows.map((r) => r.tagId);
}

/**
 * The ids of the tickets carrying a tag, as a subquery (`ticket_id in (...)`
 * becomes a semi-join: the planner walks a queue's index and checks each
 * ticket by primary key for common tags, or starts from the tag for rare ones).
 */
export function taggedQuery(db: Executor, tagId: number): SQL {
  const query = db
    .select({ ticketId: ticketTags.ticketId })
    .from(ticketTags)
    .where(eq(ticketTags.tagId, tagId));
  return sql`(${query})`;
}

/** The same for a tag's name (any case), as one subquery: no statement before the list's own. */
export function taggedByNameQuery(db: Executor, name: string): SQL {
  const tag = db
    .select({ id: tags.id })
    .from(tags)
    .where(eq(sql`lower(${tags.name})`, name.trim().toLowerCase()));
  const query = db
    .select({ ticketId: ticketTags.ticketId })
    .from(ticketTags)
    .where(eq(ticketTags.tagId, sql`(${tag})`));
  return sql`(${query})`;
}

/** Every tag with how many tickets carry it, by name. */
export async function listTagsWithCounts(db: Executor) {
  return db
    .select({ id: tags.id, name: tags.name, tickets: count(ticketTags.ticketId) })
    .from(tags)
    .leftJoin(ticketTags, eq(ticketTags.tagId, tags.id))
    .groupBy(tags.id)
    .orderBy(byName);
}

/** Renames a tag: one row (tickets hold its id). False when it is gone. */
export async function renameTag(db: Executor, id: number, name: string): Promise<boolean> {
  const rows = await db
    .update(tags)
    .set({ name })
    .where(eq(tags.id, id))
    .returning({ id: tags.id });
  return rows.length > 0;
}

/**
 * Moves every ticket of tag `from` to tag `into` (a ticket with both keeps
 * one), then deletes `from`. Returns how many tickets `into` gained.
 */
export async function mergeTags(db: Executor, from: number, into: number): Promise<number> {
  const moved = await db.execute(sql`
    insert into ${ticketTags} (ticket_id, tag_id, added_by, added_at)
    select ticket_id, ${into}::integer, added_by, added_at from ${ticketTags} where tag_id = ${from}::integer
    on conflict do nothing`);
  await db.delete(tags).where(eq(tags.id, from));
  return (
    (moved as { rowCount?: number; affectedRows?: number }).rowCount ??
    (moved as { affectedRows?: number }).affectedRows ??
    0
  );
}

/** Deletes a tag; its tickets lose it (the rows cascade). False when it was gone. */
export async function deleteTag(db: Executor, id: number): Promise<boolean> {
  const rows = await db.delete(tags).where(eq(tags.id, id)).returning({ id: tags.id });
  return rows.length > 0;
}

/*
 * Rules and macros name tags by id in their JSONB (rule conditions
 * `{"field": "tag", "value": id}`, actions of both `{"type": "add_tag" |
 * "remove_tag", "value": id}`), so a rename needs nothing; a merge and a
 * delete do. (SLA conditions take no tags.)
 */

const actionNames = (actions: SQL, id: number) => sql`(
  ${actions} @> jsonb_build_array(jsonb_build_object('type', 'add_tag', 'value', ${id}::integer))
  or ${actions} @> jsonb_build_array(jsonb_build_object('type', 'remove_tag', 'value', ${id}::integer)))`;
const ruleNames = (id: number) => sql`(
  ${rules.conditions} @> jsonb_build_array(jsonb_build_object('field', 'tag', 'value', ${id}::integer))
  or ${actionNames(sql`${rules.actions}`, id)})`;

/** The names of the rules and of the macros that name tag `id`: what deleting it would break. */
export async function tagUses(
  db: Executor,
  id: number,
): Promise<{ rules: string[]; macros: string[] }> {
  const [ruleRows, macroRows] = await Promise.all([
    db.select({ name: rules.name }).from(rules).where(ruleNames(id)).orderBy(asc(rules.name)),
    db
      .select({ name: macros.name })
      .from(macros)
      .where(actionNames(sql`${macros.actions}`, id))
      .orderBy(asc(macros.name)),
  ]);
  return { rules: ruleRows.map((r) => r.name), macros: macroRows.map((r) => r.name) };
}

/** A JSONB array with each element that `match`es and names tag `from` naming `into`. */
const retargeted = (column: SQL, from: number, into: number, match: SQL) => sql`(
  select coalesce(jsonb_agg(case when ${match} and e.value->>'value' = ${String(from)}
    then jsonb_set(e.value, '{value}', to_jsonb(${into}::integer)) else e.value end order by e.n), '[]'::jsonb)
  from jsonb_array_elements(${column}) with ordinality as e(value, n))`;
const tagAction = sql`e.value->>'type' in ('add_tag', 'remove_tag')`;

/** Makes every rule and macro that names tag `from` name `into` instead (merging tags). */
export async function retargetTagUses(db: Executor, from: number, into: number): Promise<void> {
  await db
    .update(rules)
    .set({
      conditions: retargeted(sql`${rules.conditions}`, from, into, sql`e.value->>'field' = 'tag'`),
      actions: retargeted(sql`${rules.actions}`, from, into, tagAction),
      updatedAt: sql`now()`,
    })
    .where(ruleNames(from));
  await db
    .update(macros)
    .set({
      actions: retargeted(sql`${macros.actions}`, from, into, tagAction),
      updatedAt: sql`now()`,
    })
    .where(actionNames(sql`${macros.actions}`, from));
}
