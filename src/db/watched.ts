import { sql } from "drizzle-orm";
import type { Database, Db, Executor, Tx } from "./client.ts";

/**
 * A small table's rows kept in memory on a node that listens for their changes,
 * so a hot path (every ticket write asks for the enabled triggers and webhook
 * endpoints) pays no query for them. Every change NOTIFYs the table's channel in
 * its transaction; each node drops its copy when the notification arrives (at
 * commit), or when its listening connection was lost (notifications may have
 * been missed). The node that made the change drops its copy at once. A handle
 * that does not listen (the CLI, service tests) loads on every call.
 */
export class Watched<T> {
  readonly #copies = new WeakMap<Db, Copy<T>>();

  constructor(
    /** The NOTIFY channel that announces a change. */
    readonly channel: string,
    readonly load: (db: Executor) => Promise<T>,
  ) {}

  /** The rows: this node's copy when it listens, else read in `tx`. */
  get(db: Db, tx: Executor): Promise<T> {
    const copy = this.#copies.get(db);
    return copy ? copy.get(tx, this.load) : this.load(tx);
  }

  /** Whether `db` holds a copy now (tests wait for a change to drop it). */
  isWarm(db: Db): boolean {
    return this.#copies.get(db)?.warm ?? false;
  }

  /** Whether `db` keeps a copy at all (it listens). */
  isWatched(db: Db): boolean {
    return this.#copies.has(db);
  }

  /** Keeps a copy for `db` while listening for changes; returns the stop. */
  async watch(
    db: Db,
    listen: Database["listen"],
    log?: { error(obj: object, msg: string): void },
  ): Promise<() => Promise<void>> {
    const copy = new Copy<T>();
    const stop = await listen(this.channel, {
      onPayload: () => copy.invalidate(),
      onReconnect: () => copy.invalidate(),
      onError: (error) => {
        copy.invalidate();
        log?.error({ err: error, channel: this.channel }, "listening for changes failed");
      },
    });
    this.#copies.set(db, copy);
    return async () => {
      this.#copies.delete(db);
      await stop();
    };
  }

  /**
   * Runs `change` in a transaction that tells every node, at commit, that the
   * rows changed; this node drops its copy at once, committed or not.
   */
  async change<R>(db: Db, change: (tx: Tx) => Promise<R>): Promise<R> {
    try {
      return await db.transaction(async (tx) => {
        const result = await change(tx);
        await tx.execute(sql`select pg_notify(${this.channel}, '')`);
        return result;
      });
    } finally {
      this.#copies.get(db)?.invalidate();
    }
  }

  /**
   * `change`'s announcement for a change made in the caller's open transaction
   * `tx` (part of a larger write): every node drops its copy at commit, this one
   * at once.
   */
  async changedIn(db: Db, tx: Executor): Promise<void> {
    await tx.execute(sql`select pg_notify(${this.channel}, '')`);
    this.#copies.get(db)?.invalidate();
  }
}

class Copy<T> {
  #value: T | undefined;
  #generation = 0;

  get warm(): boolean {
    return this.#value !== undefined;
  }

  invalidate(): void {
    this.#value = undefined;
    this.#generation++;
  }

  async get(db: Executor, load: (db: Executor) => Promise<T>): Promise<T> {
    if (this.#value !== undefined) return this.#value;
    const generation = this.#generation;
    const value = await load(db);
    // A change that landed while reading leaves this copy unkept.
    if (generation === this.#generation) this.#value = value;
    return value;
  }
}
