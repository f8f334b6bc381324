import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { inArray } from "drizzle-orm";
import { createScratchDatabase, type ScratchDatabase } from "../../test/helpers/postgres.ts";
import { type SmtpSink, startSmtpSink } from "../../test/helpers/smtp-sink.ts";
import { loadConfig } from "../config.ts";
import { type Database, openDatabase } from "../db/client.ts";
import { outbox } from "../db/schema/index.ts";
import type { Deps } from "../deps.ts";
import { newMessageId } from "./addresses.ts";
import { claimDue, insertOutbox } from "./outbox.repo.ts";
import { type Sender, smtpSender } from "./smtp.sender.ts";
import { startOutboxWorker } from "./worker.ts";

// Two app nodes = two connection pools on one PostgreSQL database, each with its worker.
const adminUrl = process.env.TEST_DATABASE_URL;
const silent: Deps["log"] = { info() {}, warn() {}, error() {}, debug() {} };

describe("two outbox workers on one PostgreSQL", {
  skip: !adminUrl && "TEST_DATABASE_URL is not set",
}, () => {
  let scratch: ScratchDatabase;
  let nodes: Database[] = [];
  let sink: SmtpSink;
  before(async () => {
    scratch = await createScratchDatabase();
    nodes = [
      await openDatabase({ kind: "postgres", url: scratch.url, poolMax: 3 }),
      await openDatabase({ kind: "postgres", url: scratch.url, poolMax: 3 }),
    ];
    await nodes[0]?.migrate();
    sink = await startSmtpSink();
  });
  after(async () => {
    await sink?.close();
    for (const node of nodes) await node.close();
    await scratch?.drop();
  });

  test("each of 40 mails is sent exactly once, and both workers take a share", async () => {
    const config = loadConfig({ MAIL_FROM: "help@example.test", LOG_LEVEL: "silent" });
    const [one, two] = nodes.map((n) => ({ db: n.db, config, log: silent }) as Deps);
    assert.ok(one && two);
    const ids = Array.from({ length: 40 }, () => newMessageId(config));
    await insertOutbox(
      one.db,
      ids.map((messageId, i) => ({
        kind: "test",
        toAddress: `person${i}@example.org`,
        subject: `Mail ${i}`,
        textBody: "text",
        htmlBody: "<p>html</p>",
        messageId,
        headers: {},
      })),
    );
    const sentBy = [0, 0];
    const counting = (index: number, inner: Sender): Sender => ({
      async send(row) {
        await inner.send(row);
        sentBy[index] = (sentBy[index] ?? 0) + 1;
      },
      close: () => inner.close(),
    });
    const workers = [one, two].map((deps, i) =>
      startOutboxWorker(deps, counting(i, smtpSender(config, sink.url)), { batch: 3, idleMs: 20 }),
    );
    await sink.waitFor(40, 30_000);
    await new Promise((r) => setTimeout(r, 300)); // time for any duplicate to arrive
    await Promise.all(workers.map((w) => w.stop()));

    assert.deepEqual(sink.mails.map((m) => m.messageId).sort(), [...ids].sort());
    const rows = await one.db.select().from(outbox);
    assert.ok(rows.every((r) => r.status === "sent" && r.attempts === 1));
    assert.ok((sentBy[0] ?? 0) > 0 && (sentBy[1] ?? 0) > 0, `shares: ${sentBy.join(" / ")}`);
  });
  test("a worker takes the mails nobody else is claiming instead of waiting for a claim in flight", async () => {
    const config = loadConfig({ MAIL_FROM: "help@example.test", LOG_LEVEL: "silent" });
    const [one, two] = nodes.map((n) => n.db);
    assert.ok(one && two);
    await one.delete(outbox);
    await insertOutbox(
      one,
      Array.from({ length: 4 }, (_, i) => ({
        kind: "test",
        toAddress: `waiting${i}@example.org`,
        subject: `Mail ${i}`,
        textBody: "text",
        htmlBody: "<p>html</p>",
        messageId: newMessageId(config),
        headers: {},
      })),
    );
    const ids = (await one.select({ id: outbox.id }).from(outbox).orderBy(outbox.id)).map(
      (r) => r.id,
    );
    const busy = ids.slice(0, 2);
    let claim: Promise<unknown> | undefined;
    let got: unknown;
    // Node one's claim holds the first two rows; node two claims meanwhile.
    await one.transaction(async (tx) => {
      await tx.select({ id: outbox.id }).from(outbox).where(inArray(outbox.id, busy)).for("update");
      claim = claimDue(two, "other", 10, 60_000).then((rows) =>
        rows.map((r) => r.id).sort((a, b) => a - b),
      );
      got = await Promise.race([claim, new Promise((r) => setTimeout(() => r("waited"), 2000))]);
    });
    await claim;
    assert.deepEqual(got, ids.slice(2));
  });
});
