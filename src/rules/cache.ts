import { sql } from "drizzle-orm";
import type { Database, Db, Executor } from "../db/client.ts";
import * as repo from "./rules.repo.ts";
import type { Rule } from "./rules.schemas.ts";

/**
 * The enabled triggers, kept in memory on a node that listens for rule
 * changes, so a write to a ticket pays nothing for triggers that do not
 * match. Every change to the rules table NOTIFYs `tessera_rules` in its
 * transaction; each node drops its copy when the notification arrives (at
 * commit), or when its listening connection was lost (notifications may have
 * been missed). The node that saved the change drops its copy at once. A node
 * that does not listen (the CLI, service tests) reads the rules on every write.
 */

export const RULES_CHANNEL = "tessera_rules";

class TriggerCache {
  #rules: Rule[] | undefined;
  #generation = 0;

  /** Whether a copy is held (tests wait for a change to drop it). */
  get warm(): boolean {
    return this.#rules !== undefined;
  }

  invalidate(): void {
    this.#rules = undefined;
    this.#generation++;
  }

  async get(db: Executor): Promise<Rule[]> {
    if (this.#rules) return this.#rules;
    const generation = this.#generation;
    const rules = await repo.allEnabledTriggers(db);
    // A change that landed while reading leaves this copy unkept.
    if (generation === this.#generation) this.#rules = rules;
    return rules;
  }
}

const caches = new WeakMap<Db, TriggerCache>();

/** The cache of a listening node, if this database handle has one. */
export function triggerCache(db: Db): TriggerCache | undefined {
  return caches.get(db);
}

/** Keeps the enabled triggers of `db` in memory while listening for changes; returns the stop. */
export async function watchRules(
  db: Db,
  listen: Database["listen"],
  log?: { error(obj: object, msg: string): void },
): Promise<() => Promise<void>> {
  const cache = new TriggerCache();
  const stop = await listen(RULES_CHANNEL, {
    onPayload: () => cache.invalidate(),
    onReconnect: () => cache.invalidate(),
    onError: (error) => {
      cache.invalidate();
      log?.error({ err: error }, "listening for rule changes failed");
    },
  });
  caches.set(db, cache);
  return async () => {
    caches.delete(db);
    await stop();
  };
}

/** Tells every node, at commit, that the rules changed (call inside the change's transaction). */
export async function announceRulesChanged(tx: Executor): Promise<void> {
  await tx.execute(sql`select pg_notify(${RULES_CHANNEL}, '')`);
}

/** Drops this node's copy now (after the change committed). */
export function forgetRules(db: Db): void {
  caches.get(db)?.invalidate();
}
