import { randomUUID } from "node:crypto";
import type { Deps } from "../deps.ts";
import { pollRounds } from "../lib/poll.ts";
import * as repo from "./outbox.repo.ts";
import { isPermanent, type Sender } from "./smtp.sender.ts";

/**
 * Delivers the outbox. Each round claims due rows (FOR UPDATE SKIP LOCKED,
 * committed with a lease of twice the send timeout), sends them, then records
 * the outcome under the claim's token.
 *
 * Guarantees, honestly: delivery is at-least-once, not exactly-once.
 * - A process killed after claiming, before or during the SMTP conversation,
 *   loses nothing: the lease runs out and another round (any node) sends it.
 *   The server never said 250, so the message was not delivered: it arrives
 *   exactly once.
 * - Two workers never hold one row: the claim is a row lock plus a lease, and
 *   a worker may only record the outcome of its own claim.
 * - The one window left: the server accepted (250) and the process died before
 *   `markSent` committed. Then the message is sent again after the lease, with
 *   the same Message-ID, so mail systems and clients can recognise the copy.
 *   SMTP has no way to close that window (no idempotent submit); we keep it
 *   down to one UPDATE.
 */

export interface WorkerOptions {
  /** Rows claimed per round. */
  batch?: number;
  /** Pause between rounds when the queue was empty. */
  idleMs?: number;
  /** First retry delay; doubles each attempt, capped at 6 hours. */
  backoffMs?: number;
}

export interface OutboxWorker {
  /** One round: claim, send, record. Returns how many rows it handled. */
  runOnce(): Promise<number>;
  /** Finishes the round in flight and stops. */
  stop(): Promise<void>;
}

const MAX_BACKOFF_MS = 6 * 3600_000;

/** Delay before attempt `attempts + 1`: backoff, 2x backoff, 4x... */
export function retryDelay(attempts: number, backoffMs: number): number {
  return Math.min(backoffMs * 2 ** Math.max(0, attempts - 1), MAX_BACKOFF_MS);
}

/** Starts delivering in the background (unless `start` is false: tests drive runOnce). */
export function startOutboxWorker(
  deps: Deps,
  sender: Sender,
  options: WorkerOptions & { start?: boolean } = {},
): OutboxWorker {
  const batch = options.batch ?? 10;
  const idleMs = options.idleMs ?? 1000;
  const backoffMs = options.backoffMs ?? 30_000;
  const leaseMs = deps.config.mailSendTimeoutMs * 2;
  const maxTries = deps.config.mailMaxTries;

  async function deliver(row: repo.OutboxRow, claim: string): Promise<void> {
    if (row.attempts > maxTries) {
      // Claimed again after crashes used up its tries: give up without sending.
      await repo.markAttemptFailed(deps.db, row.id, claim, row.lastError ?? "gave up", undefined);
      return;
    }
    try {
      await sender.send(row);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const giveUp = isPermanent(error) || row.attempts >= maxTries;
      await repo.markAttemptFailed(
        deps.db,
        row.id,
        claim,
        message.slice(0, 1000),
        giveUp ? undefined : retryDelay(row.attempts, backoffMs),
      );
      (giveUp ? deps.log.error : deps.log.warn).call(
        deps.log,
        { outboxId: row.id, attempts: row.attempts, err: message },
        giveUp ? "mail delivery failed; giving up" : "mail delivery failed; will retry",
      );
      return;
    }
    if (!(await repo.markSent(deps.db, row.id, claim))) {
      deps.log.warn({ outboxId: row.id }, "mail sent after its claim expired");
    }
  }

  async function runOnce(): Promise<number> {
    const claim = randomUUID();
    const claimedAt = Date.now();
    const rows = await repo.claimDue(deps.db, claim, batch, leaseMs);
    for (const row of rows) {
      // Each send may take up to the timeout: start one only while it can finish inside the lease.
      if (loop.stopped || Date.now() - claimedAt > leaseMs - deps.config.mailSendTimeoutMs) {
        await repo.release(deps.db, row.id, claim);
      } else {
        await deliver(row, claim);
      }
    }
    return rows.length;
  }

  const loop = pollRounds(runOnce, {
    idleMs,
    start: options.start !== false,
    onError: (error) => deps.log.error({ err: error }, "outbox round failed"),
  });

  return {
    runOnce,
    async stop() {
      await loop.stop();
      sender.close();
    },
  };
}
