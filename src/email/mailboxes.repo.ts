import { and, asc, eq, inArray, isNotNull, isNull, lt, or, sql } from "drizzle-orm";
import type { Executor } from "../db/client.ts";
import { inboundEmails, mailboxes, mailboxMessages } from "../db/schema/index.ts";

export type MailboxRow = typeof mailboxes.$inferSelect;
export type MailboxValues = Omit<
  typeof mailboxes.$inferInsert,
  | "id"
  | "leaseToken"
  | "leaseUntil"
  | "uidValidity"
  | "lastSuccessAt"
  | "lastError"
  | "lastErrorAt"
  | "createdAt"
  | "updatedAt"
>;

export async function listMailboxes(db: Executor): Promise<MailboxRow[]> {
  return db.select().from(mailboxes).orderBy(asc(mailboxes.address));
}

export async function findMailbox(db: Executor, id: number): Promise<MailboxRow | undefined> {
  const [row] = await db.select().from(mailboxes).where(eq(mailboxes.id, id));
  return row;
}

export async function findMailboxByAddress(
  db: Executor,
  address: string,
): Promise<MailboxRow | undefined> {
  const [row] = await db.select().from(mailboxes).where(eq(mailboxes.address, address));
  return row;
}

export async function insertMailbox(db: Executor, values: MailboxValues): Promise<MailboxRow> {
  const [row] = await db.insert(mailboxes).values(values).returning();
  if (!row) throw new Error("mailbox insert returned nothing");
  return row;
}

/** Saves a change and ends any node's claim, so the fetcher starts again with the new settings. */
export async function updateMailbox(
  db: Executor,
  id: number,
  values: Partial<MailboxValues>,
): Promise<MailboxRow | undefined> {
  const [row] = await db
    .update(mailboxes)
    .set({ ...values, leaseToken: null, leaseUntil: null, updatedAt: sql`now()` })
    .where(eq(mailboxes.id, id))
    .returning();
  return row;
}

export async function deleteMailbox(db: Executor, id: number): Promise<boolean> {
  const rows = await db
    .delete(mailboxes)
    .where(eq(mailboxes.id, id))
    .returning({ id: mailboxes.id });
  return rows.length > 0;
}

/** Every stored secret, for the start-up check that the key opens them. */
export async function listSecrets(db: Executor) {
  return db
    .select({
      id: mailboxes.id,
      address: mailboxes.address,
      imapSecret: mailboxes.imapSecret,
      smtpSecret: mailboxes.smtpSecret,
    })
    .from(mailboxes)
    .where(or(isNotNull(mailboxes.imapSecret), isNotNull(mailboxes.smtpSecret)));
}

/** Enabled mailboxes nobody holds (no claim, or one that ran out). */
export async function listClaimable(db: Executor): Promise<number[]> {
  const rows = await db
    .select({ id: mailboxes.id })
    .from(mailboxes)
    .where(
      and(
        eq(mailboxes.enabled, true),
        or(isNull(mailboxes.leaseUntil), lt(mailboxes.leaseUntil, sql`now()`)),
      ),
    )
    .orderBy(asc(mailboxes.id));
  return rows.map((r) => r.id);
}

/**
 * Claims an enabled mailbox for `token` for `leaseMs`, unless another claim
 * still runs. One UPDATE, so two nodes racing for it cannot both win.
 */
export async function claimMailbox(
  db: Executor,
  id: number,
  token: string,
  leaseMs: number,
): Promise<MailboxRow | undefined> {
  const [row] = await db
    .update(mailboxes)
    .set({
      leaseToken: token,
      leaseUntil: sql`now() + make_interval(secs => ${leaseMs / 1000})`,
    })
    .where(
      and(
        eq(mailboxes.id, id),
        eq(mailboxes.enabled, true),
        or(isNull(mailboxes.leaseUntil), lt(mailboxes.leaseUntil, sql`now()`)),
      ),
    )
    .returning();
  return row;
}

/** Extends this claim; false when it is no longer ours (expired and taken, edited, disabled, deleted). */
export async function renewMailbox(
  db: Executor,
  id: number,
  token: string,
  leaseMs: number,
): Promise<boolean> {
  const rows = await db
    .update(mailboxes)
    .set({ leaseUntil: sql`now() + make_interval(secs => ${leaseMs / 1000})` })
    .where(and(eq(mailboxes.id, id), eq(mailboxes.leaseToken, token), eq(mailboxes.enabled, true)))
    .returning({ id: mailboxes.id });
  return rows.length > 0;
}

export async function releaseMailbox(db: Executor, id: number, token: string): Promise<void> {
  await db
    .update(mailboxes)
    .set({ leaseToken: null, leaseUntil: null })
    .where(and(eq(mailboxes.id, id), eq(mailboxes.leaseToken, token)));
}

/** Ends every claim: only for an embedded database, which one process has open at a time. */
export async function releaseAllMailboxes(db: Executor): Promise<void> {
  await db.update(mailboxes).set({ leaseToken: null, leaseUntil: null });
}

export async function recordSuccess(db: Executor, id: number, uidValidity: number): Promise<void> {
  await db
    .update(mailboxes)
    .set({ lastSuccessAt: sql`now()`, uidValidity })
    .where(eq(mailboxes.id, id));
}

export async function recordError(db: Executor, id: number, message: string): Promise<void> {
  await db
    .update(mailboxes)
    .set({ lastError: message.slice(0, 1000), lastErrorAt: sql`now()` })
    .where(eq(mailboxes.id, id));
}

export async function insertMailboxMessage(
  db: Executor,
  values: { mailboxId: number; uidValidity: number; uid: number; inboundId: number },
): Promise<void> {
  await db.insert(mailboxMessages).values({
    mailboxId: values.mailboxId,
    uidValidity: values.uidValidity,
    uid: values.uid,
    inboundId: values.inboundId,
  });
}

/** Which of `uids` (under `uidValidity`) are stored already. */
export async function knownUids(
  db: Executor,
  mailboxId: number,
  uidValidity: number,
  uids: number[],
): Promise<Set<number>> {
  if (uids.length === 0) return new Set();
  const rows = await db
    .select({ uid: mailboxMessages.uid })
    .from(mailboxMessages)
    .where(
      and(
        eq(mailboxMessages.mailboxId, mailboxId),
        eq(mailboxMessages.uidValidity, uidValidity),
        inArray(mailboxMessages.uid, uids),
      ),
    );
  return new Set(rows.map((r) => r.uid));
}

/** The mailbox a ticket came in on: that of the earliest mail on it fetched from one. */
export async function mailboxOfTicket(
  db: Executor,
  ticketId: number,
): Promise<MailboxRow | undefined> {
  const [row] = await db
    .select({ mailbox: mailboxes })
    .from(inboundEmails)
    .innerJoin(mailboxMessages, eq(mailboxMessages.inboundId, inboundEmails.id))
    .innerJoin(mailboxes, eq(mailboxes.id, mailboxMessages.mailboxId))
    .where(eq(inboundEmails.ticketId, ticketId))
    .orderBy(asc(inboundEmails.id))
    .limit(1);
  return row?.mailbox;
}

/** How many messages each mailbox has stored. */
export async function countMessages(db: Executor): Promise<Map<number, number>> {
  const rows = await db
    .select({ mailboxId: mailboxMessages.mailboxId, n: sql<number>`count(*)`.mapWith(Number) })
    .from(mailboxMessages)
    .groupBy(mailboxMessages.mailboxId);
  return new Map(rows.map((r) => [r.mailboxId, r.n]));
}
