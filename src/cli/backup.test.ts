import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { after, describe, test } from "node:test";
import { eq } from "drizzle-orm";
import { type CliRun, runCli, startServe } from "../../test/helpers/cli.ts";
import { makeCustomer } from "../../test/helpers/factories.ts";
import { scaled } from "../../test/helpers/time.ts";
import { loadConfig } from "../config.ts";
import { openDatabase } from "../db/client.ts";
import { messages, tickets, users } from "../db/schema/index.ts";
import type { Deps } from "../deps.ts";
import { composeDeps } from "../reactions.ts";
import { stageUpload } from "../tickets/attachments.storage.ts";
import { createTicket } from "../tickets/tickets.service.ts";

/**
 * `tessera backup` and `tessera restore`, run as the real command line on data
 * directories of their own, checked by opening the database afterwards.
 */

// Each command has its own deadline (runCli's, from its start); this bounds a whole test of several.
const SLOW = { timeout: scaled(1_200_000) };
const tempDirs: string[] = [];

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tessera-backup-"));
  tempDirs.push(dir);
  return dir;
}

after(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

const tessera = (args: string[], env: Record<string, string>) => runCli(args, env);

/** The failure a person sees: exactly one line on stderr, starting `tessera:`. */
function oneErrorLine(run: CliRun): string {
  const lines = run.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${run.stderr}`);
  assert.match(lines[0] ?? "", /^tessera: /);
  return lines[0] ?? "";
}

const silentLog: Deps["log"] = { info() {}, warn() {}, error() {}, debug() {} };

/** Opens the data directory's embedded database in this process (holding its lock) for `work`. */
async function withDataDir<T>(dataDir: string, work: (deps: Deps) => Promise<T>): Promise<T> {
  const database = await openDatabase({ kind: "pglite", dataDir });
  try {
    await database.migrate();
    const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: "silent" });
    return await work(composeDeps({ db: database.db, config, log: silentLog }));
  } finally {
    await database.close();
  }
}

async function emails(dataDir: string): Promise<string[]> {
  return withDataDir(dataDir, async (deps) =>
    (await deps.db.select({ email: users.email }).from(users)).map((u) => u.email).sort(),
  );
}

function leftovers(dataDir: string): string[] {
  return fs.readdirSync(dataDir).filter((name) => /^(pg|attachments)\.|\.partial-/.test(name));
}

const ATTACHMENT = Buffer.from(`%PDF-1.4 an invoice that must come back ${"x".repeat(5000)}`);

/** The stored attachment files of a data directory. */
function attachmentFiles(dataDir: string): string[] {
  const root = path.join(dataDir, "attachments");
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root, { recursive: true })
    .map((name) => path.join(root, String(name)))
    .filter((file) => fs.statSync(file).isFile());
}

describe("tessera backup and restore", { concurrency: true }, () => {
  test(
    "a backup restores the database as it was, and restore over data needs --force",
    SLOW,
    async () => {
      const dataDir = tempDir();
      const env = { DATA_DIR: dataDir };
      const file = path.join(tempDir(), "tessera.backup");
      const before = await withDataDir(dataDir, async (deps) => {
        const customer = await makeCustomer(deps, { email: "kept@example.test" });
        const staged = await stageUpload(
          dataDir,
          Readable.from([ATTACHMENT]),
          "invoice.pdf",
          "application/pdf",
        );
        return createTicket(
          deps,
          customer,
          { title: "Backed up", description: "This reply must survive a restore." },
          [staged],
        );
      });
      const stored = attachmentFiles(dataDir);
      assert.equal(stored.length, 1);

      const backup = await tessera(["backup", file], env);
      assert.equal(backup.code, 0, backup.stderr);
      assert.match(
        backup.stdout,
        /^Backed up the database in .* and 1 attachment to .* \(\d+\.\d MB\)\./,
      );
      assert.ok(fs.statSync(file).size > 0);
      assert.equal(fs.statSync(file).mode & 0o077, 0, "the backup is readable by its owner only");

      await withDataDir(dataDir, (deps) => makeCustomer(deps, { email: "later@example.test" }));

      const refused = await tessera(["restore", file], env);
      assert.equal(refused.code, 1);
      assert.match(
        oneErrorLine(refused),
        /already holds a database \(2 accounts, 1 ticket\).*--force/,
      );
      assert.deepEqual(await emails(dataDir), ["kept@example.test", "later@example.test"]);

      const forced = await tessera(["restore", file, "--force"], env);
      assert.equal(forced.code, 0, forced.stderr);
      assert.match(forced.stdout, /^Restored .* \(1 account, 1 ticket, 1 attachment\)\./);
      assert.deepEqual(await emails(dataDir), ["kept@example.test"]);
      const [message] = await withDataDir(dataDir, (deps) =>
        deps.db.select().from(messages).where(eq(messages.ticketId, before.id)),
      );
      assert.equal(message?.content, "This reply must survive a restore.");
      assert.deepEqual(leftovers(dataDir), []);

      // And into a brand-new data directory, no --force needed: database and attachment files.
      const fresh = tempDir();
      const intoFresh = await tessera(["restore", file], { DATA_DIR: fresh });
      assert.equal(intoFresh.code, 0, intoFresh.stderr);
      const titles = await withDataDir(fresh, async (deps) =>
        (await deps.db.select({ title: tickets.title }).from(tickets)).map((t) => t.title),
      );
      assert.deepEqual(titles, ["Backed up"]);
      const [restoredFile] = attachmentFiles(fresh);
      assert.ok(restoredFile);
      assert.deepEqual(fs.readFileSync(restoredFile), ATTACHMENT);

      // A backup whose attachment was damaged is refused, and leaves nothing behind.
      const damaged = path.join(tempDir(), "damaged.backup");
      const bytes = fs.readFileSync(file);
      const at = bytes.indexOf(ATTACHMENT);
      assert.ok(at > 0);
      bytes[at] = (bytes[at] ?? 0) ^ 0xff;
      fs.writeFileSync(damaged, bytes);
      const elsewhere = tempDir();
      const refusedDamaged = await tessera(["restore", damaged], { DATA_DIR: elsewhere });
      assert.equal(refusedDamaged.code, 1);
      assert.match(
        oneErrorLine(refusedDamaged),
        /is damaged: attachments\/.* does not match its checksum/,
      );
      assert.deepEqual(
        fs.readdirSync(elsewhere).filter((n) => n !== ".lock"),
        [],
      );

      // Any tar lists it: the manifest first, then the database, then the attachment.
      const listed = spawnSync("tar", ["tf", file], { encoding: "utf8" });
      assert.equal(listed.status, 0, listed.stderr);
      assert.deepEqual(listed.stdout.trim().split("\n"), [
        "tessera-backup.json",
        "database.tar.gz",
        path.relative(dataDir, stored[0] as string),
      ]);

      // Cut short (a copy that did not finish): refused as damaged, nothing left behind.
      const truncated = path.join(tempDir(), "truncated.backup");
      fs.writeFileSync(truncated, fs.readFileSync(file).subarray(0, at + 100));
      const refusedTruncated = await tessera(["restore", truncated], { DATA_DIR: elsewhere });
      assert.equal(refusedTruncated.code, 1);
      assert.match(oneErrorLine(refusedTruncated), /is damaged/);
      assert.deepEqual(
        fs.readdirSync(elsewhere).filter((n) => n !== ".lock"),
        [],
      );
    },
  );

  test(
    "a file that is not a backup is refused and the database is left as it was",
    SLOW,
    async () => {
      const dataDir = tempDir();
      await withDataDir(dataDir, (deps) => makeCustomer(deps, { email: "stays@example.test" }));
      // As a restore killed between setting the old database aside and moving the new one in
      // would leave it: the next restore puts the old one back first.
      fs.renameSync(path.join(dataDir, "pg"), path.join(dataDir, "pg.replaced-999999"));
      const garbage = path.join(tempDir(), "not-a-backup.tgz");
      fs.writeFileSync(garbage, "this is not a database archive\n".repeat(100));
      const run = await tessera(["restore", garbage, "--force"], { DATA_DIR: dataDir });
      assert.equal(run.code, 1);
      assert.match(oneErrorLine(run), /is not a Tessera backup/);
      assert.deepEqual(leftovers(dataDir), [], "no half-restored directory left behind");
      assert.deepEqual(await emails(dataDir), ["stays@example.test"]);

      const missing = await tessera(["restore", path.join(dataDir, "nope")], { DATA_DIR: dataDir });
      assert.equal(missing.code, 1);
      assert.match(oneErrorLine(missing), /No such backup file/);

      const nothing = await tessera(["backup", path.join(tempDir(), "x")], { DATA_DIR: tempDir() });
      assert.equal(nothing.code, 1);
      assert.match(oneErrorLine(nothing), /no embedded database/);
    },
  );

  test("both refuse while a server holds the data directory", SLOW, async () => {
    const dataDir = tempDir();
    await withDataDir(dataDir, (deps) => makeCustomer(deps, { email: "served@example.test" }));
    const file = path.join(tempDir(), "backup");
    const existing = path.join(tempDir(), "existing-backup");
    fs.writeFileSync(existing, "whatever is in it, the lock is checked first");
    const { child: server } = await startServe({ DATA_DIR: dataDir });
    try {
      const [backup, restore] = await Promise.all([
        tessera(["backup", file], { DATA_DIR: dataDir }),
        tessera(["restore", existing, "--force"], { DATA_DIR: dataDir }),
      ]);
      for (const run of [backup, restore]) {
        assert.equal(run.code, 1);
        assert.match(oneErrorLine(run), /is in use by another Tessera process/);
      }
      assert.equal(fs.existsSync(file), false);
    } finally {
      server.kill("SIGTERM");
      await new Promise((resolve) => server.once("exit", resolve));
    }
    assert.deepEqual(await emails(dataDir), ["served@example.test"]);
  });

  test("with DATABASE_URL both point to pg_dump and pg_restore", SLOW, async () => {
    const env = { DATABASE_URL: "postgres://tessera@127.0.0.1:1/tessera", DATA_DIR: tempDir() };
    const [backup, restore] = await Promise.all([
      tessera(["backup", "x.dump"], env),
      tessera(["restore", "x.dump"], env),
    ]);
    assert.equal(backup.code, 1);
    assert.match(oneErrorLine(backup), /use pg_dump|with pg_dump/);
    assert.equal(restore.code, 1);
    assert.match(oneErrorLine(restore), /with pg_restore/);
    const usage = await tessera(["backup"], env);
    assert.equal(usage.code, 2);
    assert.match(oneErrorLine(usage), /usage: tessera backup FILE/);
  });
});
