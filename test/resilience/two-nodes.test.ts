import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { SIGN_IN_LIMITS } from "../../src/accounts/accounts.service.ts";
import { expectedMigrations } from "../../src/platform/health.ts";
import { type SmtpSink, startSmtpSink } from "../helpers/smtp-sink.ts";
import { withSql } from "./checks.ts";
import {
  type Account,
  api,
  createStore,
  type Server,
  type Store,
  seedAccounts,
  sleep,
  startServer,
  Visitor,
} from "./server.ts";

/**
 * Two app processes on different ports against one PostgreSQL database, as
 * behind a load balancer: all shared state is in the database, so either node
 * serves what the other wrote, and a session or a sign-in limit spans both.
 * Both nodes run the outbox worker against one SMTP sink: each mail goes out once.
 */

describe("two app nodes on one PostgreSQL", {
  skip: !process.env.TEST_DATABASE_URL && "TEST_DATABASE_URL is not set",
}, () => {
  let store: Store;
  let a: Server;
  let b: Server;
  let customer: Account;
  let sink: SmtpSink;

  before(async () => {
    store = await createStore("postgres");
    sink = await startSmtpSink();
    // One customer opens 20 tickets below: every acknowledgement must go out, so the
    // per-address limit on automatic mail (loop protection) is raised past them.
    const env = { SMTP_URL: sink.url, AUTO_REPLY_LIMIT_PER_HOUR: "100" };
    // Both start at once on an empty database: migrations run once, under an advisory lock.
    [a, b] = await Promise.all([startServer(store, env), startServer(store, env)]);
    [customer] = (await seedAccounts(store, 1)) as [Account];
  });

  after(async () => {
    const exits = await Promise.all([a?.stop(), b?.stop()]);
    await store?.remove();
    await sink?.close();
    for (const exit of exits) assert.deepEqual(exit, { code: 0, signal: null });
  });

  test("both started together on an empty database, and the migrations ran once", async () => {
    await withSql(store, async (query) => {
      const rows = await query<{ created_at: string }>(
        "SELECT created_at FROM drizzle.__drizzle_migrations ORDER BY id",
      );
      assert.deepEqual(
        rows.map((r) => Number(r.created_at)),
        expectedMigrations().map((m) => m.when),
      );
    });
    for (const node of [a, b]) {
      assert.equal((await fetch(`${node.url}/readyz`)).status, 200);
    }
  });

  test("a ticket opened on one node is seen on the other at once, and so is a reply", async () => {
    const title = `Two nodes ${Date.now()}`;
    const created = await api(a, customer.token, "POST", "/tickets", {
      title,
      description: "Opened on node A.",
    });
    assert.equal(created.status, 201);
    const id = (created.body as { id: number }).id;

    const onB = await api(b, customer.token, "GET", `/tickets/${id}`);
    assert.equal(onB.status, 200);
    assert.equal((onB.body as { title: string }).title, title);
    const listed = await api(b, customer.token, "GET", "/tickets");
    assert.ok((listed.body as { data: { id: number }[] }).data.some((t) => t.id === id));

    const reply = await api(b, customer.token, "POST", `/tickets/${id}/messages`, {
      content: "Answered through node B.",
    });
    assert.equal(reply.status, 201);
    const onA = await api(a, customer.token, "GET", `/tickets/${id}/messages`);
    assert.deepEqual(
      (onA.body as { data: { content: string }[] }).data.map((m) => m.content),
      ["Opened on node A.", "Answered through node B."],
    );
  });

  test("a session made on one node works on the other, forms included, and sign-out ends it on both", async () => {
    const visitor = new Visitor();
    await visitor.get(a, "/login");
    const signIn = await visitor.post(a, "/login", {
      email: customer.email,
      password: customer.password,
    });
    assert.equal(signIn.status, 303, signIn.body.slice(0, 300));

    // A form loaded from node A is posted to node B: the CSRF secret is shared too.
    const page = await visitor.get(a, "/tickets/new");
    assert.equal(page.status, 200);
    const title = `Form across nodes ${Date.now()}`;
    const posted = await visitor.post(b, "/tickets", {
      title,
      description: "Posted to B with A's form.",
      priority: "normal",
    });
    assert.equal(posted.status, 303, posted.body.slice(0, 300));
    assert.match(posted.location, /^\/tickets\/\d+\?notice=created$/);

    const mine = await visitor.get(b, "/tickets");
    assert.equal(mine.status, 200);
    assert.ok(mine.body.includes(title));

    await visitor.get(b, "/account");
    const before = visitor.clone();
    const signOut = await visitor.post(b, "/logout", {});
    assert.equal(signOut.status, 303);
    // The cookie from before sign-out no longer opens anything on node A.
    const afterSignOut = await before.get(a, "/tickets");
    assert.equal(afterSignOut.status, 303);
    assert.match(afterSignOut.location, /^\/login/);
  });

  test("sign-in attempts are limited across both nodes together, not per node", async () => {
    const visitor = new Visitor();
    const statuses: number[] = [];
    for (let i = 0; i <= SIGN_IN_LIMITS.perAccount; i++) {
      const node = i % 2 === 0 ? a : b;
      await visitor.get(node, "/login");
      const attempt = await visitor.post(node, "/login", {
        email: customer.email,
        password: "not the password",
      });
      statuses.push(attempt.status);
    }
    // Each node saw only about half the attempts; the limit still applied to their sum.
    assert.deepEqual(statuses, [...Array(SIGN_IN_LIMITS.perAccount).fill(401), 429]);
  });

  test("outgoing mail goes out once although both nodes run the outbox worker", async () => {
    const opened = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        api(i % 2 ? a : b, customer.token, "POST", "/tickets", {
          title: `Mail once ${i}`,
          description: "Each of these queues an acknowledgement.",
        }),
      ),
    );
    for (const response of opened) assert.equal(response.status, 201);

    let queued: { message_id: string; status: string }[] = [];
    const deadline = Date.now() + 60_000;
    for (;;) {
      queued = await withSql(store, (query) =>
        query<{ message_id: string; status: string }>("SELECT message_id, status FROM outbox"),
      );
      if (queued.length >= 20 && queued.every((row) => row.status !== "pending")) break;
      assert.ok(Date.now() < deadline, `outbox not drained: ${JSON.stringify(queued)}`);
      await sleep(250);
    }
    assert.deepEqual(
      queued.filter((row) => row.status !== "sent"),
      [],
    );
    await sink.waitFor(queued.length);
    await sleep(1_000); // a duplicate would arrive about now
    const sent = sink.mails.map((mail) => mail.messageId).sort();
    assert.equal(new Set(sent).size, sent.length, "a mail was sent twice");
    assert.deepEqual(sent, queued.map((row) => row.message_id).sort());
  });
});
