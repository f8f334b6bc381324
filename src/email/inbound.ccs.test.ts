import assert from "node:assert/strict";
import { test } from "node:test";
import { and, eq } from "drizzle-orm";
import { makeAgent } from "../../test/helpers/factories.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import {
  inboundEmails,
  messages,
  outbox,
  ticketCcs,
  ticketEvents,
  tickets,
  users,
} from "../db/schema/index.ts";
import type { Deps } from "../deps.ts";
import * as ticketsService from "../tickets/tickets.service.ts";
import { receiveEmail } from "./inbound.service.ts";

const ENV = { MAIL_FROM: "support@example.test", INBOUND_SMTP_DOMAINS: "example.test" };

let serial = 0;
/** A plain mail as a client writes it; `to`/`cc` header values as given. */
function mail(o: { from: string; to: string; cc?: string; subject?: string; text?: string }) {
  serial++;
  return Buffer.from(
    [
      `From: ${o.from}`,
      `To: ${o.to}`,
      ...(o.cc ? [`Cc: ${o.cc}`] : []),
      `Subject: ${o.subject ?? "Invoice question"}`,
      `Message-ID: <cc-test-${serial}-${Date.now()}@client.example.org>`,
      "Date: Sun, 06 Dec 2026 10:00:00 +0000",
      "MIME-Version: 1.0",
      "Content-Type: text/plain; charset=utf-8",
      "",
      o.text ?? `Message number ${serial}.`,
      "",
    ].join("\r\n"),
  );
}

describeEachDatabase(
  "CCs of a ticket by mail",
  (world) => {
    const ccsOf = async (deps: Deps, ticketId: number) =>
      (
        await deps.db
          .select()
          .from(ticketCcs)
          .where(eq(ticketCcs.ticketId, ticketId))
          .orderBy(ticketCcs.id)
      ).map((c) => [c.address, c.name]);
    const outboxTo = async (deps: Deps, ticketId: number) =>
      deps.db.select().from(outbox).where(eq(outbox.ticketId, ticketId)).orderBy(outbox.id);

    test("the other people in To and Cc of a new mail become CCs; our own addresses, the sender and staff do not", async () => {
      const { deps } = world();
      const agent = await makeAgent(deps, { email: "agent.smith@corp.example.org" });
      const result = await receiveEmail(
        deps,
        mail({
          from: "Rita Requester <rita@client.example.org>",
          to: 'support@example.test, "Bob Boss" <Bob.Boss@client.example.org>',
          cc: `rita@client.example.org, carol@partner.example.net, help@example.test, ${agent.email}, support+7-abc@example.test`,
        }),
        { to: ["support@example.test"] },
      );
      assert.equal(result.status, "ticket");
      const ticketId = result.ticketId ?? 0;
      assert.deepEqual(await ccsOf(deps, ticketId), [
        ["bob.boss@client.example.org", "Bob Boss"],
        ["carol@partner.example.net", null],
      ]);
      const events = await deps.db
        .select()
        .from(ticketEvents)
        .where(and(eq(ticketEvents.ticketId, ticketId), eq(ticketEvents.kind, "cc_added")));
      assert.deepEqual(events.map((e) => e.toValue).sort(), [
        "bob.boss@client.example.org",
        "carol@partner.example.net",
      ]);
      // The acknowledgement goes to the requester only.
      const acks = (await outboxTo(deps, ticketId)).filter((m) => m.kind === "ticket.received");
      assert.deepEqual(
        acks.map((m) => m.toAddress),
        ["rita@client.example.org"],
      );
      void agent;
    });

    test("CCs get a mail of their own for each public reply, never for an internal note; a CC's reply joins the ticket", async () => {
      const { deps } = world();
      const agent = await makeAgent(deps);
      const opened = await receiveEmail(
        deps,
        mail({
          from: "dora@client.example.org",
          to: "support@example.test",
          cc: "Eve Colleague <eve@client.example.org>",
        }),
        { to: ["support@example.test"] },
      );
      const ticketId = opened.ticketId ?? 0;
      await ticketsService.addReply(deps, agent, ticketId, {
        content: "secret-note-for-staff",
        internal: true,
      });
      await ticketsService.addReply(deps, agent, ticketId, {
        content: "We are on it.",
        waitOnCustomer: true,
      });
      const sent = await outboxTo(deps, ticketId);
      const replies = sent.filter((m) => m.kind === "reply.public");
      assert.deepEqual(replies.map((m) => m.toAddress).sort(), [
        "dora@client.example.org",
        "eve@client.example.org",
      ]);
      const toEve = replies.find((m) => m.toAddress === "eve@client.example.org");
      assert.match(toEve?.textBody ?? "", /Hello Eve Colleague,[\s\S]*We are on it\./);
      assert.ok(
        !toEve?.textBody.includes("dora@"),
        "a CC's mail does not name the requester's address",
      );
      for (const m of sent) {
        assert.ok(
          !m.textBody.includes("secret-note-for-staff"),
          `no note in mail to ${m.toAddress}`,
        );
      }
      assert.equal(sent.filter((m) => m.toAddress === "eve@client.example.org").length, 1);

      // Eve answers the mail she got (reply address, no account yet): it joins the ticket.
      const replyTo = toEve?.headers["Reply-To"] ?? "";
      const answer = await receiveEmail(
        deps,
        mail({
          from: "Eve Colleague <eve@client.example.org>",
          to: replyTo,
          text: "Thanks from Eve.",
        }),
        { to: [replyTo] },
      );
      assert.equal(answer.status, "reply");
      assert.equal(answer.ticketId, ticketId);
      const rows = await deps.db
        .select({ content: messages.content, author: users.email })
        .from(messages)
        .innerJoin(users, eq(users.id, messages.authorId))
        .where(eq(messages.ticketId, ticketId))
        .orderBy(messages.id);
      assert.deepEqual(rows.at(-1), {
        content: "Thanks from Eve.",
        author: "eve@client.example.org",
      });

      // A stranger using the same reply address still gets a ticket of their own.
      const stranger = await receiveEmail(
        deps,
        mail({ from: "mallory@elsewhere.example.com", to: replyTo, text: "Let me in." }),
        { to: [replyTo] },
      );
      assert.equal(stranger.status, "ticket");
      assert.notEqual(stranger.ticketId, ticketId);

      // Removed, Eve is a stranger again, and gets no more copies.
      await ticketsService.removeCc(deps, agent, ticketId, "Eve@client.example.org");
      const after = await receiveEmail(
        deps,
        mail({ from: "eve@client.example.org", to: replyTo, text: "Still here?" }),
        { to: [replyTo] },
      );
      assert.equal(after.status, "ticket");
      assert.notEqual(after.ticketId, ticketId);
      await ticketsService.addReply(deps, agent, ticketId, { content: "Second answer." });
      const later = (await outboxTo(deps, ticketId)).filter(
        (m) => m.kind === "reply.public" && m.textBody.includes("Second answer."),
      );
      assert.deepEqual(
        later.map((m) => m.toAddress),
        ["dora@client.example.org"],
      );
      const inbound = await deps.db
        .select()
        .from(inboundEmails)
        .where(eq(inboundEmails.id, answer.id));
      assert.equal(inbound[0]?.messageRowId !== null, true);
      const [ticket] = await deps.db.select().from(tickets).where(eq(tickets.id, ticketId));
      assert.equal(
        ticket?.status,
        "open",
        "a CC's reply reopens the pending ticket like the customer's",
      );
    });

    test("a mail naming more than 20 others keeps the first 20 as CCs and loses nothing of the mail", async () => {
      const { deps } = world();
      const many = Array.from({ length: 25 }, (_, i) => `person${i}@many.example.org`).join(", ");
      const result = await receiveEmail(
        deps,
        mail({
          from: "frank@client.example.org",
          to: `support@example.test, ${many}`,
          text: "To all.",
        }),
        { to: ["support@example.test"] },
      );
      assert.equal(result.status, "ticket");
      const ccs = await ccsOf(deps, result.ticketId ?? 0);
      assert.equal(ccs.length, 20);
      assert.equal(ccs[0]?.[0], "person0@many.example.org");
      assert.equal(ccs[19]?.[0], "person19@many.example.org");
    });
  },
  { env: ENV },
);
