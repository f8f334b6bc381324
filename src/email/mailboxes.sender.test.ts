import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createTestDatabase, databaseKinds, type TestDatabase } from "../../test/helpers/db.ts";
import { mail, TEST_SECRET_KEY } from "../../test/helpers/dovecot.ts";
import { makeAdmin, makeAgent, makeCustomer, makeTicket } from "../../test/helpers/factories.ts";
import { type SmtpSink, startSmtpSink } from "../../test/helpers/smtp-sink.ts";
import { addReply } from "../tickets/tickets.service.ts";
import { receiveEmail } from "./inbound.service.ts";
import { routedSender } from "./mailboxes.sender.ts";
import { createMailbox } from "./mailboxes.service.ts";
import { smtpSender } from "./smtp.sender.ts";
import { startOutboxWorker } from "./worker.ts";

for (const kind of databaseKinds()) {
  describe(`mail about a mailbox's tickets [${kind}]`, () => {
    let db: TestDatabase;
    let global: SmtpSink;
    let own: SmtpSink;
    before(async () => {
      global = await startSmtpSink();
      own = await startSmtpSink();
      db = await createTestDatabase(kind, {
        MAILBOX_SECRET_KEY: TEST_SECRET_KEY,
        MAIL_FROM: "help@example.test",
        SMTP_URL: global.url,
      });
    });
    after(async () => {
      await db?.close();
      await global?.close();
      await own?.close();
    });

    test("is sent From the mailbox it came in on, over its own SMTP when set, else SMTP_URL", async () => {
      const { deps } = db;
      const admin = await makeAdmin(deps);
      const agent = await makeAgent(deps);
      const base = {
        imapHost: "imap.example.test",
        imapTls: "off",
        imapUser: "u",
        imapSecret: "secret",
      };
      const withSmtp = await createMailbox(deps, admin, {
        ...base,
        address: "sales@shop.example",
        name: "Shop Sales",
        smtpHost: "127.0.0.1",
        smtpPort: String(own.port),
        smtpTls: "off",
      });
      const withoutSmtp = await createMailbox(deps, admin, {
        ...base,
        address: "billing@shop.example",
        name: "",
      });
      const tickets: number[] = [];
      for (const [i, mailbox] of [withSmtp, withoutSmtp].entries()) {
        const result = await receiveEmail(
          deps,
          Buffer.from(mail({ from: `Pat <pat${i}@customer.example>`, subject: `Order ${i}` })),
          { to: [mailbox.address] },
          { mailboxId: mailbox.id, address: mailbox.address, uidValidity: 7, uid: 1 },
        );
        assert.equal(result.status, "ticket");
        assert.ok(result.ticketId);
        tickets.push(result.ticketId);
      }
      const customer = await makeCustomer(deps);
      const webTicket = await makeTicket(deps, customer);
      for (const id of [...tickets, webTicket.id]) {
        await addReply(deps, agent, id, { content: `Answer on ${id}` });
      }
      const worker = startOutboxWorker(
        deps,
        routedSender(deps, smtpSender(deps.config, global.url)),
        { start: false },
      );
      while ((await worker.runOnce()) > 0) {}
      await worker.stop();

      const answer = (sink: SmtpSink, id: number) =>
        sink.mails.find((m) => m.parsed.text?.includes(`Answer on ${id}`));
      const viaOwn = answer(own, tickets[0] ?? 0);
      assert.ok(viaOwn, "the mailbox's own SMTP server got its ticket's reply");
      assert.equal(viaOwn.parsed.from?.value[0]?.address, "sales@shop.example");
      assert.equal(viaOwn.parsed.from?.value[0]?.name, "Shop Sales");
      assert.equal(viaOwn.envelopeFrom, "sales@shop.example");
      assert.equal(viaOwn.parsed.replyTo, undefined, "answers go back to the mailbox");
      assert.equal(answer(global, tickets[0] ?? 0), undefined);

      const viaGlobal = answer(global, tickets[1] ?? 0);
      assert.ok(viaGlobal, "a mailbox without SMTP settings sends through SMTP_URL");
      assert.equal(viaGlobal.parsed.from?.value[0]?.address, "billing@shop.example");
      assert.equal(viaGlobal.parsed.from?.value[0]?.name, "Support", "MAIL_FROM_NAME by default");

      const web = answer(global, webTicket.id);
      assert.ok(web);
      assert.equal(web.parsed.from?.value[0]?.address, "help@example.test");
      assert.match(web.parsed.replyTo?.value[0]?.address ?? "", /^help\+/);
    });
  });
}
