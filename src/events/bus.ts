import { AsyncLocalStorage } from "node:async_hooks";
import { sql } from "drizzle-orm";
import type { Tx } from "../db/client.ts";
import {
  type Cause,
  type CommittedEvent,
  type DomainEvent,
  type EventType,
  toCommitted,
  type ViaMacro,
} from "./events.ts";

/**
 * The one way features react to ticket changes (DESIGN.md section 8).
 *
 * - In-transaction reactions run inside the transaction that recorded the
 *   events, in the order they subscribed, and write their rows there (outbox
 *   mail, rule actions): a change and its consequences commit or roll back
 *   together. A reaction that throws rolls the change back.
 * - After-commit reactions get a small summary of each event once it has
 *   committed, on every node: the events travel by PostgreSQL NOTIFY, which
 *   the server delivers only at commit (and never for a rolled-back change),
 *   to every connection listening, whichever node wrote them. They are for
 *   fan-out to this node's open pages; work that must happen once belongs in
 *   an in-transaction reaction (an outbox row).
 *
 * Subscriptions are made when the app is composed (src/reactions.ts), never by
 * the code that records events.
 */

/** The NOTIFY channel committed events travel on. */
export const EVENTS_CHANNEL = "tessera_events";

// PostgreSQL refuses NOTIFY payloads of 8,000 bytes or more.
const NOTIFY_PAYLOAD_MAX = 7_900;

export interface Reaction<D> {
  /** For logs and tests. */
  readonly name: string;
  /** Only these event types reach the reaction (all when absent). */
  readonly types?: readonly EventType[];
  inTransaction?(deps: D, tx: Tx, events: readonly DomainEvent[]): Promise<void>;
  /** Must not throw; errors are logged and the other reactions still run. */
  afterCommit?(events: readonly CommittedEvent[]): void;
}

interface Logger {
  error(obj: object, msg: string): void;
}

const causes = new AsyncLocalStorage<Cause>();
/** The events recorded while an enclosing record's reactions run, collected for it. */
/** What the `record` running now collects from the records its reactions make. */
interface Recording {
  readonly tx: Tx;
  /** Events the reactions recorded, however deep: `record` returns them. */
  readonly followUps: DomainEvent[];
  /** Events recorded in the same transaction whose NOTIFY this `record` sends with its own. */
  readonly unsent: DomainEvent[];
  /** The outermost record running in `tx` when this one is nested in it. */
  readonly root: Recording | undefined;
  /** Rows gathered for one statement when every reaction has run (see Batch). */
  readonly batches: Map<Batch<unknown>, unknown[]>;
}
const recordedWithin = new AsyncLocalStorage<Recording>();

/**
 * Rows a reaction gathers across a change and every change its reactions make
 * in turn, written in one statement when they have all run (still inside the
 * transaction): ticket mail's outbox rows. The object is the batch's identity.
 */
export interface Batch<T> {
  write(tx: Tx, rows: T[]): Promise<void>;
}

/**
 * The rows of `batch` gathered so far in the change being recorded in `tx`
 * (the outermost record in `tx`), to push more onto; undefined when no record
 * is running in `tx`: then the caller writes at once. A change whose
 * reactions fail writes none of them.
 */
export function gathered<T>(tx: Tx, batch: Batch<T>): T[] | undefined {
  const running = recordedWithin.getStore();
  if (running?.tx !== tx) return undefined;
  const { batches } = running.root ?? running;
  let rows = batches.get(batch as Batch<unknown>) as T[] | undefined;
  if (!rows) {
    rows = [];
    batches.set(batch as Batch<unknown>, rows);
  }
  return rows;
}

/**
 * Writes the rows gathered so far in the change being recorded in `tx`, as
 * before a savepoint: what the savepoint writes then comes after them (and
 * sees them), and a rollback to it keeps them. Nothing when no record runs in `tx`.
 */
export async function writeGathered(tx: Tx): Promise<void> {
  const running = recordedWithin.getStore();
  if (running?.tx === tx) await writeBatches(tx, running.root ?? running);
}

async function writeBatches(tx: Tx, recording: Recording): Promise<void> {
  for (const [batch, rows] of recording.batches) {
    if (rows.length > 0) await batch.write(tx, rows.splice(0));
  }
}

/** Runs `work` with every event it records marked as caused by `cause` (a rule's actions). */
export function withCause<T>(cause: Cause, work: () => Promise<T>): Promise<T> {
  return causes.run(cause, work);
}

/** The rule whose actions are running, if any. */
export function currentCause(): Cause | undefined {
  return causes.getStore();
}

const macros = new AsyncLocalStorage<ViaMacro>();

/**
 * Runs `work` (a person applying a macro) with every event it records marked
 * as made through `macro`; events of rules it sets off carry their rule instead.
 */
export function withMacro<T>(macro: ViaMacro, work: () => Promise<T>): Promise<T> {
  return macros.run(macro, work);
}

/** The macro being applied, if any, unless a rule's actions are running inside it. */
export function currentMacro(): ViaMacro | undefined {
  return currentCause() ? undefined : macros.getStore();
}

function accepts(reaction: Reaction<unknown>, type: EventType): boolean {
  return !reaction.types || reaction.types.includes(type);
}

export class EventBus<D> {
  readonly #reactions: Reaction<D>[] = [];

  /** Adds a reaction; in-transaction reactions run in subscription order. */
  subscribe(reaction: Reaction<D>): this {
    this.#reactions.push(reaction);
    return this;
  }

  get reactions(): readonly Reaction<D>[] {
    return this.#reactions;
  }

  /**
   * Runs the in-transaction reactions on `events` and queues them for the
   * after-commit reactions of every node. Called by the service that made the
   * change, inside its transaction, after its own rows are written. Events
   * recorded while a rule's actions run carry that rule as their cause.
   * Returns the events the reactions recorded in turn (a rule's or automatic
   * assignment's changes, however deep), in the order they were recorded, so
   * the caller knows whether, and to what, its rows changed again.
   */
  async record(deps: D, tx: Tx, recorded: readonly DomainEvent[]): Promise<readonly DomainEvent[]> {
    if (recorded.length === 0) return [];
    const cause = currentCause();
    const events = cause ? recorded.map((e) => (e.cause ? e : { ...e, cause })) : recorded;
    const outer = recordedWithin.getStore();
    const nested = outer?.tx === tx;
    const mine: Recording = {
      tx,
      followUps: [],
      unsent: [],
      root: nested ? (outer.root ?? outer) : undefined,
      batches: new Map(),
    };
    await recordedWithin.run(mine, async () => {
      for (const reaction of this.#reactions) {
        if (!reaction.inTransaction) continue;
        const wanted = events.filter((e) => accepts(reaction, e.type));
        if (wanted.length > 0) await reaction.inTransaction(deps, tx, wanted);
      }
    });
    if (!nested) await writeBatches(tx, mine);
    // One NOTIFY round trip per change: a reaction's record in the same transaction (an
    // automatic assignment) leaves its events to the record that caused it. In a
    // savepoint (another Tx) it sends its own, which a rollback to it discards.
    const toSend = [...events, ...mine.unsent];
    if (nested) outer.unsent.push(...toSend);
    else {
      for (const payload of notifyPayloads(toSend.map(toCommitted))) {
        await tx.execute(sql`select pg_notify(${EVENTS_CHANNEL}, ${payload})`);
      }
    }
    // In the order things happened: these events, then what their reactions did.
    outer?.followUps.push(...events, ...mine.followUps);
    return mine.followUps;
  }

  /** Hands committed events (one NOTIFY payload) to the after-commit reactions. */
  deliver(payload: string, log: Logger): void {
    let events: CommittedEvent[];
    try {
      events = JSON.parse(payload) as CommittedEvent[];
      if (!Array.isArray(events)) throw new Error("not an array");
    } catch (error) {
      log.error({ err: error }, "unreadable event notification");
      return;
    }
    for (const reaction of this.#reactions) {
      if (!reaction.afterCommit) continue;
      const wanted = events.filter((e) => accepts(reaction, e.type));
      if (wanted.length === 0) continue;
      try {
        reaction.afterCommit(wanted);
      } catch (error) {
        log.error({ err: error, reaction: reaction.name }, "after-commit reaction failed");
      }
    }
  }
}

/** JSON arrays of events, each under PostgreSQL's payload limit. */
export function notifyPayloads(events: readonly CommittedEvent[]): string[] {
  const payloads: string[] = [];
  let batch: string[] = [];
  let size = 2;
  for (const event of events) {
    const json = JSON.stringify(event);
    if (batch.length > 0 && size + json.length + 1 > NOTIFY_PAYLOAD_MAX) {
      payloads.push(`[${batch.join(",")}]`);
      batch = [];
      size = 2;
    }
    batch.push(json);
    size += json.length + 1;
  }
  if (batch.length > 0) payloads.push(`[${batch.join(",")}]`);
  return payloads;
}
