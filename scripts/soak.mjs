// Load soak (not in CI): `npm run soak -- [--duration 5m] [--connections 50]`.
// Starts `tessera serve` as a child process on a fresh PostgreSQL database
// (created on TEST_DATABASE_URL's server, or --database-url's, dropped at the end),
// drives mixed traffic at it with autocannon (API reads and writes, HTML pages for a
// customer and an agent, search, health probes), samples the server's resident
// memory every 10 s, and reports the status classes, errors and the memory curve.
// Exits 1 on any 5xx or connection error, or when memory kept growing.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { createUser, startSession } from "../src/accounts/accounts.service.ts";
import { loadConfig } from "../src/config.ts";
import { openDatabase } from "../src/db/client.ts";
import { composeDeps } from "../src/reactions.ts";
import { createTicket } from "../src/tickets/tickets.service.ts";
import { createToken } from "../src/tokens/tokens.service.ts";
import { freePort } from "../test/helpers/net.ts";
import { createScratchDatabase } from "../test/helpers/postgres.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SAMPLE_EVERY_MS = 10_000;
// Memory is "flat" when the last fifth of the run is within this much of the second fifth
// (the first fifth is warm-up: JIT, caches, pools filling).
const MAX_GROWTH = 0.3;

const { values: args } = parseArgs({
  options: {
    duration: { type: "string", default: "5m" },
    connections: { type: "string", default: "50" },
    "database-url": { type: "string" },
    keep: { type: "boolean", default: false },
  },
});

function seconds(text) {
  const match = /^(\d+)\s*(s|m|h)?$/.exec(String(text).trim());
  if (!match) throw new Error(`--duration must look like 300, 90s, 5m or 1h, got "${text}"`);
  return Number(match[1]) * { s: 1, m: 60, h: 3600 }[match[2] ?? "s"];
}

const durationS = seconds(args.duration);
const connections = Number(args.connections);
const adminUrl =
  args["database-url"] ??
  process.env.TEST_DATABASE_URL ??
  "postgres://postgres@127.0.0.1:5432/test";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Customers and an agent with API tokens and sessions, and a few tickets to read from the start. */
async function seed(databaseUrl, dataDir) {
  const database = await openDatabase({ kind: "postgres", url: databaseUrl, poolMax: 2 });
  await database.migrate();
  const config = loadConfig({ DATABASE_URL: databaseUrl, DATA_DIR: dataDir, LOG_LEVEL: "silent" });
  const deps = composeDeps({ db: database.db, config, log: console });
  const person = async (role, i) => {
    const user = await createUser(deps, "system", {
      email: `soak-${role}${i}@example.test`,
      name: `Soak ${role} ${i}`,
      role,
      password: randomBytes(12).toString("hex"),
    });
    const actor = { id: user.id, email: user.email, name: user.name, role: user.role };
    const { token } = await createToken(deps, actor, { name: "soak" });
    const session = await startSession(deps, user.id, { ip: "127.0.0.1", userAgent: "soak" });
    const tickets = [];
    if (role === "customer") {
      for (let t = 0; t < 5; t++) {
        const ticket = await createTicket(deps, actor, {
          title: `Soak printer ${i}.${t}`,
          description: "The printer is on fire again.",
          priority: "normal",
        });
        tickets.push(ticket.id);
      }
    }
    return { token, cookie: `tessera_session=${session}`, tickets };
  };
  const customers = [];
  for (let i = 0; i < 5; i++) customers.push(await person("customer", i));
  const agent = await person("agent", 0);
  await database.close();
  return { customers, agent };
}

function rssBytes(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]);
    return Number.isFinite(kb) ? kb * 1024 : undefined;
  } catch {
    return undefined;
  }
}

const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

async function main() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tessera-soak-"));
  const database = await createScratchDatabase("tessera_soak", adminUrl);
  let child;
  try {
    const people = await seed(database.url, dataDir);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, [path.join(ROOT, "bin", "tessera.js"), "serve"], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        DATABASE_URL: database.url,
        DATA_DIR: dataDir,
        PORT: String(port),
        HOST: "127.0.0.1",
        PUBLIC_URL: url,
        LOG_LEVEL: "warn",
        API_RATE_LIMIT_PER_MINUTE: "0",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let serverLog = "";
    child.stdout.on("data", (c) => {
      serverLog += c;
    });
    child.stderr.on("data", (c) => {
      serverLog += c;
    });
    for (let i = 0; ; i++) {
      const ready = await fetch(`${url}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) break;
      if (i > 600 || child.exitCode !== null)
        throw new Error(`server did not start:\n${serverLog}`);
      await sleep(100);
    }

    const pick = (xs) => xs[Math.floor(Math.random() * xs.length)];
    /** Each connection acts as one customer; tickets it opens join the ones it reads and answers. */
    const as = (context) => {
      if (!context.customer) {
        context.customer = pick(people.customers);
        context.tickets = [...context.customer.tickets];
      }
      return context.customer;
    };
    const json = { "content-type": "application/json" };
    const requests = [
      {
        setupRequest: (req, context) => ({
          ...req,
          method: "GET",
          path: "/api/v1/tickets?limit=25",
          headers: { authorization: `Bearer ${as(context).token}` },
        }),
      },
      {
        setupRequest: (req, context) => ({
          ...req,
          method: "POST",
          path: "/api/v1/tickets",
          headers: { ...json, authorization: `Bearer ${as(context).token}` },
          body: JSON.stringify({
            title: `Soak ticket ${randomBytes(3).toString("hex")}`,
            description: `Opened under load.\n\n- item ${Math.random()}`,
          }),
        }),
        onResponse: (status, body, context) => {
          if (status === 201) {
            context.tickets.push(JSON.parse(body).id);
            if (context.tickets.length > 50) context.tickets.shift();
          }
        },
      },
      {
        setupRequest: (req, context) => ({
          ...req,
          method: "POST",
          path: `/api/v1/tickets/${pick(context.tickets)}/messages`,
          headers: { ...json, authorization: `Bearer ${as(context).token}` },
          body: JSON.stringify({ content: `A reply under load: **${Math.random()}**` }),
        }),
      },
      {
        setupRequest: (req, context) => ({
          ...req,
          method: "GET",
          path: `/api/v1/tickets/${pick(context.tickets)}`,
          headers: { authorization: `Bearer ${as(context).token}` },
        }),
      },
      {
        setupRequest: (req, context) => ({
          ...req,
          method: "GET",
          path: `/tickets/${pick(context.tickets)}`,
          headers: { cookie: as(context).cookie },
        }),
      },
      {
        setupRequest: (req, context) => ({
          ...req,
          method: "GET",
          path: "/tickets",
          headers: { cookie: as(context).cookie },
        }),
      },
      {
        setupRequest: (req) => ({
          ...req,
          method: "GET",
          path: "/desk?queue=unassigned",
          headers: { cookie: people.agent.cookie },
        }),
      },
      {
        setupRequest: (req) => ({
          ...req,
          method: "GET",
          path: "/api/v1/tickets?q=printer&limit=10",
          headers: { authorization: `Bearer ${people.agent.token}` },
        }),
      },
      { method: "GET", path: "/healthz" },
    ];

    const samples = [];
    const started = Date.now();
    const sampler = setInterval(() => {
      const rss = rssBytes(child.pid);
      if (rss !== undefined) samples.push({ s: Math.round((Date.now() - started) / 1000), rss });
    }, SAMPLE_EVERY_MS);
    const first = rssBytes(child.pid);
    if (first !== undefined) samples.push({ s: 0, rss: first });

    console.log(
      `Soak: ${connections} connections for ${durationS} s against ${url} (PostgreSQL ${database.name})`,
    );
    const result = await autocannon({ url, connections, duration: durationS, requests });
    clearInterval(sampler);
    const last = rssBytes(child.pid);
    if (last !== undefined)
      samples.push({ s: Math.round((Date.now() - started) / 1000), rss: last });

    const fifth = Math.max(1, Math.floor(samples.length / 5));
    const early = median(samples.slice(fifth, 2 * fifth).map((x) => x.rss));
    const late = median(samples.slice(-fifth).map((x) => x.rss));
    const growth = early ? (late - early) / early : 0;
    const fiveXX = result["5xx"];
    const errors = result.errors + result.timeouts;
    const report = {
      durationS,
      connections,
      requests: result.requests.total,
      requestsPerSecond: Math.round(result.requests.average),
      latencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
      statusClasses: {
        "2xx": result["2xx"],
        "3xx": result["3xx"],
        "4xx": result["4xx"],
        "5xx": fiveXX,
      },
      statusCodes: Object.fromEntries(
        Object.entries(result.statusCodeStats).map(([code, v]) => [code, Number(v.count)]),
      ),
      errors,
      rss: {
        samples: samples.map((x) => `${x.s}s ${mb(x.rss)}`),
        secondFifthMedian: mb(early),
        lastFifthMedian: mb(late),
        growthPercent: Math.round(growth * 1000) / 10,
      },
    };
    console.log(JSON.stringify(report, null, 2));
    const problems = [];
    if (fiveXX > 0) problems.push(`${fiveXX} responses were 5xx`);
    if (errors > 0) problems.push(`${errors} requests failed or timed out`);
    if (growth > MAX_GROWTH) {
      problems.push(`memory grew ${(growth * 100).toFixed(0)}% from the second fifth to the last`);
    }
    if (serverLog.trim())
      console.log(`Server log (warnings and errors):\n${serverLog.slice(-4000)}`);
    console.log(problems.length ? `SOAK FAILED: ${problems.join("; ")}` : "Soak passed.");
    process.exitCode = problems.length ? 1 : 0;
  } finally {
    if (child && child.exitCode === null) {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
    }
    if (!args.keep) await database.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
