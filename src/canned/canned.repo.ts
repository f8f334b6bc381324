import { and, asc, eq, isNull, or, sql } from "drizzle-orm";
import type { Executor } from "../db/client.ts";
import { cannedReplies } from "../db/schema/index.ts";

export type CannedRow = typeof cannedReplies.$inferSelect;

/** The shared canned replies and `userId`'s own: shared first, then by title. */
export async function listUsable(db: Executor, userId: number): Promise<CannedRow[]> {
  return db
    .select()
    .from(cannedReplies)
    .where(or(isNull(cannedReplies.ownerId), eq(cannedReplies.ownerId, userId)))
    .orderBy(
      sql`${cannedReplies.ownerId} is not null`,
      asc(sql`lower(${cannedReplies.title})`),
      asc(cannedReplies.id),
    );
}

/** One canned reply, if it is shared or `userId`'s own. */
export async function findUsable(
  db: Executor,
  id: number,
  userId: number,
): Promise<CannedRow | undefined> {
  const [row] = await db
    .select()
    .from(cannedReplies)
    .where(
      and(
        eq(cannedReplies.id, id),
        or(isNull(cannedReplies.ownerId), eq(cannedReplies.ownerId, userId)),
      ),
    );
  return row;
}

/**
 * Waits for any other change to the canned replies of one owner (null: the
 * shared ones) until the transaction ends, so two saves cannot both pass the count limit.
 */
export async function lockOwner(db: Executor, ownerId: number | null): Promise<void> {
  await db.execute(sql`select pg_advisory_xact_lock(1667330158, ${ownerId ?? 0})`);
}

export async function countOwned(db: Executor, ownerId: number | null): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(cannedReplies)
    .where(ownerId === null ? isNull(cannedReplies.ownerId) : eq(cannedReplies.ownerId, ownerId));
  return row?.n ?? 0;
}

export async function insert(
  db: Executor,
  values: { ownerId: number | null; title: string; body: string },
): Promise<CannedRow> {
  const [row] = await db.insert(cannedReplies).values(values).returning();
  if (!row) throw new Error("insert returned no row");
  return row;
}

export async function update(
  db: Executor,
  id: number,
  change: { title: string; body: string },
): Promise<CannedRow | undefined> {
  const [row] = await db
    .update(cannedReplies)
    .set({ ...change, updatedAt: sql`now()` })
    .where(eq(cannedReplies.id, id))
    .returning();
  return row;
}

export async function remove(db: Executor, id: number): Promise<boolean> {
  const rows = await db
    .delete(cannedReplies)
    .where(eq(cannedReplies.id, id))
    .returning({ id: cannedReplies.id });
  return rows.length > 0;
}
