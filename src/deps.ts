import type { FastifyBaseLogger } from "fastify";
import type { Config } from "./config.ts";
import type { Db } from "./db/client.ts";
import type { EventBus } from "./events/bus.ts";

/** What every service function receives: the database, configuration, a logger and the event bus. */
export interface Deps {
  readonly db: Db;
  readonly config: Config;
  readonly log: Pick<FastifyBaseLogger, "info" | "warn" | "error" | "debug">;
  /** Where services record domain events; the reactions are subscribed at composition (src/reactions.ts). */
  readonly events: EventBus<Deps>;
}
