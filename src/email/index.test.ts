import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import nodemailer from "nodemailer";
import { createTestDatabase, type TestDatabase } from "../../test/helpers/db.ts";
import { makeCustomer, makeTicket } from "../../test/helpers/factories.ts";
import { freePort } from "../../test/helpers/net.ts";
import { type SmtpSink, startSmtpSink } from "../../test/helpers/smtp-sink.ts";
import { loadConfig } from "../config.ts";
import type { Deps } from "../deps.ts";
import { countPendingOutbox, startEmailChannel } from "./index.ts";

function capture(): { log: Deps["log"]; lines: string[] } {
  const lines: string[] = [];
  const write = (...args: unknown[]) => {
    lines.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "));
  };
  return { log: { info: write, warn: write, error: write, debug() {} }, lines };
}

let db: TestDatabase;
let sink: SmtpSink;
before(async () => {
  db = await createTestDatabase("pglite");
  sink = await startSmtpSink();
});
after(async () => {
  await db.close();
  await sink.close();
});

test("without SMTP_URL mail is queued, nothing fails, and the log says once that delivery is off", async () => {
  const { log, lines } = capture();
  const deps = { ...db.deps, log };
  const channel = await startEmailChannel(deps);
  await makeTicket(deps, await makeCustomer(deps));
  assert.equal(await countPendingOutbox(deps), 1);
  await channel.stop();
  assert.equal(lines.filter((l) => /Mail delivery is off/.test(l)).length, 1);
});

test("with SMTP_URL and INBOUND_SMTP_PORT: a mail in becomes a ticket and the acknowledgement goes out", async () => {
  const port = await freePort();
  const config = loadConfig({
    DATA_DIR: db.deps.config.dataDir,
    SMTP_URL: sink.url,
    MAIL_FROM: "help@example.test",
    INBOUND_SMTP_PORT: String(port),
  });
  const deps = { ...db.deps, config };
  const channel = await startEmailChannel(deps);
  try {
    const client = nodemailer.createTransport({ host: "127.0.0.1", port, ignoreTLS: true });
    await client.sendMail({
      from: "Bo <bo@example.org>",
      to: "help@example.test",
      subject: "Scanner offline",
      text: "Since the update.",
    });
    client.close();
    const mails = await sink.waitFor(2);
    const ack = mails.find((m) => m.envelopeTo.includes("bo@example.org"));
    assert.match(ack?.parsed.subject ?? "", /^\[#\d+\] Scanner offline$/);
    assert.match(ack?.parsed.text ?? "", /Since the update\./);
  } finally {
    await channel.stop();
  }
});
