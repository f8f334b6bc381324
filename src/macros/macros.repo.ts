import { and, asc, eq, isNull, or, sql } from "drizzle-orm";
import type { Executor } from "../db/client.ts";
import { macros } from "../db/schema/index.ts";
import type { MacroAction } from "./macros.schemas.ts";

export type MacroRow = Omit<typeof macros.$inferSelect, "actions"> & { actions: MacroAction[] };

/** The shared macros and `userId`'s own: shared first, then by name. */
export async function listUsable(db: Executor, userId: number): Promise<MacroRow[]> {
  return (await db
    .select()
    .from(macros)
    .where(or(isNull(macros.ownerId), eq(macros.ownerId, userId)))
    .orderBy(
      sql`${macros.ownerId} is not null`,
      asc(sql`lower(${macros.name})`),
      asc(macros.id),
    )) as MacroRow[];
}

/** One macro, if it is shared or `userId`'s own. */
export async function findUsable(
  db: Executor,
  id: number,
  userId: number,
): Promise<MacroRow | undefined> {
  const [row] = await db
    .select()
    .from(macros)
    .where(and(eq(macros.id, id), or(isNull(macros.ownerId), eq(macros.ownerId, userId))));
  return row as MacroRow | undefined;
}

/**
 * Waits for any other change to the macros of one owner (null: the shared
 * ones) until the transaction ends, so two saves cannot both pass the count limit.
 */
export async function lockOwner(db: Executor, ownerId: number | null): Promise<void> {
  await db.execute(sql`select pg_advisory_xact_lock(1835098979, ${ownerId ?? 0})`);
}

export async function countOwned(db: Executor, ownerId: number | null): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(macros)
    .where(ownerId === null ? isNull(macros.ownerId) : eq(macros.ownerId, ownerId));
  return row?.n ?? 0;
}

export async function insert(
  db: Executor,
  values: { ownerId: number | null; name: string; actions: MacroAction[] },
): Promise<MacroRow> {
  const [row] = await db.insert(macros).values(values).returning();
  if (!row) throw new Error("insert returned no row");
  return row as MacroRow;
}

export async function update(
  db: Executor,
  id: number,
  change: { name: string; actions: MacroAction[] },
): Promise<MacroRow | undefined> {
  const [row] = await db
    .update(macros)
    .set({ ...change, updatedAt: sql`now()` })
    .where(eq(macros.id, id))
    .returning();
  return row as MacroRow | undefined;
}

export async function remove(db: Executor, id: number): Promise<boolean> {
  const rows = await db.delete(macros).where(eq(macros.id, id)).returning({ id: macros.id });
  return rows.length > 0;
}
