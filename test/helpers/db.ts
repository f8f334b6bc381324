import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadConfig } from "../../src/config.ts";
import { type Database, openDatabase } from "../../src/db/client.ts";
import type { Deps } from "../../src/deps.ts";
import { composeDeps } from "../../src/reactions.ts";
import { createScratchDatabase } from "./postgres.ts";

export type DbKind = "pglite" | "postgres";

/** PGlite always; PostgreSQL too when TEST_DATABASE_URL is set. */
export function databaseKinds(): DbKind[] {
  return process.env.TEST_DATABASE_URL ? ["pglite", "postgres"] : ["pglite"];
}

export interface TestDatabase {
  readonly kind: DbKind;
  readonly database: Database;
  readonly deps: Deps;
  close(): Promise<void>;
}

const silentLog: Deps["log"] = { info() {}, warn() {}, error() {}, debug() {} };

/**
 * A fresh, migrated database of its own for one test file: in-memory PGlite,
 * or a new database on the PostgreSQL server (dropped at close), so test files
 * running in parallel never see each other's rows. Attachments go to a temp dir.
 */
export async function createTestDatabase(
  kind: DbKind,
  env: Record<string, string> = {},
  options: { logQuery?: (sql: string) => void } = {},
): Promise<TestDatabase> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tessera-test-"));
  const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: "silent", ...env });
  let database: Database;
  let dropDatabase = async () => {};
  if (kind === "postgres") {
    const scratch = await createScratchDatabase();
    database = await openDatabase({ kind: "postgres", url: scratch.url, poolMax: 5 }, options);
    dropDatabase = scratch.drop;
  } else {
    database = await openDatabase({ kind: "pglite", dataDir: undefined }, options);
  }
  await database.migrate();
  return {
    kind,
    database,
    deps: composeDeps({ db: database.db, config, log: silentLog }),
    async close() {
      await database.close();
      await dropDatabase();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
