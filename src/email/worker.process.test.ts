import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { eq } from "drizzle-orm";
import { makeCustomer, makeTicket } from "../../test/helpers/factories.ts";
import { freePort } from "../../test/helpers/net.ts";
import { type SmtpSink, startSmtpSink } from "../../test/helpers/smtp-sink.ts";
import { loadConfig } from "../config.ts";
import { openDatabase } from "../db/client.ts";
import { outbox } from "../db/schema/index.ts";
import type { Deps } from "../deps.ts";
import { composeDeps } from "../reactions.ts";
import { smtpSender } from "./smtp.sender.ts";
import { startOutboxWorker } from "./worker.ts";

// The real server process (bin/tessera.js serve) on an embedded database in a
// temp directory, killed with SIGKILL while the SMTP server has the message but
// has not yet answered 250.

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const silent: Deps["log"] = { info() {}, warn() {}, error() {}, debug() {} };

function serve(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  let output = "";
  const child = spawn(process.execPath, [path.join(ROOT, "bin/tessera.js"), "serve"], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (c: Buffer) => {
    output += c.toString();
  });
  child.stderr?.on("data", (c: Buffer) => {
    output += c.toString();
  });
  return { child, output: () => output };
}

describe("outbox worker in a real process", () => {
  let sink: SmtpSink;
  let dataDir: string;
  before(async () => {
    sink = await startSmtpSink();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tessera-kill-"));
  });
  after(async () => {
    await sink.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test("a worker killed mid-delivery loses nothing: after restart the mail arrives exactly once", async () => {
    const env = {
      DATA_DIR: dataDir,
      MAIL_FROM: "help@example.test",
      MAIL_SEND_TIMEOUT_SECONDS: "1",
    };
    const config = loadConfig(env);
    const database = await openDatabase({ kind: "pglite", dataDir });
    await database.migrate();
    const deps: Deps = composeDeps({ db: database.db, config, log: silent });
    const customer = await makeCustomer(deps);
    const ticket = await makeTicket(deps, customer);
    const [row] = await deps.db.select().from(outbox).where(eq(outbox.ticketId, ticket.id));
    assert.ok(row);
    await database.close();

    // First life: the sink reads the whole message and stalls before its 250; then SIGKILL.
    sink.hold(true);
    const first = serve({ ...env, SMTP_URL: sink.url, PORT: String(await freePort()) });
    const [held] = (await Promise.race([
      once(sink.events, "held"),
      once(first.child, "exit").then(() => {
        throw new Error(`server exited early:\n${first.output()}`);
      }),
    ])) as [Buffer];
    assert.match(held.toString(), new RegExp(row.messageId));
    first.child.kill("SIGKILL");
    await once(first.child, "exit");
    assert.equal(sink.mails.length, 0, "nothing was delivered: the server never said 250");

    // After the restart (here a worker in this process, on the same data directory): the lease
    // (2 x 1 s) runs out and the mail goes, once, with the same Message-ID.
    sink.hold(false);
    const reopened = await openDatabase({ kind: "pglite", dataDir });
    try {
      const worker = startOutboxWorker({ ...deps, db: reopened.db }, smtpSender(config, sink.url), {
        idleMs: 100,
      });
      await sink.waitFor(1);
      await new Promise((r) => setTimeout(r, 500)); // a duplicate would have time to show up
      await worker.stop();
      assert.deepEqual(
        sink.mails.map((m) => m.messageId),
        [row.messageId],
      );
      const [after] = await reopened.db.select().from(outbox).where(eq(outbox.id, row.id));
      assert.equal(after?.status, "sent");
      assert.equal(after?.attempts, 2);
    } finally {
      await reopened.close();
    }
  });
});
