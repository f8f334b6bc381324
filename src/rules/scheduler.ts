import { randomUUID } from "node:crypto";
import type { Deps } from "../deps.ts";
import { fireRule } from "./engine.ts";
import * as repo from "./rules.repo.ts";
import type { Clock, Rule } from "./rules.schemas.ts";

/**
 * The time-rule scheduler, safe on any number of nodes (DESIGN.md section 8):
 * - a node claims one rule at a time with `FOR UPDATE SKIP LOCKED` and a lease
 *   (committed before any work; renewed as it goes; another node takes the
 *   rule over when the lease runs out, e.g. after a crash);
 * - due tickets are found in SQL (rules.repo `findDue`), then each firing is a
 *   transaction of its own: the ticket locked (`SKIP LOCKED`: a ticket another
 *   node or a person is changing is left for the next batch), the firing row
 *   written only while still due and not fired for this start of its clock,
 *   and the actions, all committing together. So an action happens once per
 *   occurrence, and a crash before commit leaves it to be done again.
 */

export interface PassOptions {
  /** Evaluate as if it were this instant (tests move the clock instead of waiting). */
  now?: Date | undefined;
  /** Tickets fetched per query. */
  batchSize?: number | undefined;
  /** How long a claim on a rule lasts without renewal. */
  leaseMs?: number | undefined;
  /** Checked between tickets: a stopping node gives its rule back. */
  shouldStop?: (() => boolean) | undefined;
}

export interface PassResult {
  /** Firings committed by this pass. */
  fired: number;
  /** Rules this pass claimed. */
  rules: number;
}

const DEFAULT_BATCH = 200;
const DEFAULT_LEASE_MS = 60_000;

type TimeRule = Rule & { clock: Clock; hours: number };

function isTimeRule(rule: Rule): rule is TimeRule {
  return rule.kind === "automation" && rule.clock !== null && rule.hours !== null;
}

/** Fires one due ticket; false when it was not fired (locked elsewhere, no longer due, or fired already). */
async function fireDue(deps: Deps, rule: TimeRule, ticketId: number, now: Date | null) {
  return deps.db.transaction(async (tx) => {
    if (!(await repo.lockTicketSkipLocked(tx, ticketId))) return false;
    if (!(await repo.insertFiring(tx, rule, ticketId, now))) return false;
    await fireRule(deps, tx, rule, ticketId, 1);
    return true;
  });
}

/** One rule's due tickets, batch by batch; returns whether it got through them all. */
async function runRule(
  deps: Deps,
  rule: TimeRule,
  token: string,
  options: PassOptions,
  onFired: () => void,
): Promise<boolean> {
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const batchSize = options.batchSize ?? DEFAULT_BATCH;
  let renewedAt = Date.now();
  for (;;) {
    const due = await repo.findDue(deps.db, rule, options.now ?? null, batchSize);
    let progress = false;
    for (const ticketId of due) {
      if (options.shouldStop?.()) return false;
      if (Date.now() - renewedAt > leaseMs / 3) {
        if (!(await repo.renewLease(deps.db, rule.id, token, leaseMs))) return false;
        renewedAt = Date.now();
      }
      if (await fireDue(deps, rule, ticketId, options.now ?? null)) {
        progress = true;
        onFired();
      }
    }
    // A short batch was the last; a batch with nothing fired is all held elsewhere: next pass.
    if (due.length < batchSize || !progress) return true;
  }
}

/** One pass over every enabled time rule this node can claim. */
export async function runTimeRules(deps: Deps, options: PassOptions = {}): Promise<PassResult> {
  const token = randomUUID();
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const since = await repo.databaseNow(deps.db);
  const result = { fired: 0, rules: 0 };
  while (!options.shouldStop?.()) {
    const rule = await repo.claimRule(deps.db, token, leaseMs, since);
    if (!rule) break;
    result.rules++;
    let finished = false;
    try {
      if (isTimeRule(rule)) {
        finished = await runRule(deps, rule, token, options, () => result.fired++);
      } else finished = true;
    } finally {
      await repo.releaseRule(deps.db, rule.id, token, finished);
    }
  }
  return result;
}

export interface Scheduler {
  /** Waits for the pass in progress to give its rule back. */
  stop(): Promise<void>;
}

/** Runs a pass now and every `intervalMs` after the last one ended, until stopped. */
export function startScheduler(deps: Deps, intervalMs: number): Scheduler {
  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  // The lease outlives any pause between renewals (a third of it) with room to spare.
  const leaseMs = Math.max(5_000, 2 * intervalMs);
  const pass = () => {
    running = runTimeRules(deps, { leaseMs, shouldStop: () => stopping })
      .then(
        (result) => {
          if (result.fired > 0) deps.log.info(result, "time rules fired");
        },
        (error: unknown) => deps.log.error({ err: error }, "time rules pass failed"),
      )
      .finally(() => {
        running = undefined;
        if (!stopping) {
          timer = setTimeout(pass, intervalMs);
          timer.unref();
        }
      });
  };
  pass();
  return {
    async stop() {
      stopping = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
