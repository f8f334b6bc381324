import { randomUUID } from "node:crypto";

/**
 * Who has a ticket open, and who is typing a reply on it, across every node
 * (collision detection for staff). No table: each node announces its own
 * viewers on a NOTIFY channel of its own, again every heartbeat, and every node
 * (itself included) keeps what it heard until it expires. A viewer who leaves
 * is announced gone; one whose node crashed expires.
 */

/** The NOTIFY channel presence travels on (committed events have their own). */
export const PRESENCE_CHANNEL = "tessera_presence";

export interface PresenceTiming {
  /** How often a node announces its viewers again (ms). */
  readonly heartbeatMs: number;
  /** A viewer not announced for this long is gone (ms): a few heartbeats. */
  readonly expireMs: number;
  /** How long one "typing" announcement lasts (ms); the page repeats it while typing goes on. */
  readonly typingMs: number;
}

export const DEFAULT_TIMING: PresenceTiming = {
  heartbeatMs: 10_000,
  expireMs: 25_000,
  typingMs: 6_000,
};

/** One announcement: user `u` (named `name`) on ticket `t`, from node `n`. */
export interface Announcement {
  readonly n: string;
  readonly t: number;
  readonly u: number;
  readonly name: string;
  readonly s: "here" | "typing" | "gone";
}

/** One person as a page shows them. */
export interface Viewer {
  readonly userId: number;
  readonly name: string;
  readonly typing: boolean;
}

interface Entry {
  userId: number;
  name: string;
  expires: number;
  typingUntil: number;
}

// PostgreSQL refuses NOTIFY payloads of 8,000 bytes or more.
const PAYLOAD_MAX = 7_900;

/** JSON arrays of announcements, each under the NOTIFY payload limit. */
export function presencePayloads(announcements: readonly Announcement[]): string[] {
  const out: string[] = [];
  let batch: string[] = [];
  let size = 2;
  for (const a of announcements) {
    const json = JSON.stringify(a);
    if (batch.length > 0 && size + json.length + 1 > PAYLOAD_MAX) {
      out.push(`[${batch.join(",")}]`);
      batch = [];
      size = 2;
    }
    batch.push(json);
    size += json.length + 1;
  }
  if (batch.length > 0) out.push(`[${batch.join(",")}]`);
  return out;
}

export interface PresenceOptions {
  /** Sends one payload to every node (NOTIFY on PRESENCE_CHANNEL). */
  publish(payload: string): Promise<void>;
  /** This node's viewers now: (ticket, user, name) for each open staff ticket page. */
  localViewers(): Iterable<{ ticketId: number; userId: number; name: string }>;
  /** Someone came, went, or started or stopped typing on `ticketId`. */
  changed(ticketId: number): void;
  onError(error: unknown): void;
  timing?: PresenceTiming | undefined;
  now?: () => number;
}

export class Presence {
  /** This process, so its announcements can be told from another node's. */
  readonly node = randomUUID();
  readonly #tickets = new Map<number, Map<string, Entry>>();
  /** Who is typing here: `${ticketId}:${userId}` until when. */
  readonly #typingHere = new Map<string, number>();
  readonly #timing: PresenceTiming;
  readonly #now: () => number;
  readonly #options: PresenceOptions;
  #timers: NodeJS.Timeout[] = [];
  #sending: Promise<void> = Promise.resolve();

  constructor(options: PresenceOptions) {
    this.#options = options;
    this.#timing = options.timing ?? DEFAULT_TIMING;
    this.#now = options.now ?? Date.now;
  }

  /** Starts announcing this node's viewers every heartbeat and expiring silent ones. */
  start(): void {
    const heartbeat = setInterval(() => this.announceAll(), this.#timing.heartbeatMs);
    // Typing ends after a few seconds: look at least every second.
    const sweep = setInterval(() => this.sweep(), Math.min(1_000, this.#timing.typingMs / 2));
    heartbeat.unref();
    sweep.unref();
    this.#timers = [heartbeat, sweep];
  }

  stop(): void {
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
  }

  /** A staff member opened the ticket's page here. */
  arrived(ticketId: number, userId: number, name: string): void {
    this.#send([{ n: this.node, t: ticketId, u: userId, name, s: "here" }]);
  }

  /** The last of a person's pages on this ticket here closed. */
  left(ticketId: number, userId: number, name: string): void {
    this.#typingHere.delete(`${ticketId}:${userId}`);
    this.#send([{ n: this.node, t: ticketId, u: userId, name, s: "gone" }]);
  }

  /** A staff member is typing a reply on the ticket. */
  typing(ticketId: number, userId: number, name: string): void {
    this.#typingHere.set(`${ticketId}:${userId}`, this.#now() + this.#timing.typingMs);
    this.#send([{ n: this.node, t: ticketId, u: userId, name, s: "typing" }]);
  }

  /** Announces every viewer on this node again (the heartbeat). */
  announceAll(): void {
    const now = this.#now();
    const seen = new Set<string>();
    const out: Announcement[] = [];
    for (const v of this.#options.localViewers()) {
      const key = `${v.ticketId}:${v.userId}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const typing = (this.#typingHere.get(key) ?? 0) > now;
      out.push({
        n: this.node,
        t: v.ticketId,
        u: v.userId,
        name: v.name,
        s: typing ? "typing" : "here",
      });
    }
    if (out.length > 0) this.#send(out);
  }

  /** Applies a payload heard on the channel (from any node, this one included). */
  receive(payload: string): void {
    let announcements: Announcement[];
    try {
      announcements = JSON.parse(payload) as Announcement[];
      if (!Array.isArray(announcements)) throw new Error("not an array");
    } catch (error) {
      this.#options.onError(error);
      return;
    }
    const now = this.#now();
    const touched = new Set<number>();
    for (const a of announcements) {
      if (!Number.isInteger(a.t) || !Number.isInteger(a.u) || typeof a.name !== "string") continue;
      const key = `${a.n}:${a.u}`;
      let entries = this.#tickets.get(a.t);
      if (a.s === "gone") {
        if (entries?.delete(key)) touched.add(a.t);
        if (entries?.size === 0) this.#tickets.delete(a.t);
        continue;
      }
      if (!entries) {
        entries = new Map();
        this.#tickets.set(a.t, entries);
      }
      const entry = entries.get(key);
      const typingUntil = a.s === "typing" ? now + this.#timing.typingMs : 0;
      if (!entry) {
        entries.set(key, {
          userId: a.u,
          name: a.name,
          expires: now + this.#timing.expireMs,
          typingUntil,
        });
        touched.add(a.t);
        continue;
      }
      const wasTyping = entry.typingUntil > now;
      entry.expires = now + this.#timing.expireMs;
      entry.name = a.name;
      if (a.s === "typing") entry.typingUntil = typingUntil;
      if (wasTyping !== entry.typingUntil > now) touched.add(a.t);
    }
    for (const ticketId of touched) this.#options.changed(ticketId);
  }

  /** Drops viewers not heard from in time and notices typing that stopped. */
  sweep(): void {
    const now = this.#now();
    for (const [ticketId, entries] of this.#tickets) {
      let changed = false;
      for (const [key, entry] of entries) {
        if (entry.expires <= now) {
          entries.delete(key);
          changed = true;
        } else if (entry.typingUntil !== 0 && entry.typingUntil <= now) {
          entry.typingUntil = 0;
          changed = true;
        }
      }
      if (entries.size === 0) this.#tickets.delete(ticketId);
      if (changed) this.#options.changed(ticketId);
    }
    for (const [key, until] of this.#typingHere) if (until <= now) this.#typingHere.delete(key);
  }

  /** Who is on the ticket, one line per person, `exceptUserId` left out (the viewer). */
  viewers(ticketId: number, exceptUserId: number): Viewer[] {
    const now = this.#now();
    const byUser = new Map<number, Viewer>();
    for (const entry of this.#tickets.get(ticketId)?.values() ?? []) {
      if (entry.userId === exceptUserId || entry.expires <= now) continue;
      const typing = entry.typingUntil > now || byUser.get(entry.userId)?.typing === true;
      byUser.set(entry.userId, { userId: entry.userId, name: entry.name, typing });
    }
    return [...byUser.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** One after the other, so other nodes hear this node's "here" and "gone" in the order they happened. */
  #send(announcements: Announcement[]): void {
    for (const payload of presencePayloads(announcements)) {
      this.#sending = this.#sending
        .then(() => this.#options.publish(payload))
        .catch((error: unknown) => this.#options.onError(error));
    }
  }
}
