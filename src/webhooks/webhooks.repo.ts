import { and, desc, eq, inArray, lt, sql } from "drizzle-orm";
import type { Executor } from "../db/client.ts";
import { webhookDeliveries, webhookEndpoints } from "../db/schema/index.ts";

export type EndpointRow = typeof webhookEndpoints.$inferSelect;
export type NewEndpointRow = typeof webhookEndpoints.$inferInsert;
export type DeliveryRow = typeof webhookDeliveries.$inferSelect;
export type NewDeliveryRow = typeof webhookDeliveries.$inferInsert;

export async function listEndpoints(db: Executor): Promise<EndpointRow[]> {
  return db.select().from(webhookEndpoints).orderBy(webhookEndpoints.id);
}

export async function findEndpoint(db: Executor, id: number): Promise<EndpointRow | undefined> {
  const [row] = await db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id));
  return row;
}

export async function insertEndpoint(db: Executor, row: NewEndpointRow): Promise<EndpointRow> {
  const [created] = await db.insert(webhookEndpoints).values(row).returning();
  if (!created) throw new Error("insert returned no row");
  return created;
}

export async function updateEndpoint(
  db: Executor,
  id: number,
  patch: Partial<NewEndpointRow>,
): Promise<EndpointRow | undefined> {
  const [row] = await db
    .update(webhookEndpoints)
    .set({ ...patch, updatedAt: sql`now()` })
    .where(eq(webhookEndpoints.id, id))
    .returning();
  return row;
}

/** A new secret; the current one keeps signing until `graceMs` from now. */
export async function rotateSecret(
  db: Executor,
  id: number,
  secret: string,
  graceMs: number,
): Promise<EndpointRow | undefined> {
  const [row] = await db
    .update(webhookEndpoints)
    .set({
      previousSecret: sql`${webhookEndpoints.secret}`,
      previousSecretExpiresAt: sql`now() + ${graceMs} * interval '1 millisecond'`,
      secret,
      updatedAt: sql`now()`,
    })
    .where(eq(webhookEndpoints.id, id))
    .returning();
  return row;
}

export async function deleteEndpoint(db: Executor, id: number): Promise<boolean> {
  const rows = await db
    .delete(webhookEndpoints)
    .where(eq(webhookEndpoints.id, id))
    .returning({ id: webhookEndpoints.id });
  return rows.length > 0;
}

/** Enabled endpoints subscribed to any of `types`. */
/** The enabled endpoints and what they subscribe to (kept in memory: see webhooks.service.ts). */
export async function enabledEndpoints(
  db: Executor,
): Promise<Pick<EndpointRow, "id" | "eventTypes">[]> {
  return db
    .select({ id: webhookEndpoints.id, eventTypes: webhookEndpoints.eventTypes })
    .from(webhookEndpoints)
    .where(eq(webhookEndpoints.enabled, true));
}

export async function insertDeliveries(db: Executor, rows: NewDeliveryRow[]): Promise<void> {
  if (rows.length > 0) await db.insert(webhookDeliveries).values(rows);
}

/**
 * Claims up to `limit` due deliveries of enabled endpoints for one worker:
 * `FOR UPDATE SKIP LOCKED` lets workers on any number of nodes take disjoint
 * rows, and the claim (attempt counted, lease until `now + leaseMs`, claim
 * token) commits before anything is sent, so a worker that dies leaves the row
 * to be taken again when the lease ends.
 */
export async function claimDue(
  db: Executor,
  claimToken: string,
  limit: number,
  leaseMs: number,
): Promise<DeliveryRow[]> {
  const due = db
    .select({ id: webhookDeliveries.id })
    .from(webhookDeliveries)
    .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
    .where(
      and(
        eq(webhookDeliveries.status, "pending"),
        sql`${webhookDeliveries.nextAttemptAt} <= now()`,
        eq(webhookEndpoints.enabled, true),
      ),
    )
    .orderBy(webhookDeliveries.nextAttemptAt, webhookDeliveries.id)
    .limit(limit)
    .for("update", { of: webhookDeliveries, skipLocked: true });
  return db
    .update(webhookDeliveries)
    .set({
      attempts: sql`${webhookDeliveries.attempts} + 1`,
      nextAttemptAt: sql`now() + ${leaseMs} * interval '1 millisecond'`,
      claimToken,
    })
    .where(inArray(webhookDeliveries.id, due))
    .returning();
}

/** The endpoints of claimed rows, read at send time so a new URL or secret applies. */
export async function endpointsByIds(db: Executor, ids: number[]): Promise<EndpointRow[]> {
  if (ids.length === 0) return [];
  return db.select().from(webhookEndpoints).where(inArray(webhookEndpoints.id, ids));
}

export interface AttemptOutcome {
  readonly responseStatus: number | null;
  readonly responseMs: number;
  readonly responseExcerpt: string | null;
  readonly lastError: string | null;
  /** delivered, retry after `retryInMs`, or failed (given up). */
  readonly next:
    | { status: "delivered" }
    | { status: "retry"; retryInMs: number }
    | { status: "failed" };
}

/** Records an attempt; only the claim that holds the row may (false when it lost the lease). */
export async function recordAttempt(
  db: Executor,
  id: number,
  claimToken: string,
  outcome: AttemptOutcome,
): Promise<boolean> {
  const { next } = outcome;
  const rows = await db
    .update(webhookDeliveries)
    .set({
      lastAttemptAt: sql`now()`,
      responseStatus: outcome.responseStatus,
      responseMs: outcome.responseMs,
      responseExcerpt: outcome.responseExcerpt,
      lastError: outcome.lastError,
      claimToken: null,
      ...(next.status === "delivered"
        ? { status: "delivered" as const, deliveredAt: sql`now()` }
        : next.status === "failed"
          ? { status: "failed" as const }
          : { nextAttemptAt: sql`now() + ${next.retryInMs} * interval '1 millisecond'` }),
    })
    .where(and(eq(webhookDeliveries.id, id), eq(webhookDeliveries.claimToken, claimToken)))
    .returning({ id: webhookDeliveries.id });
  return rows.length > 0;
}

/** Gives a claimed row back untried (the worker is stopping). */
export async function release(db: Executor, id: number, claimToken: string): Promise<void> {
  await db
    .update(webhookDeliveries)
    .set({
      attempts: sql`${webhookDeliveries.attempts} - 1`,
      nextAttemptAt: sql`now()`,
      claimToken: null,
    })
    .where(and(eq(webhookDeliveries.id, id), eq(webhookDeliveries.claimToken, claimToken)));
}

/** An endpoint's deliveries, newest first, `limit` of them before `beforeId`. */
export async function listDeliveries(
  db: Executor,
  endpointId: number,
  limit: number,
  beforeId?: number,
): Promise<DeliveryRow[]> {
  return db
    .select()
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.endpointId, endpointId),
        beforeId ? lt(webhookDeliveries.id, beforeId) : undefined,
      ),
    )
    .orderBy(desc(webhookDeliveries.id))
    .limit(limit);
}

export async function findDelivery(
  db: Executor,
  endpointId: number,
  id: number,
): Promise<DeliveryRow | undefined> {
  const [row] = await db
    .select()
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.id, id), eq(webhookDeliveries.endpointId, endpointId)));
  return row;
}

/**
 * A delivered or failed delivery back in the queue, due now, with a fresh set
 * of tries (and 24 hours); the same id and body. False when it is pending.
 */
export async function resend(
  db: Executor,
  endpointId: number,
  id: number,
): Promise<DeliveryRow | undefined> {
  const [row] = await db
    .update(webhookDeliveries)
    .set({
      status: "pending",
      attempts: 0,
      nextAttemptAt: sql`now()`,
      queuedAt: sql`now()`,
      claimToken: null,
      deliveredAt: null,
    })
    .where(
      and(
        eq(webhookDeliveries.id, id),
        eq(webhookDeliveries.endpointId, endpointId),
        inArray(webhookDeliveries.status, ["delivered", "failed"]),
      ),
    )
    .returning();
  return row;
}

/** Deletes delivered and failed deliveries last queued before `olderThanMs` ago; returns how many. */
export async function pruneFinished(db: Executor, olderThanMs: number): Promise<number> {
  const rows = await db
    .delete(webhookDeliveries)
    .where(
      and(
        inArray(webhookDeliveries.status, ["delivered", "failed"]),
        sql`${webhookDeliveries.queuedAt} < now() - ${olderThanMs} * interval '1 millisecond'`,
      ),
    )
    .returning({ id: webhookDeliveries.id });
  return rows.length;
}
