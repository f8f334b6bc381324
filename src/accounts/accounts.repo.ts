import { and, asc, desc, eq, gt, ilike, inArray, lt, ne, or, sql } from "drizzle-orm";
import type { Executor } from "../db/client.ts";
import { rateLimits, sessions, users } from "../db/schema/index.ts";
import type { Role } from "./actor.ts";

export type UserRow = typeof users.$inferSelect;
export type NewUserRow = typeof users.$inferInsert;

export async function findUserById(db: Executor, id: number): Promise<UserRow | undefined> {
  const [row] = await db.select().from(users).where(eq(users.id, id));
  return row;
}

export async function findUsersByIds(db: Executor, ids: number[]): Promise<UserRow[]> {
  return db.select().from(users).where(inArray(users.id, ids));
}

export async function findUserByEmail(db: Executor, email: string): Promise<UserRow | undefined> {
  const [row] = await db.select().from(users).where(sql`lower(${users.email}) = lower(${email})`);
  return row;
}

/** Inserts a user; returns undefined when the email is taken (any case). */
export async function insertUser(db: Executor, values: NewUserRow): Promise<UserRow | undefined> {
  const [row] = await db.insert(users).values(values).onConflictDoNothing().returning();
  return row;
}

export async function updateUser(
  db: Executor,
  id: number,
  change: Partial<
    Pick<UserRow, "name" | "role" | "disabled" | "passwordHash" | "away" | "locale" | "timeZone">
  >,
): Promise<UserRow | undefined> {
  const [row] = await db
    .update(users)
    .set({ ...change, updatedAt: sql`now()` })
    .where(eq(users.id, id))
    .returning();
  return row;
}

export async function countUsers(db: Executor): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(users);
  return row?.n ?? 0;
}

export async function countActiveAdmins(db: Executor): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(users)
    .where(and(eq(users.role, "admin"), eq(users.disabled, false)));
  return row?.n ?? 0;
}

export interface UserFilter {
  role?: Role | undefined;
  q?: string | undefined;
  afterId?: number | undefined;
  hideEmail?: string | undefined;
  limit: number;
}

/** Users by id, keyset-paginated; `q` matches name or email. `hideEmail`: an account left out. */
export async function listUsers(db: Executor, filter: UserFilter): Promise<UserRow[]> {
  const conditions = [];
  if (filter.hideEmail) conditions.push(sql`lower(${users.email}) <> ${filter.hideEmail}`);
  if (filter.role) conditions.push(eq(users.role, filter.role));
  if (filter.q) {
    const pattern = `%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    conditions.push(or(ilike(users.name, pattern), ilike(users.email, pattern)));
  }
  if (filter.afterId !== undefined) conditions.push(gt(users.id, filter.afterId));
  return db
    .select()
    .from(users)
    .where(and(...conditions))
    .orderBy(asc(users.id))
    .limit(filter.limit);
}

/** Active agents and admins, by name: who a ticket can be assigned to. */
export async function listActiveStaff(db: Executor): Promise<UserRow[]> {
  return db
    .select()
    .from(users)
    .where(and(inArray(users.role, ["agent", "admin"]), eq(users.disabled, false)))
    .orderBy(asc(users.name), asc(users.id));
}

// --- sessions ---

export type SessionRow = typeof sessions.$inferSelect;

export async function insertSession(
  db: Executor,
  values: typeof sessions.$inferInsert,
): Promise<void> {
  await db.insert(sessions).values(values);
}

/** The session and its user, if the session exists and has not passed its absolute expiry. */
export async function findLiveSession(
  db: Executor,
  id: string,
): Promise<{ session: SessionRow; user: UserRow } | undefined> {
  const [row] = await db
    .select({ session: sessions, user: users })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.id, id), gt(sessions.expiresAt, sql`now()`)));
  return row;
}

/** The user's sessions that have not passed their absolute expiry, most recently seen first. */
export async function listUserSessions(db: Executor, userId: number): Promise<SessionRow[]> {
  return db
    .select()
    .from(sessions)
    .where(and(eq(sessions.userId, userId), gt(sessions.expiresAt, sql`now()`)))
    .orderBy(desc(sessions.lastSeenAt), asc(sessions.createdAt));
}

/** Ends every session of the user but `keepId`; returns how many ended. */
export async function deleteOtherSessions(
  db: Executor,
  userId: number,
  keepId: string,
): Promise<number> {
  const rows = await db
    .delete(sessions)
    .where(and(eq(sessions.userId, userId), ne(sessions.id, keepId)))
    .returning({ id: sessions.id });
  return rows.length;
}

export async function touchSession(db: Executor, id: string): Promise<void> {
  await db.update(sessions).set({ lastSeenAt: sql`now()` }).where(eq(sessions.id, id));
}

export async function deleteSession(db: Executor, id: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.id, id));
}

/** Ends every session of the user; returns how many ended. */
export async function deleteUserSessions(db: Executor, userId: number): Promise<number> {
  const rows = await db
    .delete(sessions)
    .where(eq(sessions.userId, userId))
    .returning({ id: sessions.id });
  return rows.length;
}

export async function deleteExpiredSessions(db: Executor, idleBefore: Date): Promise<void> {
  await db
    .delete(sessions)
    .where(or(lt(sessions.expiresAt, sql`now()`), lt(sessions.lastSeenAt, idleBefore)));
}

// --- rate limits ---

/**
 * Counts one hit on `key` in a fixed window and returns the count and when the
 * window resets. One statement, so concurrent nodes never lose a hit.
 */
export async function hitRateLimit(
  db: Executor,
  key: string,
  windowMs: number,
): Promise<{ count: number; resetAt: Date }> {
  const resetAt = new Date(Date.now() + windowMs);
  const [row] = await db
    .insert(rateLimits)
    .values({ key, count: 1, resetAt })
    .onConflictDoUpdate({
      target: rateLimits.key,
      set: {
        count: sql`CASE WHEN ${rateLimits.resetAt} <= now() THEN 1 ELSE ${rateLimits.count} + 1 END`,
        resetAt: sql`CASE WHEN ${rateLimits.resetAt} <= now() THEN excluded.reset_at ELSE ${rateLimits.resetAt} END`,
      },
    })
    .returning({ count: rateLimits.count, resetAt: rateLimits.resetAt });
  if (!row) throw new Error("rate limit upsert returned nothing");
  return row;
}

export async function deleteExpiredRateLimits(db: Executor): Promise<void> {
  await db.delete(rateLimits).where(lt(rateLimits.resetAt, sql`now()`));
}

/** Takes one hit back (a sign-in that turned out to be right). */
export async function releaseRateLimit(db: Executor, key: string): Promise<void> {
  await db
    .update(rateLimits)
    .set({ count: sql`greatest(${rateLimits.count} - 1, 0)` })
    .where(eq(rateLimits.key, key));
}

export async function clearRateLimit(db: Executor, key: string): Promise<void> {
  await db.delete(rateLimits).where(eq(rateLimits.key, key));
}
