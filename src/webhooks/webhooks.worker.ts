import { randomUUID } from "node:crypto";
import type { Deps } from "../deps.ts";
import { pollRounds } from "../lib/poll.ts";
import { type Resolver, systemResolver } from "./webhooks.guard.ts";
import * as repo from "./webhooks.repo.ts";
import { postWebhook } from "./webhooks.sender.ts";
import { signatureHeader } from "./webhooks.signing.ts";

/**
 * Sends queued webhook deliveries. Each round claims due rows (FOR UPDATE SKIP
 * LOCKED, committed with a lease), sends them in parallel, each bounded by
 * WEBHOOK_TIMEOUT_SECONDS, and records each outcome under the claim's token.
 *
 * Delivery is at-least-once: a process that dies after the receiver answered
 * 2xx but before the outcome is recorded leaves the row to be sent again when
 * the lease ends, with the same `webhook-id`, which receivers use to ignore
 * the repeat. Each attempt is signed afresh (a new `webhook-timestamp`), with
 * the endpoint's current secret and, during a rotation, the previous one.
 */

export interface WebhookWorkerOptions {
  /** Rows claimed per round (sent in parallel). */
  batch?: number;
  /** Pause between rounds when the queue was empty. */
  idleMs?: number;
  /** First retry delay; doubles each attempt, capped at MAX_BACKOFF_MS. */
  backoffMs?: number;
  /** Host name resolution (tests pass their own to stand in for DNS). */
  resolve?: Resolver;
}

export interface WebhookWorker {
  /** One round: claim, send, record. Returns how many rows it handled. */
  runOnce(): Promise<number>;
  /** Finishes the round in flight and stops. */
  stop(): Promise<void>;
}

export const FIRST_BACKOFF_MS = 5_000;
export const MAX_BACKOFF_MS = 3600_000;
/** A delivery is given up this long after it was queued, whatever its tries. */
export const GIVE_UP_AFTER_MS = 24 * 3600_000;

/** Delay before attempt `attempts + 1`: 5 s, 10 s, 20 s, ... up to an hour. */
export function retryDelay(attempts: number, backoffMs = FIRST_BACKOFF_MS): number {
  return Math.min(backoffMs * 2 ** Math.max(0, attempts - 1), MAX_BACKOFF_MS);
}

/** Starts sending in the background (unless `start` is false: tests drive runOnce). */
export function startWebhookWorker(
  deps: Deps,
  options: WebhookWorkerOptions & { start?: boolean } = {},
): WebhookWorker {
  const batch = options.batch ?? 10;
  const idleMs = options.idleMs ?? 1000;
  const backoffMs = options.backoffMs ?? FIRST_BACKOFF_MS;
  const { webhookTimeoutMs: timeoutMs, webhookMaxAttempts: maxAttempts } = deps.config;
  // The sends of a round run in parallel, each within the timeout: the lease outlasts them.
  const leaseMs = timeoutMs * 2 + 5_000;
  const sender = {
    allowHosts: deps.config.webhookAllowHosts,
    timeoutMs,
    resolve: options.resolve ?? systemResolver,
  };

  async function deliver(
    row: repo.DeliveryRow,
    endpoint: repo.EndpointRow | undefined,
    claim: string,
  ): Promise<void> {
    if (!endpoint) return; // deleted meanwhile: its deliveries went with it
    const expired = Date.now() - row.queuedAt.getTime() > GIVE_UP_AFTER_MS;
    if (row.attempts > maxAttempts || expired) {
      // Claimed again after crashes used up its tries, or queued too long ago: give up unsent.
      await repo.recordAttempt(deps.db, row.id, claim, {
        responseStatus: row.responseStatus,
        responseMs: row.responseMs ?? 0,
        responseExcerpt: row.responseExcerpt,
        lastError: row.lastError ?? "gave up",
        next: { status: "failed" },
      });
      return;
    }
    const timestamp = Math.floor(Date.now() / 1000);
    const secrets = [endpoint.secret];
    if (
      endpoint.previousSecret &&
      endpoint.previousSecretExpiresAt &&
      endpoint.previousSecretExpiresAt.getTime() > Date.now()
    ) {
      secrets.push(endpoint.previousSecret);
    }
    const result = await postWebhook(
      {
        url: endpoint.url,
        body: row.body,
        headers: {
          "webhook-id": row.webhookId,
          "webhook-timestamp": String(timestamp),
          "webhook-signature": signatureHeader(secrets, row.webhookId, timestamp, row.body),
        },
      },
      sender,
    );
    const ok = result.error === undefined;
    const giveUp =
      result.blocked ||
      row.attempts >= maxAttempts ||
      Date.now() + retryDelay(row.attempts, backoffMs) - row.queuedAt.getTime() > GIVE_UP_AFTER_MS;
    const recorded = await repo.recordAttempt(deps.db, row.id, claim, {
      responseStatus: result.status ?? null,
      responseMs: result.ms,
      responseExcerpt: result.excerpt ?? null,
      lastError: result.error?.slice(0, 1000) ?? null,
      next: ok
        ? { status: "delivered" }
        : giveUp
          ? { status: "failed" }
          : { status: "retry", retryInMs: retryDelay(row.attempts, backoffMs) },
    });
    if (!recorded) {
      deps.log.warn({ deliveryId: row.id }, "webhook sent after its claim expired");
    } else if (!ok) {
      (giveUp ? deps.log.error : deps.log.warn).call(
        deps.log,
        { deliveryId: row.id, endpointId: endpoint.id, attempts: row.attempts, err: result.error },
        giveUp ? "webhook delivery failed; giving up" : "webhook delivery failed; will retry",
      );
    }
  }

  async function runOnce(): Promise<number> {
    const claim = randomUUID();
    const rows = await repo.claimDue(deps.db, claim, batch, leaseMs);
    if (rows.length === 0) return 0;
    if (loop.stopped) {
      for (const row of rows) await repo.release(deps.db, row.id, claim);
      return rows.length;
    }
    const endpoints = new Map(
      (await repo.endpointsByIds(deps.db, [...new Set(rows.map((r) => r.endpointId))])).map((e) => [
        e.id,
        e,
      ]),
    );
    await Promise.all(rows.map((row) => deliver(row, endpoints.get(row.endpointId), claim)));
    return rows.length;
  }

  const loop = pollRounds(runOnce, {
    idleMs,
    start: options.start !== false,
    onError: (error) => deps.log.error({ err: error }, "webhook round failed"),
  });

  return {
    runOnce,
    async stop() {
      await loop.stop();
    },
  };
}
