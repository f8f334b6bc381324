import type { ServerResponse } from "node:http";
import { type Actor, isStaff } from "../accounts/actor.ts";
import type { CommittedEvent } from "../events/events.ts";

/**
 * This node's open live connections (Server-Sent Events) and what each may
 * receive. Every event is checked against the connection's actor when it is
 * sent: staff get every ticket's changes; a customer only changes to their own
 * tickets, never an internal note, a rule's firing or staff presence.
 *
 * What is sent is only which ticket changed and how: the page fetches what it
 * shows again through its ordinary routes, with the viewer's permissions.
 */

export interface LiveLimits {
  /** Open connections one person may hold on this node; the next is refused (429). */
  readonly perUser: number;
  /** Bytes a connection may have waiting to be written before it is dropped as too slow. */
  readonly maxBufferedBytes: number;
  /** How often a comment line keeps proxies from closing an idle stream (ms). */
  readonly heartbeatMs: number;
}

export const DEFAULT_LIMITS: LiveLimits = {
  perUser: 10,
  maxBufferedBytes: 64 * 1024,
  heartbeatMs: 15_000,
};

/** How long a browser waits before reconnecting after the stream ends (SSE `retry`). */
const RETRY_MS = 2_000;

export interface Connection {
  readonly id: number;
  actor: Actor;
  /** The ticket page this stream belongs to, or undefined for the desk (all visible tickets). */
  readonly ticketId: number | undefined;
  readonly res: ServerResponse;
  /** Teams whose tickets this viewer must not hear of (restricted teams an agent is not in). */
  hiddenTeams: ReadonlySet<number>;
}

/** What a person may learn of a committed event: nothing (undefined), or this summary. */
export function visibleSummary(
  actor: Pick<Actor, "id" | "role">,
  event: CommittedEvent,
  hiddenTeams: ReadonlySet<number> = new Set(),
): { type: CommittedEvent["type"]; ticketId: number; self: boolean } | undefined {
  if (!isStaff(actor)) {
    if (event.requesterId !== actor.id) return undefined;
    if (event.internal === true || event.type === "rule.fired") return undefined;
    if (event.type === "mail.auto_reply_suppressed") return undefined;
  } else if (
    event.requesterId !== actor.id &&
    event.teamId !== undefined &&
    event.teamId !== null &&
    hiddenTeams.has(event.teamId)
  ) {
    return undefined;
  }
  // `self`: this person made the change (the page they were sent to after it shows it already).
  return { type: event.type, ticketId: event.ticketId, self: event.actorId === actor.id };
}

export class LiveHub {
  readonly #connections = new Map<number, Connection>();
  readonly #byUser = new Map<number, Set<Connection>>();
  #nextId = 1;
  #closing = false;
  #heartbeat: NodeJS.Timeout | undefined;
  /** Called when a connection ends, however it ended (presence uses it). */
  onClosed: ((connection: Connection) => void) | undefined;
  /** Called on every heartbeat with each open connection: re-checks the session. */
  onHeartbeat: ((connection: Connection) => void) | undefined;
  /** How many connections were dropped for reading too slowly (for tests and logs). */
  dropped = 0;

  constructor(readonly limits: LiveLimits = DEFAULT_LIMITS) {}

  get size(): number {
    return this.#connections.size;
  }

  connections(): IterableIterator<Connection> {
    return this.#connections.values();
  }

  /** Why a new stream for this person must be refused now, if it must. */
  refusal(userId: number): "too_many" | "closing" | undefined {
    if (this.#closing) return "closing";
    if ((this.#byUser.get(userId)?.size ?? 0) >= this.limits.perUser) return "too_many";
    return undefined;
  }

  /**
   * Takes over `res` (its head written, after `refusal` said yes) as an event
   * stream for `actor`, kept until the client leaves, is dropped, or the hub closes.
   * Undefined when the client has already left (while its request was being
   * checked): its "close" has passed, so nothing would ever forget the connection,
   * and presence would announce a page nobody has open for as long as the node runs.
   */
  open(
    actor: Actor,
    ticketId: number | undefined,
    res: ServerResponse,
    hiddenTeams: ReadonlySet<number> = new Set(),
  ): Connection | undefined {
    if (res.destroyed) return undefined;
    const mine = this.#byUser.get(actor.id) ?? new Set<Connection>();
    const connection: Connection = { id: this.#nextId++, actor, ticketId, res, hiddenTeams };
    mine.add(connection);
    this.#byUser.set(actor.id, mine);
    this.#connections.set(connection.id, connection);
    res.once("close", () => this.#forget(connection));
    res.socket?.setNoDelay(true);
    res.socket?.setKeepAlive(true);
    this.#write(connection, `retry: ${RETRY_MS}\n: open\n\n`);
    this.#startHeartbeat();
    return connection;
  }

  /** Sends each committed event to every connection that may see it. */
  publish(events: readonly CommittedEvent[]): void {
    for (const event of events) {
      // Two summaries at most (the actor's own, everyone else's): serialized once each, not per connection.
      const chunks: { self?: string; other?: string } = {};
      for (const connection of this.#connections.values()) {
        if (connection.ticketId !== undefined && connection.ticketId !== event.ticketId) continue;
        const summary = visibleSummary(connection.actor, event, connection.hiddenTeams);
        if (!summary) continue;
        const which = summary.self ? "self" : "other";
        chunks[which] ??= `event: ticket\ndata: ${JSON.stringify(summary)}\n\n`;
        this.#write(connection, chunks[which]);
      }
    }
  }

  /** Sends one named event with JSON data; a connection too far behind is dropped. */
  send(connection: Connection, event: string, data: unknown): void {
    this.#write(connection, `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  /** Ends one connection (the client may reconnect). */
  close(connection: Connection): void {
    this.#forget(connection);
    if (!connection.res.writableEnded) connection.res.end();
  }

  /** Ends every stream and refuses new ones: the server is stopping. */
  closeAll(): void {
    this.#closing = true;
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
    for (const connection of [...this.#connections.values()]) this.close(connection);
  }

  #write(connection: Connection, chunk: string): void {
    const { res } = connection;
    if (res.writableEnded || res.destroyed) return;
    res.write(chunk);
    // The kernel's buffers are full and this much more waits in memory: the
    // client is not reading. Drop it rather than buffer without bound; a browser
    // reconnects and its page fetches what it missed.
    if (res.writableLength > this.limits.maxBufferedBytes) {
      this.dropped += 1;
      this.#forget(connection);
      res.destroy();
    }
  }

  #forget(connection: Connection): void {
    if (!this.#connections.delete(connection.id)) return;
    const mine = this.#byUser.get(connection.actor.id);
    mine?.delete(connection);
    if (mine?.size === 0) this.#byUser.delete(connection.actor.id);
    if (this.#connections.size === 0 && this.#heartbeat) {
      clearInterval(this.#heartbeat);
      this.#heartbeat = undefined;
    }
    this.onClosed?.(connection);
  }

  #startHeartbeat(): void {
    if (this.#heartbeat) return;
    this.#heartbeat = setInterval(() => {
      for (const connection of [...this.#connections.values()]) {
        this.#write(connection, ": heartbeat\n\n");
        this.onHeartbeat?.(connection);
      }
    }, this.limits.heartbeatMs);
    this.#heartbeat.unref();
  }
}
