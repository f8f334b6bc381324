import { eq, sql } from "drizzle-orm";
import type { Executor } from "../db/client.ts";
import { settings } from "../db/schema/index.ts";

export async function findSetting(db: Executor, key: string): Promise<unknown> {
  const [row] = await db
    .select({ value: settings.value })
    .from(settings)
    .where(eq(settings.key, key));
  return row?.value;
}

/**
 * Sets the given fields of an object setting in one statement (jsonb `||`), so
 * two nodes changing different fields at once both keep their change.
 */
export async function mergeSetting(
  db: Executor,
  key: string,
  fields: Record<string, unknown>,
): Promise<void> {
  await db
    .insert(settings)
    .values({ key, value: fields })
    .onConflictDoUpdate({
      target: settings.key,
      set: { value: sql`${settings.value} || excluded.value`, updatedAt: sql`now()` },
    });
}

/** Inserts unless present; returns whatever value is stored afterwards. */
export async function insertSettingIfAbsent(
  db: Executor,
  key: string,
  value: unknown,
): Promise<unknown> {
  await db.insert(settings).values({ key, value }).onConflictDoNothing();
  return findSetting(db, key);
}

export async function deleteSetting(db: Executor, key: string): Promise<void> {
  await db.delete(settings).where(eq(settings.key, key));
}

/** A transaction-scoped advisory lock (released at commit or rollback). */
export async function advisoryLock(db: Executor, id: number): Promise<void> {
  await db.execute(sql`SELECT pg_advisory_xact_lock(${id})`);
}
