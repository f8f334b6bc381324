// npm run bench:live -- [--database-url URL] [--connections 1000] [--changes 300]
// Live pages on PostgreSQL, two real server processes on one database:
// 1. RSS node B adds for N idle live connections (GET /live, held open);
// 2. latency from a change on node A (an API reply) to its event reaching an
//    SSE client on node B, with those N connections open on B (each gets it too).
// Needs a PostgreSQL server (the URL's database is used to create a scratch one).
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import pg from "pg";
import { createUser, startSession } from "../src/accounts/accounts.service.ts";
import { loadConfig } from "../src/config.ts";
import { openDatabase } from "../src/db/client.ts";
import { composeDeps } from "../src/reactions.ts";
import { createTicket } from "../src/tickets/tickets.service.ts";
import { createToken } from "../src/tokens/tokens.service.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const PER_USER = 10; // the live connection limit per person (src/live/live.hub.ts)

const { values: args } = parseArgs({
  options: {
    "database-url": {
      type: "string",
      default: process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
    },
    connections: { type: "string", default: "1000" },
    changes: { type: "string", default: "300" },
  },
  strict: true,
});
const CONNECTIONS = Number(args.connections);
const CHANGES = Number(args.changes);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: args["database-url"] });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

interface Node {
  url: string;
  child: ChildProcess;
}

async function startNode(databaseUrl: string, dataDir: string): Promise<Node> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [path.join(ROOT, "bin", "tessera.js"), "serve"], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      DATA_DIR: dataDir,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      HOST: "127.0.0.1",
      PUBLIC_URL: url,
      LOG_LEVEL: "warn",
      API_RATE_LIMIT_PER_MINUTE: "0",
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  for (let i = 0; i < 600; i++) {
    const ok = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return { url, child };
    await sleep(100);
  }
  child.kill("SIGKILL");
  throw new Error(`${url} did not become ready`);
}

/** Resident set size of a process in bytes (Linux). */
function rss(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return Number(kb) * 1024;
}

interface Stream {
  req: http.ClientRequest;
  onEvent?: (data: { type: string; ticketId: number }) => void;
}

const agent = new http.Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });

function openStream(url: string, cookie: string): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, headers: { cookie, accept: "text/event-stream" } });
    const stream: Stream = { req };
    req.on("error", reject);
    req.on("response", (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`GET /live answered ${res.statusCode}`));
        return;
      }
      res.setEncoding("utf8");
      let buffer = "";
      let opened = false;
      res.on("data", (chunk: string) => {
        buffer += chunk;
        if (!opened && buffer.includes(": open")) {
          opened = true;
          resolve(stream);
        }
        let end = buffer.indexOf("\n\n");
        while (end !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (data && stream.onEvent) stream.onEvent(JSON.parse(data));
          end = buffer.indexOf("\n\n");
        }
      });
    });
  });
}

/** Opens LIVE_N streams (LIVE_PER_USER per session cookie), prints "ready" once all are open, holds them. */
const HOLDER = `
const http = require("node:http");
const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
const cookies = JSON.parse(process.env.LIVE_COOKIES);
const n = Number(process.env.LIVE_N), per = Number(process.env.LIVE_PER_USER);
let open = 0;
if (n === 0) console.log("ready");
for (let i = 0; i < n; i++) {
  const req = http.get(process.env.LIVE_URL, { agent, headers: { cookie: cookies[Math.floor(i / per)] } });
  req.on("response", (res) => {
    if (res.statusCode !== 200) { console.error("GET /live answered", res.statusCode); process.exit(1); }
    res.once("data", () => { if (++open === n) console.log("ready"); });
    res.resume();
  });
  req.on("error", (e) => { console.error(e); process.exit(1); });
}
`;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

async function main(): Promise<void> {
  const name = `tessera_live_bench_${randomBytes(4).toString("hex")}`;
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(args["database-url"]);
  url.pathname = `/${name}`;
  const databaseUrl = url.href;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tessera-live-bench-"));
  const nodes: Node[] = [];
  const streams: Stream[] = [];
  const holders: ChildProcess[] = [];
  try {
    // Accounts and sessions straight through the services, before the servers start.
    const database = await openDatabase({ kind: "postgres", url: databaseUrl, poolMax: 5 });
    await database.migrate();
    const config = loadConfig({
      DATA_DIR: dataDir,
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: "silent",
    });
    const silent = { info() {}, warn() {}, error() {}, debug() {} };
    const deps = composeDeps({ db: database.db, config, log: silent });
    const agents = Math.ceil(CONNECTIONS / PER_USER) + 1;
    const cookies: string[] = [];
    for (let i = 0; i < agents; i++) {
      const user = await createUser(deps, "system", {
        email: `live-agent-${i}@bench.test`,
        name: `Live agent ${i}`,
        role: "agent",
        password: "bench-password-1",
      });
      cookies.push(`tessera_session=${await startSession(deps, user.id, {})}`);
    }
    const customer = await createUser(deps, "system", {
      email: "live-customer@bench.test",
      name: "Live customer",
      role: "customer",
      password: "bench-password-1",
    });
    const customerActor = {
      id: customer.id,
      email: customer.email,
      name: customer.name,
      role: customer.role,
    };
    const { token } = await createToken(deps, customerActor, { name: "live bench" });
    const ticket = await createTicket(deps, customerActor, {
      title: "Live bench",
      description: "x",
    });
    await database.close();

    const [a, b] = [await startNode(databaseUrl, dataDir), await startNode(databaseUrl, dataDir)];
    nodes.push(a, b);
    const pidB = b.child.pid ?? 0;
    // Warm node B up the way the connections will (sessions, the route), then settle.
    for (let i = 0; i < 20; i++) {
      const s = await openStream(`${b.url}/live`, cookies[agents - 1] ?? "");
      s.req.destroy();
    }
    await sleep(3_000);
    const before = rss(pidB);

    // The idle connections live in a process of their own, as browsers would: read by
    // this one, their 1,000 copies of each event would delay the probe's own.
    const holder = spawn(process.execPath, ["-e", HOLDER], {
      env: {
        ...process.env,
        LIVE_URL: `${b.url}/live`,
        LIVE_COOKIES: JSON.stringify(cookies),
        LIVE_N: String(CONNECTIONS),
        LIVE_PER_USER: String(PER_USER),
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    holders.push(holder);
    await new Promise<void>((resolve, reject) => {
      holder.stdout?.setEncoding("utf8").on("data", (d: string) => {
        if (d.includes("ready")) resolve();
      });
      holder.once("exit", (code) => reject(new Error(`the connection holder exited (${code})`)));
    });
    await sleep(3_000);
    const afterRss = rss(pidB);
    const added = (afterRss - before) / 1024 / 1024;

    // Latency: a reply on node A, until its event reaches a client on node B.
    const probe = await openStream(`${b.url}/live`, cookies[agents - 1] ?? "");
    streams.push(probe);
    const fromRequest: number[] = [];
    const fromCommit: number[] = [];
    for (let i = 0; i < CHANGES; i++) {
      const arrived = new Promise<number>((resolve) => {
        probe.onEvent = (e) => {
          if (e.type === "message.created" && e.ticketId === ticket.id) resolve(performance.now());
        };
      });
      const start = performance.now();
      const response = await fetch(`${a.url}/api/v1/tickets/${ticket.id}/messages`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ content: `Change ${i}` }),
      });
      const answered = performance.now();
      if (response.status !== 201) throw new Error(`reply answered ${response.status}`);
      const at = await arrived;
      fromRequest.push(at - start);
      fromCommit.push(at - answered);
    }
    fromRequest.sort((x, y) => x - y);
    fromCommit.sort((x, y) => x - y);
    const ms = (n: number) => `${n.toFixed(1)} ms`;
    console.log(`\nLive pages on PostgreSQL, two nodes (${os.cpus().length} CPUs)`);
    console.log(
      `  ${CONNECTIONS} idle connections on node B: RSS ${(before / 1048576).toFixed(1)} MB -> ${(afterRss / 1048576).toFixed(1)} MB, added ${added.toFixed(1)} MB (${((afterRss - before) / CONNECTIONS / 1024).toFixed(1)} KB each)`,
    );
    console.log(
      `  change on A -> event at a client on B, ${CHANGES} changes, with those connections open:`,
    );
    console.log(
      `    from the request to A:   p50 ${ms(percentile(fromRequest, 50))}  p99 ${ms(percentile(fromRequest, 99))}  max ${ms(fromRequest.at(-1) ?? NaN)}`,
    );
    console.log(
      `    from A's answer (commit): p50 ${ms(percentile(fromCommit, 50))}  p99 ${ms(percentile(fromCommit, 99))}  max ${ms(fromCommit.at(-1) ?? NaN)}`,
    );
  } finally {
    for (const s of streams) s.req.destroy();
    for (const h of holders) h.kill("SIGKILL");
    await Promise.all(
      nodes.map(
        (n) =>
          new Promise<void>((resolve) => {
            n.child.once("exit", () => resolve());
            n.child.kill("SIGTERM");
          }),
      ),
    );
    fs.rmSync(dataDir, { recursive: true, force: true });
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

await main();
