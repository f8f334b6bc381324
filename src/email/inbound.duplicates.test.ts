import assert from "node:assert/strict";
import { test } from "node:test";
import { eq, sql } from "drizzle-orm";
import nodemailer from "nodemailer";
import { apiAs } from "../../test/helpers/api.ts";
import { makeAdmin, makeCustomer, makeTicket } from "../../test/helpers/factories.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { inboundEmails, messages, tickets, users } from "../db/schema/index.ts";
import type { Deps } from "../deps.ts";
import { replyAddress } from "./addresses.ts";
import { startInboundListener } from "./inbound.listener.ts";
import { claimMessageId } from "./inbound.repo.ts";
import { receiveEmail } from "./inbound.service.ts";
import { replySecret } from "./outbox.service.ts";

const ENV = {
  MAIL_FROM: "support@example.test",
  INBOUND_SMTP_DOMAINS: "support@example.test",
  INBOUND_TICKETS_PER_HOUR: "50",
};

let counter = 0;
function rawMail(from: string, to: string, subject: string, body: string, id?: string): string {
  const messageId = id ?? `<dup.${Date.now()}.${++counter}@client.example>`;
  return [
    `From: ${from}`,
    `To: ${to}`,
    `Subject: ${subject}`,
    `Message-ID: ${messageId}`,
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "",
    body,
    "",
  ].join("\r\n");
}

const ticketsOf = async (deps: Deps, email: string) => {
  const [user] = await deps.db.select().from(users).where(eq(users.email, email));
  if (!user) return [];
  return deps.db.select().from(tickets).where(eq(tickets.requesterId, user.id));
};
const inboundOf = (deps: Deps, messageId: string) =>
  deps.db
    .select()
    .from(inboundEmails)
    .where(eq(inboundEmails.messageId, messageId))
    .orderBy(inboundEmails.id);

describeEachDatabase(
  "a Message-ID received twice",
  (world) => {
    test("the same mail over SMTP and then through the API makes one ticket; the second copy is kept and marked ignored", async () => {
      const { deps } = world();
      const from = `dup.${++counter}@example.org`;
      const id = `<same.${Date.now()}@client.example>`;
      const raw = rawMail(
        from,
        "support@example.test",
        "Printer broken",
        "It prints blank pages.",
        id,
      );
      const listener = await startInboundListener(deps, { port: 0, host: "127.0.0.1" });
      try {
        const smtp = nodemailer.createTransport({
          host: "127.0.0.1",
          port: listener.port,
          secure: false,
          ignoreTLS: true,
        });
        await smtp.sendMail({ envelope: { from, to: "support@example.test" }, raw });
        smtp.close();
      } finally {
        await listener.close();
      }
      const api = await apiAs(world(), await makeAdmin(deps));
      const second = await api.post("/inbound/email", raw, { "content-type": "message/rfc822" });
      assert.equal(second.status, 202);
      assert.equal(second.body.status, "ignored");
      assert.match(
        second.body.reason,
        /^duplicate: Message-ID already received as inbound mail #\d+/,
      );

      const made = await ticketsOf(deps, from);
      assert.equal(made.length, 1);
      const rows = await inboundOf(deps, id);
      assert.deepEqual(
        rows.map((r) => r.status),
        ["ticket", "ignored"],
      );
      assert.equal(rows[1]?.ticketId, made[0]?.id);
      assert.equal(rows[1]?.raw.toString(), raw, "the second copy is kept raw");
    });

    test("a reply delivered twice is added once", async () => {
      const { deps } = world();
      const customer = await makeCustomer(deps);
      const ticket = await makeTicket(deps, customer);
      const to = replyAddress(deps.config, await replySecret(deps), ticket.id);
      const raw = Buffer.from(rawMail(customer.email, to, `Re: [#${ticket.id}]`, "Still broken."));
      const first = await receiveEmail(deps, raw, { to: [to] });
      const again = await receiveEmail(deps, raw, { to: [to] });
      assert.equal(first.status, "reply");
      assert.equal(again.status, "ignored");
      const rows = await deps.db.select().from(messages).where(eq(messages.ticketId, ticket.id));
      assert.equal(rows.filter((m) => m.content === "Still broken.").length, 1);
    });

    test("parallel deliveries of one Message-ID make one ticket", async () => {
      const { deps } = world();
      const from = `parallel.${++counter}@example.org`;
      const raw = Buffer.from(rawMail(from, "support@example.test", "Parallel", "Once, please."));
      const results = await Promise.all(
        Array.from({ length: 6 }, () => receiveEmail(deps, raw, { to: ["support@example.test"] })),
      );
      assert.deepEqual(results.map((r) => r.status).sort(), [
        "ignored",
        "ignored",
        "ignored",
        "ignored",
        "ignored",
        "ticket",
      ]);
      assert.equal((await ticketsOf(deps, from)).length, 1);
    });

    test("a copy whose first delivery failed is handled again; mail without a Message-ID is never a duplicate", async () => {
      const { deps } = world();
      const from = `retry.${++counter}@example.org`;
      const id = `<retry.${Date.now()}@client.example>`;
      const raw = Buffer.from(rawMail(from, "support@example.test", "Retry", "Second try.", id));
      // A first copy that failed on the way (stored, then marked failed).
      await deps.db.insert(inboundEmails).values({
        raw,
        envelopeTo: [],
        messageId: id,
        status: "failed",
        reason: "internal error while processing; see the log",
      });
      assert.equal(
        (await receiveEmail(deps, raw, { to: ["support@example.test"] })).status,
        "ticket",
      );

      const bare = Buffer.from(
        `From: ${from}\r\nTo: support@example.test\r\nSubject: No id\r\n\r\nNo Message-ID here.\r\n`,
      );
      const a = await receiveEmail(deps, bare, { to: ["support@example.test"] });
      const b = await receiveEmail(deps, bare, { to: ["support@example.test"] });
      assert.deepEqual([a.status, b.status], ["ticket", "ticket"]);
    });

    test("a delivery waits for a parallel one holding the same Message-ID and then sees it (PostgreSQL)", async (t) => {
      const { deps, kind } = world();
      if (kind !== "postgres") {
        t.skip("PGlite has one connection: deliveries cannot overlap");
        return;
      }
      const id = `<held.${Date.now()}@client.example>`;
      const [mine] = await deps.db
        .insert(inboundEmails)
        .values({ raw: Buffer.from("x"), envelopeTo: [] })
        .returning();
      let release = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      let claimed: Promise<unknown> | undefined;
      let firstId = 0;
      await deps.db.transaction(async (tx) => {
        // What a first delivery does inside claimMessageId, left open for a moment.
        await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${id}, 0))`);
        const [first] = await tx
          .insert(inboundEmails)
          .values({ raw: Buffer.from("x"), envelopeTo: [], messageId: id })
          .returning();
        firstId = first?.id ?? 0;
        claimed = claimMessageId(deps.db, mine?.id ?? 0, id, new Date(Date.now() - 60_000));
        setTimeout(release, 300);
        await held;
      });
      const earlier = (await claimed) as { id: number } | undefined;
      assert.equal(earlier?.id, firstId);
    });
  },
  { env: ENV },
);
