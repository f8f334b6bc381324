// npm run bench -- [--db pglite|postgres] [--tickets N] [--duration S] [--seed N] ...
// Generates the data set, loads it, times each read scenario's own SQL straight on the
// database, starts the real server as a child process and drives it with autocannon.
// Prints one table and writes it as JSON to bench/results/<date>-<db>.json.
// bench/README.md explains how to read it.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { PGlite } from "@electric-sql/pglite";
import autocannon from "autocannon";
import pg from "pg";
import { captureSql, type RawSql, type SqlCapture } from "./capture.ts";
import { cpuMs } from "./cpu.ts";
import { formatImapBacklog, measureImapBacklog } from "./imap.ts";
import { formatInboundSmtp, INBOUND_ADDRESS, measureInboundSmtp } from "./inbound-smtp.ts";
import {
  AGENT_COUNT,
  ANCHOR,
  customerCount,
  FIRST_AGENT_ID,
  FIRST_CUSTOMER_ID,
  LONG_TICKET_EVERY,
  type LoadReport,
  loadDataSet,
  loadedDataSet,
  type SqlClient,
} from "./load.ts";
import { prng, searchWords } from "./vocabulary.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const BENCH_PASSWORD = "bench-password-1";
/** Mails waiting in the mailbox of the IMAP backlog scenario. */
const IMAP_BACKLOG = 1000;

/** Senders delivering at once in the inbound SMTP scenario (none may be refused). */
const INBOUND_CLIENTS = 50;
const DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/tessera_bench";

// ---------------------------------------------------------------- options

const { values: args } = parseArgs({
  options: {
    db: { type: "string", default: "postgres" },
    tickets: { type: "string" },
    duration: { type: "string", default: "10" },
    warmup: { type: "string", default: "2" },
    seed: { type: "string", default: "1" },
    connections: { type: "string", default: "20" },
    "mixed-connections": { type: "string", default: "50" },
    "deep-pages": { type: "string", default: "1000" },
    "database-url": { type: "string", default: DEFAULT_DATABASE_URL },
    "data-dir": { type: "string", default: path.join(os.tmpdir(), "tessera-bench-pglite") },
    reuse: { type: "boolean", default: false },
    drop: { type: "boolean", default: false },
    out: { type: "string" },
    profile: { type: "boolean", default: false },
    explain: { type: "boolean", default: false },
    smoke: { type: "boolean", default: false },
    "no-search": { type: "boolean", default: false },
    note: { type: "string", multiple: true, default: [] },
    help: { type: "boolean", default: false },
  },
  strict: true,
});

if (args.help) {
  console.log(fs.readFileSync(path.join(ROOT, "bench/README.md"), "utf8").split("## Reading")[0]);
  process.exit(0);
}

if (args.db !== "pglite" && args.db !== "postgres") {
  throw new Error(`--db must be pglite or postgres, got ${args.db}`);
}
const kind: "pglite" | "postgres" = args.db;
const whole = (name: string, raw: string | undefined, min: number): number => {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min)
    throw new Error(`--${name} must be a whole number >= ${min}`);
  return value;
};
const smoke = args.smoke;
const opts = {
  kind,
  tickets: whole(
    "tickets",
    args.tickets ?? (smoke ? "10000" : kind === "pglite" ? "200000" : "1000000"),
    100,
  ),
  duration: smoke ? 1 : whole("duration", args.duration, 1),
  warmup: smoke ? 0.5 : Number(args.warmup),
  seed: whole("seed", args.seed, 0),
  connections: whole("connections", args.connections, 1),
  mixedConnections: whole("mixed-connections", args["mixed-connections"], 1),
  deepPages: smoke ? 20 : whole("deep-pages", args["deep-pages"], 2),
  // The smoke run has a database of its own, so it never drops a full data set kept for --reuse.
  databaseUrl:
    smoke && args["database-url"] === DEFAULT_DATABASE_URL
      ? DEFAULT_DATABASE_URL.replace(/tessera_bench$/, "tessera_bench_smoke")
      : args["database-url"],
  dataDir: path.resolve(args["data-dir"]),
};
if (kind === "postgres") {
  const name = new URL(opts.databaseUrl).pathname.slice(1);
  if (!/^[a-z0-9_]+$/.test(name) || name === "test" || name === "postgres") {
    throw new Error(`refusing to drop and recreate the database "${name}": use a bench database`);
  }
}

const startedAt = new Date();
const runId = startedAt.getTime().toString(36);
const log = (line: string) => console.log(line);
const notes: string[] = [...(args.note ?? [])];

// ---------------------------------------------------------------- database

interface BenchDb {
  clients: SqlClient[];
  main: SqlClient;
  /** node-postgres pool or PGlite instance, for drizzle. */
  driver: pg.Pool | PGlite;
  close(): Promise<void>;
}

async function openBenchDb(connections: number): Promise<BenchDb> {
  if (kind === "postgres") {
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: connections + 1 });
    // An idle connection's error (the smoke run's DROP ... WITH (FORCE) can reach one still
    // closing) would crash the process unheard; the next query simply takes a new one.
    pool.on("error", (error) => log(`bench database connection lost: ${error.message}`));
    const clients = await Promise.all(Array.from({ length: connections }, () => pool.connect()));
    return {
      clients,
      main: clients[0] as SqlClient,
      driver: pool,
      async close() {
        for (const c of clients) c.release();
        await pool.end();
      },
    };
  }
  const { lockDataDir } = await import("../src/db/lock.ts");
  const lock = await lockDataDir(opts.dataDir);
  const { PGLITE_EXTENSIONS } = await import("../src/db/client.ts");
  const client = await PGlite.create(path.join(opts.dataDir, "pg"), {
    extensions: PGLITE_EXTENSIONS,
  });
  const wrapped: SqlClient = { query: (sql, params) => client.query(sql, params) as never };
  return {
    clients: [wrapped],
    main: wrapped,
    driver: client,
    async close() {
      await client.close();
      await lock.release();
    },
  };
}

async function adminQuery(sql: string): Promise<void> {
  const url = new URL(opts.databaseUrl);
  url.pathname = "/postgres";
  const admin = new pg.Client({ connectionString: url.href });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

function dbName(): string {
  return new URL(opts.databaseUrl).pathname.slice(1);
}

async function existingDataSet(): Promise<boolean> {
  try {
    const db = await openBenchDb(1);
    try {
      const found = await loadedDataSet(db.main);
      return found?.tickets === opts.tickets && found.seed === opts.seed;
    } finally {
      await db.close();
    }
  } catch {
    return false;
  }
}

async function resetDatabase(): Promise<void> {
  if (kind === "postgres") {
    await adminQuery(`DROP DATABASE IF EXISTS ${dbName()} WITH (FORCE)`);
    await adminQuery(`CREATE DATABASE ${dbName()}`);
  } else {
    fs.rmSync(opts.dataDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- processes

function serverEnv(port: number, smtpPort?: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: "127.0.0.1",
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    LOG_LEVEL: "warn",
    // The API's per-user rate limit would turn a load test into a test of the limiter.
    API_RATE_LIMIT_PER_MINUTE: "0",
    // The data set's years of solved tickets would all be due for the default time rules:
    // a first pass working through that backlog is not the steady state measured here
    // (bench/rules.ts measures the scheduler).
    RULES_INTERVAL_SECONDS: "0",
    // The inbound SMTP scenario (bench/inbound-smtp.ts): the listener on a port of its own.
    MAIL_FROM: INBOUND_ADDRESS,
    INBOUND_SMTP_DOMAINS: INBOUND_ADDRESS.split("@")[1],
    INBOUND_TICKETS_PER_HOUR: "100000",
    ...(smtpPort ? { INBOUND_SMTP_PORT: String(smtpPort) } : {}),
  };
  delete env.DATABASE_URL;
  delete env.DATA_DIR;
  if (kind === "postgres") env.DATABASE_URL = opts.databaseUrl;
  else env.DATA_DIR = opts.dataDir;
  return env;
}

const serverLog = path.join(os.tmpdir(), `tessera-bench-${runId}.log`);

function runNode(argv: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const out = fs.openSync(serverLog, "a");
  return spawn(process.execPath, argv, { cwd: ROOT, env, stdio: ["ignore", out, out] });
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Polls until the URL answers 200; returns the milliseconds since `since`. */
async function firstResponse(url: string, since: number, child: ChildProcess): Promise<number> {
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`server exited with ${child.exitCode}; see ${serverLog}`);
    }
    try {
      const res = await fetch(url);
      if (res.status === 200) return performance.now() - since;
    } catch {
      // not listening yet
    }
    if (performance.now() - since > 120_000) throw new Error(`no answer from ${url} in 2 minutes`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

interface Server {
  child: ChildProcess;
  base: string;
  smtpPort: number;
  startupMs: number;
}

async function startServer(profileDir?: string): Promise<Server> {
  const port = await freePort();
  const smtpPort = await freePort();
  const flags = profileDir ? ["--cpu-prof", "--cpu-prof-dir", profileDir] : [];
  const t0 = performance.now();
  const child = runNode([...flags, "bin/tessera.js", "serve"], serverEnv(port, smtpPort));
  const base = `http://127.0.0.1:${port}`;
  const startupMs = await firstResponse(`${base}/healthz`, t0, child);
  return { child, base, smtpPort, startupMs };
}

async function stopServer(server: Server, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  server.child.kill(signal);
  await exited(server.child);
}

function rssMb(pid: number | undefined): number | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
    return Number.isFinite(kb) ? Math.round(kb / 1024) : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------- load generation

interface Req {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

interface Measured {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  statuses: Record<string, number>;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

/** Runs one autocannon load; every response's latency and status is kept, whatever its class. */
function cannon(
  base: string,
  connections: number,
  seconds: number,
  next: () => Req,
  expect: ReadonlySet<number>,
): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const latencies: number[] = [];
    const statuses: Record<string, number> = {};
    let unexpected = 0;
    const started = performance.now();
    const instance = autocannon(
      {
        url: base,
        connections,
        duration: seconds,
        timeout: 10,
        requests: [{ setupRequest: () => next() }],
      },
      (error, result) => {
        if (error) return reject(error);
        const elapsed = (performance.now() - started) / 1000;
        const sorted = Float64Array.from(latencies).sort();
        resolve({
          requests: latencies.length,
          rps: latencies.length / Math.min(elapsed, result.duration || elapsed),
          p50: percentile(sorted, 50),
          p99: percentile(sorted, 99),
          errors: unexpected + result.errors + result.timeouts,
          statuses,
        });
      },
    );
    instance.on("response", (_client, status, _bytes, ms) => {
      latencies.push(ms);
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (!expect.has(status)) unexpected++;
    });
  });
}

function rotate<T>(items: readonly T[]): () => T {
  if (items.length === 0) throw new Error("nothing to rotate through");
  let i = 0;
  return () => items[i++ % items.length] as T;
}

// ---------------------------------------------------------------- the run

interface Row {
  scenario: string;
  connections: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  requests: number;
  statuses: Record<string, number>;
  /** Throughput as a fraction of the bare Fastify route's. */
  ofBare?: number;
  /**
   * The server process's CPU time (user + system) per request, ms: the app's own
   * cost, which other load on the machine changes far less than latency.
   */
  cpuPerRequest?: number;
  /** Median time of this scenario's SQL run directly on the database (ms). */
  sqlP50?: number;
  /** Median latency over the SQL's median. */
  overSql?: number;
  note?: string;
}

async function main(): Promise<void> {
  const total0 = performance.now();
  log(
    `Tessera bench: ${opts.kind}, ${opts.tickets.toLocaleString("en")} tickets, seed ${opts.seed}, ` +
      `${opts.duration} s per scenario, ${opts.connections} connections (mixed: ${opts.mixedConnections})`,
  );

  // 1. Database: reuse a matching data set when asked, else start from nothing.
  const reuse = args.reuse && (await existingDataSet());
  if (!reuse) await resetDatabase();
  const m0 = performance.now();
  const migrate = runNode(["bin/tessera.js", "migrate"], serverEnv(3000));
  if ((await exited(migrate)) !== 0) throw new Error(`migrate failed; see ${serverLog}`);
  const migrateSeconds = (performance.now() - m0) / 1000;
  log(`migrations: ${migrateSeconds.toFixed(1)} s`);

  const db = await openBenchDb(kind === "postgres" ? 2 : 1);
  let load: LoadReport | undefined;
  if (reuse) {
    log("data set: reused (same tickets and seed)");
  } else {
    log("loading:");
    const { hashPassword } = await import("../src/accounts/passwords.ts");
    const passwordHash = await hashPassword(BENCH_PASSWORD);
    load = await loadDataSet(
      db.clients,
      { tickets: opts.tickets, seed: opts.seed },
      passwordHash,
      (line) => log(line),
      kind === "postgres"
        ? { workMem: "256MB", maintenanceWorkMem: "1GB" }
        : { workMem: "64MB", maintenanceWorkMem: "256MB" },
    );
    const rows = Object.entries(load.rows).map(([k, v]) => `${v.toLocaleString("en")} ${k}`);
    const rowCount = Object.values(load.rows).reduce((a, b) => a + b, 0);
    log(
      `loaded ${rows.join(", ")} in ${load.seconds.toFixed(1)} s ` +
        `(${Math.round(rowCount / load.seconds).toLocaleString("en")} rows/s)`,
    );
  }

  // 2. Who and what the scenarios use.
  const fx = await fixtures(db.main);

  // 3. Each read scenario's own SQL, captured from the app's services and timed directly.
  let sql: SqlCapture | undefined;
  try {
    sql = await captureSql(db, kind, fx, opts.deepPages, smoke ? { min: 10, ms: 200 } : undefined);
    for (const [name, s] of Object.entries(sql.scenarios)) {
      log(`SQL ${name}: ${s.statements} statements, p50 ${s.p50.toFixed(2)} ms`);
    }
  } catch (error) {
    notes.push(`SQL timing failed: ${(error as Error).message}`);
    log(`SQL timing failed: ${(error as Error).stack}`);
  }
  let explainText = "";
  if (args.explain && sql) explainText = await explainAll(db.main, sql.raw);
  if (kind === "pglite") await db.close(); // the server takes the data directory's lock

  // 4. The yardstick: a bare Fastify route.
  const basePort = await freePort();
  const bare = runNode(["bench/baseline.mjs"], { ...process.env, PORT: String(basePort) });
  const bareBase = `http://127.0.0.1:${basePort}`;
  await firstResponse(`${bareBase}/`, performance.now(), bare);
  const get = (p: string): Req => ({ method: "GET", path: p, headers: {} });
  await cannon(bareBase, opts.connections, opts.warmup, () => get("/"), new Set([200]));
  const bareRun = await cannon(
    bareBase,
    opts.connections,
    opts.duration,
    () => get("/"),
    new Set([200]),
  );
  bare.kill("SIGTERM");
  await exited(bare);
  log(`bare Fastify: ${Math.round(bareRun.rps)} req/s, p50 ${bareRun.p50.toFixed(2)} ms`);

  // 5. The real server.
  const profileDir = args.profile
    ? path.join(os.tmpdir(), `tessera-bench-profiles-${runId}`)
    : undefined;
  if (profileDir) fs.mkdirSync(profileDir, { recursive: true });
  let server = await startServer(profileDir);
  const startupMs = server.startupMs;
  log(`server: first response ${Math.round(startupMs)} ms after spawn (already migrated)`);

  const agentCookie = (i = 0) => `tessera_session=${fx.agentSessions[i % fx.agentSessions.length]}`;
  const signIn = await checkSignIn(server.base, fx.customerSessions[0]?.id ?? FIRST_CUSTOMER_ID);
  log(`sign-in through POST /login with the shared bench password: ${signIn}`);
  if (signIn !== "ok") notes.push(`Sign-in check: ${signIn}`);
  const api = await apiAvailable(server.base, fx);
  if (args["no-search"])
    notes.push(
      "--no-search: the search scenario was skipped and searches left out of the mixed workload.",
    );
  if (!api)
    notes.push(
      "The JSON API was not available: JSON, search and write scenarios used HTML forms or were skipped.",
    );

  const rows: Row[] = [];
  // Writes made while probing or warming up are titled apart, so the durability count is exact.
  let stage: "probe" | "warmup" | "measure" = "measure";
  const run = async (
    scenario: string,
    next: () => Req,
    expect: number[],
    extra: { connections?: number; sqlKey?: string; note?: string } = {},
  ): Promise<Row> => {
    const connections = extra.connections ?? opts.connections;
    const expectSet = new Set(expect);
    // Fail fast with the reason when the first request is already wrong.
    stage = "probe";
    const probe = next();
    const res = await fetch(server.base + probe.path, {
      method: probe.method,
      headers: probe.headers,
      body: probe.body,
      redirect: "manual",
    });
    if (!expectSet.has(res.status)) {
      const text = (await res.text()).slice(0, 300);
      throw new Error(`${scenario}: ${probe.method} ${probe.path} answered ${res.status}: ${text}`);
    }
    stage = "warmup";
    if (opts.warmup > 0) await cannon(server.base, connections, opts.warmup, next, expectSet);
    stage = "measure";
    const cpu0 = cpuMs(server.child.pid);
    const m = await cannon(server.base, connections, opts.duration, next, expectSet);
    const cpu1 = cpuMs(server.child.pid);
    const cpuPerRequest =
      cpu0 !== undefined && cpu1 !== undefined && m.requests > 0
        ? (cpu1 - cpu0) / m.requests
        : undefined;
    const sqlP50 = extra.sqlKey ? sql?.scenarios[extra.sqlKey]?.p50 : undefined;
    const row: Row = {
      scenario,
      connections,
      ...m,
      ofBare: m.rps / bareRun.rps,
      ...(cpuPerRequest !== undefined ? { cpuPerRequest } : {}),
      ...(sqlP50 !== undefined ? { sqlP50, overSql: m.p50 / sqlP50 } : {}),
      ...(extra.note ? { note: extra.note } : {}),
    };
    rows.push(row);
    log(
      `${scenario}: ${Math.round(m.rps)} req/s, p50 ${m.p50.toFixed(2)} ms, p99 ${m.p99.toFixed(2)} ms, ` +
        `${cpuPerRequest !== undefined ? `server CPU ${cpuPerRequest.toFixed(2)} ms/req, ` : ""}` +
        `errors ${m.errors} ${JSON.stringify(m.statuses)}`,
    );
    return row;
  };

  // --- reads
  const assignees = rotate(Array.from({ length: AGENT_COUNT }, (_, i) => FIRST_AGENT_ID + i));
  await run(
    "Queue page, HTML (status+assignee, 50 rows)",
    () => ({
      ...get(`/desk?status=open&assignee=${assignees()}`),
      headers: { cookie: agentCookie() },
    }),
    [200],
    { sqlKey: "queueHtml" },
  );
  await run(
    "Queue page, HTML (SLA due first, 50 rows)",
    () => ({ ...get("/desk?queue=open&sort=dueAt"), headers: { cookie: agentCookie() } }),
    [200],
    { sqlKey: "queueDueFirst" },
  );
  // Issue 15: a tag filter should cost what a queue does (BENCH_TAGS: "hardware" on 5%).
  await run(
    "Queue page, HTML (tag filter, 50 rows)",
    () => ({ ...get("/desk?queue=open&tag=hardware"), headers: { cookie: agentCookie() } }),
    [200],
    { sqlKey: "queueTag" },
  );
  await run(
    "Queue page, HTML (custom field filter, 50 rows)",
    () => ({
      ...get(`/desk?queue=open&q=${encodeURIComponent("field:product=Scanner")}`),
      headers: { cookie: agentCookie() },
    }),
    [200],
    { sqlKey: "queueField" },
  );
  if (api) {
    await run(
      "Queue, JSON (status+assignee, 50 rows)",
      () => ({
        ...get(`/api/v1/tickets?status=open&assigneeId=${assignees()}&sort=-updatedAt&limit=50`),
        headers: api.agentHeaders,
      }),
      [200],
      { sqlKey: "queueJson" },
    );
  }

  // Deep cursor: walk the list once, then measure its first page and page N.
  const deep = await walkCursor(server.base, api, agentCookie(), opts.deepPages);
  const firstPage = await run(
    `Cursor list, page 1 (${deep.list})`,
    () => ({ ...get(deep.firstPath), headers: deep.headers }),
    [200],
    { sqlKey: api ? "firstPage" : "deskFirstPage" },
  );
  const deepPage = await run(
    `Cursor list, page ${deep.pages}`,
    () => ({ ...get(deep.deepPath), headers: deep.headers }),
    [200],
    { sqlKey: api ? "deepPage" : "deskDeepPage" },
  );

  const longTickets = rotate(fx.longTickets);
  await run(
    "Ticket page, 20 messages (staff)",
    () => ({ ...get(`/tickets/${longTickets()}`), headers: { cookie: agentCookie() } }),
    [200],
    { sqlKey: "ticketPage" },
  );
  const customers = rotate(fx.customerSessions);
  await run(
    "My tickets (customer)",
    () => ({ ...get("/tickets"), headers: { cookie: `tessera_session=${customers().token}` } }),
    [200],
    { sqlKey: "myTickets" },
  );
  const words = rotate(fx.searchWords);
  if (api && !args["no-search"]) {
    await run(
      "Search (q=word, 50 rows)",
      () => ({
        ...get(`/api/v1/tickets?q=${encodeURIComponent(words())}&limit=50`),
        headers: api.agentHeaders,
      }),
      [200],
      { sqlKey: "search" },
    );
    // Issue 15's search language at 10 connections: two words, and words with filters.
    const pairs = rotate(fx.searchWords.map((w, i, all) => `${w} ${all[(i + 3) % all.length]}`));
    await run(
      "Search, two words (q=a b, 50 rows)",
      () => ({
        ...get(`/api/v1/tickets?q=${encodeURIComponent(pairs())}&limit=50`),
        headers: api.agentHeaders,
      }),
      [200],
      { connections: 10, sqlKey: "searchTwoWords" },
    );
    await run(
      "Search, filtered (q=status:open tag:hardware word, 50 rows)",
      () => ({
        ...get(
          `/api/v1/tickets?q=${encodeURIComponent(`status:open tag:hardware ${words()}`)}&limit=50`,
        ),
        headers: api.agentHeaders,
      }),
      [200],
      { connections: 10, sqlKey: "searchFiltered" },
    );
  }

  // --- writes
  let created = 0;
  const createTitle = (tag: string) =>
    `Bench ${stage === "measure" ? tag : stage} ${runId} ${++created}`;
  const writers = api ? undefined : await htmlWriters(server.base, fx);
  const createReq = (tag: string, teamId?: number): Req => {
    const title = createTitle(tag);
    const description = `Bench ${tag} ticket: printer offline after the firmware update, invoice attached.`;
    if (api) {
      return {
        method: "POST",
        path: "/api/v1/tickets",
        headers: { ...api.customerHeaders(), "content-type": "application/json" },
        body: JSON.stringify({
          title,
          description,
          priority: "normal",
          ...(teamId ? { teamId } : {}),
        }),
      };
    }
    const w = writers?.customer() as Writer;
    return {
      method: "POST",
      path: "/tickets",
      headers: { cookie: w.cookie, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        title,
        description,
        priority: "normal",
        _csrf: w.csrf,
      }).toString(),
    };
  };
  const createOk = api ? [201] : [303];
  const createRow = await run("Create ticket", () => createReq("create"), createOk, {
    note: api ? "API, JSON body" : "HTML form (no API yet)",
  });

  // Durability: kill -9 the server right after, then count what the database kept.
  const acknowledged = createOk.reduce((n, s) => n + (createRow.statuses[s] ?? 0), 0);
  // (With --profile, SIGTERM instead, so the first server writes its CPU profile.)
  const killSignal = args.profile ? "SIGTERM" : "SIGKILL";
  await stopServer(server, killSignal);
  const kept = await countTitled(`Bench create ${runId} %`);
  const durable = kept >= acknowledged;
  createRow.note = `${createRow.note}; ${acknowledged} acknowledged, ${kept} in the database after ${killSignal}`;
  log(`durability: ${acknowledged} acknowledged creates, ${kept} rows after ${killSignal}`);
  server = await startServer(profileDir);
  const restartMs = server.startupMs;
  log(`server restarted after kill -9: first response ${Math.round(restartMs)} ms`);

  // Automatic assignment's cost: one connection, so the p50 is a request's own latency and not
  // the queue for two cores; the same create without a team, then into a team of all 20 agents.
  let assignRows: { plain: Row; roundRobin: Row; fewestOpen: Row } | undefined;
  if (api && fx.benchTeamId !== undefined) {
    const teamId = fx.benchTeamId;
    const setMode = (mode: string) =>
      db.main.query("UPDATE teams SET assignment = $1 WHERE id = $2", [mode, teamId]);
    const plain = await run(
      "Create ticket, no team (1 connection)",
      () => createReq("plain"),
      [201],
      {
        connections: 1,
      },
    );
    const roundRobin = await run(
      "Create ticket, auto-assigned round-robin (1 connection)",
      () => createReq("assign", teamId),
      [201],
      { connections: 1, note: `team of ${AGENT_COUNT} agents` },
    );
    let fewestOpen = roundRobin;
    if (kind === "postgres") {
      await setMode("fewest_open");
      fewestOpen = await run(
        "Create ticket, auto-assigned fewest open (1 connection)",
        () => createReq("fewest", teamId),
        [201],
        { connections: 1, note: `team of ${AGENT_COUNT} agents, open tickets counted per agent` },
      );
    }
    assignRows = { plain, roundRobin, fewestOpen };
  }

  const activeTickets = rotate(fx.activeTickets);
  const replyReq = (): Req => {
    const id = activeTickets();
    const content = "Thanks, we pushed a fix for the sync error; please try again and tell us.";
    if (api) {
      return {
        method: "POST",
        path: `/api/v1/tickets/${id}/messages`,
        headers: { ...api.agentHeaders, "content-type": "application/json" },
        body: JSON.stringify({ content }),
      };
    }
    const w = writers?.agent() as Writer;
    return {
      method: "POST",
      path: `/tickets/${id}/replies`,
      headers: { cookie: w.cookie, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ content, _csrf: w.csrf }).toString(),
    };
  };
  await run("Add reply (staff)", replyReq, api ? [201] : [303]);

  // --- merge: pairs of fresh open tickets of 20 messages each (copies of the long tickets,
  // both of one requester), merged one at a time through the API. Each merge uses up its
  // pair, so this is a fixed number of requests, not a timed run.
  if (api) await mergeScenario(db.main, server.base, api, rows, smoke ? 30 : 300);
  // --- bulk: POST /api/v1/tickets/bulk with 500 ids, one request at a time (each ticket in its
  // own transaction through updateTicket: rules, notifications and the audit trail as by hand).
  let bulkUpdate: BulkUpdate | undefined;
  if (api) {
    bulkUpdate = await measureBulk(server.base, api, fx.bulkTickets);
    log(
      `bulk update of ${bulkUpdate.tickets} tickets: ${bulkUpdate.runsMs.map((ms) => `${Math.round(ms)} ms`).join(", ")} (median ${Math.round(bulkUpdate.medianMs)} ms); ${bulkUpdate.changed} changed, ${bulkUpdate.refused} refused`,
    );
  }

  // --- mixed: 70% reads, 30% writes
  const random = prng(opts.seed + 7);
  const reads: (() => Req)[] = [
    () => ({
      ...get(`/desk?status=open&assignee=${assignees()}`),
      headers: { cookie: agentCookie() },
    }),
    () => ({ ...get(`/tickets/${longTickets()}`), headers: { cookie: agentCookie() } }),
    () => ({ ...get("/tickets"), headers: { cookie: `tessera_session=${customers().token}` } }),
  ];
  if (api) {
    reads.push(() => ({
      ...get(`/api/v1/tickets?status=open&assigneeId=${assignees()}&sort=-updatedAt&limit=50`),
      headers: api.agentHeaders,
    }));
    if (!args["no-search"]) {
      reads.push(() => ({
        ...get(`/api/v1/tickets?q=${encodeURIComponent(words())}&limit=50`),
        headers: api.agentHeaders,
      }));
    }
  }
  const pickRead = () => reads[Math.floor(random() * reads.length)] as () => Req;
  await run(
    "Mixed 70% reads / 30% writes",
    () => {
      const r = random();
      if (r < 0.15) return createReq("mixed");
      if (r < 0.3) return replyReq();
      return pickRead()();
    },
    api ? [200, 201] : [200, 303],
    {
      connections: opts.mixedConnections,
      note: `reads: ${reads.length} kinds evenly; writes: half create, half reply`,
    },
  );

  // --- inbound SMTP: 50 senders at once, each message on its own connection
  const inboundSmtp = await measureInboundSmtp(
    "127.0.0.1",
    server.smtpPort,
    INBOUND_CLIENTS,
    opts.duration,
  );
  log(formatInboundSmtp(inboundSmtp));

  const serverRssMb = rssMb(server.child.pid);
  await stopServer(server);
  if (profileDir) log(`CPU profiles in ${profileDir}`);

  // --- a mailbox backlog fetched over IMAP from a throwaway Dovecot by a server of its own
  // (bench/imap.ts), on a scratch database of the same kind: messages per second and RSS.
  const adminUrl = new URL(opts.databaseUrl);
  adminUrl.pathname = "/postgres";
  const imapBacklog = await measureImapBacklog({
    db: kind,
    messages: smoke ? 50 : IMAP_BACKLOG,
    adminUrl: adminUrl.href,
  });
  log(formatImapBacklog(imapBacklog));

  // 6. Report.
  const targets = checkTargets(rows, {
    assignRows,
    firstPage,
    deepPage,
    createRow,
    durable,
    serverRssMb,
    startupMs,
  });
  if (bulkUpdate) {
    targets.push({
      target: `Bulk-update ${BULK_TICKETS} tickets in one request under 5 s`,
      actual: `${bulkUpdate.tickets} tickets, median ${fmt(bulkUpdate.medianMs / 1000, 2)} s of ${bulkUpdate.runsMs.length} runs`,
      met: bulkUpdate.tickets === BULK_TICKETS && bulkUpdate.medianMs < 5000,
    });
  }
  targets.push({
    target: `Inbound SMTP at ${INBOUND_CLIENTS} parallel clients: 0 refused`,
    actual: `${inboundSmtp.refused} refused, ${fmt(inboundSmtp.messagesPerSecond, 1)} messages/s`,
    met: inboundSmtp.refused === 0,
  });
  printTable(rows, bareRun);
  log("");
  if (smoke) log("smoke run: speed targets are not evaluated at 10,000 tickets and 1 s.");
  else for (const t of targets) log(`${t.met ? "met " : "MISS"}  ${t.target}: ${t.actual}`);
  log(
    `server RSS after the run: ${serverRssMb ?? "?"} MB; startup to first response: ${Math.round(startupMs)} ms`,
  );
  const totalSeconds = (performance.now() - total0) / 1000;
  log(`total: ${totalSeconds.toFixed(0)} s`);

  const result = {
    date: startedAt.toISOString(),
    commit: gitCommit(),
    db: kind,
    tickets: opts.tickets,
    customers: customerCount(opts.tickets),
    agents: AGENT_COUNT,
    seed: opts.seed,
    anchor: ANCHOR,
    durationSeconds: opts.duration,
    warmupSeconds: opts.warmup,
    connections: opts.connections,
    mixedConnections: opts.mixedConnections,
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      memoryGb: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      loadAverageAtEnd: os.loadavg(),
    },
    migrateSeconds,
    load: load ?? "reused",
    startupMs: Math.round(startupMs),
    restartAfterKillMs: Math.round(restartMs),
    serverRssMb,
    bare: { rps: bareRun.rps, p50: bareRun.p50, p99: bareRun.p99 },
    sql: sql?.scenarios,
    scenarios: rows,
    bulkUpdate,
    inboundSmtp,
    imapBacklog,
    targets,
    notes,
    totalSeconds,
  };
  const out =
    args.out ??
    (smoke
      ? "none"
      : path.join(ROOT, `bench/results/${startedAt.toISOString().slice(0, 10)}-${kind}.json`));
  if (out !== "none") {
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    log(`wrote ${path.relative(process.cwd(), out)}`);
    if (explainText) {
      const explainOut = out.replace(/\.json$/, "-explain.txt");
      fs.writeFileSync(explainOut, explainText);
      log(`wrote ${path.relative(process.cwd(), explainOut)}`);
    }
  }

  if (kind === "postgres") await db.close();
  if (args.drop) {
    if (kind === "postgres") await adminQuery(`DROP DATABASE IF EXISTS ${dbName()} WITH (FORCE)`);
    else fs.rmSync(opts.dataDir, { recursive: true, force: true });
  }
  // The smoke run guards the harness, not the speed: any failed request or lost write fails it.
  const failed = rows.filter((r) => r.errors > 0).map((r) => r.scenario);
  if (!durable) failed.push("create ticket durability");
  if (inboundSmtp.refused > 0) failed.push(`inbound SMTP (${inboundSmtp.refused} refused)`);
  if (bulkUpdate && (bulkUpdate.failed > 0 || bulkUpdate.refused > 0))
    failed.push(
      `bulk update (${bulkUpdate.failed} failed requests, ${bulkUpdate.refused} refused)`,
    );
  if (smoke && failed.length > 0) throw new Error(`smoke: failures in ${failed.join(", ")}`);

  async function countTitled(pattern: string): Promise<number> {
    const counter = kind === "postgres" ? db : await openBenchDb(1);
    try {
      const { rows: r } = await counter.main.query(
        "SELECT count(*)::int AS n FROM tickets WHERE title LIKE $1",
        [pattern],
      );
      return Number(r[0]?.n ?? 0);
    } finally {
      if (kind === "pglite") await counter.close();
    }
  }
}

/** The commit measured: git's HEAD, or BENCH_COMMIT when run from a copy of the tree. */
function gitCommit(): string | undefined {
  if (process.env.BENCH_COMMIT) return process.env.BENCH_COMMIT;
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], {
      cwd: ROOT,
      encoding: "utf8",
    }).trim();
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------- merge

/**
 * `count` pairs of open tickets with 20 messages each, copied from the data set's
 * long tickets (every LONG_TICKET_EVERY-th has exactly 20): both tickets of a pair
 * copy the same one, so they share a requester and the merge needs no confirmation.
 */
async function mergePairs(client: SqlClient, count: number): Promise<[number, number][]> {
  const { rows: long } = await client.query(
    `SELECT t.id FROM tickets t WHERE t.id % ${LONG_TICKET_EVERY} = 0
     AND (SELECT count(*) FROM messages m WHERE m.ticket_id = t.id) = 20
     ORDER BY t.id DESC LIMIT 200`,
  );
  if (long.length === 0) throw new Error("merge: no ticket with 20 messages in the data set");
  const copy = async (from: number): Promise<number> => {
    const { rows } = await client.query(
      `WITH made AS (
         INSERT INTO tickets (title, description, status, priority, requester_id, channel,
           search, internal_search, search_config)
         SELECT title, description, 'open', priority, requester_id, channel,
           search, internal_search, search_config FROM tickets WHERE id = $1
         RETURNING id
       ), copied AS (
         INSERT INTO messages (ticket_id, author_id, content, internal, created_at)
         SELECT made.id, m.author_id, m.content, m.internal, m.created_at
         FROM messages m, made WHERE m.ticket_id = $1
       )
       SELECT id FROM made`,
      [from],
    );
    return Number(rows[0]?.id);
  };
  const pairs: [number, number][] = [];
  for (let i = 0; i < count; i++) {
    const from = Number(long[i % long.length]?.id);
    pairs.push([await copy(from), await copy(from)]);
  }
  return pairs;
}

/**
 * Merges `count` pairs of tickets of 20 messages each, one request at a time
 * (`POST /api/v1/tickets/{id}/merge` as an agent): each merge moves 20 messages,
 * closes one ticket, rebuilds two search documents and queues one mail.
 */
async function mergeScenario(
  client: SqlClient,
  base: string,
  api: Api,
  rows: Row[],
  count: number,
): Promise<void> {
  const pairs = await mergePairs(client, count);
  const times: number[] = [];
  const statuses: Record<string, number> = {};
  const started = performance.now();
  for (const [source, target] of pairs) {
    const t0 = performance.now();
    const res = await fetch(`${base}/api/v1/tickets/${source}/merge`, {
      method: "POST",
      headers: { ...api.agentHeaders, "content-type": "application/json" },
      body: JSON.stringify({ targetId: target }),
    });
    await res.arrayBuffer();
    times.push(performance.now() - t0);
    statuses[res.status] = (statuses[res.status] ?? 0) + 1;
  }
  const seconds = (performance.now() - started) / 1000;
  const sorted = Float64Array.from(times).sort();
  const errors = times.length - (statuses["200"] ?? 0);
  const row: Row = {
    scenario: "Merge tickets of 20 messages each (1 connection)",
    connections: 1,
    rps: times.length / seconds,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    errors,
    requests: times.length,
    statuses,
    note: `${count} merges, each of a fresh pair; 20 messages move in each`,
  };
  rows.push(row);
  log(
    `${row.scenario}: p50 ${row.p50.toFixed(2)} ms, p99 ${row.p99.toFixed(2)} ms, ` +
      `errors ${errors} ${JSON.stringify(statuses)}`,
  );
}

// ---------------------------------------------------------------- fixtures

export interface Fixtures {
  agentId: number;
  /** Session cookie values, one per agent (the first is agent 1's). */
  agentSessions: string[];
  customerSessions: { id: number; token: string }[];
  /** Tickets with exactly 20 messages. */
  longTickets: number[];
  /** Tickets staff can reply to (new, open or pending). */
  activeTickets: number[];
  /** Up to BULK_TICKETS tickets that are not closed, newest first. */
  bulkTickets: number[];
  searchWords: string[];
  /** API tokens when the API is there: agent's, and per customer. */
  apiTokens: { agent?: string; customers: Map<number, string> };
  /** A round-robin team of every agent, when this version has teams (automatic assignment). */
  benchTeamId?: number | undefined;
}

async function fixtures(client: SqlClient): Promise<Fixtures> {
  const { hashToken, newToken } = await import("../src/lib/tokens.ts");
  const session = async (userId: number) => {
    const token = newToken();
    await client.query(
      `INSERT INTO sessions (id, user_id, expires_at) VALUES ($1, $2, now() + interval '1 day')`,
      [hashToken(token), userId],
    );
    return token;
  };
  const agentSessions: string[] = [];
  for (let i = 0; i < AGENT_COUNT; i++) agentSessions.push(await session(FIRST_AGENT_ID + i));
  const { rows: customerRows } = await client.query(
    `SELECT requester_id AS id FROM tickets WHERE id % 97 = 0 GROUP BY requester_id ORDER BY requester_id LIMIT 200`,
  );
  const customerSessions: Fixtures["customerSessions"] = [];
  for (const r of customerRows) {
    customerSessions.push({ id: Number(r.id), token: await session(Number(r.id)) });
  }
  const { rows: longRows } = await client.query(
    `SELECT id FROM tickets WHERE id % ${LONG_TICKET_EVERY} = 0 AND status <> 'new' ORDER BY id DESC LIMIT 200`,
  );
  const { rows: activeRows } = await client.query(
    `SELECT id FROM tickets WHERE status IN ('new', 'open', 'pending') ORDER BY id DESC LIMIT 300`,
  );
  // The bulk scenario's tickets: the newest 500 that can still change (not closed).
  const { rows: bulkRows } = await client.query(
    `SELECT id FROM tickets WHERE status <> 'closed' ORDER BY id DESC LIMIT ${BULK_TICKETS}`,
  );
  // API tokens as `tessera token create` makes them (tsr_ + 32 random bytes; the table
  // keeps the first 12 characters and the SHA-256), inserted directly for 220 users.
  const apiTokens: Fixtures["apiTokens"] = { customers: new Map() };
  const hasTokens = await client
    .query("SELECT 1 FROM api_tokens LIMIT 0")
    .then(() => true)
    .catch(() => false);
  if (hasTokens) {
    const apiToken = async (userId: number) => {
      const token = `tsr_${newToken()}`;
      await client.query(
        "INSERT INTO api_tokens (user_id, name, prefix, token_hash) VALUES ($1, 'bench', $2, $3)",
        [userId, token.slice(0, 12), hashToken(token)],
      );
      return token;
    };
    apiTokens.agent = await apiToken(FIRST_AGENT_ID);
    for (const c of customerSessions) apiTokens.customers.set(c.id, await apiToken(c.id));
  }
  // A team of all agents with round-robin assignment (made once; kept with --reuse).
  let benchTeamId: number | undefined;
  const hasTeams = await client
    .query("SELECT 1 FROM teams LIMIT 0")
    .then(() => true)
    .catch(() => false);
  if (hasTeams) {
    const found = await client.query("SELECT id FROM teams WHERE name = 'Bench assignment'");
    benchTeamId = Number(
      found.rows[0]?.id ??
        (
          await client.query(
            "INSERT INTO teams (name, assignment, offered_on_form) VALUES ('Bench assignment', 'round_robin', true) RETURNING id",
          )
        ).rows[0]?.id,
    );
    await client.query(
      `INSERT INTO team_members (team_id, user_id)
       SELECT $1, g FROM generate_series(${FIRST_AGENT_ID}, ${FIRST_AGENT_ID + AGENT_COUNT - 1}) g
       ON CONFLICT DO NOTHING`,
      [benchTeamId],
    );
    await client.query(
      "UPDATE teams SET assignment = 'round_robin', offered_on_form = true WHERE id = $1",
      [benchTeamId],
    );
  }
  return {
    benchTeamId,
    agentId: FIRST_AGENT_ID,
    agentSessions,
    customerSessions,
    longTickets: longRows.map((r) => Number(r.id)),
    activeTickets: activeRows.map((r) => Number(r.id)),
    bulkTickets: bulkRows.map((r) => Number(r.id)),
    searchWords: searchWords(opts.seed),
    apiTokens,
  };
}

// ---------------------------------------------------------------- bulk update

/** Tickets in one bulk request: the API's limit. */
const BULK_TICKETS = 500;
/** Sequential bulk requests measured (each flips the priority, so every ticket changes). */
const BULK_RUNS = 3;

interface BulkUpdate {
  tickets: number;
  runsMs: number[];
  medianMs: number;
  changed: number;
  refused: number;
  failed: number;
}

/** Times BULK_RUNS bulk priority changes of `ids`, one request after another, as the agent. */
async function measureBulk(base: string, api: Api, ids: number[]): Promise<BulkUpdate> {
  const runsMs: number[] = [];
  let changed = 0;
  let refused = 0;
  let failed = 0;
  for (let i = 0; i < BULK_RUNS; i++) {
    const priority = i % 2 === 0 ? "high" : "low";
    const t0 = performance.now();
    const res = await fetch(`${base}/api/v1/tickets/bulk`, {
      method: "POST",
      headers: { ...api.agentHeaders, "content-type": "application/json" },
      body: JSON.stringify({ ids, changes: { priority } }),
    });
    const body = (await res.json()) as { data?: { outcome: string }[] };
    runsMs.push(performance.now() - t0);
    if (res.status !== 200) {
      failed++;
      continue;
    }
    for (const r of body.data ?? []) {
      if (r.outcome === "changed") changed++;
      else if (r.outcome === "refused") refused++;
    }
  }
  const sorted = [...runsMs].sort((a, b) => a - b);
  return {
    tickets: ids.length,
    runsMs,
    medianMs: sorted[Math.floor(sorted.length / 2)] ?? 0,
    changed,
    refused,
    failed,
  };
}

// ---------------------------------------------------------------- API and HTML helpers

interface Api {
  agentHeaders: Record<string, string>;
  customerHeaders: () => Record<string, string>;
}

/** The API's bearer-token headers, when this version of Tessera has the API. */
async function apiAvailable(base: string, fx: Fixtures): Promise<Api | undefined> {
  const agent = fx.apiTokens.agent;
  if (!agent) return undefined;
  const agentHeaders = { authorization: `Bearer ${agent}` };
  const res = await fetch(`${base}/api/v1/me`, { headers: agentHeaders });
  if (res.status !== 200) return undefined;
  const customers = rotate([...fx.apiTokens.customers.values()]);
  return { agentHeaders, customerHeaders: () => ({ authorization: `Bearer ${customers()}` }) };
}

/** One real sign-in through the login form, proving the loaded accounts' shared hash works. */
async function checkSignIn(base: string, userId: number): Promise<string> {
  const page = await fetch(`${base}/login`);
  const html = await page.text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  const cookie = (page.headers.getSetCookie?.() ?? []).map((c) => c.split(";")[0]).join("; ");
  if (!csrf) return `no CSRF token on /login (status ${page.status})`;
  const res = await fetch(`${base}/login`, {
    method: "POST",
    redirect: "manual",
    headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      email: `customer${userId - FIRST_CUSTOMER_ID + 1}@bench.test`,
      password: BENCH_PASSWORD,
      _csrf: csrf,
    }).toString(),
  });
  const session = (res.headers.getSetCookie?.() ?? []).some((c) =>
    c.startsWith("tessera_session="),
  );
  return res.status === 303 && session ? "ok" : `failed (status ${res.status})`;
}

interface Writer {
  cookie: string;
  csrf: string;
}

/** Session plus CSRF token for form posts, read from a real page like a browser would. */
async function formWriter(base: string, sessionToken: string, page: string): Promise<Writer> {
  const res = await fetch(base + page, { headers: { cookie: `tessera_session=${sessionToken}` } });
  const html = await res.text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  const csrfCookie = (res.headers.getSetCookie?.() ?? [])
    .map((c) => c.split(";")[0])
    .find((c) => c?.startsWith("tessera_csrf="));
  if (!csrf || !csrfCookie) throw new Error(`no CSRF token on ${page} (status ${res.status})`);
  return { cookie: `tessera_session=${sessionToken}; ${csrfCookie}`, csrf };
}

async function htmlWriters(base: string, fx: Fixtures) {
  const customers = await Promise.all(
    fx.customerSessions.slice(0, 20).map((c) => formWriter(base, c.token, "/tickets/new")),
  );
  const agents = await Promise.all(
    fx.agentSessions.map((token) => formWriter(base, token, "/tickets/new")),
  );
  return { customer: rotate(customers), agent: rotate(agents) };
}

interface DeepList {
  list: string;
  pages: number;
  headers: Record<string, string>;
  firstPath: string;
  deepPath: string;
}

/** Follows "next page" from the first page of the closed list, `pages - 1` times. */
async function walkCursor(
  base: string,
  api: Api | undefined,
  cookie: string,
  pages: number,
): Promise<DeepList> {
  const headers = api ? api.agentHeaders : { cookie };
  const firstPath = api
    ? "/api/v1/tickets?status=closed&sort=-updatedAt&limit=50"
    : "/desk?queue=done&status=closed";
  let pathNow = firstPath;
  let page = 1;
  const t0 = performance.now();
  while (page < pages) {
    const res = await fetch(base + pathNow, { headers });
    if (res.status !== 200) throw new Error(`cursor walk: ${pathNow} answered ${res.status}`);
    let next: string | undefined;
    if (api) {
      const body = (await res.json()) as { nextCursor?: string };
      next = body.nextCursor
        ? `/api/v1/tickets?status=closed&sort=-updatedAt&limit=50&cursor=${encodeURIComponent(body.nextCursor)}`
        : undefined;
    } else {
      const html = await res.text();
      const href = /href="(\/desk\?[^"]*cursor=[^"]+)"/.exec(html)?.[1];
      next = href?.replaceAll("&amp;", "&");
    }
    if (!next) break;
    pathNow = next;
    page++;
  }
  log(`cursor walk: ${page} pages in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return {
    list: api ? "JSON, status=closed" : "HTML desk, status=closed",
    pages: page,
    headers,
    firstPath,
    deepPath: pathNow,
  };
}

// ---------------------------------------------------------------- SQL and report

async function explainAll(client: SqlClient, raw: Record<string, RawSql[]>): Promise<string> {
  let out = "";
  for (const [scenario, statements] of Object.entries(raw)) {
    for (const s of statements) {
      const { rows } = await client.query(`EXPLAIN (ANALYZE, BUFFERS) ${s.sql}`, s.params);
      out += `--- ${scenario}\n${s.sql}\n-- params: ${JSON.stringify(s.params)}\n`;
      out += `${rows.map((r) => r["QUERY PLAN"]).join("\n")}\n\n`;
    }
  }
  return out;
}

const fmt = (n: number | undefined, digits = 1) =>
  n === undefined || Number.isNaN(n) ? "-" : n.toFixed(digits);

function printTable(rows: Row[], bareRun: Measured): void {
  const head = [
    "scenario",
    "conns",
    "req/s",
    "p50 ms",
    "p99 ms",
    "errors",
    "of bare",
    "SQL p50 ms",
    "p50 / SQL",
  ];
  const body = rows.map((r) => [
    r.scenario,
    String(r.connections),
    String(Math.round(r.rps)),
    fmt(r.p50, 2),
    fmt(r.p99, 2),
    String(r.errors),
    `${fmt((r.ofBare ?? Number.NaN) * 100, 1)}%`,
    fmt(r.sqlP50, 2),
    r.overSql === undefined ? "-" : `${fmt(r.overSql, 1)}x`,
  ]);
  body.unshift([
    "Bare Fastify constant route",
    String(opts.connections),
    String(Math.round(bareRun.rps)),
    fmt(bareRun.p50, 2),
    fmt(bareRun.p99, 2),
    "0",
    "100.0%",
    "-",
    "-",
  ]);
  const widths = head.map((h, i) =>
    Math.max(h.length, ...body.map((r) => (r[i] as string).length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number)))
      .join("  ");
  log("");
  log(line(head));
  log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of body) log(line(r));
}

interface Target {
  target: string;
  actual: string;
  met: boolean;
}

function checkTargets(
  rows: Row[],
  r: {
    assignRows: { plain: Row; roundRobin: Row; fewestOpen: Row } | undefined;
    firstPage: Row;
    deepPage: Row;
    createRow: Row;
    durable: boolean;
    serverRssMb: number | undefined;
    startupMs: number;
  },
): Target[] {
  const find = (prefix: string) => rows.find((row) => row.scenario.startsWith(prefix));
  const out: Target[] = [];
  const p99 = (prefix: string, limit: number, label: string) => {
    const row = find(prefix);
    if (row)
      out.push({
        target: `${label} p99 < ${limit} ms`,
        actual: `${fmt(row.p99, 2)} ms`,
        met: row.p99 < limit,
      });
  };
  const queueLimit = kind === "pglite" ? 50 : 25;
  p99("Queue page, HTML", queueLimit, `Queue page HTML at ${opts.connections} connections`);
  p99("Queue, JSON", kind === "pglite" ? 50 : 15, `Queue JSON at ${opts.connections} connections`);
  p99(
    "Queue page, HTML (tag filter",
    queueLimit,
    `Queue page HTML by tag at ${opts.connections} connections`,
  );
  p99(
    "Queue page, HTML (custom field filter",
    queueLimit,
    `Queue page HTML by custom field at ${opts.connections} connections`,
  );
  p99("Search, two words", 50, "Two-word search at 10 connections");
  p99("Search, filtered", 50, "Filtered search (status:open tag:hardware word) at 10 connections");
  const ratio = r.deepPage.p50 / r.firstPage.p50;
  out.push({
    target: `Cursor page ${r.deepPage.scenario.replace(/\D+/g, "")} within 1.5x of page 1 (p50)`,
    actual: `${fmt(ratio, 2)}x (${fmt(r.deepPage.p50, 2)} vs ${fmt(r.firstPage.p50, 2)} ms)`,
    met: ratio <= 1.5,
  });
  if (kind === "postgres") {
    p99("Merge tickets", 50, "Merging tickets of 20 messages each");
    p99("Ticket page", 20, "Ticket page with 20 messages");
    out.push({
      target: "Create ticket >= 1,500 req/s, every acknowledged create durable",
      actual: `${Math.round(r.createRow.rps)} req/s, ${r.durable ? "durable" : "LOST WRITES"}`,
      met: r.createRow.rps >= 1500 && r.durable,
    });
    const mixed = find("Mixed");
    if (mixed)
      out.push({
        target: "Mixed workload: zero errors, p99 < 50 ms",
        actual: `${mixed.errors} errors, p99 ${fmt(mixed.p99, 2)} ms`,
        met: mixed.errors === 0 && mixed.p99 < 50,
      });
    out.push({
      target: "Server RSS after the run < 200 MB",
      actual: `${r.serverRssMb ?? "?"} MB`,
      met: (r.serverRssMb ?? Number.POSITIVE_INFINITY) < 200,
    });
  }
  if (r.assignRows) {
    const { plain, roundRobin, fewestOpen } = r.assignRows;
    for (const [label, row] of [
      ["round-robin", roundRobin],
      ["fewest open", fewestOpen],
    ] as const) {
      const added = row.p50 - plain.p50;
      out.push({
        target: `Automatic assignment (${label}) adds < 2 ms to a create at p50 (1 connection)`,
        actual: `+${fmt(added, 2)} ms (${fmt(row.p50, 2)} vs ${fmt(plain.p50, 2)} ms)`,
        met: added < 2,
      });
    }
  }
  out.push({
    target: "Start-up to first response < 1 s (migrated database)",
    actual: `${Math.round(r.startupMs)} ms`,
    met: r.startupMs < 1000,
  });
  return out;
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    console.error(`server log: ${serverLog}`);
    process.exit(1);
  },
);
