import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, describe, test } from "node:test";
import { eq, sql } from "drizzle-orm";
import { inboundEmails, mailboxMessages } from "../../src/db/schema/index.ts";
import * as repo from "../../src/email/mailboxes.repo.ts";
import { sealSecret } from "../../src/lib/secrets.ts";
import { databaseKinds } from "../helpers/db.ts";
import { type Dovecot, dovecotAvailable, mail, startDovecot } from "../helpers/dovecot.ts";
import { until } from "../helpers/wait.ts";
import { createStore, type Store, startServer, withStore } from "./server.ts";

/**
 * kill -9 of Tessera in the middle of importing a mailbox: after a restart
 * every mail is there exactly once (one ticket each, no second copy), and the
 * server refuses to start, in one line, with a key that cannot open the
 * mailbox's stored password.
 */

const MESSAGES = 150;
const skip = dovecotAvailable() ? false : "dovecot is not installed (scripts/ensure-dovecot.sh)";

for (const kind of databaseKinds()) {
  describe(`a mailbox import killed mid-way [${kind}]`, { skip }, () => {
    let store: Store | undefined;
    let dovecot: Dovecot | undefined;
    after(async () => {
      await dovecot?.close();
      await store?.remove();
    });

    test("after kill -9 and a restart, every mail is present exactly once", async () => {
      const key = randomBytes(32);
      dovecot = await startDovecot();
      const imap = dovecot;
      store = await createStore(kind);
      const mailboxId = await withStore(store, async (deps) => {
        const row = await repo.insertMailbox(deps.db, {
          address: "support@example.test",
          imapHost: imap.host,
          imapPort: imap.port,
          imapTls: "off",
          imapUser: imap.user,
          imapSecret: sealSecret(key, imap.password),
          folder: "INBOX",
        });
        return row.id;
      });
      const raws = Array.from({ length: MESSAGES }, (_, i) =>
        mail({ from: `Customer ${i} <k${i}@kill.example>`, subject: `Kill ${i}` }),
      );
      await imap.deliver(raws, "INBOX");
      const env = {
        MAILBOX_SECRET_KEY: key.toString("base64"),
        MAILBOX_POLL_SECONDS: "1",
        MAILBOX_LEASE_SECONDS: "3",
      };

      const first = await startServer(store, env);
      // Killed once the first batch was flagged on the server and more are under way.
      await until(
        async () => (await imap.status()).unseen < MESSAGES,
        "the import to start",
        60_000,
      );
      first.child.kill("SIGKILL");
      const killed = await first.exited;
      assert.equal(killed.signal, "SIGKILL");
      assert.ok((await imap.status()).unseen > 0, "killed before the end of the import");

      const second = await startServer(store, env);
      await until(async () => (await imap.status()).unseen === 0, "the rest", 180_000);
      await second.stop();

      await withStore(store, async (deps) => {
        const [stored] = await deps.db
          .select({ n: sql<number>`count(*)`.mapWith(Number) })
          .from(mailboxMessages)
          .where(eq(mailboxMessages.mailboxId, mailboxId));
        assert.equal(stored?.n, MESSAGES, "every UID stored once");
        const rows = await deps.db
          .select({
            messageId: inboundEmails.messageId,
            status: inboundEmails.status,
            ticketId: inboundEmails.ticketId,
          })
          .from(inboundEmails);
        const ids = new Set(raws.map((r) => /^Message-ID: (.+)$/m.exec(r)?.[1]?.trim()));
        const ours = rows.filter((r) => ids.has(r.messageId ?? ""));
        assert.equal(ours.length, MESSAGES, "no second copy of any mail");
        assert.ok(ours.every((r) => r.status === "ticket"));
        assert.equal(new Set(ours.map((r) => r.ticketId)).size, MESSAGES, "one ticket each");
      });

      // A key that cannot open the stored password: refused at start, in one clear line.
      const wrongKey = { ...env, MAILBOX_SECRET_KEY: randomBytes(32).toString("base64") };
      await assert.rejects(
        startServer(store, wrongKey),
        /MAILBOX_SECRET_KEY cannot decrypt the stored password of mailbox support@example\.test/,
      );
    });
  });
}
