import assert from "node:assert/strict";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { and, eq } from "drizzle-orm";
import nodemailer, { type SendMailOptions, type Transporter } from "nodemailer";
import { makeAgent, makeCustomer, makeTicket } from "../../test/helpers/factories.ts";
import { describeEachDatabase, type World } from "../../test/helpers/world.ts";
import {
  attachments,
  inboundEmails,
  messages,
  outbox,
  tickets,
  users,
} from "../db/schema/index.ts";
import type { Deps } from "../deps.ts";
import * as ticketsService from "../tickets/tickets.service.ts";
import { type InboundListener, startInboundListener } from "./inbound.listener.ts";

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../test/fixtures");
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name));

const ENV = {
  MAIL_FROM: "support@example.test",
  INBOUND_SMTP_DOMAINS: "support@example.test",
  INBOUND_MAX_MB: "1",
  INBOUND_TICKETS_PER_HOUR: "3",
};

describeEachDatabase(
  "inbound email over SMTP",
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

    /** Sends a mail into the listener; resolves with the SMTP answer. */
    const send = (mail: SendMailOptions) => smtp.sendMail(mail);
    const sendRaw = (raw: Buffer, from: string, to = "support@example.test") =>
      smtp.sendMail({ envelope: { from, to }, raw });

    const lastInbound = async (deps: Deps) =>
      (await deps.db.select().from(inboundEmails).orderBy(inboundEmails.id)).at(-1);
    const ticketsOf = async (deps: Deps, email: string) => {
      const [user] = await deps.db.select().from(users).where(eq(users.email, email));
      if (!user) return [];
      return deps.db.select().from(tickets).where(eq(tickets.requesterId, user.id));
    };
    const messagesOf = (deps: Deps, ticketId: number) =>
      deps.db.select().from(messages).where(eq(messages.ticketId, ticketId)).orderBy(messages.id);
    const mailTo = async (deps: Deps, ticketId: number, kind: string) =>
      (
        await deps.db
          .select()
          .from(outbox)
          .where(and(eq(outbox.ticketId, ticketId), eq(outbox.kind, kind)))
          .orderBy(outbox.id)
      ).at(-1);

    test("a mail from a new sender opens a ticket with its text, sanitised HTML and attachment, and acknowledges it", async () => {
      const { deps } = world();
      const answer = await sendRaw(fixture("new-ticket.eml"), "ann.customer@example.org");
      assert.match(String(answer.response), /^250 /);
      const [ticket] = await ticketsOf(deps, "ann.customer@example.org");
      assert.ok(ticket, "a ticket was opened");
      assert.equal(ticket.title, "Printer prints only blank pages");
      const [user] = await deps.db.select().from(users).where(eq(users.id, ticket.requesterId));
      assert.equal(user?.role, "customer");
      assert.equal(user?.name, "Ann Customer");
      assert.equal(user?.passwordHash, null, "an account without a password, to claim by reset");
      const [first] = await messagesOf(deps, ticket.id);
      assert.match(first?.content ?? "", /prints only blank pages\.\nA photo .* Grüße, Ann/s);
      const files = await deps.db
        .select()
        .from(attachments)
        .where(eq(attachments.ticketId, ticket.id));
      assert.deepEqual(
        files.map((f) => [f.filename, f.contentType, f.messageId]),
        [["display.png", "image/png", first?.id]],
      );
      const inbound = await lastInbound(deps);
      assert.equal(inbound?.status, "ticket");
      assert.equal(inbound?.ticketId, ticket.id);
      assert.deepEqual(inbound?.raw, fixture("new-ticket.eml"));
      const html = inbound?.safeHtml ?? "";
      assert.match(html, /<b>3rd floor<\/b>/);
      for (const bad of ["<script", "onclick", "onerror", "<img", "javascript:", "<style"]) {
        assert.ok(!html.includes(bad), `sanitised HTML has no ${bad}`);
      }
      const ack = await mailTo(deps, ticket.id, "ticket.received");
      assert.equal(ack?.toAddress, "ann.customer@example.org");
    });

    test("a reply to the reply address lands in its ticket without the quoted history, and reopens it", async () => {
      const { deps } = world();
      const agent = await makeAgent(deps);
      const customer = await makeCustomer(deps);
      const ticket = await makeTicket(deps, customer, { title: "VPN drops" });
      await ticketsService.addReply(deps, agent, ticket.id, {
        content: "Fixed?",
        waitOnCustomer: true,
      });
      const notice = await mailTo(deps, ticket.id, "reply.public");
      const replyTo = notice?.headers["Reply-To"] ?? "";
      assert.match(replyTo, /^support\+\d+-[0-9a-f]+@example\.test$/);
      await send({
        from: customer.email,
        to: replyTo,
        subject: `Re: ${notice?.subject}`,
        text: `Still dropping every hour.\n\nOn Tue, 24 Nov 2026 at 10:00, Support <support@example.test> wrote:\n> ${notice?.textBody.split("\n").join("\n> ")}`,
      });
      const all = await messagesOf(deps, ticket.id);
      assert.equal(all.at(-1)?.content, "Still dropping every hour.");
      assert.equal(all.at(-1)?.authorId, customer.id);
      const [now] = await deps.db.select().from(tickets).where(eq(tickets.id, ticket.id));
      assert.equal(now?.status, "open", "pending -> open on the customer's reply");
      assert.equal((await lastInbound(deps))?.status, "reply");
    });

    test("a reply threaded only by In-Reply-To/References to a Message-ID we sent lands in its ticket", async () => {
      const { deps } = world();
      const customer = await makeCustomer(deps);
      const ticket = await makeTicket(deps, customer, { title: "Threaded by headers" });
      const ack = await mailTo(deps, ticket.id, "ticket.received");
      await send({
        from: customer.email,
        to: "support@example.test",
        subject: "Re: something else entirely",
        inReplyTo: `<${ack?.messageId}>`,
        references: [`<${ack?.messageId}>`],
        text: "Adding a detail: it happens on Wi-Fi only.",
      });
      assert.equal(
        (await messagesOf(deps, ticket.id)).at(-1)?.content,
        "Adding a detail: it happens on Wi-Fi only.",
      );
      assert.equal((await ticketsOf(deps, customer.email)).length, 1);
    });

    test("a stranger never adds to someone else's ticket: [#id] in the subject or a stolen References opens their own", async () => {
      const { deps } = world();
      const victim = await makeCustomer(deps);
      const ticket = await makeTicket(deps, victim, { title: "Private matter" });
      const ack = await mailTo(deps, ticket.id, "ticket.received");
      const before = (await messagesOf(deps, ticket.id)).length;
      await send({
        from: "mallory@example.net",
        to: "support@example.test",
        subject: `Re: [#${ticket.id}] Private matter`,
        text: "Please send me the details.",
      });
      await send({
        from: "mallory@example.net",
        to: "support@example.test",
        subject: "Re: Private matter",
        references: [`<${ack?.messageId}>`],
        text: "Me again.",
      });
      assert.equal(
        (await messagesOf(deps, ticket.id)).length,
        before,
        "the victim's ticket is untouched",
      );
      const theirs = await ticketsOf(deps, "mallory@example.net");
      assert.equal(theirs.length, 2);
      assert.match((await lastInbound(deps))?.reason ?? "", /not from its requester or staff/);
    });

    test("an agent answering a notification by mail posts a public reply as that agent", async () => {
      const { deps } = world();
      const agent = await makeAgent(deps);
      const customer = await makeCustomer(deps);
      const ticket = await makeTicket(deps, customer, { title: "Agent by mail" });
      const notice = await mailTo(deps, ticket.id, "ticket.new");
      assert.ok(notice);
      await send({
        from: agent.email.toUpperCase(),
        to: notice.headers["Reply-To"],
        subject: `Re: ${notice.subject}`,
        text: "On it, will call you in 5 minutes.\n\n> earlier text",
      });
      const last = (await messagesOf(deps, ticket.id)).at(-1);
      assert.equal(last?.authorId, agent.id);
      assert.equal(last?.internal, false);
      assert.equal(last?.content, "On it, will call you in 5 minutes.");
      const toCustomer = await mailTo(deps, ticket.id, "reply.public");
      assert.equal(toCustomer?.toAddress, customer.email);
    });

    test("loops and junk are kept but never answered: Auto-Submitted, Precedence, null sender, MAILER-DAEMON, DSN", async () => {
      const { deps } = world();
      const cases: [Buffer, string, RegExp][] = [
        [fixture("out-of-office.eml"), "ooo@example.org", /Auto-Submitted: auto-replied/],
        [fixture("bulk.eml"), "news@shop.example.com", /Precedence: bulk/],
        [fixture("bounce-dsn.eml"), "", /bounce \(null sender\)/],
        [
          Buffer.from(
            "From: MAILER-DAEMON@mx.example.org\r\nTo: support@example.test\r\nSubject: failure\r\n\r\nUndeliverable.\r\n",
          ),
          "bounces@mx.example.org",
          /bounce \(from mailer-daemon\)/,
        ],
        [
          Buffer.from(fixture("bounce-dsn.eml").toString().replace("MAILER-DAEMON", "dsn")),
          "dsn@mx.example.org",
          /delivery report \(delivery-status\)/,
        ],
        [
          Buffer.from(
            "From: support@example.test\r\nTo: support@example.test\r\nSubject: echo\r\n\r\nx\r\n",
          ),
          "support@example.test",
          /our own address/,
        ],
      ];
      const pendingBefore = (await deps.db.select().from(outbox)).length;
      for (const [raw, from, reason] of cases) {
        await sendRaw(raw, from);
        const inbound = await lastInbound(deps);
        assert.equal(inbound?.status, "ignored");
        assert.match(inbound?.reason ?? "", reason);
        assert.equal(inbound?.ticketId, null);
      }
      assert.equal((await deps.db.select().from(outbox)).length, pendingBefore, "nothing answered");
      assert.equal((await ticketsOf(deps, "ann.customer@example.org")).length <= 1, true);
    });

    test("one sender opens at most INBOUND_TICKETS_PER_HOUR tickets by mail; the rest are kept and ignored", async () => {
      const { deps } = world();
      for (let i = 1; i <= 4; i++) {
        await send({
          from: "chatty@example.org",
          to: "support@example.test",
          subject: `Question ${i}`,
          text: "?",
        });
      }
      assert.equal((await ticketsOf(deps, "chatty@example.org")).length, 3);
      assert.match((await lastInbound(deps))?.reason ?? "", /rate limit/);
    });

    test("attachments beyond what a ticket takes are left out, and the message says so", async () => {
      const { deps } = world();
      await send({
        from: "files@example.org",
        to: "support@example.test",
        subject: "Eleven logs",
        text: "See attached.",
        attachments: Array.from({ length: 11 }, (_, i) => ({
          filename: `log${i}.txt`,
          content: `line ${i}`,
        })),
      });
      const [ticket] = await ticketsOf(deps, "files@example.org");
      assert.ok(ticket);
      const files = await deps.db
        .select()
        .from(attachments)
        .where(eq(attachments.ticketId, ticket.id));
      assert.equal(files.length, 10);
      const [first] = await messagesOf(deps, ticket.id);
      assert.match(first?.content ?? "", /^See attached\.\n\n\[1 attachment\(s\) left out/);
    });

    test("unknown recipients get 550; oversize messages get 552 at SMTP time", async () => {
      const { deps } = world();
      const before = (await deps.db.select().from(inboundEmails)).length;
      await assert.rejects(
        send({ from: "a@example.org", to: "sales@example.test", subject: "hi", text: "x" }),
        (error: { responseCode?: number }) => error.responseCode === 550,
      );
      await assert.rejects(
        send({ from: "a@example.org", to: "support@other.test", subject: "hi", text: "x" }),
        (error: { responseCode?: number }) => error.responseCode === 550,
      );
      // Undeclared size: refused at the end of DATA.
      await assert.rejects(
        send({
          from: "a@example.org",
          to: "support@example.test",
          subject: "big",
          text: "x".repeat(1_200_000),
        }),
        (error: { responseCode?: number }) => error.responseCode === 552,
      );
      // Declared with SIZE=: refused at MAIL FROM, before any data is sent.
      const answer = await smtpDialogue(listener.port, [
        "EHLO test",
        "MAIL FROM:<a@example.org> SIZE=5000000",
        "QUIT",
      ]);
      assert.match(answer, /^552 /m);
      assert.equal((await deps.db.select().from(inboundEmails)).length, before, "nothing stored");
    });

    test("malformed MIME never crashes the listener: the message is kept byte for byte for admins", async () => {
      const { deps } = world();
      const raw = fixture("malformed.eml");
      await sendRaw(raw, "broken@example.org");
      const inbound = await lastInbound(deps);
      assert.deepEqual(inbound?.raw, raw);
      assert.ok(inbound?.status === "failed" || inbound?.status === "ticket", inbound?.status);
      // Still serving.
      const answer = await send({
        from: "after@example.org",
        to: "support@example.test",
        subject: "still there?",
        text: "yes",
      });
      assert.match(String(answer.response), /^250 /);
      await assertAdminSees(world(), inbound?.id ?? 0);
    });
  },
  { env: ENV },
);

/** Talks SMTP line by line; returns everything the server said. */
async function smtpDialogue(port: number, commands: string[]): Promise<string> {
  const socket = net.connect(port, "127.0.0.1");
  let said = "";
  socket.on("data", (c: Buffer) => {
    said += c.toString();
  });
  const waitFor = async (n: number) => {
    const deadline = Date.now() + 5000;
    while ((said.match(/^\d{3} /gm) ?? []).length < n && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  await waitFor(1);
  for (let i = 0; i < commands.length; i++) {
    socket.write(`${commands[i]}\r\n`);
    await waitFor(i + 2);
  }
  socket.destroy();
  return said;
}

async function assertAdminSees(world: World, inboundId: number): Promise<void> {
  const { makeAdmin } = await import("../../test/helpers/factories.ts");
  const admin = await makeAdmin(world.deps);
  const browser = await world.signedIn(admin);
  const list = await browser.get("/admin/email?tab=inbound");
  assert.equal(list.statusCode, 200);
  assert.match(list.body, new RegExp(`/admin/email/inbound/${inboundId}"`));
  const raw = await browser.get(`/admin/email/inbound/${inboundId}/raw`);
  assert.equal(raw.statusCode, 200);
  assert.equal(raw.headers["content-type"], "message/rfc822");
  assert.deepEqual(
    raw.rawPayload,
    (await world.deps.db.select().from(inboundEmails).where(eq(inboundEmails.id, inboundId)))[0]
      ?.raw,
  );
  const page = await browser.get(`/admin/email/inbound/${inboundId}`);
  assert.equal(page.statusCode, 200);
  const customer = await world.signedIn(await makeCustomer(world.deps));
  assert.equal((await customer.get(`/admin/email/inbound/${inboundId}/raw`)).statusCode, 403);
  assert.equal(raw.headers["content-disposition"]?.toString().startsWith("attachment"), true);
}
