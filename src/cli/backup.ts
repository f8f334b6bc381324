import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { PGlite } from "@electric-sql/pglite";
import * as tar from "tar";
import type { Config } from "../config.ts";
import { PGLITE_EXTENSIONS } from "../db/client.ts";
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

// A backup is a tar archive (written and read by node-tar, so any tar lists it): this
// manifest first, the database, then every attachment.
const MANIFEST = "tessera-backup.json";
const MAX_MANIFEST = 64 * 1024;
const DATABASE_ENTRY = "database.tar.gz";
const ATTACHMENT_ENTRY = /^attachments\/([0-9a-f]{2})\/([0-9a-f]{64})$/;

/** Stored attachments (DATA_DIR/attachments/<aa>/<sha256>) as archive names. */
function listAttachments(dataDir: string): string[] {
  const root = path.join(dataDir, "attachments");
  if (!fs.existsSync(root)) return [];
  const found: string[] = [];
  for (const prefix of fs.readdirSync(root).sort()) {
    const dir = path.join(root, prefix);
    if (!fs.statSync(dir).isDirectory()) continue;
    for (const name of fs.readdirSync(dir).sort()) {
      const entry = `attachments/${prefix}/${name}`;
      if (ATTACHMENT_ENTRY.test(entry)) found.push(entry);
    }
  }
  return found;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/**
 * Writes the embedded database and every attachment to `file` (a tar archive).
 * Takes the data-directory lock, so it refuses while a server (or another
 * command) uses it, and what it writes is one consistent moment; the file
 * appears complete or not at all, readable by its owner only.
 */
export async function backupDatabase(config: Config, file: string): Promise<string> {
  if (config.databaseUrl) throw new BackupRefused(POSTGRES_ADVICE.backup);
  const lock = await lockDataDir(config.dataDir);
  const target = path.resolve(file);
  const partial = `${target}.partial-${process.pid}`;
  const staging = path.join(config.dataDir, `backup.partial-${process.pid}`);
  try {
    const dir = databaseDir(config.dataDir);
    if (!hasDatabase(dir)) {
      throw new BackupRefused(`There is no embedded database in ${config.dataDir} to back up.`);
    }
    const client = await PGlite.create(dir, { extensions: PGLITE_EXTENSIONS });
    let dump: Blob;
    try {
      dump = await client.dumpDataDir("gzip");
    } finally {
      await client.close();
    }
    const attachments = listAttachments(config.dataDir);
    const manifest = {
      format: "tessera-backup",
      version: 1,
      createdAt: new Date().toISOString(),
      database: DATABASE_ENTRY,
      attachments: attachments.length,
    };
    // The manifest and the database go in from a folder beside the attachments, and
    // lose that folder's name on the way in.
    fs.mkdirSync(staging, { mode: 0o700 });
    fs.writeFileSync(path.join(staging, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    fs.writeFileSync(path.join(staging, DATABASE_ENTRY), new Uint8Array(await dump.arrayBuffer()));
    const prefix = `${path.basename(staging)}/`;
    const archive = tar.create(
      {
        cwd: config.dataDir,
        portable: true,
        onWriteEntry(entry) {
          if (entry.path.startsWith(prefix)) entry.path = entry.path.slice(prefix.length);
        },
      },
      [`${prefix}${MANIFEST}`, `${prefix}${DATABASE_ENTRY}`, ...attachments],
    );
    await pipeline(archive, fs.createWriteStream(partial, { mode: 0o600 }));
    const fd = fs.openSync(partial, "r");
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(partial, target);
    return `Backed up the database in ${config.dataDir} and ${plural(attachments.length, "attachment")} to ${target} (${megabytes(fs.statSync(target).size)}).`;
  } finally {
    fs.rmSync(partial, { force: true });
    fs.rmSync(staging, { recursive: true, force: true });
    await lock.release();
  }
}

/**
 * Replaces the embedded database with the one in a backup file, and adds the
 * backup's attachments. Refuses while the data directory is in use, and,
 * unless `force`, when the current database holds any account or ticket.
 * Everything is unpacked and checked beside the current data first (each
 * attachment against its SHA-256 name, the database by opening it); only then
 * do the attachments move in and the database take the current one's place,
 * so a bad file or a failure leaves the data directory as it was.
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
  const stagedFiles = path.join(config.dataDir, `attachments.restoring-${process.pid}`);
  try {
    // Left by a restore that was killed: only a restore (under this lock) creates these.
    // Killed between its two renames, it left no database but the old one set aside:
    // put that back before anything else.
    for (const name of fs.readdirSync(config.dataDir).sort()) {
      const leftover = path.join(config.dataDir, name);
      if (/^pg\.replaced-/.test(name) && !fs.existsSync(dir)) fs.renameSync(leftover, dir);
      else if (/^(pg\.replaced|pg\.restoring|attachments\.restoring|backup\.partial)-/.test(name)) {
        fs.rmSync(leftover, { recursive: true, force: true });
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

    const { database, restored } = await unpackBackup(source, stagedFiles);
    await openBackup(database, source, staging);
    const summary = await describeContents(staging);
    if (summary === "unreadable") {
      throw new BackupRefused(`${source} is not a Tessera backup (it has no Tessera tables).`);
    }

    // Attachments first: a crash after this leaves unused files, never missing ones.
    for (const { name, staged } of restored) {
      const target = path.join(config.dataDir, name);
      if (fs.existsSync(target)) continue; // same name, same content
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.renameSync(staged, target);
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
    return `Restored ${source} into ${config.dataDir} (${summary}, ${plural(restored.length, "attachment")}).`;
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
    fs.rmSync(stagedFiles, { recursive: true, force: true });
    await lock.release();
  }
}

/**
 * Reads a backup archive in one pass: checks its manifest (the first entry),
 * keeps the database entry, and writes each attachment into `stagedFiles`,
 * checked against its SHA-256 name. Throws BackupRefused for anything else.
 */
async function unpackBackup(
  source: string,
  stagedFiles: string,
): Promise<{ database: Buffer; restored: { name: string; staged: string }[] }> {
  const notABackup = () =>
    new BackupRefused(`${source} is not a Tessera backup (it was not made by tessera backup).`);
  let refusal: BackupRefused | undefined;
  let database: Buffer | undefined;
  let sawManifest = false;
  const restored: { name: string; staged: string }[] = [];
  const work: Promise<void>[] = [];
  const parser = new tar.Parser({
    strict: true,
    onReadEntry(entry) {
      const refuse = (error: BackupRefused) => {
        refusal ??= error;
        entry.resume();
        parser.abort(error);
      };
      if (!sawManifest) {
        sawManifest = true;
        if (entry.path !== MANIFEST || entry.size > MAX_MANIFEST) return refuse(notABackup());
        work.push(
          entry.concat().then((data) => {
            const problem = manifestProblem(data, source);
            if (problem) refuse(problem);
          }),
        );
        return;
      }
      if (entry.type !== "File") return entry.resume();
      if (entry.path === DATABASE_ENTRY) {
        work.push(
          entry.concat().then((data) => {
            database = data;
          }),
        );
        return;
      }
      const match = ATTACHMENT_ENTRY.exec(entry.path);
      if (!match?.[1] || !match[2]) return entry.resume();
      const sha256 = match[2];
      const staged = path.join(stagedFiles, match[1], sha256);
      fs.mkdirSync(path.dirname(staged), { recursive: true });
      const hash = createHash("sha256");
      const name = entry.path;
      work.push(
        pipeline(
          entry,
          async function* hashed(chunks: AsyncIterable<Buffer>) {
            for await (const chunk of chunks) {
              hash.update(chunk);
              yield chunk;
            }
          },
          fs.createWriteStream(staged, { flags: "wx", mode: 0o600 }),
        ).then(() => {
          if (hash.digest("hex") !== sha256) {
            refuse(new BackupRefused(`${source} is damaged: ${name} does not match its checksum.`));
          } else restored.push({ name, staged });
        }),
      );
    },
  });
  try {
    await pipeline(fs.createReadStream(source), parser);
    await Promise.all(work);
  } catch (error) {
    if (refusal) throw refusal;
    // node-tar's own errors (TAR_BAD_ARCHIVE, TAR_ENTRY_INVALID, ...) and zlib's mean a bad file.
    const code = String((error as NodeJS.ErrnoException).code ?? "");
    if (code.startsWith("TAR_") || code.startsWith("Z_")) {
      throw sawManifest
        ? new BackupRefused(`${source} is damaged: ${(error as Error).message}`)
        : notABackup();
    }
    throw error;
  }
  if (refusal) throw refusal;
  if (!sawManifest) throw notABackup();
  if (!database) throw new BackupRefused(`${source} is damaged: it has no database.`);
  return { database, restored };
}

/** Why a manifest is not one this Tessera can restore, or undefined when it is. */
function manifestProblem(data: Buffer, source: string): BackupRefused | undefined {
  let manifest: { format?: unknown; version?: unknown };
  try {
    manifest = JSON.parse(data.toString("utf8"));
  } catch {
    manifest = {};
  }
  if (manifest.format !== "tessera-backup") {
    return new BackupRefused(
      `${source} is not a Tessera backup (it was not made by tessera backup).`,
    );
  }
  if (manifest.version !== 1) {
    return new BackupRefused(
      `${source} was made by a newer Tessera (backup format ${manifest.version}).`,
    );
  }
  return undefined;
}

/** Unpacks the database archive into `dir` and checks PostgreSQL can open it. */
async function openBackup(archive: Buffer, source: string, dir: string): Promise<void> {
  fs.rmSync(dir, { recursive: true, force: true });
  let client: PGlite;
  try {
    client = await PGlite.create(dir, {
      loadDataDir: new Blob([new Uint8Array(archive)]),
      extensions: PGLITE_EXTENSIONS,
    });
  } catch {
    throw new BackupRefused(`${source} is damaged: its database cannot be opened.`);
  }
  await client.close();
}

/** "3 accounts, 12 tickets", "empty", or "unreadable" when it is not a Tessera database. */
async function describeContents(dir: string): Promise<string> {
  let client: PGlite;
  try {
    client = await PGlite.create(dir, { extensions: PGLITE_EXTENSIONS });
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
