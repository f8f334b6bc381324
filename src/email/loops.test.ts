import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { and, eq, sql } from "drizzle-orm";
import nodemailer, { type Transporter } from "nodemailer";
import { makeAdmin, makeAgent, makeCustomer } from "../../test/helpers/factories.ts";
import { decodeEntities } from "../../test/helpers/html.ts";
import { type SmtpSink, startSmtpSink } from "../../test/helpers/smtp-sink.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { inboundEmails, outbox, ticketEvents, tickets, users } from "../db/schema/index.ts";
import { action, ruleForm, tag, withRules } from "../rules/test-support.ts";
import * as ticketsService from "../tickets/tickets.service.ts";
import { type InboundListener, startInboundListener } from "./inbound.listener.ts";
import { queueRuleMail } from "./outbox.service.ts";
import { smtpSender } from "./smtp.sender.ts";
import { startOutboxWorker } from "./worker.ts";

const ENV = {
  MAIL_FROM: "support@example.test",
  INBOUND_SMTP_DOMAINS: "support@example.test",
  // The documented default, spelled out: the test is about what it does.
  AUTO_REPLY_LIMIT_PER_HOUR: "3",
};

let sink: SmtpSink;
before(async () => {
  sink = await startSmtpSink();
});
after(async () => {
  await sink.close();
});

describeEachDatabase(
  "mail loops",
  (world) => {
    let listener: InboundListener;
    let smtp: Transporter;
    before(async () => {
      listener = await startInboundListener(world().deps, { port: 0, host: "127.0.0.1" });
      smtp = nodemailer.createTransport({
        host: "127.0.0.1",
        port: listener.port,
        secure: false,
        ignoreTLS: true,
      });
    });
    after(async () => {
      smtp.close();
      await listener.close();
    });

    test("two auto-responders without RFC 3834 headers or References stop within 3 rounds", async () => {
      const { deps } = world();
      await makeAgent(deps);
      const responder = `robot-${world().kind}@autoresponder.example.org`;
      const worker = startOutboxWorker(deps, smtpSender(deps.config, sink.url), { start: false });
      // The other side: answers every mail it gets with a new one to our From address,
      // without Auto-Submitted, Precedence, X-Autoreply, In-Reply-To or References.
      const answered = new Set<string>();
      const answerAll = async () => {
        const fresh = sink.mails.filter(
          (m) => m.envelopeTo.includes(responder) && !answered.has(m.messageId),
        );
        for (const m of fresh) {
          answered.add(m.messageId);
          await smtp.sendMail({
            envelope: { from: responder, to: "support@example.test" },
            from: responder,
            to: m.parsed.from?.text ?? "support@example.test",
            subject: `Out of office: ${m.parsed.subject ?? ""}`,
            text: "I am away. Your mail is important to me.",
          });
        }
        return fresh.length;
      };
      await smtp.sendMail({
        envelope: { from: responder, to: "support@example.test" },
        from: responder,
        to: "support@example.test",
        subject: "Hello",
        text: "Starting a conversation.",
      });
      let rounds = 0;
      for (let i = 0; i < 10; i++) {
        while ((await worker.runOnce()) > 0) {}
        const n = await answerAll();
        if (n === 0) break;
        rounds++;
      }
      await worker.stop();
      assert.ok(rounds <= 3, `the loop stopped after ${rounds} rounds`);
      assert.ok(rounds >= 1, "the responder was answered at all (the limit is not zero)");
      // Every mail it sent is stored and became a ticket; only 3 automatic mails went back.
      const stored = await deps.db
        .select()
        .from(inboundEmails)
        .where(eq(inboundEmails.fromAddress, responder));
      assert.equal(stored.length, rounds + 1);
      assert.ok(stored.every((r) => r.status === "ticket"));
      const sentBack = await deps.db
        .select()
        .from(outbox)
        .where(sql`lower(${outbox.toAddress}) = ${responder}`);
      assert.equal(sentBack.length, 3);
      const last = stored.at(-1)?.ticketId ?? 0;
      const marks = await deps.db
        .select()
        .from(ticketEvents)
        .where(
          and(eq(ticketEvents.ticketId, last), eq(ticketEvents.kind, "auto_reply_suppressed")),
        );
      assert.deepEqual(
        marks.map((e) => e.toValue),
        [responder],
      );
      // Staff see why nothing was sent; the mail itself is on the ticket.
      const admin = await world().signedIn(await makeAgent(deps));
      const page = decodeEntities((await admin.get(`/tickets/${last}`)).body);
      assert.match(
        page,
        new RegExp(`Automatic replies to ${responder} suppressed: possible mail loop`),
      );
      assert.match(page, /I am away\. Your mail is important to me\./);
    });

    test("the limit holds when tickets for one address are opened in parallel, and agents' replies are never limited", async () => {
      const { deps } = world();
      const agent = await makeAgent(deps);
      const customer = await makeCustomer(deps);
      await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          ticketsService.createTicket(deps, customer, {
            title: `Parallel ${i}`,
            description: "Same person, many tickets.",
          }),
        ),
      );
      const acks = await deps.db
        .select()
        .from(outbox)
        .where(and(eq(outbox.toAddress, customer.email), eq(outbox.kind, "ticket.received")));
      assert.equal(acks.length, 3);
      const [user] = await deps.db.select().from(users).where(eq(users.id, customer.id));
      const theirs = await deps.db
        .select()
        .from(tickets)
        .where(eq(tickets.requesterId, user?.id ?? 0));
      assert.equal(theirs.length, 6, "every ticket was opened");
      for (const t of theirs) {
        await ticketsService.addReply(deps, agent, t.id, { content: `Answer to ${t.title}` });
      }
      const replies = await deps.db
        .select()
        .from(outbox)
        .where(and(eq(outbox.toAddress, customer.email), eq(outbox.kind, "reply.public")));
      assert.equal(replies.length, 6);
    });

    test("mail queued earlier in the same change counts toward the limit: a new ticket's rule that mails its requester three times sends two", async () => {
      const { deps } = world();
      const admin = await makeAdmin(deps);
      const customer = await makeCustomer(deps);
      const word = tag();
      const mail = (n: number) =>
        action({ type: "send_mail", to: "requester", subject: `Note ${n}`, body: "Hello." });
      await withRules(
        deps,
        admin,
        [
          ruleForm({
            conditions: [{ field: "subject", op: "contains", value: word }],
            actions: [mail(1), mail(2), mail(3)],
          }),
        ],
        async () => {
          const ticket = await ticketsService.createTicket(deps, customer, {
            title: `Talkative ${word}`,
            description: "Hello.",
          });
          const sent = await deps.db
            .select({ kind: outbox.kind, subject: outbox.subject })
            .from(outbox)
            .where(and(eq(outbox.ticketId, ticket.id), eq(outbox.toAddress, customer.email)))
            .orderBy(outbox.id);
          // The acknowledgement (not yet written when the rule ran) is the first of 3.
          assert.deepEqual(
            sent.map((m) => m.kind),
            ["ticket.received", "rule", "rule"],
          );
          assert.match(sent[2]?.subject ?? "", /Note 2/);
          const marks = await deps.db
            .select()
            .from(ticketEvents)
            .where(
              and(
                eq(ticketEvents.ticketId, ticket.id),
                eq(ticketEvents.kind, "auto_reply_suppressed"),
              ),
            );
          assert.equal(marks.length, 1);
        },
      );
    });

    test("rule mails to the requester count toward the limit; rule mails to staff never do", async () => {
      const { deps } = world();
      const agent = await makeAgent(deps);
      const customer = await makeCustomer(deps);
      const ticket = await ticketsService.createTicket(deps, customer, {
        title: "Rules talk a lot",
        description: "Hello.",
      });
      await ticketsService.updateTicket(deps, agent, ticket.id, { assigneeId: agent.id });
      const current = { ...ticket, assigneeId: agent.id };
      const mail = { subject: "Reminder", text: "Any news?", html: "<p>Any news?</p>" };
      const queued: number[] = [];
      for (let i = 0; i < 4; i++) {
        queued.push(
          await deps.db.transaction((tx) =>
            queueRuleMail(deps, tx, current, { kind: "requester" }, mail),
          ),
        );
        queued.push(
          await deps.db.transaction((tx) =>
            queueRuleMail(deps, tx, current, { kind: "assignee" }, mail),
          ),
        );
      }
      // The acknowledgement was the first of 3: two rule mails reach the customer, every one the agent.
      assert.deepEqual(queued, [1, 1, 1, 1, 0, 1, 0, 1]);
      const marks = await deps.db
        .select()
        .from(ticketEvents)
        .where(
          and(eq(ticketEvents.ticketId, ticket.id), eq(ticketEvents.kind, "auto_reply_suppressed")),
        );
      assert.deepEqual(
        marks.map((e) => e.toValue),
        [customer.email, customer.email],
      );
    });
  },
  { env: ENV },
);
