import { and, asc, count, desc, eq, gt, inArray, isNotNull, lt, sql } from "drizzle-orm";
import { unionAll } from "drizzle-orm/pg-core";
import type { Executor } from "../db/client.ts";
import { inboundEmails, outbox, ticketCcs, users } from "../db/schema/index.ts";

export type OutboxRow = typeof outbox.$inferSelect;
export type NewOutboxRow = typeof outbox.$inferInsert;

export async function insertOutbox(db: Executor, rows: NewOutboxRow[]): Promise<void> {
  if (rows.length > 0) await db.insert(outbox).values(rows);
}

/**
 * Claims up to `limit` due rows for one worker: `FOR UPDATE SKIP LOCKED` lets
 * concurrent workers take disjoint rows, and the claim (attempt counted, lease
 * until `now + leaseMs`, claim token) is committed before anything is sent, so
 * a worker that dies leaves the row to be taken again when the lease ends.
 */
export async function claimDue(
  db: Executor,
  claimToken: string,
  limit: number,
  leaseMs: number,
): Promise<OutboxRow[]> {
  const due = db
    .select({ id: outbox.id })
    .from(outbox)
    .where(and(eq(outbox.status, "pending"), sql`${outbox.nextAttemptAt} <= now()`))
    .orderBy(outbox.nextAttemptAt, outbox.id)
    .limit(limit)
    .for("update", { skipLocked: true });
  return db
    .update(outbox)
    .set({
      attempts: sql`${outbox.attempts} + 1`,
      nextAttemptAt: sql`now() + ${leaseMs} * interval '1 millisecond'`,
      claimToken,
    })
    .where(inArray(outbox.id, due))
    .returning();
}

/** Records a delivery; only the claim that holds the row may (false when it lost the lease). */
export async function markSent(db: Executor, id: number, claimToken: string): Promise<boolean> {
  const rows = await db
    .update(outbox)
    .set({ status: "sent", sentAt: sql`now()`, claimToken: null, lastError: null })
    .where(and(eq(outbox.id, id), eq(outbox.claimToken, claimToken)))
    .returning({ id: outbox.id });
  return rows.length > 0;
}

/** Gives a claimed row back untried (the worker ran out of lease or is stopping). */
export async function release(db: Executor, id: number, claimToken: string): Promise<void> {
  await db
    .update(outbox)
    .set({
      attempts: sql`${outbox.attempts} - 1`,
      nextAttemptAt: sql`now()`,
      claimToken: null,
    })
    .where(and(eq(outbox.id, id), eq(outbox.claimToken, claimToken)));
}

/** Records a failed attempt: retried after `retryInMs`, or given up (`failed`). */
export async function markAttemptFailed(
  db: Executor,
  id: number,
  claimToken: string,
  error: string,
  retryInMs: number | undefined,
): Promise<void> {
  await db
    .update(outbox)
    .set(
      retryInMs === undefined
        ? { status: "failed", claimToken: null, lastError: error }
        : {
            nextAttemptAt: sql`now() + ${retryInMs} * interval '1 millisecond'`,
            claimToken: null,
            lastError: error,
          },
    )
    .where(and(eq(outbox.id, id), eq(outbox.claimToken, claimToken)));
}

export async function countByStatus(db: Executor, status: OutboxRow["status"]): Promise<number> {
  const [row] = await db.select({ n: count() }).from(outbox).where(eq(outbox.status, status));
  return row?.n ?? 0;
}

export async function listByStatus(
  db: Executor,
  status: OutboxRow["status"],
  limit: number,
  beforeId?: number,
): Promise<OutboxRow[]> {
  return db
    .select()
    .from(outbox)
    .where(and(eq(outbox.status, status), beforeId ? lt(outbox.id, beforeId) : undefined))
    .orderBy(desc(outbox.id))
    .limit(limit);
}

/** A failed row back in the queue, due now, with a fresh set of tries. */
export async function requeue(db: Executor, id: number): Promise<boolean> {
  const rows = await db
    .update(outbox)
    .set({ status: "pending", attempts: 0, nextAttemptAt: sql`now()`, claimToken: null })
    .where(and(eq(outbox.id, id), eq(outbox.status, "failed")))
    .returning({ id: outbox.id });
  return rows.length > 0;
}

/** Tickets (and the recipient) of mail we sent with these Message-IDs. */
export async function findByMessageIds(
  db: Executor,
  messageIds: string[],
): Promise<{ ticketId: number | null; recipientId: number | null }[]> {
  if (messageIds.length === 0) return [];
  return db
    .select({ ticketId: outbox.ticketId, recipientId: outbox.recipientId })
    .from(outbox)
    .where(inArray(outbox.messageId, messageIds));
}

/** A ticket's mails the thread headers of the next one name: the newest of each kind. */
const THREAD_MAILS_MAX = 200;

/**
 * The mails of a ticket's thread, for the headers of the next one, in one
 * round trip: the customer's (mail that opened the ticket or was added to it;
 * `toAddress` null) and ours (with the address each went to), the newest
 * THREAD_MAILS_MAX of each, in no particular order.
 */
export async function threadMails(
  db: Executor,
  ticketId: number,
): Promise<{ messageId: string; toAddress: string | null; at: Date }[]> {
  const rows = await unionAll(
    db
      .select({
        messageId: sql<string>`${inboundEmails.messageId}`.as("message_id"),
        toAddress: sql<string | null>`null::text`.as("to_address"),
        at: inboundEmails.receivedAt,
      })
      .from(inboundEmails)
      .where(
        and(
          eq(inboundEmails.ticketId, ticketId),
          inArray(inboundEmails.status, ["ticket", "reply"]),
          isNotNull(inboundEmails.messageId),
        ),
      )
      .orderBy(desc(inboundEmails.id))
      .limit(THREAD_MAILS_MAX),
    db
      .select({
        messageId: sql<string>`${outbox.messageId}`.as("message_id"),
        toAddress: sql<string | null>`${outbox.toAddress}`.as("to_address"),
        at: outbox.createdAt,
      })
      .from(outbox)
      .where(eq(outbox.ticketId, ticketId))
      .orderBy(desc(outbox.id))
      .limit(THREAD_MAILS_MAX),
  );
  return rows;
}

export type Recipient = Pick<
  typeof users.$inferSelect,
  "id" | "email" | "name" | "role" | "disabled" | "emailNotifications" | "locale" | "timeZone"
>;

const recipientColumns = {
  id: users.id,
  email: users.email,
  name: users.name,
  role: users.role,
  disabled: users.disabled,
  emailNotifications: users.emailNotifications,
  // The language and zone their mail is written in: read with them, never on their own.
  locale: users.locale,
  timeZone: users.timeZone,
};

// Read-only lookups of the people mail goes to, inside the caller's transaction
// (the accounts service has no transaction-taking equivalent).
export async function findRecipients(db: Executor, ids: number[]): Promise<Recipient[]> {
  if (ids.length === 0) return [];
  return db.select(recipientColumns).from(users).where(inArray(users.id, ids));
}

/** The language and zone of the account an address belongs to (any case), if one does. */
export async function findReaderByAddress(
  db: Executor,
  address: string,
): Promise<{ locale: string | null; timeZone: string | null } | undefined> {
  const [row] = await db
    .select({ locale: users.locale, timeZone: users.timeZone })
    .from(users)
    .where(sql`lower(${users.email}) = lower(${address})`)
    .limit(1);
  return row;
}

/** Active staff who want mail about new tickets. */
export async function listNotifiableStaff(db: Executor): Promise<Recipient[]> {
  return db
    .select(recipientColumns)
    .from(users)
    .where(
      and(
        inArray(users.role, ["agent", "admin"]),
        eq(users.disabled, false),
        eq(users.emailNotifications, true),
      ),
    )
    .orderBy(users.id);
}

export async function setEmailNotifications(
  db: Executor,
  userId: number,
  enabled: boolean,
): Promise<void> {
  await db.update(users).set({ emailNotifications: enabled }).where(eq(users.id, userId));
}

export async function getEmailNotifications(db: Executor, userId: number): Promise<boolean> {
  const [row] = await db
    .select({ on: users.emailNotifications })
    .from(users)
    .where(eq(users.id, userId));
  return row?.on ?? false;
}

/** A ticket's CCs, who get copies of public replies. */
export async function listCcRecipients(
  db: Executor,
  ticketId: number,
): Promise<{ address: string; name: string | null }[]> {
  return db
    .select({ address: ticketCcs.address, name: ticketCcs.name })
    .from(ticketCcs)
    .where(eq(ticketCcs.ticketId, ticketId))
    .orderBy(asc(ticketCcs.id));
}

/**
 * Automatic mails (of `kinds`) to one address in the last `windowMs`, after
 * taking a transaction-long advisory lock on the address: two transactions
 * (on any nodes) counting for the same address take turns, so both cannot
 * slip under the limit at once.
 */
export async function countAutomaticSince(
  db: Executor,
  address: string,
  kinds: readonly string[],
  windowMs: number,
): Promise<number> {
  const lower = address.toLowerCase();
  await db.execute(
    sql`select pg_advisory_xact_lock(hashtextextended(${`auto-reply:${lower}`}, 0))`,
  );
  const [row] = await db
    .select({ n: count() })
    .from(outbox)
    .where(
      and(
        sql`lower(${outbox.toAddress}) = ${lower}`,
        gt(outbox.createdAt, sql`now() - ${windowMs} * interval '1 millisecond'`),
        inArray(outbox.kind, [...kinds]),
      ),
    );
  return row?.n ?? 0;
}
