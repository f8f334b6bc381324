import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { after, describe, test } from "node:test";
import { scaled } from "../helpers/time.ts";
import { until } from "../helpers/wait.ts";
import { withSql } from "./checks.ts";
import {
  createStore,
  type Server,
  type Store,
  seedAccounts,
  sleep,
  startServer,
} from "./server.ts";

/**
 * SIGTERM while requests are in flight: the server stops accepting connections,
 * finishes what it had started, releases the database and exits 0 within 10 s.
 */

const IN_FLIGHT = 5;
const EXIT_WITHIN_MS = 10_000;

/**
 * A ticket creation whose headers and half of whose body have reached the
 * server: in flight until `finish()` sends the rest.
 */
function startSlowCreate(server: Server, token: string, title: string) {
  const body = JSON.stringify({ title, description: `In flight at SIGTERM: ${title}` });
  const half = Math.floor(body.length / 2);
  const request = http.request({
    host: "127.0.0.1",
    port: server.port,
    method: "POST",
    path: "/api/v1/tickets",
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
      "content-length": Buffer.byteLength(body),
    },
  });
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    request.once("response", (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (chunk: string) => {
        text += chunk;
      });
      res.once("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    request.once("error", reject);
  });
  request.write(body.slice(0, half));
  return { response, finish: () => request.end(body.slice(half)) };
}

/**
 * How many `POST /api/v1/tickets` the server has begun (its "incoming request" log
 * lines, written once a request's headers are parsed): each is in flight from then
 * on, where a connection whose headers had not arrived is idle to the server.
 */
function createsStarted(server: Server): number {
  let started = 0;
  for (const line of server.log().split("\n")) {
    if (!line.startsWith("{")) continue;
    const entry = JSON.parse(line) as { msg?: string; req?: { method?: string; url?: string } };
    if (
      entry.msg === "incoming request" &&
      entry.req?.method === "POST" &&
      entry.req.url === "/api/v1/tickets"
    ) {
      started++;
    }
  }
  return started;
}

// Request lines are logged at info; the server's other lines are not needed here.
const REQUEST_LOGS = { LOG_LEVEL: "info" };

function connectionRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code === "ECONNREFUSED"));
  });
}

/** Waits until the server, sent SIGTERM, refuses new connections; fails after 5 s (times TEST_TIME_FACTOR). */
function refusesConnections(server: Server): Promise<void> {
  return until(() => connectionRefused(server.port), "new connections to be refused", 5_000);
}

const stores: Store[] = [];
after(async () => {
  for (const store of stores) await store.remove();
});

async function shutdownWhileBusy(kind: "pglite" | "postgres") {
  const store = await createStore(kind);
  stores.push(store);
  const [account] = await seedAccounts(store, 1);
  assert.ok(account);
  const server = await startServer(store, REQUEST_LOGS);
  const titles = Array.from({ length: IN_FLIGHT }, (_, i) => `in flight ${i} ${Date.now()}`);
  const slow = titles.map((title) => startSlowCreate(server, account.token, title));
  await until(() => createsStarted(server) === IN_FLIGHT, "the in-flight requests to begin");

  const signalled = Date.now();
  server.child.kill("SIGTERM");
  await refusesConnections(server);
  assert.equal(server.child.exitCode, null, "the server waits for its in-flight requests");

  for (const request of slow) request.finish();
  const answers = await Promise.all(slow.map((request) => request.response));
  for (const answer of answers) assert.equal(answer.status, 201, answer.body);

  const exit = await Promise.race([
    server.exited,
    sleep(EXIT_WITHIN_MS + 2_000).then(() => undefined),
  ]);
  assert.ok(exit, `no exit within ${EXIT_WITHIN_MS} ms of SIGTERM:\n${server.log()}`);
  const tookMs = Date.now() - signalled;
  assert.deepEqual(exit, { code: 0, signal: null }, server.log());
  assert.ok(tookMs < EXIT_WITHIN_MS, `exited ${tookMs} ms after SIGTERM`);
  if (kind === "pglite") {
    assert.equal(fs.existsSync(path.join(store.dataDir, ".lock")), false, "the lock is released");
  }

  // The data directory (or database) is free and holds every finished request.
  await withSql(store, async (query) => {
    const rows = await query<{ title: string }>("SELECT title FROM tickets ORDER BY id");
    assert.deepEqual(rows.map((r) => r.title).sort(), [...titles].sort());
  });
  if (kind === "postgres") {
    await withSql(store, async (query) => {
      const [row] = await query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
      );
      assert.equal(row?.n, 0, "the server closed its database connections");
    });
  }
}

/**
 * fetch keeps its connections open for reuse. Requests it has in flight at
 * SIGTERM are answered, and the server then exits at once instead of sitting out
 * the grace period waiting for those kept-alive connections to close.
 */
async function shutdownWithKeepAliveClients() {
  const store = await createStore("pglite");
  stores.push(store);
  const [account] = await seedAccounts(store, 1);
  assert.ok(account);
  const server = await startServer(store, REQUEST_LOGS);
  const encoder = new TextEncoder();
  const inFlight = Array.from({ length: 3 }, (_, i) => {
    const body = JSON.stringify({ title: `keep-alive ${i}`, description: "sent in two halves" });
    let finish = () => {};
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode(body.slice(0, 10)));
        finish = () => {
          controller.enqueue(encoder.encode(body.slice(10)));
          controller.close();
        };
      },
    });
    const response = fetch(`${server.url}/api/v1/tickets`, {
      method: "POST",
      headers: { authorization: `Bearer ${account.token}`, "content-type": "application/json" },
      body: stream,
      duplex: "half",
    } as RequestInit).then((r) => r.status);
    return { response, finish: () => finish() };
  });
  await until(() => createsStarted(server) === inFlight.length, "the requests to begin");
  server.child.kill("SIGTERM");
  // The rest of each body goes once the server is stopping (it refuses new connections).
  await refusesConnections(server);
  for (const request of inFlight) request.finish();
  assert.deepEqual(await Promise.all(inFlight.map((r) => r.response)), [201, 201, 201]);
  // Waiting on the idle kept-alive connections would last until the grace period ends,
  // and the server then exits 1 ("shutdown took too long").
  assert.deepEqual(await server.exited, { code: 0, signal: null }, server.log());
}

describe("graceful shutdown on SIGTERM", () => {
  test(
    "keep-alive clients mid-request are answered and do not hold the exit",
    { timeout: scaled(60_000) },
    shutdownWithKeepAliveClients,
  );

  test(
    "in-flight requests finish, new connections are refused, exit 0 [pglite]",
    {
      timeout: scaled(120_000),
    },
    () => shutdownWhileBusy("pglite"),
  );

  test(
    "in-flight requests finish, new connections are refused, exit 0 [postgres]",
    {
      timeout: scaled(120_000),
      skip: !process.env.TEST_DATABASE_URL && "TEST_DATABASE_URL is not set",
    },
    () => shutdownWhileBusy("postgres"),
  );
});
