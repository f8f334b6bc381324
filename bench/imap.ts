// npm run bench:imap -- [--db pglite|postgres] [--messages 1000] [--database-url URL]
// Importing a mailbox backlog: a throwaway Dovecot (test/helpers/dovecot.ts) holds
// `--messages` unseen mails from as many senders; the real server (`node
// bin/tessera.js serve`) is started with the mailbox configured and turns them into
// tickets. Reports messages per second (from the server answering /readyz to the last
// message flagged \Seen on the IMAP server) and the server's RSS sampled during the
// import, checks that every message became exactly one ticket, and writes
// bench/results/<date>-imap-<db>.json.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { eq, sql } from "drizzle-orm";
import pg from "pg";
import { createUser } from "../src/accounts/accounts.service.ts";
import { loadConfig } from "../src/config.ts";
import { type DatabaseTarget, openDatabase } from "../src/db/client.ts";
import { inboundEmails, mailboxMessages } from "../src/db/schema/index.ts";
import * as repo from "../src/email/mailboxes.repo.ts";
import { sealSecret } from "../src/lib/secrets.ts";
import { composeDeps } from "../src/reactions.ts";
import { mail, startDovecot } from "../test/helpers/dovecot.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export interface ImapBacklogOptions {
  db: "pglite" | "postgres";
  messages: number;
  /** A PostgreSQL server's URL for a scratch database (db: postgres), dropped afterwards. */
  adminUrl: string;
}

export interface ImapBacklogResult {
  db: "pglite" | "postgres";
  messages: number;
  seconds: number;
  messagesPerSecond: number;
  rssMb: { start: number | undefined; median: number | undefined; max: number | undefined };
  stored: number;
  tickets: number;
}

async function adminQuery(adminUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

function rssMb(pid: number | undefined): number | undefined {
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);
    return Number.isFinite(kb) ? Math.round(kb / 1024) : undefined;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Imports a backlog of `messages` unseen mails from a throwaway Dovecot through
 * the real server; throws unless every message became exactly one ticket.
 */
export async function measureImapBacklog(options: ImapBacklogOptions): Promise<ImapBacklogResult> {
  const MESSAGES = options.messages;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tessera-bench-imap-"));
  const dbName = `tessera_bench_imap_${randomBytes(4).toString("hex")}`;
  let databaseUrl: string | undefined;
  if (options.db === "postgres") {
    await adminQuery(options.adminUrl, `CREATE DATABASE ${dbName}`);
    const url = new URL(options.adminUrl);
    url.pathname = `/${dbName}`;
    databaseUrl = url.href;
  }
  const target: DatabaseTarget = databaseUrl
    ? { kind: "postgres", url: databaseUrl, poolMax: 5 }
    : { kind: "pglite", dataDir };
  const key = randomBytes(32);
  const dovecot = await startDovecot();
  let child: ChildProcess | undefined;
  try {
    // The database, migrated, with an admin, five agents (who get new-ticket mail) and the mailbox.
    const database = await openDatabase(target);
    let mailboxId: number;
    try {
      await database.migrate();
      const deps = composeDeps({
        db: database.db,
        config: loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: "silent" }),
        log: { info() {}, warn() {}, error() {}, debug() {} },
      });
      for (const [i, role] of (
        ["admin", "agent", "agent", "agent", "agent", "agent"] as const
      ).entries()) {
        await createUser(deps, "system", {
          email: `${role}${i}@bench.example`,
          name: `Bench ${role} ${i}`,
          role,
          password: "bench-password-1",
        });
      }
      const row = await repo.insertMailbox(database.db, {
        address: "support@bench.example",
        imapHost: dovecot.host,
        imapPort: dovecot.port,
        imapTls: "off",
        imapUser: dovecot.user,
        imapSecret: sealSecret(key, dovecot.password),
      });
      mailboxId = row.id;
    } finally {
      await database.close();
    }
    await dovecot.deliver(
      Array.from({ length: MESSAGES }, (_, i) =>
        mail({
          from: `Customer ${i} <customer${i}@bench.example>`,
          subject: `Backlog message ${i}`,
          body: `Hello,\n\nmy order ${i} has not arrived yet. Could you look into it?\n\nThanks,\nCustomer ${i}\n`,
        }),
      ),
      "INBOX",
    );

    const port = await freePort();
    const spawnedAt = Date.now();
    child = spawn(process.execPath, [path.join(ROOT, "bin", "tessera.js"), "serve"], {
      cwd: ROOT,
      stdio: ["ignore", "ignore", "inherit"],
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        TMPDIR: process.env.TMPDIR,
        DATA_DIR: dataDir,
        PORT: String(port),
        LOG_LEVEL: "warn",
        MAILBOX_SECRET_KEY: key.toString("base64"),
        MAILBOX_POLL_SECONDS: "1",
        ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      },
    });
    const server = child;
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (server.exitCode !== null) throw new Error("the server exited");
      if (Date.now() - spawnedAt > 90_000) throw new Error("the server did not start");
      await sleep(50);
    }
    const started = Date.now();
    const rss: number[] = [];
    const imap = await dovecot.client();
    let unseen = MESSAGES;
    try {
      while (unseen > 0) {
        const sample = rssMb(server.pid);
        if (sample !== undefined) rss.push(sample);
        const status = await imap.status("INBOX", { unseen: true });
        unseen = status ? (status.unseen ?? 0) : unseen;
        if (Date.now() - started > 15 * 60_000) throw new Error(`${unseen} still unseen`);
        if (unseen > 0) await sleep(250);
      }
    } finally {
      await imap.logout();
    }
    const seconds = (Date.now() - started) / 1000;
    server.kill("SIGTERM");
    await new Promise((resolve) => server.once("exit", resolve));
    child = undefined;

    const check = await openDatabase(target);
    let tickets = 0;
    let stored = 0;
    try {
      const [s] = await check.db
        .select({ n: sql<number>`count(*)`.mapWith(Number) })
        .from(mailboxMessages)
        .where(eq(mailboxMessages.mailboxId, mailboxId));
      stored = s?.n ?? 0;
      const [t] = await check.db
        .select({ n: sql<number>`count(distinct ${inboundEmails.ticketId})`.mapWith(Number) })
        .from(inboundEmails)
        .where(eq(inboundEmails.status, "ticket"));
      tickets = t?.n ?? 0;
    } finally {
      await check.close();
    }
    const sorted = [...rss].sort((a, b) => a - b);
    if (stored !== MESSAGES || tickets !== MESSAGES) {
      throw new Error(
        `expected ${MESSAGES} stored and ${MESSAGES} tickets, got ${stored} and ${tickets}`,
      );
    }
    return {
      db: options.db,
      messages: MESSAGES,
      seconds: Number(seconds.toFixed(2)),
      messagesPerSecond: Number((MESSAGES / seconds).toFixed(1)),
      rssMb: { start: rss[0], median: sorted[Math.floor(sorted.length / 2)], max: sorted.at(-1) },
      stored,
      tickets,
    };
  } finally {
    child?.kill("SIGKILL");
    await dovecot.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    if (databaseUrl) {
      await adminQuery(options.adminUrl, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    }
  }
}

export function formatImapBacklog(r: ImapBacklogResult): string {
  return (
    `IMAP backlog [${r.db}]: ${r.messages} messages in ${r.seconds} s = ${r.messagesPerSecond} msg/s; ` +
    `server RSS ${r.rssMb.start} MB at start, median ${r.rssMb.median} MB, max ${r.rssMb.max} MB; ` +
    `${r.stored} stored, ${r.tickets} tickets`
  );
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      db: { type: "string", default: "pglite" },
      messages: { type: "string", default: "1000" },
      "database-url": { type: "string", default: "postgres://postgres@127.0.0.1:5432/postgres" },
      out: { type: "string" },
    },
    strict: true,
    allowPositionals: true,
  });
  if (args.db !== "pglite" && args.db !== "postgres") {
    throw new Error("--db must be pglite or postgres");
  }
  const result = await measureImapBacklog({
    db: args.db,
    messages: Number(args.messages),
    adminUrl: args["database-url"],
  });
  const record = {
    date: new Date().toISOString(),
    commit: execFileSync("git", ["rev-parse", "--short", "HEAD"], {
      cwd: ROOT,
      encoding: "utf8",
    }).trim(),
    ...result,
    cpus: os.cpus().length,
    loadAverage: os.loadavg().map((l) => Number(l.toFixed(1))),
  };
  console.log(`${formatImapBacklog(result)} (load average ${record.loadAverage.join(" ")})`);
  const out =
    args.out ??
    path.join(ROOT, "bench", "results", `${record.date.slice(0, 10)}-imap-${args.db}.json`);
  if (out !== "none") fs.writeFileSync(out, `${JSON.stringify(record, null, 2)}\n`);
}

// Run as a script (npm run bench:imap); imported by bench/run.ts for its scenario.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
