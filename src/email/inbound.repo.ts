import { and, count, desc, eq, gt, inArray, isNotNull, lt, ne, or, sql } from "drizzle-orm";
import type { Executor } from "../db/client.ts";
import { inboundEmails, messages, ticketCcs, tickets, users } from "../db/schema/index.ts";

export type InboundRow = typeof inboundEmails.$inferSelect;
export type InboundStatus = InboundRow["status"];

export async function insertInbound(
  db: Executor,
  values: { raw: Buffer; envelopeFrom: string | null; envelopeTo: string[] },
): Promise<number> {
  const [row] = await db.insert(inboundEmails).values(values).returning({ id: inboundEmails.id });
  if (!row) throw new Error("inbound insert returned nothing");
  return row.id;
}

export async function updateInbound(
  db: Executor,
  id: number,
  change: Partial<
    Pick<
      InboundRow,
      | "fromAddress"
      | "subject"
      | "messageId"
      | "status"
      | "reason"
      | "ticketId"
      | "messageRowId"
      | "safeHtml"
    >
  >,
): Promise<void> {
  await db.update(inboundEmails).set(change).where(eq(inboundEmails.id, id));
}

/**
 * Records a message's Message-ID on its row, unless an earlier row holds the
 * same Message-ID and became a ticket or reply, or is being handled now
 * (received after `inFlightSince`): then that earlier row, and nothing is written.
 * An advisory lock on the Message-ID makes two parallel deliveries take turns.
 */
export async function claimMessageId(
  db: Executor,
  id: number,
  messageId: string,
  inFlightSince: Date,
): Promise<Pick<InboundRow, "id" | "status" | "ticketId"> | undefined> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${messageId}, 0))`);
    const [earlier] = await tx
      .select({
        id: inboundEmails.id,
        status: inboundEmails.status,
        ticketId: inboundEmails.ticketId,
      })
      .from(inboundEmails)
      .where(
        and(
          eq(inboundEmails.messageId, messageId),
          ne(inboundEmails.id, id),
          or(
            inArray(inboundEmails.status, ["ticket", "reply"]),
            and(eq(inboundEmails.status, "received"), gt(inboundEmails.receivedAt, inFlightSince)),
          ),
        ),
      )
      .orderBy(inboundEmails.id)
      .limit(1);
    if (earlier) return earlier;
    await tx.update(inboundEmails).set({ messageId }).where(eq(inboundEmails.id, id));
    return undefined;
  });
}

/** Tickets that mail with these Message-IDs (with angle brackets) became or was added to. */
export async function ticketsForInboundMessageIds(db: Executor, messageIds: string[]) {
  if (messageIds.length === 0) return [];
  return db
    .select({ ticketId: inboundEmails.ticketId })
    .from(inboundEmails)
    .where(
      and(
        inArray(inboundEmails.messageId, messageIds),
        inArray(inboundEmails.status, ["ticket", "reply"]),
        isNotNull(inboundEmails.ticketId),
      ),
    )
    .orderBy(desc(inboundEmails.id));
}

/** Tickets one sender opened by mail since `since` (the per-sender rate limit). */
export async function countTicketsFrom(
  db: Executor,
  address: string,
  since: Date,
): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(inboundEmails)
    .where(
      and(
        sql`lower(${inboundEmails.fromAddress}) = ${address.toLowerCase()}`,
        gt(inboundEmails.receivedAt, since),
        eq(inboundEmails.status, "ticket"),
      ),
    );
  return row?.n ?? 0;
}

/** Everything but the raw bytes, newest first. */
export async function listInbound(
  db: Executor,
  filter: { status?: InboundStatus | undefined; beforeId?: number | undefined; limit: number },
) {
  return db
    .select({
      id: inboundEmails.id,
      envelopeFrom: inboundEmails.envelopeFrom,
      fromAddress: inboundEmails.fromAddress,
      subject: inboundEmails.subject,
      status: inboundEmails.status,
      reason: inboundEmails.reason,
      ticketId: inboundEmails.ticketId,
      receivedAt: inboundEmails.receivedAt,
      size: sql<number>`octet_length(${inboundEmails.raw})`.mapWith(Number),
    })
    .from(inboundEmails)
    .where(
      and(
        filter.status ? eq(inboundEmails.status, filter.status) : undefined,
        filter.beforeId ? lt(inboundEmails.id, filter.beforeId) : undefined,
      ),
    )
    .orderBy(desc(inboundEmails.id))
    .limit(filter.limit);
}

export async function findInbound(db: Executor, id: number): Promise<InboundRow | undefined> {
  const [row] = await db.select().from(inboundEmails).where(eq(inboundEmails.id, id));
  return row;
}

// Read-only lookups for threading (the accounts and tickets services have no system-level ones).
export async function findUserByEmail(db: Executor, email: string) {
  const [row] = await db
    .select({
      id: users.id,
      email: users.email,
      name: users.name,
      role: users.role,
      disabled: users.disabled,
    })
    .from(users)
    .where(sql`lower(${users.email}) = ${email.toLowerCase()}`);
  return row;
}

export async function findTicketRequester(db: Executor, ticketId: number) {
  const [row] = await db
    .select({ id: tickets.id, requesterId: tickets.requesterId })
    .from(tickets)
    .where(eq(tickets.id, ticketId));
  return row;
}

/** Whether `address` is a CC of the ticket (their mail may join it). */
export async function isCcOf(db: Executor, ticketId: number, address: string): Promise<boolean> {
  const [row] = await db
    .select({ id: ticketCcs.id })
    .from(ticketCcs)
    .where(and(eq(ticketCcs.ticketId, ticketId), eq(ticketCcs.address, address.toLowerCase())));
  return row !== undefined;
}

/** The first message of a ticket (what a mail that opened it became). */
export async function firstMessageOf(db: Executor, ticketId: number): Promise<number | null> {
  const [row] = await db
    .select({ id: messages.id })
    .from(messages)
    .where(eq(messages.ticketId, ticketId))
    .orderBy(messages.id)
    .limit(1);
  return row?.id ?? null;
}

/** The mail a message came in as (for staff to download the original). */
export async function findByMessageRow(
  db: Executor,
  messageRowId: number,
): Promise<{ id: number; raw: Buffer; ticketId: number | null } | undefined> {
  const [row] = await db
    .select({ id: inboundEmails.id, raw: inboundEmails.raw, ticketId: inboundEmails.ticketId })
    .from(inboundEmails)
    .where(eq(inboundEmails.messageRowId, messageRowId))
    .orderBy(desc(inboundEmails.id))
    .limit(1);
  return row;
}
