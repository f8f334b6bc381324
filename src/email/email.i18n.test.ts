import assert from "node:assert/strict";
import { test } from "node:test";
import { eq } from "drizzle-orm";
import { TEST_SECRET_KEY } from "../../test/helpers/dovecot.ts";
import { makeAdmin, makeAgent, makeCustomer, makeTicket } from "../../test/helpers/factories.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { outbox } from "../db/schema/index.ts";
import { receiveEmail } from "./inbound.service.ts";

const lang = (body: string) => /<html lang="([^"]+)"/.exec(body)?.[1];

describeEachDatabase(
  "the email admin pages in the reader's language",
  (world) => {
    test("the outbox reads right to left in Arabic; addresses and errors stay as written", async () => {
      const { deps } = world();
      const ticket = await makeTicket(deps, await makeCustomer(deps), { title: "Undeliverable" });
      const [row] = await deps.db.select().from(outbox).where(eq(outbox.ticketId, ticket.id));
      assert.ok(row);
      await deps.db
        .update(outbox)
        .set({ status: "failed", attempts: 3, lastError: "550 5.1.1 no such user" })
        .where(eq(outbox.id, row.id));
      const admin = await world().signedIn(await makeAdmin(deps));
      const page = await admin.get("/admin/email", { "accept-language": "ar" });
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /<html lang="ar" dir="rtl">/);
      assert.match(page.body, /<h1>البريد<\/h1>/);
      assert.match(page.body, /aria-current="page">البريد الصادر<\/a>/);
      assert.match(page.body, /إرسال البريد متوقف \(لم يُضبط SMTP_URL\)/);
      assert.match(page.body, /aria-current="page">فاشلة: \d+<\/a>/);
      assert.match(page.body, /<th scope="col">الموضوع<\/th>/);
      assert.match(page.body, /550 5\.1\.1 no such user/);
      assert.match(
        page.body,
        new RegExp(
          `إعادة المحاولة<span class="visually-hidden"> للرسالة إلى ${row.toAddress.replace(/[.+]/g, "\\$&")}</span>`,
        ),
      );
      assert.doesNotMatch(page.body, /Outgoing mail|Mail delivery is off|Failed:|Subject|Retry/);

      const pending = await admin.get("/admin/email?status=sent", { "accept-language": "ar" });
      assert.match(pending.body, /لا توجد رسائل مُرسَلة\./);
    });

    test("incoming mail is listed and shown in French", async () => {
      const { deps } = world();
      const head =
        "From: marie@client.example\r\nTo: support@example.test\r\nMessage-ID: <fr-1@client.example>\r\n\r\n";
      // 1,234 bytes in all: the size is shown grouped as French groups digits.
      const raw = Buffer.from(`${head}Bonjour\r\n${"x".repeat(1234 - head.length - 9)}`);
      assert.equal(raw.length, 1234);
      await receiveEmail(deps, raw, { to: ["support@example.test"] });
      const admin = await world().signedIn(await makeAdmin(deps));
      const fr = { "accept-language": "fr" };
      const list = await admin.get("/admin/email?tab=inbound", fr);
      assert.equal(lang(list.body), "fr");
      assert.match(list.body, /<title>Courrier entrant/);
      assert.match(list.body, /<th scope="col">Résultat<\/th>/);
      assert.match(list.body, /\(sans objet\)<\/a>/);
      assert.match(list.body, /Nouveau ticket/);
      const id = /href="\/admin\/email\/inbound\/(\d+)"/.exec(list.body)?.[1];
      assert.ok(id);
      const page = await admin.get(`/admin/email/inbound/${id}`, fr);
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /<dt>Enveloppe<\/dt>/);
      assert.match(page.body, /Retour au courrier entrant/);
      assert.match(page.body, /Télécharger l’original \(1\u202f234 octets\)/);
      assert.doesNotMatch(
        page.body,
        /Envelope|Outcome|Back to incoming mail|Download the original/,
      );
    });

    test("a Brazilian admin gets the mailboxes and their form in Portuguese", async () => {
      const { deps } = world();
      const admin = await world().signedIn(await makeAdmin(deps));
      const pt = { "accept-language": "pt-BR" };
      const empty = await admin.get("/admin/email/mailboxes", pt);
      assert.equal(lang(empty.body), "pt-BR");
      assert.match(empty.body, /Ainda não há caixas de correio\./);
      const form = await admin.get("/admin/email/mailboxes/new", pt);
      assert.equal(form.statusCode, 200);
      assert.match(form.body, /<h1>Adicionar uma caixa de correio<\/h1>/);
      assert.match(form.body, /<legend>IMAP \(entrada\)<\/legend>/);
      assert.match(
        form.body,
        /<option value="tls" selected>TLS \(ex\.: IMAP 993, SMTP 465\)<\/option>/,
      );
      assert.match(form.body, /Marcar como lido \(\\Seen\)/);
      assert.match(form.body, /Armazenado criptografado; nunca é mostrado novamente\./);
      assert.doesNotMatch(form.body, /Add a mailbox|IMAP host|Mark as read|Back to mailboxes/);

      const added = await admin.post(
        "/admin/email/mailboxes",
        {
          address: "ajuda@example.test",
          name: "",
          enabled: "true",
          imapHost: "imap.example.test",
          imapTls: "tls",
          imapPort: "",
          imapUser: "ajuda",
          imapAuth: "password",
          imapSecret: "segredo-123",
          folder: "",
          afterImport: "seen",
          moveTo: "",
          smtpHost: "",
          smtpTls: "starttls",
          smtpPort: "",
          smtpUser: "",
          smtpSecret: "",
        },
        { csrfFrom: "/admin/email/mailboxes/new" },
      );
      assert.equal(added.statusCode, 303);
      const list = await admin.get("/admin/email/mailboxes", pt);
      assert.match(list.body, /<title>Caixas de correio/);
      assert.match(list.body, /<span>Ainda não buscada<\/span>/);
      assert.match(
        list.body,
        /Desativar<span class="visually-hidden"> ajuda@example\.test<\/span>/,
      );
      assert.match(list.body, /<td>Nunca<\/td>/);
      assert.doesNotMatch(list.body, /Not fetched yet|Disable|Never|Last success/);
    });

    test("the notification switch on the account page follows the staff member's language", async () => {
      const { deps } = world();
      const agent = await world().signedIn(await makeAgent(deps));
      const page = await agent.get("/account", { "accept-language": "de" });
      assert.match(page.body, /<h2>E-Mail-Benachrichtigungen<\/h2>/);
      assert.match(page.body, /<button type="submit">Benachrichtigungen speichern<\/button>/);
      assert.doesNotMatch(page.body, /Email notifications|Save notifications/);
    });
  },
  { env: { MAILBOX_SECRET_KEY: TEST_SECRET_KEY } },
);
