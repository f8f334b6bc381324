import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { drizzle } from "drizzle-orm/pglite";
import { migrate } from "drizzle-orm/pglite/migrator";
import { loadConfig } from "../../src/config.ts";
import {
  type Database,
  MIGRATIONS_DIR,
  openDatabase,
  PGLITE_EXTENSIONS,
} from "../../src/db/client.ts";
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
    database = await openDatabase(
      { kind: "pglite", dataDir: undefined, image: await migratedImage() },
      options,
    );
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

const IMAGE_PREFIX = "tessera-pglite-migrated-";

/**
 * A dump of an in-memory PGlite cluster with every committed migration applied,
 * made once per set of migrations and PGlite build and shared by all test
 * processes through the temp directory: starting from it takes about a second,
 * where an empty cluster takes 2 to 4 (initdb) plus the migrations. The test
 * still runs `migrate()`, which finds nothing to do.
 */
async function migratedImage(): Promise<Blob> {
  const file = path.join(os.tmpdir(), `${IMAGE_PREFIX}${imageKey()}.tar`);
  try {
    return new Blob([fs.readFileSync(file)]);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const client = await PGlite.create({ extensions: PGLITE_EXTENSIONS });
  let image: Blob;
  try {
    await migrate(drizzle({ client }), { migrationsFolder: MIGRATIONS_DIR });
    image = await client.dumpDataDir("none");
  } finally {
    await client.close();
  }
  // Written whole under a name of its own, then renamed: a process reading never sees half.
  const partial = `${file}.${process.pid}.partial`;
  fs.writeFileSync(partial, Buffer.from(await image.arrayBuffer()));
  fs.renameSync(partial, file);
  removeOldImages(file);
  return image;
}

/** Images of other migrations, a day old or more (another checkout that needs one makes it again). */
function removeOldImages(keep: string): void {
  const dayAgo = Date.now() - 86_400_000;
  for (const name of fs.readdirSync(os.tmpdir())) {
    const file = path.join(os.tmpdir(), name);
    if (!name.startsWith(IMAGE_PREFIX) || file === keep) continue;
    try {
      if (fs.statSync(file).mtimeMs < dayAgo) fs.rmSync(file, { force: true });
    } catch {
      // Removed by another process meanwhile.
    }
  }
}

/** What the image depends on: the migration files and the PGlite build that ran them. */
function imageKey(): string {
  const hash = createHash("sha256");
  const pglite = path.dirname(fileURLToPath(import.meta.resolve("@electric-sql/pglite")));
  hash.update(fs.readFileSync(path.join(pglite, "..", "package.json")));
  for (const name of fs.readdirSync(MIGRATIONS_DIR, { recursive: true }).map(String).sort()) {
    const full = path.join(MIGRATIONS_DIR, name);
    if (fs.statSync(full).isFile()) hash.update(name).update(fs.readFileSync(full));
  }
  return hash.digest("hex").slice(0, 16);
}
