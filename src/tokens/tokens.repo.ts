import { and, asc, count, eq, sql } from "drizzle-orm";
import type { Executor } from "../db/client.ts";
import { apiTokens, users } from "../db/schema/index.ts";

export type TokenRow = typeof apiTokens.$inferSelect;

export async function insertToken(
  db: Executor,
  values: typeof apiTokens.$inferInsert,
): Promise<TokenRow> {
  const [row] = await db.insert(apiTokens).values(values).returning();
  if (!row) throw new Error("insert returned no token");
  return row;
}

export async function countTokens(db: Executor, userId: number): Promise<number> {
  const [row] = await db.select({ n: count() }).from(apiTokens).where(eq(apiTokens.userId, userId));
  return row?.n ?? 0;
}

export async function listTokens(db: Executor, userId: number): Promise<TokenRow[]> {
  return db.select().from(apiTokens).where(eq(apiTokens.userId, userId)).orderBy(asc(apiTokens.id));
}

/** One of the user's tokens, or undefined (also when it is someone else's). */
export async function findToken(
  db: Executor,
  userId: number,
  id: number,
): Promise<TokenRow | undefined> {
  const [row] = await db
    .select()
    .from(apiTokens)
    .where(and(eq(apiTokens.id, id), eq(apiTokens.userId, userId)));
  return row;
}

/** Deletes a token; `userId` limits it to that owner's (undefined: anyone's, for admins). */
export async function deleteToken(
  db: Executor,
  userId: number | undefined,
  id: number,
): Promise<boolean> {
  const rows = await db
    .delete(apiTokens)
    .where(
      and(eq(apiTokens.id, id), userId === undefined ? undefined : eq(apiTokens.userId, userId)),
    )
    .returning({ id: apiTokens.id });
  return rows.length > 0;
}

/** Every token with its owner, by owner's name (the admins' page). */
export async function listAllTokens(db: Executor) {
  return db
    .select({
      token: apiTokens,
      owner: { id: users.id, name: users.name, email: users.email, disabled: users.disabled },
    })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .orderBy(asc(users.name), asc(users.id), asc(apiTokens.id));
}

/** The token with this hash and its owner, if the owner is not disabled. */
export async function findLiveToken(db: Executor, tokenHash: string) {
  const [row] = await db
    .select({
      id: apiTokens.id,
      tokenHash: apiTokens.tokenHash,
      lastUsedAt: apiTokens.lastUsedAt,
      user: {
        id: users.id,
        email: users.email,
        name: users.name,
        role: users.role,
        away: users.away,
      },
    })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(and(eq(apiTokens.tokenHash, tokenHash), eq(users.disabled, false)));
  return row;
}

export async function touchToken(db: Executor, id: number): Promise<void> {
  await db.update(apiTokens).set({ lastUsedAt: sql`now()` }).where(eq(apiTokens.id, id));
}
