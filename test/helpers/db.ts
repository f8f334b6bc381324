import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { loadConfig } from "../../src/config.ts";
import { type Database, openDatabase } from "../../src/db/client.ts";
import type { Deps } from "../../src/deps.ts";

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
): Promise<TestDatabase> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tessera-test-"));
  const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: "silent", ...env });
  let database: Database;
  let dropDatabase = async () => {};
  if (kind === "postgres") {
    const adminUrl = process.env.TEST_DATABASE_URL;
    if (!adminUrl) throw new Error("TEST_DATABASE_URL is not set");
    const name = `tessera_test_${randomBytes(6).toString("hex")}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    database = await openDatabase({ kind: "postgres", url: url.href, poolMax: 5 });
    dropDatabase = async () => {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    };
  } else {
    database = await openDatabase({ kind: "pglite", dataDir: undefined });
  }
  await database.migrate();
  return {
    kind,
    database,
    deps: { db: database.db, config, log: silentLog },
    async close() {
      await database.close();
      await dropDatabase();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
