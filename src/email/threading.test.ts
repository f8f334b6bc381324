import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { eq } from "drizzle-orm";
import { makeAgent, makeCustomer } from "../../test/helpers/factories.ts";
import { type SmtpSink, startSmtpSink } from "../../test/helpers/smtp-sink.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { messages, outbox, tickets, users } from "../db/schema/index.ts";
import type { Deps } from "../deps.ts";
import * as ticketsService from "../tickets/tickets.service.ts";
import { receiveEmail } from "./inbound.service.ts";
import { smtpSender } from "./smtp.sender.ts";
import {
  buildThreadHeaders,
  REFERENCES_MAX_CHARS,
  REFERENCES_MAX_IDS,
  threadIndex,
} from "./threading.ts";
import { startOutboxWorker } from "./worker.ts";

const at = (minutes: number) => new Date(Date.UTC(2026, 2, 2, 10, minutes));

test("In-Reply-To names the customer's last mail; References holds the root, then the thread in order", () => {
  const headers = buildThreadHeaders({
    threadId: "tessera.ticket.7@example.test",
    title: "Printer\r\non fire",
    ticketCreatedAt: at(0),
    messages: [
      { messageId: "<c2@client.example>", at: at(30), fromCustomer: true },
      { messageId: "ours1@example.test", at: at(10), fromCustomer: false },
      { messageId: "<c1@client.example>", at: at(0), fromCustomer: true },
      { messageId: "ours2@example.test", at: at(40), fromCustomer: false },
      { messageId: "not an id", at: at(41), fromCustomer: true },
    ],
    now: at(50),
  });
  assert.equal(headers["In-Reply-To"], "<c2@client.example>");
  assert.equal(
    headers.References,
    "<tessera.ticket.7@example.test> <c1@client.example> <ours1@example.test> <c2@client.example> <ours2@example.test>",
  );
  assert.equal(headers["Thread-Topic"], "Printer on fire");
});

test("without any mail yet, both name the synthetic thread root", () => {
  const headers = buildThreadHeaders({
    threadId: "tessera.ticket.8@example.test",
    title: "t",
    ticketCreatedAt: at(0),
    messages: [],
    now: at(1),
  });
  assert.equal(headers["In-Reply-To"], "<tessera.ticket.8@example.test>");
  assert.equal(headers.References, "<tessera.ticket.8@example.test>");
});

test("a long thread keeps References bounded: the root, the newest ids, and the message answered", () => {
  const many = Array.from({ length: 120 }, (_, i) => ({
    messageId: `<our-long-message-id-number-${i}.${"x".repeat(40)}@example.test>`,
    at: at(i % 59),
    fromCustomer: false,
  }));
  const headers = buildThreadHeaders({
    threadId: "tessera.ticket.9@example.test",
    title: "t",
    ticketCreatedAt: at(0),
    messages: [
      { messageId: "<first@client.example>", at: new Date(0), fromCustomer: true },
      ...many,
    ],
    now: at(59),
  });
  const ids = (headers.References ?? "").split(" ");
  assert.ok(ids.length <= REFERENCES_MAX_IDS, `${ids.length} ids`);
  assert.ok((headers.References ?? "").length <= REFERENCES_MAX_CHARS + 100);
  assert.equal(ids[0], "<tessera.ticket.9@example.test>");
  assert.equal(headers["In-Reply-To"], "<first@client.example>");
  assert.ok(ids.includes("<first@client.example>"));
});

test("References stops at 2,000 characters: the newest ids that fit, then the customer's mail being answered", () => {
  // Bracketed ids of 100 characters; a root of `rootLength`.
  const id = (i: number) => `<${"x".repeat(88)}${String(i).padStart(2, "0")}@ex.test>`;
  const ours = Array.from({ length: 25 }, (_, i) => ({
    messageId: id(i),
    at: at(10 + i),
    fromCustomer: false,
  }));
  const references = (rootLength: number, customer: boolean) =>
    buildThreadHeaders({
      threadId: `${"t".repeat(rootLength - 2 - "@example.test".length)}@example.test`,
      title: "t",
      ticketCreatedAt: at(0),
      messages: customer
        ? [{ messageId: "<old@client.example>", at: at(1), fromCustomer: true }, ...ours]
        : ours,
      now: at(59),
    }).References ?? "";
  const newest = (n: number) => ours.slice(-n).map((m) => m.messageId);
  // 182 + 18 x 101 is exactly the limit: 18 ids fit.
  const exact = references(182, false);
  assert.equal(exact.length, REFERENCES_MAX_CHARS);
  assert.deepEqual(exact.split(" ").slice(1), newest(18));
  // One character more and only 17 do; the customer's mail being answered still comes last.
  const over = references(183, true).split(" ");
  assert.deepEqual(over.slice(1), [...newest(17), "<old@client.example>"]);
});

test("without a customer's mail, In-Reply-To names our newest mail to the address", () => {
  const headers = buildThreadHeaders({
    threadId: "tessera.ticket.10@example.test",
    title: "t",
    ticketCreatedAt: at(0),
    messages: [
      { messageId: "<ours2@example.test>", at: at(20), fromCustomer: false },
      { messageId: "<ours3@example.test>", at: at(30), fromCustomer: false },
      { messageId: "<ours1@example.test>", at: at(10), fromCustomer: false },
      // An id equal to the thread root is the root, not a second entry.
      { messageId: "<tessera.ticket.10@example.test>", at: at(5), fromCustomer: false },
    ],
    now: at(40),
  });
  assert.equal(headers["In-Reply-To"], "<ours3@example.test>");
  assert.equal(
    headers.References,
    "<tessera.ticket.10@example.test> <ours1@example.test> <ours2@example.test> <ours3@example.test>",
  );
});

test("Thread-Topic keeps the first 250 characters of a long title", () => {
  const headers = buildThreadHeaders({
    threadId: "tessera.ticket.11@example.test",
    title: `${"a".repeat(249)}bc`,
    ticketCreatedAt: at(0),
    messages: [],
    now: at(1),
  });
  assert.equal(headers["Thread-Topic"], `${"a".repeat(249)}b`);
});

test("Thread-Index: one 22-byte header per ticket, then a 5-byte block per later message", () => {
  const a = Buffer.from(threadIndex("tessera.ticket.1@x.test", at(0), [at(5)]), "base64");
  const b = Buffer.from(threadIndex("tessera.ticket.1@x.test", at(0), [at(5), at(9)]), "base64");
  const other = Buffer.from(threadIndex("tessera.ticket.2@x.test", at(0), [at(5)]), "base64");
  assert.equal(a.length, 27);
  assert.equal(b.length, 32);
  assert.equal(a[0], 1);
  assert.deepEqual(a.subarray(0, 22), b.subarray(0, 22));
  assert.notDeepEqual(a.subarray(0, 22), other.subarray(0, 22));
  // Five minutes is 3e9 ticks; shifted right by 18 bits.
  assert.equal(a.readUInt32BE(22), Math.floor(3_000_000_000 / 2 ** 18));
});

test("Thread-Index's header is 0x01, the upper 40 bits of the start's FILETIME, then the MD5 of the thread id", () => {
  const index = Buffer.from(threadIndex("tessera.ticket.1@x.test", at(0), []), "base64");
  // 2026-03-02T10:00Z is FILETIME 0x01dcaa2b54f61000; md5("tessera.ticket.1@x.test") computed apart.
  assert.equal(index.toString("hex"), "01" + "01dcaa2b54" + "dd753a54ee65ab34c29d7713927ec326");
});

test("Thread-Index blocks: under 2^49 ticks the delta's bits 18-48, from there a set top bit and bits 23-53", () => {
  const start = at(0);
  const index = Buffer.from(
    threadIndex("t@x.test", start, [
      new Date(Date.UTC(2027, 8, 1, 10, 0)), // 473,472,000,000,000 ticks: near, the largest delta here
      new Date(Date.UTC(2028, 2, 2, 10, 0)), // 631,584,000,000,000 ticks: past 2^49 = 562,949,953,421,312
      start,
      new Date(start.getTime() - 60_000), // before the start (clock skew) counts as no time
    ]),
    "base64",
  );
  assert.equal(index.length, 22 + 4 * 5);
  const blocks = [0, 1, 2, 3].map((n) => index.subarray(22 + 5 * n, 27 + 5 * n).toString("hex"));
  assert.deepEqual(blocks, ["6ba7b29700", "847cd83701", "0000000002", "0000000003"]);
});

test("Thread-Index keeps the last 40 later messages, numbering their blocks in four bits", () => {
  const later = Array.from({ length: 45 }, (_, i) => at(i + 1));
  const index = Buffer.from(threadIndex("t@x.test", at(0), later), "base64");
  assert.equal(index.length, 22 + 40 * 5);
  // The first block kept is the sixth message's: six minutes is 3.6e9 ticks.
  assert.equal(index.readUInt32BE(22), Math.floor(3_600_000_000 / 2 ** 18));
  assert.equal(index.readUInt32BE(22 + 39 * 5), Math.floor((45 * 600_000_000) / 2 ** 18));
  const sequence = Array.from({ length: 40 }, (_, n) => index[22 + 5 * n + 4]);
  assert.deepEqual(
    sequence,
    Array.from({ length: 40 }, (_, n) => n % 16),
  );
});

let sink: SmtpSink;
before(async () => {
  sink = await startSmtpSink();
});
after(async () => {
  await sink.close();
});

const ENV = {
  MAIL_FROM: "support@example.test",
  INBOUND_SMTP_DOMAINS: "support@example.test",
  INBOUND_TICKETS_PER_HOUR: "50",
};

let counter = 0;
function rawMail(headers: Record<string, string>, body: string): Buffer {
  return Buffer.from(
    `${Object.entries({ "Content-Type": "text/plain; charset=utf-8", ...headers })
      .map(([k, v]) => `${k}: ${v}`)
      .join("\r\n")}\r\n\r\n${body}\r\n`,
  );
}
const outboxOf = (deps: Deps, ticketId: number) =>
  deps.db.select().from(outbox).where(eq(outbox.ticketId, ticketId)).orderBy(outbox.id);

describeEachDatabase(
  "thread headers and threading",
  (world) => {
    test("our mails name the customer's mail and carry the thread; Outlook gets Thread-Index and Thread-Topic", async () => {
      const { deps } = world();
      const agent = await makeAgent(deps);
      const email = `thread.${++counter}@client.example`;
      const first = `<first.${Date.now()}.${counter}@client.example>`;
      const opened = await receiveEmail(
        deps,
        rawMail(
          { From: email, To: "support@example.test", Subject: "VPN drops", "Message-ID": first },
          "The VPN drops every 10 minutes.",
        ),
        { to: ["support@example.test"] },
      );
      assert.equal(opened.status, "ticket");
      const ticketId = opened.ticketId ?? 0;
      const root = `<tessera.ticket.${ticketId}@example.test>`;
      const [ack] = (await outboxOf(deps, ticketId)).filter((m) => m.toAddress === email);
      assert.equal(ack?.headers["In-Reply-To"], first, "the acknowledgement answers the mail");
      assert.equal(ack?.headers.References, `${root} ${first}`);

      await ticketsService.addReply(deps, agent, ticketId, { content: "Which client version?" });
      const reply = (await outboxOf(deps, ticketId)).filter((m) => m.toAddress === email).at(-1);
      assert.equal(reply?.kind, "reply.public");
      assert.equal(reply?.headers["In-Reply-To"], first);
      assert.equal(reply?.headers.References, `${root} ${first} <${ack?.messageId}>`);

      // The customer answers our reply; our next mail answers that.
      const second = `<second.${Date.now()}.${counter}@client.example>`;
      const answered = await receiveEmail(
        deps,
        rawMail(
          {
            From: email,
            To: "support@example.test",
            Subject: `Re: [#${ticketId}] VPN drops`,
            "Message-ID": second,
            "In-Reply-To": `<${reply?.messageId}>`,
            References: `${root} <${reply?.messageId}>`,
          },
          "Version 4.2.",
        ),
        { to: ["support@example.test"] },
      );
      assert.equal(answered.status, "reply");
      await ticketsService.addReply(deps, agent, ticketId, { content: "Please update to 4.3." });
      const third = (await outboxOf(deps, ticketId)).filter((m) => m.toAddress === email).at(-1);
      assert.equal(third?.headers["In-Reply-To"], second);
      assert.equal(
        third?.headers.References,
        `${root} ${first} <${ack?.messageId}> <${reply?.messageId}> ${second}`,
      );

      // Delivered and read back with mailparser, as a client would.
      const worker = startOutboxWorker(deps, smtpSender(deps.config, sink.url), { start: false });
      while ((await worker.runOnce()) > 0) {}
      await worker.stop();
      const got = sink.mails.find((m) => m.messageId === third?.messageId);
      assert.ok(got, "delivered");
      assert.equal(got.parsed.inReplyTo, second);
      assert.deepEqual([got.parsed.references].flat(), [
        root,
        first,
        `<${ack?.messageId}>`,
        `<${reply?.messageId}>`,
        second,
      ]);
      assert.equal(got.parsed.headers.get("thread-topic"), "VPN drops");
      const index = Buffer.from(String(got.parsed.headers.get("thread-index")), "base64");
      const ackIndex = Buffer.from(ack?.headers["Thread-Index"] ?? "", "base64");
      assert.deepEqual(index.subarray(0, 22), ackIndex.subarray(0, 22));
      assert.ok(index.length > ackIndex.length);
    });

    test("a reply naming only our synthetic thread id, or only the customer's own earlier mail, joins the ticket", async () => {
      const { deps } = world();
      const customer = await makeCustomer(deps);
      const first = `<own.${Date.now()}.${++counter}@client.example>`;
      const opened = await receiveEmail(
        deps,
        rawMail(
          {
            From: customer.email,
            To: "support@example.test",
            Subject: "Badge",
            "Message-ID": first,
          },
          "My badge does not open door 3.",
        ),
        { to: ["support@example.test"] },
      );
      const ticketId = opened.ticketId ?? 0;
      const viaRoot = await receiveEmail(
        deps,
        rawMail(
          {
            From: customer.email,
            To: "support@example.test",
            Subject: "Badge again",
            "Message-ID": `<r1.${counter}@client.example>`,
            "In-Reply-To": `<tessera.ticket.${ticketId}@example.test>`,
          },
          "Door 4 too.",
        ),
        { to: ["support@example.test"] },
      );
      assert.deepEqual([viaRoot.status, viaRoot.ticketId], ["reply", ticketId]);
      const viaOwn = await receiveEmail(
        deps,
        rawMail(
          {
            From: customer.email,
            To: "support@example.test",
            Subject: "Re: Badge",
            "Message-ID": `<r2.${counter}@client.example>`,
            References: first,
          },
          "And door 5.",
        ),
        { to: ["support@example.test"] },
      );
      assert.deepEqual([viaOwn.status, viaOwn.ticketId], ["reply", ticketId]);
      const contents = (
        await deps.db.select().from(messages).where(eq(messages.ticketId, ticketId))
      ).map((m) => m.content);
      assert.deepEqual(contents, ["My badge does not open door 3.", "Door 4 too.", "And door 5."]);
    });

    test("a stranger naming the synthetic thread id opens their own ticket; an id of another domain is not ours", async () => {
      const { deps } = world();
      const customer = await makeCustomer(deps);
      const opened = await receiveEmail(
        deps,
        rawMail(
          {
            From: customer.email,
            To: "support@example.test",
            Subject: "Mine",
            "Message-ID": `<m.${++counter}@client.example>`,
          },
          "Private matter.",
        ),
        { to: ["support@example.test"] },
      );
      const ticketId = opened.ticketId ?? 0;
      const stranger = `stranger.${counter}@elsewhere.example`;
      const intrusion = await receiveEmail(
        deps,
        rawMail(
          {
            From: stranger,
            To: "support@example.test",
            Subject: "Hello",
            "Message-ID": `<s.${counter}@elsewhere.example>`,
            "In-Reply-To": `<tessera.ticket.${ticketId}@example.test>`,
          },
          "Let me in.",
        ),
        { to: ["support@example.test"] },
      );
      assert.equal(intrusion.status, "ticket");
      assert.notEqual(intrusion.ticketId, ticketId);
      assert.match(intrusion.reason ?? "", /not from its requester or staff/);

      const foreign = await receiveEmail(
        deps,
        rawMail(
          {
            From: customer.email,
            To: "support@example.test",
            Subject: "Other",
            "Message-ID": `<f.${counter}@client.example>`,
            "In-Reply-To": `<tessera.ticket.${ticketId}@other.example>`,
          },
          "Something else.",
        ),
        { to: ["support@example.test"] },
      );
      assert.equal(foreign.status, "ticket");
      assert.notEqual(foreign.ticketId, ticketId);
      const [user] = await deps.db.select().from(users).where(eq(users.email, stranger));
      const theirs = await deps.db
        .select()
        .from(tickets)
        .where(eq(tickets.requesterId, user?.id ?? 0));
      assert.equal(theirs.length, 1);
    });
  },
  { env: ENV },
);
