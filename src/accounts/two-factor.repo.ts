import { and, count, eq, isNotNull, isNull, lt, or, sql } from "drizzle-orm";
import type { Executor } from "../db/client.ts";
import { recoveryCodes, sessions, twoFactor, users } from "../db/schema/index.ts";

export type TwoFactorRow = typeof twoFactor.$inferSelect;

export async function findTwoFactor(
  db: Executor,
  userId: number,
): Promise<TwoFactorRow | undefined> {
  const [row] = await db.select().from(twoFactor).where(eq(twoFactor.userId, userId));
  return row;
}

/** Starts enrolment with `secret` unless a row exists; returns the row stored afterwards. */
export async function insertPendingTwoFactor(
  db: Executor,
  userId: number,
  secret: string,
): Promise<TwoFactorRow | undefined> {
  await db.insert(twoFactor).values({ userId, secret }).onConflictDoNothing();
  return findTwoFactor(db, userId);
}

/**
 * Turns enrolment on with the step of the code that confirmed it; undefined when
 * it was already on (a second confirmation racing the first).
 */
export async function enableTwoFactor(
  db: Executor,
  userId: number,
  step: number,
): Promise<TwoFactorRow | undefined> {
  const [row] = await db
    .update(twoFactor)
    .set({ enabledAt: sql`now()`, lastStep: step })
    .where(and(eq(twoFactor.userId, userId), isNull(twoFactor.enabledAt)))
    .returning();
  return row;
}

/**
 * Records `step` as the last accepted one, in one statement: true only when it
 * is later than every step accepted before, so a code is used at most once even
 * by two requests at the same moment.
 */
export async function advanceLastStep(
  db: Executor,
  userId: number,
  step: number,
): Promise<boolean> {
  const rows = await db
    .update(twoFactor)
    .set({ lastStep: step })
    .where(
      and(
        eq(twoFactor.userId, userId),
        isNotNull(twoFactor.enabledAt),
        or(isNull(twoFactor.lastStep), lt(twoFactor.lastStep, step)),
      ),
    )
    .returning({ userId: twoFactor.userId });
  return rows.length > 0;
}

export async function deleteTwoFactor(db: Executor, userId: number): Promise<void> {
  await db.delete(twoFactor).where(eq(twoFactor.userId, userId));
  await db.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
}

/** Replaces the account's recovery codes with these hashes. */
export async function replaceRecoveryCodes(
  db: Executor,
  userId: number,
  hashes: string[],
): Promise<void> {
  await db.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
  await db.insert(recoveryCodes).values(hashes.map((codeHash) => ({ userId, codeHash })));
}

/** Marks an unused recovery code used and returns its hash, in one statement (once only). */
export async function useRecoveryCode(
  db: Executor,
  userId: number,
  codeHash: string,
): Promise<string | undefined> {
  const [row] = await db
    .update(recoveryCodes)
    .set({ usedAt: sql`now()` })
    .where(
      and(
        eq(recoveryCodes.userId, userId),
        eq(recoveryCodes.codeHash, codeHash),
        isNull(recoveryCodes.usedAt),
      ),
    )
    .returning({ codeHash: recoveryCodes.codeHash });
  return row?.codeHash;
}

export async function countUnusedRecoveryCodes(db: Executor, userId: number): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(recoveryCodes)
    .where(and(eq(recoveryCodes.userId, userId), isNull(recoveryCodes.usedAt)));
  return row?.n ?? 0;
}

/**
 * Sets each session's `enrolment_only` flag to whether two-factor is `required`
 * and its person is staff without it enabled: of one account, or of everyone.
 */
export async function syncEnrolmentOnly(
  db: Executor,
  required: boolean,
  userId?: number,
): Promise<void> {
  const unenrolledStaff = sql`(
    select ${users.id} from ${users}
    where ${users.role} in ('agent', 'admin')
      and not exists (
        select 1 from ${twoFactor}
        where ${twoFactor.userId} = ${users.id} and ${twoFactor.enabledAt} is not null
      )
  )`;
  await db
    .update(sessions)
    .set({
      enrolmentOnly: required ? sql`${sessions.userId} in ${unenrolledStaff}` : sql`false`,
    })
    .where(userId === undefined ? undefined : eq(sessions.userId, userId));
}
