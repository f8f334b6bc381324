import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { eq, inArray, sql } from "drizzle-orm";
import { inboundEmails, mailboxes, mailboxMessages, tickets } from "../../src/db/schema/index.ts";
import type { Deps } from "../../src/deps.ts";
import { createTestDatabase, databaseKinds, type TestDatabase } from "../../test/helpers/db.ts";
import {
  type Dovecot,
  dovecotAvailable,
  mail,
  startDovecot,
  TEST_SECRET_KEY,
} from "../../test/helpers/dovecot.ts";
import { makeAdmin } from "../../test/helpers/factories.ts";
import { until } from "../../test/helpers/wait.ts";
import { type MailboxFetching, startMailboxes } from "./mailboxes.fetcher.ts";
import { createMailbox, type MailboxInput } from "./mailboxes.service.ts";

// Against a real Dovecot (scripts/ensure-dovecot.sh installs it); never a mock.
const skip = dovecotAvailable() ? false : "dovecot is not installed (scripts/ensure-dovecot.sh)";

async function ticketCount(deps: Deps, messageIds: string[]): Promise<number> {
  const rows = await deps.db
    .select({ n: sql<number>`count(distinct ${inboundEmails.ticketId})`.mapWith(Number) })
    .from(inboundEmails)
    .where(inArray(inboundEmails.messageId, messageIds));
  return rows[0]?.n ?? 0;
}

async function inboundByMessageId(deps: Deps, messageId: string) {
  return deps.db.select().from(inboundEmails).where(eq(inboundEmails.messageId, messageId));
}

async function mailboxRow(deps: Deps, id: number) {
  const [row] = await deps.db.select().from(mailboxes).where(eq(mailboxes.id, id));
  assert.ok(row);
  return row;
}

const idOf = (raw: string) => /^Message-ID: (.+)$/m.exec(raw)?.[1]?.trim() ?? "";

for (const kind of databaseKinds()) {
  describe(`mailbox fetching from Dovecot [${kind}]`, { skip }, () => {
    let db: TestDatabase;
    let deps: Deps;
    let dovecot: Dovecot;
    let fetching: MailboxFetching | undefined;
    let admin: Awaited<ReturnType<typeof makeAdmin>>;

    before(async () => {
      db = await createTestDatabase(kind, { MAILBOX_SECRET_KEY: TEST_SECRET_KEY });
      deps = db.deps;
      dovecot = await startDovecot();
      admin = await makeAdmin(deps);
    });
    after(async () => {
      await fetching?.stop();
      await dovecot?.close();
      await db?.close();
    });

    const addMailbox = (input: MailboxInput = {}) =>
      createMailbox(deps, admin, {
        address: `support-${Math.random().toString(36).slice(2, 8)}@example.test`,
        name: "Support",
        imapHost: dovecot.host,
        imapPort: String(dovecot.port),
        imapTls: "off",
        imapUser: dovecot.user,
        imapSecret: dovecot.password,
        ...input,
      });

    test("a mail appended while connected becomes a ticket through IDLE, and is then flagged seen", async () => {
      const folder = "Idle";
      await dovecot.append([], folder);
      const mailbox = await addMailbox({ folder });
      // A poll far longer than the deadline: only IDLE can bring the mail in time.
      fetching = startMailboxes(deps, { pollMs: 60_000, leaseMs: 30_000 });
      await until(
        async () => (await mailboxRow(deps, mailbox.id)).lastSuccessAt !== null,
        "the first fetch",
      );
      const raw = mail({ subject: "Printer jammed" });
      await dovecot.append([raw], folder);
      await until(async () => (await ticketCount(deps, [idOf(raw)])) === 1, "the ticket");
      const [row] = await inboundByMessageId(deps, idOf(raw));
      assert.equal(row?.status, "ticket");
      assert.ok(row?.raw.toString("utf8").includes("Printer jammed"), "the raw message is kept");
      const [ticket] = await deps.db
        .select()
        .from(tickets)
        .where(eq(tickets.id, row?.ticketId ?? 0));
      assert.equal(ticket?.title, "Printer jammed");
      assert.equal(ticket?.channel, "email");
      await until(async () => (await dovecot.status(folder)).unseen === 0, "the \\Seen flag");
      await fetching.stop();
      fetching = undefined;
      assert.equal(
        (await mailboxRow(deps, mailbox.id)).leaseToken,
        null,
        "the claim is given back",
      );
    });

    test("a message that cannot be handled is kept as failed and the ones after it still arrive", async () => {
      const folder = "Broken";
      const broken =
        "Subject: no sender at all\r\nMessage-ID: <broken.1@x.example>\r\n\r\nhello\r\n";
      const good = mail({ subject: "After the broken one" });
      await dovecot.append([broken, good], folder);
      await addMailbox({ folder });
      fetching = startMailboxes(deps, { pollMs: 500, leaseMs: 30_000 });
      await until(async () => (await ticketCount(deps, [idOf(good)])) === 1, "the good mail");
      const [failed] = await inboundByMessageId(deps, "<broken.1@x.example>");
      assert.equal(failed?.status, "failed");
      assert.match(failed?.reason ?? "", /sender/);
      assert.equal((await dovecot.status(folder)).unseen, 0, "neither is fetched again");
      await fetching.stop();
      fetching = undefined;
    });

    test("a message over INBOUND_MAX_MB is not downloaded: its headers are kept as failed, and the next one arrives", async () => {
      const folder = "Huge";
      const huge = mail({ subject: "A huge scan", body: "x".repeat(20_000) });
      const small = mail({ subject: "After the huge one" });
      await dovecot.append([huge, small], folder);
      const mailbox = await addMailbox({ folder });
      // A limit of 8 KB for this fetcher (the setting's smallest value is 1 MB).
      const limited = { ...deps, config: { ...deps.config, inboundMaxBytes: 8 * 1024 } };
      fetching = startMailboxes(limited, { pollMs: 500, leaseMs: 30_000 });
      await until(async () => (await ticketCount(deps, [idOf(small)])) === 1, "the small mail");
      const kept = await deps.db
        .select({
          status: inboundEmails.status,
          reason: inboundEmails.reason,
          raw: inboundEmails.raw,
        })
        .from(mailboxMessages)
        .innerJoin(inboundEmails, eq(inboundEmails.id, mailboxMessages.inboundId))
        .where(eq(mailboxMessages.mailboxId, mailbox.id));
      assert.equal(kept.length, 2);
      const failed = kept.find((k) => k.status === "failed");
      assert.match(failed?.reason ?? "", /larger than INBOUND_MAX_MB.*only its headers are kept/);
      const raw = Buffer.from(failed?.raw ?? "").toString("utf8");
      assert.match(raw, /Subject: A huge scan/);
      assert.ok(raw.length < 2_000, `only the headers: ${raw.length} bytes`);
      assert.equal((await dovecot.status(folder)).unseen, 0, "neither is fetched again");
      await fetching.stop();
      fetching = undefined;
    });

    test("after Dovecot restarts the mailbox shows the error, then reconnects by itself", async () => {
      const folder = "Restart";
      await dovecot.append([], folder);
      const mailbox = await addMailbox({ folder });
      fetching = startMailboxes(deps, {
        pollMs: 500,
        leaseMs: 30_000,
        retryMs: 200,
        maxRetryMs: 1_000,
      });
      await until(
        async () => (await mailboxRow(deps, mailbox.id)).lastSuccessAt !== null,
        "first fetch",
      );
      await dovecot.stop();
      await until(async () => (await mailboxRow(deps, mailbox.id)).lastError !== null, "the error");
      const down = await mailboxRow(deps, mailbox.id);
      assert.match(down.lastError ?? "", /closed|refused|lost/i);
      await dovecot.start();
      const raw = mail({ subject: "Sent while Tessera was away" });
      await dovecot.append([raw], folder);
      await until(
        async () => (await ticketCount(deps, [idOf(raw)])) === 1,
        "the mail after the restart",
      );
      await until(async () => {
        const up = await mailboxRow(deps, mailbox.id);
        return !!(up.lastSuccessAt && up.lastErrorAt && up.lastSuccessAt > up.lastErrorAt);
      }, "a success after the error");
      await fetching.stop();
      fetching = undefined;
    });

    test("a UIDVALIDITY change neither doubles what was imported nor loses what is new", async () => {
      const folder = "Renumbered";
      const a = mail({ subject: "First" });
      const b = mail({ subject: "Second" });
      await dovecot.append([a, b], folder);
      const mailbox = await addMailbox({ folder });
      fetching = startMailboxes(deps, {
        pollMs: 300,
        leaseMs: 30_000,
        retryMs: 200,
        maxRetryMs: 1_000,
      });
      await until(async () => (await ticketCount(deps, [idOf(a), idOf(b)])) === 2, "the first two");
      const before = (await mailboxRow(deps, mailbox.id)).uidValidity;
      // The folder is made again while Tessera is away (a server migration or restore):
      // a new UIDVALIDITY, the same two messages back unseen under new UIDs, and a new one.
      await fetching.stop();
      const c = mail({ subject: "Third" });
      const client = await dovecot.client();
      try {
        await client.mailboxDelete(folder);
        await client.mailboxCreate(folder);
        for (const raw of [a, b, c]) await client.append(folder, raw);
      } finally {
        await client.logout();
      }
      fetching = startMailboxes(deps, { pollMs: 300, leaseMs: 30_000 });
      await until(async () => (await ticketCount(deps, [idOf(c)])) === 1, "the new one");
      await until(async () => (await dovecot.status(folder)).unseen === 0, "all flagged");
      assert.notEqual((await mailboxRow(deps, mailbox.id)).uidValidity, before);
      assert.equal(await ticketCount(deps, [idOf(a), idOf(b), idOf(c)]), 3, "one ticket each");
      for (const raw of [a, b]) {
        const rows = await inboundByMessageId(deps, idOf(raw));
        assert.deepEqual(rows.map((r) => r.status).sort(), ["ignored", "ticket"]);
      }
      await fetching.stop();
      fetching = undefined;
    });

    test("a 1,000-message backlog is imported exactly once", async () => {
      const folder = "Backlog";
      const raws = Array.from({ length: 1000 }, (_, i) =>
        mail({ from: `Customer ${i} <c${i}@backlog.example>`, subject: `Backlog ${i}` }),
      );
      await dovecot.deliver(raws, folder);
      const mailbox = await addMailbox({ folder });
      const started = Date.now();
      fetching = startMailboxes(deps, { pollMs: 1_000, leaseMs: 30_000 });
      const count = async () => {
        const [row] = await deps.db
          .select({ n: sql<number>`count(*)`.mapWith(Number) })
          .from(mailboxMessages)
          .where(eq(mailboxMessages.mailboxId, mailbox.id));
        return row?.n ?? 0;
      };
      // Well under a minute on an idle machine; the deadline leaves room for a busy CI.
      await until(async () => (await count()) === 1000, "1,000 stored", 300_000);
      const seconds = (Date.now() - started) / 1000;
      await until(async () => (await dovecot.status(folder)).unseen === 0, "all flagged");
      await fetching.stop();
      fetching = undefined;
      assert.equal(await ticketCount(deps, raws.map(idOf)), 1000, "one ticket per message");
      const statuses = await deps.db
        .select({ status: inboundEmails.status, n: sql<number>`count(*)`.mapWith(Number) })
        .from(inboundEmails)
        .innerJoin(mailboxMessages, eq(mailboxMessages.inboundId, inboundEmails.id))
        .where(eq(mailboxMessages.mailboxId, mailbox.id))
        .groupBy(inboundEmails.status);
      assert.deepEqual(statuses, [{ status: "ticket", n: 1000 }]);
      console.log(`# ${kind}: 1,000 messages in ${seconds.toFixed(1)} s`);
    });

    test("wrong password: the mailbox shows why, without the password", async () => {
      const mailbox = await addMailbox({ imapSecret: "not-the-password-42" });
      fetching = startMailboxes(deps, { pollMs: 500, leaseMs: 30_000, retryMs: 200 });
      await until(async () => (await mailboxRow(deps, mailbox.id)).lastError !== null, "the error");
      const row = await mailboxRow(deps, mailbox.id);
      assert.match(row.lastError ?? "", /Sign-in refused/);
      assert.ok(!row.lastError?.includes("not-the-password-42"));
      assert.ok(!row.imapSecret?.includes("not-the-password-42"), "stored sealed");
      assert.equal(row.lastSuccessAt, null);
      await fetching.stop();
      fetching = undefined;
    });

    test("a certificate the system does not trust: the mailbox shows a TLS error", async () => {
      const tls = await startDovecot({ tls: true });
      try {
        const mailbox = await addMailbox({ imapTls: "tls", imapPort: String(tls.port) });
        fetching = startMailboxes(deps, { pollMs: 500, leaseMs: 30_000, retryMs: 200 });
        await until(
          async () => (await mailboxRow(deps, mailbox.id)).lastError !== null,
          "the error",
        );
        const row = await mailboxRow(deps, mailbox.id);
        assert.match(row.lastError ?? "", /^TLS error with 127\.0\.0\.1:\d+: .*certificate/i);
        assert.equal(row.lastSuccessAt, null);
        await fetching.stop();
        fetching = undefined;
      } finally {
        await tls.close();
      }
    });

    test("one node at a time: a claim held by a dead node is taken over when it runs out", async () => {
      const folder = "Lease";
      const raw = mail({ subject: "Waiting for a live node" });
      await dovecot.append([raw], folder);
      const mailbox = await addMailbox({ folder });
      // A node claimed it and died: nobody renews its lease of two seconds.
      await deps.db
        .update(mailboxes)
        .set({ leaseToken: "dead-node", leaseUntil: sql`now() + interval '2 seconds'` })
        .where(eq(mailboxes.id, mailbox.id));
      const nodeA = startMailboxes(deps, { pollMs: 200, leaseMs: 10_000 });
      const nodeB = startMailboxes(deps, { pollMs: 200, leaseMs: 10_000 });
      let both = 0;
      let either = 0;
      const sample = setInterval(() => {
        const holders = [nodeA, nodeB].filter((n) => n.active().includes(mailbox.id)).length;
        if (holders === 2) both++;
        if (holders >= 1) either++;
      }, 5);
      try {
        assert.equal(await ticketCount(deps, [idOf(raw)]), 0);
        await until(
          async () => (await ticketCount(deps, [idOf(raw)])) === 1,
          "the takeover",
          20_000,
        );
        assert.ok(either > 0, "a live node took the mailbox over");
        assert.equal(both, 0, "never two nodes at once");
        assert.equal((await inboundByMessageId(deps, idOf(raw))).length, 1, "fetched once");
      } finally {
        clearInterval(sample);
        await Promise.all([nodeA.stop(), nodeB.stop()]);
      }
    });
  });
}
