import type { Config } from "../config.ts";
import type { DatabaseTarget } from "./client.ts";

/** PostgreSQL when DATABASE_URL is set, else the embedded database in DATA_DIR. */
export function databaseTarget(config: Config): DatabaseTarget {
  return config.databaseUrl
    ? { kind: "postgres", url: config.databaseUrl, poolMax: config.databasePoolMax }
    : { kind: "pglite", dataDir: config.dataDir };
}
