// Issue 18's "done when": a client generated from the OpenAPI document alone
// works against the real server process. The types are generated here from the
// live document (never committed, so they cannot drift), the client code in
// test/api/client/ is type-checked with `tsc --strict` against them, and then
// runs as its own process: the call flow, a token, a signed webhook on a loopback
// receiver, an attachment, the change feed under a concurrent writer process,
// a lost If-Match race and the malformed ids of the issue.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { freePort } from "../helpers/net.ts";
import {
  createStore,
  type Server,
  type Store,
  seedAccounts,
  startServer,
} from "../resilience/server.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const CLIENT = path.join(ROOT, "test", "api", "client");
const GENERATED = path.join(CLIENT, "generated", "tessera.ts");

/** Runs a Node program to its end; resolves with its exit code and output. */
function run(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const chunks: string[] = [];
    child.stdout.setEncoding("utf8").on("data", (c: string) => chunks.push(c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => chunks.push(c));
    child.once("error", reject);
    child.once("exit", (code) => resolve({ code, output: chunks.join("") }));
  });
}

const kind = process.env.TEST_DATABASE_URL ? "postgres" : "pglite";

describe(`a client generated from the OpenAPI document [${kind}]`, () => {
  let store: Store;
  let server: Server;
  let receiverPort: number;
  let adminToken: string;
  let customerToken: string;

  before(async () => {
    store = await createStore(kind);
    const [admin] = await seedAccounts(store, 1, "admin");
    const [customer] = await seedAccounts(store, 1, "customer");
    assert.ok(admin && customer);
    adminToken = admin.token;
    customerToken = customer.token;
    receiverPort = await freePort();
    server = await startServer(store, {
      // The client's receiver listens here: allowed although loopback.
      WEBHOOK_ALLOW_HOSTS: `127.0.0.1:${receiverPort}`,
    });
  });
  after(async () => {
    await server?.stop();
    await store?.remove();
  });

  it("openapi-typescript generates the types from the live document", async () => {
    fs.rmSync(GENERATED, { force: true });
    const cli = path.join(ROOT, "node_modules", "openapi-typescript", "bin", "cli.js");
    const generated = await run([cli, `${server.url}/api/v1/openapi.json`, "-o", GENERATED]);
    assert.equal(generated.code, 0, generated.output);
    const types = fs.readFileSync(GENERATED, "utf8");
    for (const operation of ["createToken", "createWebhook", "getAttachment", "updateTicket"]) {
      assert.match(types, new RegExp(`\\b${operation}: \\{`), `${operation} is in the types`);
    }
  });

  it("the client code type-checks with tsc --strict against them", async () => {
    const tsc = path.join(ROOT, "node_modules", "typescript", "bin", "tsc");
    const checked = await run([tsc, "--strict", "-p", CLIENT]);
    assert.equal(checked.code, 0, checked.output);
  });

  it("the client runs the call flow against the server process", async (t) => {
    const flow = await run(["--import", "tsx", path.join(CLIENT, "flow.ts")], {
      TESSERA_URL: server.url,
      TESSERA_ADMIN_TOKEN: adminToken,
      TESSERA_CUSTOMER_TOKEN: customerToken,
      RECEIVER_PORT: String(receiverPort),
    });
    assert.equal(flow.code, 0, `${flow.output}\n--- server log ---\n${server.log()}`);
    const line = flow.output.split("\n").find((l) => l.startsWith("SUMMARY "));
    assert.ok(line, flow.output);
    t.diagnostic(line);
    const summary = JSON.parse(line.slice("SUMMARY ".length)) as {
      malformed: Record<string, number>;
      feed: { writerTickets: number; writes: number };
      webhooks: { verified: number; refused: number; expected: number };
    };
    const statuses = Object.values(summary.malformed);
    assert.ok(statuses.length >= 40);
    assert.ok(statuses.every((status) => status === 400));
    assert.equal(summary.feed.writerTickets, summary.feed.writes / 2);
    assert.equal(summary.webhooks.refused, 0);
    assert.ok(summary.webhooks.verified >= summary.webhooks.expected);
  });
});
