import { and, count, desc, eq, gt, lt, sql } from "drizzle-orm";
import type { Executor } from "../db/client.ts";
import { inboundEmails, tickets, users } from "../db/schema/index.ts";

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
