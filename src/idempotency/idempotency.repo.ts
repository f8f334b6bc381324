import { and, eq, lt, sql } from "drizzle-orm";
import type { Executor } from "../db/client.ts";
import { idempotencyKeys } from "../db/schema/index.ts";

export type IdempotencyRow = typeof idempotencyKeys.$inferSelect;

/**
 * Claims `key` for this user: inserts it, or takes over an expired one. Returns
 * false when a live claim exists. On PostgreSQL a concurrent claim of the same
 * key waits here until the first transaction ends, then sees its row.
 */
export async function claimKey(
  db: Executor,
  values: { userId: number; key: string; fingerprint: string },
  ttlMs: number,
): Promise<boolean> {
  const rows = await db
    .insert(idempotencyKeys)
    .values({ ...values, status: 0, body: {} })
    .onConflictDoUpdate({
      target: [idempotencyKeys.userId, idempotencyKeys.key],
      set: { fingerprint: values.fingerprint, status: 0, body: {}, createdAt: sql`now()` },
      setWhere: lt(idempotencyKeys.createdAt, sql`now() - ${`${ttlMs} milliseconds`}::interval`),
    })
    .returning({ key: idempotencyKeys.key });
  return rows.length > 0;
}

export async function findKey(
  db: Executor,
  userId: number,
  key: string,
): Promise<IdempotencyRow | undefined> {
  const [row] = await db
    .select()
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.userId, userId), eq(idempotencyKeys.key, key)));
  return row;
}

export async function saveResponse(
  db: Executor,
  userId: number,
  key: string,
  response: { status: number; body: unknown },
): Promise<void> {
  await db
    .update(idempotencyKeys)
    .set({ status: response.status, body: response.body })
    .where(and(eq(idempotencyKeys.userId, userId), eq(idempotencyKeys.key, key)));
}

export async function deleteExpired(db: Executor, ttlMs: number): Promise<number> {
  const rows = await db
    .delete(idempotencyKeys)
    .where(lt(idempotencyKeys.createdAt, sql`now() - ${`${ttlMs} milliseconds`}::interval`))
    .returning({ key: idempotencyKeys.key });
  return rows.length;
}
