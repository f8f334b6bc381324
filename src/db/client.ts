import path from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import type { ExtractTablesWithRelations } from "drizzle-orm";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { migrate as migratePg } from "drizzle-orm/node-postgres/migrator";
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import pg from "pg";
import { lockDataDir } from "./lock.ts";
import * as schema from "./schema/index.ts";

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
/** What a repository function runs its queries on: the database or an open transaction. */
export type Executor = Db | Tx;

/** Rows of a raw `execute`: both drivers (node-postgres and PGlite) answer `{ rows }`; Drizzle types it per driver. */
export function rowsOf<T>(result: unknown): T[] {
  return (result as { rows: T[] }).rows;
}

export interface Database {
  readonly db: Db;
  readonly kind: "pglite" | "postgres";
  /** Applies committed migrations that have not run yet. */
  migrate(): Promise<void>;
  /**
   * Calls `onPayload` with every NOTIFY on `channel` that commits, from any
   * connection (any node). On PostgreSQL a connection of its own listens and
   * reconnects after a failure (calling `onReconnect`: notifications sent while
   * it was away are lost). Returns the function that stops listening.
   */
  listen(channel: string, handlers: ListenHandlers): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface ListenHandlers {
  onPayload(payload: string): void;
  onReconnect?(): void;
  onError?(error: unknown): void;
}

// A listening connection that failed is opened again after this long.
const RELISTEN_DELAY_MS = 1_000;

/** A PostgreSQL connection that LISTENs on one channel and comes back after a failure. */
async function listenPostgres(
  url: string,
  channel: string,
  handlers: ListenHandlers,
): Promise<() => Promise<void>> {
  let stopped = false;
  let client: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  const connect = async (): Promise<void> => {
    const next = new pg.Client({ connectionString: url });
    next.on("notification", (msg) => {
      if (msg.channel === channel && msg.payload !== undefined) handlers.onPayload(msg.payload);
    });
    const lost = (error?: unknown) => {
      if (client !== next || stopped) return;
      client = undefined;
      if (error) handlers.onError?.(error);
      next.end().catch(() => {});
      retry = setTimeout(reconnect, RELISTEN_DELAY_MS);
      retry.unref();
    };
    next.on("error", lost);
    next.on("end", () => lost());
    client = next;
    await next.connect();
    await next.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
  };
  const reconnect = () => {
    if (stopped) return;
    connect().then(
      () => handlers.onReconnect?.(),
      (error: unknown) => {
        handlers.onError?.(error);
        client?.end().catch(() => {});
        client = undefined;
        retry = setTimeout(reconnect, RELISTEN_DELAY_MS);
        retry.unref();
      },
    );
  };
  await connect();
  return async () => {
    stopped = true;
    if (retry) clearTimeout(retry);
    await client?.end().catch(() => {});
  };
}

export const MIGRATIONS_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../migrations",
);

/**
 * The contrib extensions PGlite loads: every PGlite instance opening Tessera's
 * database needs them (its trigram indexes are pg_trgm's), backups included.
 */
export const PGLITE_EXTENSIONS = { pg_trgm };

// Any fixed number shared by every node: migrations run under this advisory lock.
const MIGRATION_LOCK_ID = 7_271_001;

export type DatabaseTarget =
  /**
   * `image` (in memory only): a dump of a data directory to start from instead
   * of an empty cluster (tests start from a migrated one: `dumpDataDir`).
   */
  | { kind: "pglite"; dataDir: string | undefined; image?: Blob }
  | { kind: "postgres"; url: string; poolMax: number };

/**
 * Opens the database. PGlite (embedded) keeps its files in `<dataDir>/pg` and
 * holds an exclusive lock on the data directory while open; with no dataDir it
 * runs in memory (tests). PostgreSQL uses a node-postgres pool.
 */
export async function openDatabase(
  target: DatabaseTarget,
  options: { logQuery?: (sql: string) => void } = {},
): Promise<Database> {
  // Every statement the app sends, when asked (tests count round trips per request).
  const logger = options.logQuery
    ? { logQuery: (query: string) => options.logQuery?.(query) }
    : undefined;
  if (target.kind === "postgres") {
    const pool = new pg.Pool({ connectionString: target.url, max: target.poolMax });
    pool.on("error", () => {
      // An idle client lost its connection; the pool replaces it on next use.
    });
    const db = drizzlePg({ client: pool, schema, casing: "snake_case", logger });
    return {
      db,
      kind: "postgres",
      async migrate() {
        const client = await pool.connect();
        try {
          await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_ID]);
          await migratePg(drizzlePg({ client, casing: "snake_case" }), {
            migrationsFolder: MIGRATIONS_DIR,
          });
        } finally {
          await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_ID]).catch(() => {});
          client.release();
        }
      },
      listen: (channel, handlers) => listenPostgres(target.url, channel, handlers),
      close: () => pool.end(),
    };
  }

  const lock = target.dataDir ? await lockDataDir(target.dataDir) : undefined;
  let client: PGlite;
  try {
    client = target.dataDir
      ? await PGlite.create(path.join(target.dataDir, "pg"), { extensions: PGLITE_EXTENSIONS })
      : await PGlite.create({ extensions: PGLITE_EXTENSIONS, loadDataDir: target.image });
  } catch (error) {
    await lock?.release();
    throw error;
  }
  const db = drizzlePglite({ client, schema, casing: "snake_case", logger });
  return {
    db,
    kind: "pglite",
    async migrate() {
      await migratePglite(drizzlePglite({ client, casing: "snake_case" }), {
        migrationsFolder: MIGRATIONS_DIR,
      });
    },
    async listen(channel, handlers) {
      // One connection in-process: a NOTIFY from any query reaches these listeners at commit.
      const stop = await client.listen(channel, (payload) => handlers.onPayload(payload));
      // Closing the database ends every listener: nothing left to stop then.
      return async () => {
        if (!client.closed) await stop();
      };
    },
    async close() {
      await client.close();
      await lock?.release();
    },
  };
}
