import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { eq } from "drizzle-orm";
import { REPLIES_DIR } from "../../test/fixtures/replies/cases.ts";
import { makeCustomer, makeTicket } from "../../test/helpers/factories.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { messages, tickets } from "../db/schema/index.ts";
import type { Deps } from "../deps.ts";
import { replyAddress } from "./addresses.ts";
import { receiveEmail } from "./inbound.service.ts";
import { replySecret } from "./outbox.service.ts";

const ENV = {
  MAIL_FROM: "support@example.test",
  INBOUND_SMTP_DOMAINS: "support@example.test",
  INBOUND_TICKETS_PER_HOUR: "50",
};

/** A plain-text mail as a client writes it (CRLF line ends). */
function mail(headers: Record<string, string>, body: string): Buffer {
  const head = Object.entries({
    "MIME-Version": "1.0",
    "Content-Type": 'text/plain; charset="utf-8"',
    "Content-Transfer-Encoding": "8bit",
    ...headers,
  })
    .map(([k, v]) => `${k}: ${v}`)
    .join("\r\n");
  return Buffer.from(`${head}\r\n\r\n${body.replace(/\n/g, "\r\n")}`);
}

let counter = 0;
const messageId = () => `<test.${Date.now()}.${++counter}@client.example>`;

const messagesOf = (deps: Deps, ticketId: number) =>
  deps.db.select().from(messages).where(eq(messages.ticketId, ticketId)).orderBy(messages.id);

describeEachDatabase(
  "what a ticket shows of a mail",
  (world) => {
    test("a reply shows the new text; the Outlook history is kept in quoted and shown behind Show quoted text", async () => {
      const { deps } = world();
      const customer = await makeCustomer(deps);
      const ticket = await makeTicket(deps, customer);
      const to = replyAddress(deps.config, await replySecret(deps), ticket.id);
      const result = await receiveEmail(
        deps,
        mail(
          {
            From: `Anna <${customer.email}>`,
            To: to,
            Subject: `AW: [#${ticket.id}] Drucker`,
            "Message-ID": messageId(),
          },
          [
            "Der Drucker geht wieder.",
            "",
            "Von: Tessera Support <support@example.test>",
            "Gesendet: Montag, 2. März 2026 10:14",
            `An: Anna <${customer.email}>`,
            `Betreff: [#${ticket.id}] Drucker`,
            "",
            "Bitte starten Sie neu. <script>alert(1)</script>",
          ].join("\n"),
        ),
        { to: [to] },
      );
      assert.equal(result.status, "reply");
      const reply = (await messagesOf(deps, ticket.id)).at(-1);
      assert.equal(reply?.content, "Der Drucker geht wieder.");
      assert.match(reply?.quoted ?? "", /^Von: Tessera Support/);
      assert.match(reply?.quoted ?? "", /Bitte starten Sie neu\. <script>/);

      const page = await (await world().signedIn(customer)).get(`/tickets/${ticket.id}`);
      assert.equal(page.statusCode, 200);
      const details =
        /<details class="quoted"><summary>Show quoted text<\/summary>([\s\S]*?)<\/details>/.exec(
          page.body,
        );
      assert.ok(details, "the quoted text is behind a <details> element");
      assert.match(details[1] ?? "", /Gesendet: Montag, 2\. März 2026 10:14/);
      assert.match(details[1] ?? "", /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
      assert.doesNotMatch(page.body, /<script>alert/);
    });

    test("a message with nothing trimmed stores no quoted text and shows no control", async () => {
      const { deps } = world();
      const result = await receiveEmail(
        deps,
        mail(
          {
            From: "new.person@example.org",
            To: "support@example.test",
            Subject: "Laptop",
            "Message-ID": messageId(),
          },
          "My laptop does not start.\n\nSent from my iPhone\n",
        ),
        { to: ["support@example.test"] },
      );
      assert.equal(result.status, "ticket");
      const [first] = await messagesOf(deps, result.ticketId ?? 0);
      assert.equal(first?.content, "My laptop does not start.\n\nSent from my iPhone");
      assert.equal(first?.quoted, null);
    });

    test("a forwarded invoice opening a ticket is kept whole, as a quoted block with its sender, date and subject", async () => {
      const { deps } = world();
      const result = await receiveEmail(
        deps,
        mail(
          {
            From: "Bea <bea@example.org>",
            To: "support@example.test",
            Subject: "Fwd: Invoice 2026-0311",
            "Message-ID": messageId(),
          },
          [
            "Hello,",
            "",
            "please see the invoice below. We were charged twice.",
            "",
            "---------- Forwarded message ---------",
            "From: Billing <billing@vendor.example>",
            "Date: Mon, 2 Mar 2026 at 08:00",
            "Subject: Invoice 2026-0311",
            "To: <bea@example.org>",
            "",
            "Licence        490.00 EUR",
            "Licence        490.00 EUR",
            "Total          980.00 EUR",
          ].join("\n"),
        ),
        { to: ["support@example.test"] },
      );
      assert.equal(result.status, "ticket");
      const [ticket] = await deps.db
        .select()
        .from(tickets)
        .where(eq(tickets.id, result.ticketId ?? 0));
      assert.equal(ticket?.title, "Invoice 2026-0311");
      const [first] = await messagesOf(deps, result.ticketId ?? 0);
      assert.equal(first?.quoted, null);
      assert.equal(
        first?.content,
        [
          "Hello,",
          "",
          "please see the invoice below. We were charged twice.",
          "",
          "> ---------- Forwarded message ---------",
          "> From: Billing <billing@vendor.example>",
          "> Date: Mon, 2 Mar 2026 at 08:00",
          "> Subject: Invoice 2026-0311",
          "> To: <bea@example.org>",
          ">",
          "> Licence        490.00 EUR",
          "> Licence        490.00 EUR",
          "> Total          980.00 EUR",
        ].join("\n"),
      );
    });

    test("a KOI8-R mail that declares no charset becomes a ticket in readable Russian", async () => {
      const { deps } = world();
      const raw = fs.readFileSync(path.join(REPLIES_DIR, "charsets", "koi8-r-ru.eml"));
      const changed = Buffer.from(
        raw.toString("latin1").replace("<koi8-r-ru@client.example>", messageId()),
        "latin1",
      );
      const result = await receiveEmail(deps, changed, { to: ["support@example.test"] });
      assert.equal(result.status, "ticket");
      const [ticket] = await deps.db
        .select()
        .from(tickets)
        .where(eq(tickets.id, result.ticketId ?? 0));
      assert.equal(ticket?.title, "Принтер не работает");
      const [first] = await messagesOf(deps, result.ticketId ?? 0);
      assert.match(first?.content ?? "", /^Здравствуйте!\n\nПринтер на третьем этаже/);
      assert.doesNotMatch(first?.content ?? "", /\uFFFD/);
    });

    test("a nonsense base64 transfer encoding shows the body as sent, not an empty message", async () => {
      const { deps } = world();
      const result = await receiveEmail(
        deps,
        mail(
          {
            From: "dan@example.org",
            To: "support@example.test",
            Subject: "Broken encoding",
            "Message-ID": messageId(),
            "Content-Transfer-Encoding": "base64",
          },
          "Hello, the printer on floor 3 is broken again.\n",
        ),
        { to: ["support@example.test"] },
      );
      assert.equal(result.status, "ticket");
      const [first] = await messagesOf(deps, result.ticketId ?? 0);
      assert.equal(first?.content, "Hello, the printer on floor 3 is broken again.");
    });
  },
  { env: ENV },
);
