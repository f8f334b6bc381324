import type { FastifyBaseLogger } from "fastify";
import type { Config } from "./config.ts";
import type { Db } from "./db/client.ts";

/** What every service function receives: the database, configuration and a logger. */
export interface Deps {
  readonly db: Db;
  readonly config: Config;
  readonly log: Pick<FastifyBaseLogger, "info" | "warn" | "error" | "debug">;
}
