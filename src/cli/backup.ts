import fs from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import type { Config } from "../config.ts";
import { lockDataDir } from "../db/lock.ts";

/** A backup or restore that cannot go ahead; the message says why and what to do. */
export class BackupRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BackupRefused";
  }
}

const POSTGRES_ADVICE = {
  backup:
    'DATABASE_URL is set: back up the PostgreSQL server with pg_dump, e.g. pg_dump --format=custom --file=tessera.dump "$DATABASE_URL"',
  restore:
    'DATABASE_URL is set: restore the PostgreSQL server with pg_restore, e.g. pg_restore --clean --if-exists --dbname="$DATABASE_URL" tessera.dump',
};

/** The embedded database's own directory inside DATA_DIR (as db/client.ts opens it). */
function databaseDir(dataDir: string): string {
  return path.join(dataDir, "pg");
}

function hasDatabase(dir: string): boolean {
  return fs.existsSync(path.join(dir, "PG_VERSION"));
}

function attachmentsNote(dataDir: string): string {
  return `Attachments are files under ${path.join(dataDir, "attachments")}, not in the database: copy that folder too (its files never change once written, so it can be copied while Tessera runs).`;
}

/**
 * Writes the embedded database to `file` as a gzipped tarball of its data
 * directory. Takes the data-directory lock, so it refuses while a server (or
 * another command) uses it; the file appears complete or not at all.
 */
export async function backupDatabase(config: Config, file: string): Promise<string> {
  if (config.databaseUrl) throw new BackupRefused(POSTGRES_ADVICE.backup);
  const lock = await lockDataDir(config.dataDir);
  const target = path.resolve(file);
  const partial = `${target}.partial-${process.pid}`;
  try {
    const dir = databaseDir(config.dataDir);
    if (!hasDatabase(dir)) {
      throw new BackupRefused(`There is no embedded database in ${config.dataDir} to back up.`);
    }
    const client = await PGlite.create(dir);
    let dump: Blob;
    try {
      dump = await client.dumpDataDir("gzip");
    } finally {
      await client.close();
    }
    const bytes = Buffer.from(await dump.arrayBuffer());
    const handle = fs.openSync(partial, "w", 0o600);
    try {
      fs.writeFileSync(handle, bytes);
      fs.fsyncSync(handle);
    } finally {
      fs.closeSync(handle);
    }
    fs.renameSync(partial, target);
    return `Backed up the database in ${config.dataDir} to ${target} (${megabytes(bytes.length)}).\n${attachmentsNote(config.dataDir)}`;
  } finally {
    fs.rmSync(partial, { force: true });
    await lock.release();
  }
}

/**
 * Replaces the embedded database with the one in a backup file. Refuses while
 * the data directory is in use, and, unless `force`, when the current database
 * holds any account or ticket. The backup is unpacked and opened beside the
 * current database first; only when that worked does it take its place, so a
 * bad file or a failure leaves the current database as it was.
 */
export async function restoreDatabase(
  config: Config,
  file: string,
  options: { force: boolean },
): Promise<string> {
  if (config.databaseUrl) throw new BackupRefused(POSTGRES_ADVICE.restore);
  const source = path.resolve(file);
  if (!fs.existsSync(source)) throw new BackupRefused(`No such backup file: ${source}`);
  const lock = await lockDataDir(config.dataDir);
  const dir = databaseDir(config.dataDir);
  const staging = `${dir}.restoring-${process.pid}`;
  try {
    // Left by a restore that was killed: only a restore (under this lock) creates these.
    for (const name of fs.readdirSync(config.dataDir)) {
      if (name.startsWith("pg.restoring-")) {
        fs.rmSync(path.join(config.dataDir, name), { recursive: true, force: true });
      }
    }
    if (hasDatabase(dir) && !options.force) {
      const contents = await describeContents(dir);
      if (contents !== "empty") {
        const what = contents === "unreadable" ? "a database Tessera cannot read" : contents;
        throw new BackupRefused(
          `The data directory ${config.dataDir} already holds a database (${what}); restore over it with --force.`,
        );
      }
    }

    await openBackup(source, staging);
    const summary = await describeContents(staging);
    if (summary === "unreadable") {
      throw new BackupRefused(`${source} is not a Tessera backup (it has no Tessera tables).`);
    }

    const replaced = `${dir}.replaced-${process.pid}`;
    const hadDatabase = fs.existsSync(dir);
    if (hadDatabase) fs.renameSync(dir, replaced);
    try {
      fs.renameSync(staging, dir);
    } catch (error) {
      if (hadDatabase) fs.renameSync(replaced, dir);
      throw error;
    }
    fs.rmSync(replaced, { recursive: true, force: true });
    return `Restored ${source} into ${config.dataDir} (${summary}).\n${attachmentsNote(config.dataDir)}`;
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
    await lock.release();
  }
}

/** Unpacks a backup into `dir` and checks PostgreSQL can open it. */
async function openBackup(source: string, dir: string): Promise<void> {
  fs.rmSync(dir, { recursive: true, force: true });
  let client: PGlite;
  try {
    client = await PGlite.create(dir, { loadDataDir: new Blob([fs.readFileSync(source)]) });
  } catch {
    throw new BackupRefused(
      `${source} is not a Tessera backup (it is not a database archive made by tessera backup).`,
    );
  }
  await client.close();
}

/** "3 accounts, 12 tickets", "empty", or "unreadable" when it is not a Tessera database. */
async function describeContents(dir: string): Promise<string> {
  let client: PGlite;
  try {
    client = await PGlite.create(dir);
  } catch {
    return "unreadable";
  }
  try {
    const present = await client.query<{ ok: boolean }>(
      "SELECT to_regclass('public.users') IS NOT NULL AND to_regclass('public.tickets') IS NOT NULL AS ok",
    );
    if (!present.rows[0]?.ok) return "unreadable";
    const counts = await client.query<{ users: number; tickets: number }>(
      "SELECT (SELECT count(*) FROM users)::int AS users, (SELECT count(*) FROM tickets)::int AS tickets",
    );
    const { users = 0, tickets = 0 } = counts.rows[0] ?? {};
    if (users === 0 && tickets === 0) return "empty";
    return `${users} account${users === 1 ? "" : "s"}, ${tickets} ticket${tickets === 1 ? "" : "s"}`;
  } catch {
    return "unreadable";
  } finally {
    await client.close();
  }
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
