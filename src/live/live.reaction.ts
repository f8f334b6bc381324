import type { Deps } from "../deps.ts";
import type { Reaction } from "../events/bus.ts";
import type { CommittedEvent } from "../events/events.ts";
import type { LiveHub } from "./live.hub.ts";

/**
 * The after-commit reaction that feeds live pages: every committed event, from
 * whichever node wrote it, goes to the live connections of each app on this
 * node (usually one; tests build several). Subscribed in src/reactions.ts.
 */
export class LiveFanout implements Reaction<Deps> {
  readonly name = "live pages";
  readonly #hubs = new Set<LiveHub>();

  /** Sends this bus's committed events to `hub` until the returned function is called. */
  attach(hub: LiveHub): () => void {
    this.#hubs.add(hub);
    return () => this.#hubs.delete(hub);
  }

  afterCommit(events: readonly CommittedEvent[]): void {
    for (const hub of this.#hubs) hub.publish(events);
  }
}

/** The live fan-out among a bus's reactions, if it was composed with one. */
export function findFanout(reactions: readonly Reaction<Deps>[]): LiveFanout | undefined {
  return reactions.find((r): r is LiveFanout => r instanceof LiveFanout);
}
