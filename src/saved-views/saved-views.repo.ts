import { and, asc, eq, isNull, or, sql } from "drizzle-orm";
import type { Executor } from "../db/client.ts";
import { type SavedViewFilters, savedViews } from "../db/schema/index.ts";

export type SavedViewRow = typeof savedViews.$inferSelect;

function usableBy(userId: number) {
  return or(isNull(savedViews.ownerId), eq(savedViews.ownerId, userId));
}

function ownedBy(ownerId: number | null) {
  return ownerId === null ? isNull(savedViews.ownerId) : eq(savedViews.ownerId, ownerId);
}

/** The shared views and `userId`'s own: shared first, each group in its order. */
export async function listUsable(db: Executor, userId: number): Promise<SavedViewRow[]> {
  return db
    .select()
    .from(savedViews)
    .where(usableBy(userId))
    .orderBy(sql`${savedViews.ownerId} is not null`, asc(savedViews.position), asc(savedViews.id));
}

/** One view, if it is shared or `userId`'s own. */
export async function findUsable(
  db: Executor,
  id: number,
  userId: number,
): Promise<SavedViewRow | undefined> {
  const [row] = await db
    .select()
    .from(savedViews)
    .where(and(eq(savedViews.id, id), usableBy(userId)));
  return row;
}

/** The views of one owner (null: the shared ones), in their order. */
export async function listOwned(db: Executor, ownerId: number | null): Promise<SavedViewRow[]> {
  return db
    .select()
    .from(savedViews)
    .where(ownedBy(ownerId))
    .orderBy(asc(savedViews.position), asc(savedViews.id));
}

/**
 * Waits for any other change to one owner's views (null: the shared ones)
 * until the transaction ends: the count limit and the order stay consistent.
 */
export async function lockOwner(db: Executor, ownerId: number | null): Promise<void> {
  await db.execute(sql`select pg_advisory_xact_lock(1986359926, ${ownerId ?? 0})`);
}

export async function insert(
  db: Executor,
  values: { ownerId: number | null; name: string; filters: SavedViewFilters; position: number },
): Promise<SavedViewRow> {
  const [row] = await db.insert(savedViews).values(values).returning();
  if (!row) throw new Error("insert returned no row");
  return row;
}

export async function rename(
  db: Executor,
  id: number,
  name: string,
): Promise<SavedViewRow | undefined> {
  const [row] = await db
    .update(savedViews)
    .set({ name, updatedAt: sql`now()` })
    .where(eq(savedViews.id, id))
    .returning();
  return row;
}

export async function setPosition(db: Executor, id: number, position: number): Promise<void> {
  await db.update(savedViews).set({ position }).where(eq(savedViews.id, id));
}

export async function remove(db: Executor, id: number): Promise<boolean> {
  const rows = await db
    .delete(savedViews)
    .where(eq(savedViews.id, id))
    .returning({ id: savedViews.id });
  return rows.length > 0;
}
