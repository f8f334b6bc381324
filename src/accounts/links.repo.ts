import { and, eq, gt, isNull, lt, or, sql } from "drizzle-orm";
import type { Executor } from "../db/client.ts";
import { accountLinks } from "../db/schema/index.ts";

export type LinkRow = typeof accountLinks.$inferSelect;
export type LinkPurpose = LinkRow["purpose"];

export async function insertLinks(
  db: Executor,
  values: (typeof accountLinks.$inferInsert)[],
): Promise<void> {
  if (values.length > 0) await db.insert(accountLinks).values(values);
}

/** What a link must be bound to besides its purpose (each only when given). */
export interface LinkBinding {
  userId?: number | undefined;
  ticketId?: number | undefined;
}

function bound(expect: LinkBinding) {
  return and(
    expect.userId === undefined ? undefined : eq(accountLinks.userId, expect.userId),
    expect.ticketId === undefined ? undefined : eq(accountLinks.ticketId, expect.ticketId),
  );
}

/** The link with this hash and purpose if it is unused and unexpired (the database's clock). */
export async function findLiveLink(
  db: Executor,
  tokenHash: string,
  purpose: LinkPurpose,
  expect: LinkBinding = {},
): Promise<LinkRow | undefined> {
  const [row] = await db
    .select()
    .from(accountLinks)
    .where(
      and(
        eq(accountLinks.tokenHash, tokenHash),
        eq(accountLinks.purpose, purpose),
        isNull(accountLinks.usedAt),
        gt(accountLinks.expiresAt, sql`now()`),
        bound(expect),
      ),
    );
  return row;
}

/**
 * Marks a live link used and returns it, in one statement: of two requests
 * racing with the same link, exactly one gets the row. `expect`'s account
 * and ticket, when given, must be the link's.
 */
export async function useLink(
  db: Executor,
  tokenHash: string,
  purpose: LinkPurpose,
  expect: LinkBinding = {},
): Promise<LinkRow | undefined> {
  const [row] = await db
    .update(accountLinks)
    .set({ usedAt: sql`now()` })
    .where(
      and(
        eq(accountLinks.tokenHash, tokenHash),
        eq(accountLinks.purpose, purpose),
        isNull(accountLinks.usedAt),
        gt(accountLinks.expiresAt, sql`now()`),
        bound(expect),
      ),
    )
    .returning();
  return row;
}

/** Voids the account's other unused links of a purpose (a reset voids older reset mails). */
export async function voidUserLinks(
  db: Executor,
  userId: number,
  purpose: LinkPurpose,
): Promise<void> {
  await db
    .update(accountLinks)
    .set({ usedAt: sql`now()` })
    .where(
      and(
        eq(accountLinks.userId, userId),
        eq(accountLinks.purpose, purpose),
        isNull(accountLinks.usedAt),
      ),
    );
}

/** Deletes links expired or used before `before`. */
export async function deleteOldLinks(db: Executor, before: Date): Promise<void> {
  await db
    .delete(accountLinks)
    .where(or(lt(accountLinks.expiresAt, before), lt(accountLinks.usedAt, before)));
}
