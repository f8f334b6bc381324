import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { eq } from "drizzle-orm";
import { makeAgent, makeCustomer, makeTicket } from "../../test/helpers/factories.ts";
import { type SmtpSink, startSmtpSink } from "../../test/helpers/smtp-sink.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { outbox } from "../db/schema/index.ts";
import type { Deps } from "../deps.ts";
import * as tickets from "../tickets/tickets.service.ts";
import { newMessageId, ticketFromReplyAddress } from "./addresses.ts";
import { REPLY_ABOVE } from "./compose.ts";
import { claimDue, insertOutbox, markSent } from "./outbox.repo.ts";
import { countPendingOutbox, replySecret, setNotificationPreference } from "./outbox.service.ts";
import { type Sender, smtpSender } from "./smtp.sender.ts";
import { startOutboxWorker } from "./worker.ts";

const ENV = { MAIL_FROM: "help@example.test", MAIL_MAX_TRIES: "3", MAIL_SEND_TIMEOUT_SECONDS: "5" };

async function mailsFor(deps: Deps, ticketId: number) {
  return deps.db.select().from(outbox).where(eq(outbox.ticketId, ticketId)).orderBy(outbox.id);
}

/** Sends everything due, so a test's claims see only its own mail. */
async function drainOutbox(deps: Deps) {
  const worker = startOutboxWorker(deps, smtpSender(deps.config, sink.url), { start: false });
  while ((await worker.runOnce()) > 0) {}
  await worker.stop();
}

let sink: SmtpSink;
before(async () => {
  sink = await startSmtpSink();
});
after(async () => {
  await sink.close();
});

describeEachDatabase(
  "email outbox",
  (world) => {
    test("a customer's new ticket queues their acknowledgement and tells each agent, in the same transaction", async () => {
      const { deps } = world();
      const agent = await makeAgent(deps);
      const quiet = await makeAgent(deps);
      await setNotificationPreference(deps, quiet, false);
      const customer = await makeCustomer(deps);
      const ticket = await makeTicket(deps, customer, {
        title: "Invoice missing",
        description: "Where is **March**?",
      });
      const rows = await mailsFor(deps, ticket.id);
      const ack = rows.find((r) => r.recipientId === customer.id);
      assert.equal(ack?.kind, "ticket.received");
      assert.equal(ack?.toAddress, customer.email);
      assert.equal(ack?.subject, `[#${ticket.id}] Invoice missing`);
      assert.match(ack?.textBody ?? "", /Where is \*\*March\*\*\?/);
      assert.match(ack?.htmlBody ?? "", /<strong>March<\/strong>/);
      assert.ok(rows.some((r) => r.recipientId === agent.id && r.kind === "ticket.new"));
      assert.ok(!rows.some((r) => r.recipientId === quiet.id), "an opted-out agent gets nothing");

      // A refused ticket leaves no mail behind.
      const before = await countPendingOutbox(deps);
      await assert.rejects(tickets.createTicket(deps, customer, { title: "", description: "x" }));
      assert.equal(await countPendingOutbox(deps), before);
    });

    test("a public reply mails the customer its text; an internal note mails nobody", async () => {
      const { deps } = world();
      const agent = await makeAgent(deps);
      const customer = await makeCustomer(deps);
      const ticket = await makeTicket(deps, customer);
      const start = (await mailsFor(deps, ticket.id)).length;
      await tickets.addReply(deps, agent, ticket.id, {
        content: "Secret: the customer is wrong",
        internal: true,
      });
      assert.equal((await mailsFor(deps, ticket.id)).length, start);
      await tickets.addReply(deps, agent, ticket.id, { content: "Try turning it off and on." });
      const rows = (await mailsFor(deps, ticket.id)).slice(start);
      assert.deepEqual(
        rows.map((r) => [r.kind, r.recipientId]),
        [["reply.public", customer.id]],
      );
      assert.match(rows[0]?.textBody ?? "", /Try turning it off and on\./);
      assert.doesNotMatch(rows[0]?.textBody ?? "", /Secret/);
    });

    test("the assignee hears of the assignment and of customer replies, unless they opted out", async () => {
      const { deps } = world();
      const lead = await makeAgent(deps);
      const agent = await makeAgent(deps);
      const customer = await makeCustomer(deps);
      const ticket = await makeTicket(deps, customer);
      const start = (await mailsFor(deps, ticket.id)).length;
      await tickets.updateTicket(deps, lead, ticket.id, { assigneeId: agent.id });
      await tickets.addReply(deps, customer, ticket.id, { content: "Any news?" });
      await tickets.updateTicket(deps, lead, ticket.id, { assigneeId: lead.id }); // self: no mail
      await tickets.updateTicket(deps, lead, ticket.id, { assigneeId: agent.id });
      await setNotificationPreference(deps, agent, false);
      await tickets.addReply(deps, customer, ticket.id, { content: "Hello?" });
      const rows = (await mailsFor(deps, ticket.id)).slice(start);
      assert.deepEqual(
        rows.map((r) => [r.kind, r.recipientId]),
        [
          ["ticket.assigned", agent.id],
          ["reply.customer", agent.id],
          ["ticket.assigned", agent.id],
        ],
      );
    });

    test("the worker delivers over SMTP with our Message-ID, thread headers, reply token and both parts", async () => {
      const { deps } = world();
      const customer = await makeCustomer(deps);
      const ticket = await makeTicket(deps, customer, { title: "Printer <b>jam</b>" });
      const [row] = await mailsFor(deps, ticket.id);
      assert.ok(row);
      const worker = startOutboxWorker(deps, smtpSender(deps.config, sink.url), { start: false });
      while ((await worker.runOnce()) > 0) {}
      await worker.stop();
      const got = sink.mails.find((m) => m.messageId === row.messageId);
      assert.ok(got, "the sink received the mail");
      assert.deepEqual(got.envelopeTo, [customer.email]);
      assert.equal(got.envelopeFrom, "help@example.test");
      assert.equal(got.parsed.subject, `[#${ticket.id}] Printer <b>jam</b>`);
      assert.equal(got.parsed.headers.get("auto-submitted"), "auto-generated");
      assert.equal(got.parsed.inReplyTo, `<tessera.ticket.${ticket.id}@example.test>`);
      assert.deepEqual([got.parsed.references].flat(), [
        `<tessera.ticket.${ticket.id}@example.test>`,
      ]);
      const replyTo = got.parsed.replyTo?.value[0]?.address ?? "";
      assert.match(replyTo, /^help\+\d+-[0-9a-f]{24}@example\.test$/);
      assert.equal(ticketFromReplyAddress(await replySecret(deps), replyTo), ticket.id);
      assert.equal(
        // A tampered token (its first hex digit changed to another) is no token.
        ticketFromReplyAddress(
          await replySecret(deps),
          replyTo.replace(/-([0-9a-f])/, (_, c: string) => `-${c === "0" ? "1" : "0"}`),
        ),
        undefined,
      );
      assert.ok(got.parsed.text?.startsWith(REPLY_ABOVE));
      assert.match(String(got.parsed.html), /Printer &lt;b&gt;jam&lt;\/b&gt;|Hello/);
      assert.doesNotMatch(String(got.parsed.html), /<b>jam<\/b>/);
      const [sent] = await deps.db.select().from(outbox).where(eq(outbox.id, row.id));
      assert.equal(sent?.status, "sent");
      assert.equal(sent?.attempts, 1);
    });

    test("a temporary refusal is retried with backoff; after MAIL_MAX_TRIES the mail is failed, and a 5xx fails at once", async () => {
      const { deps } = world();
      const customer = await makeCustomer(deps);
      const ticket = await makeTicket(deps, customer);
      const [row] = await mailsFor(deps, ticket.id);
      assert.ok(row);
      const worker = startOutboxWorker(deps, smtpSender(deps.config, sink.url), {
        start: false,
        backoffMs: 1,
      });
      const state = async () =>
        (await deps.db.select().from(outbox).where(eq(outbox.id, row.id)))[0];
      sink.refuseNext(customer.email, 1, 451);
      await worker.runOnce();
      const retrying = await state();
      assert.equal(retrying?.status, "pending");
      assert.equal(retrying?.attempts, 1);
      assert.match(retrying?.lastError ?? "", /451/);
      sink.refuseNext(customer.email, 2, 451);
      await new Promise((r) => setTimeout(r, 10));
      await worker.runOnce();
      await new Promise((r) => setTimeout(r, 10));
      await worker.runOnce();
      const failed = await state();
      assert.equal(failed?.status, "failed");
      assert.equal(failed?.attempts, 3);
      assert.equal(sink.mails.filter((m) => m.messageId === row.messageId).length, 0);

      const other = await makeTicket(deps, customer);
      const [second] = await mailsFor(deps, other.id);
      sink.refuseNext(customer.email, 1, 550);
      await worker.runOnce();
      const [bounced] = await deps.db
        .select()
        .from(outbox)
        .where(eq(outbox.id, second?.id ?? 0));
      assert.equal(bounced?.status, "failed");
      assert.equal(bounced?.attempts, 1);
      await worker.stop();
    });

    test("a worker stopped in the middle of a round gives the rest of its batch back untried, and the next round sends it", async () => {
      const { deps } = world();
      await drainOutbox(deps);
      const customer = await makeCustomer(deps);
      const opened = [await makeTicket(deps, customer), await makeTicket(deps, customer)];
      const queued = (await Promise.all(opened.map((t) => mailsFor(deps, t.id)))).flat();
      assert.ok(queued.length >= 2);
      let reached = () => {};
      const atFirstSend = new Promise<void>((resolve) => {
        reached = resolve;
      });
      let open = () => {};
      const gate = new Promise<void>((resolve) => {
        open = resolve;
      });
      const sent: number[] = [];
      const slow: Sender = {
        async send(row) {
          sent.push(row.id);
          reached();
          await gate;
        },
        close() {},
      };
      const stopping = startOutboxWorker(deps, slow, { start: false, batch: 50 });
      const round = stopping.runOnce();
      await atFirstSend;
      await stopping.stop();
      open();
      assert.equal(await round, queued.length);
      assert.equal(sent.length, 1, "nothing is sent after stop()");

      const now = new Date();
      for (const row of queued) {
        const [after] = await deps.db.select().from(outbox).where(eq(outbox.id, row.id));
        if (row.id === sent[0]) {
          assert.equal(after?.status, "sent");
          continue;
        }
        assert.equal(after?.status, "pending");
        assert.equal(after?.attempts, 0, "a mail given back has used none of its tries");
        assert.equal(after?.claimToken, null);
        assert.ok((after?.nextAttemptAt ?? now) <= now, "and is due at once");
      }
      await drainOutbox(deps);
      for (const row of queued) {
        const [after] = await deps.db.select().from(outbox).where(eq(outbox.id, row.id));
        assert.deepEqual([after?.status, after?.attempts], ["sent", 1]);
      }
    });

    test("a worker whose lease ran out cannot record the mail as sent; the worker that took it over can", async () => {
      const { deps } = world();
      await drainOutbox(deps);
      const messageId = newMessageId(deps.config);
      await insertOutbox(deps.db, [
        {
          kind: "test",
          toAddress: "late@example.org",
          subject: "Late",
          textBody: "text",
          htmlBody: "<p>html</p>",
          messageId,
          headers: {},
        },
      ]);
      const [first] = await claimDue(deps.db, "slow", 10, 1);
      assert.ok(first);
      assert.equal(first.messageId, messageId);
      await new Promise((r) => setTimeout(r, 20));
      const [taken] = await claimDue(deps.db, "late", 10, 60_000);
      assert.equal(taken?.id, first.id);
      assert.equal(await markSent(deps.db, first.id, "slow"), false);
      const [held] = await deps.db.select().from(outbox).where(eq(outbox.id, first.id));
      assert.deepEqual([held?.status, held?.claimToken], ["pending", "late"]);
      assert.equal(await markSent(deps.db, first.id, "late"), true);
      const [done] = await deps.db.select().from(outbox).where(eq(outbox.id, first.id));
      assert.deepEqual([done?.status, done?.claimToken, done?.attempts], ["sent", null, 2]);
    });
  },
  { env: ENV },
);
