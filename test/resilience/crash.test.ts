import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, describe, test } from "node:test";
import { scaled } from "../helpers/time.ts";
import { amcheckAll, halfWritten, withSql } from "./checks.ts";
import {
  type Account,
  api,
  createStore,
  type Server,
  type Store,
  seedAccounts,
  sleep,
  startServer,
} from "./server.ts";

/**
 * Nothing acknowledged is lost: 200 clients open tickets and reply through the
 * API while the server process is killed with SIGKILL; after a restart every
 * request that got a 2xx is there in full, nothing half-written is visible,
 * and PostgreSQL's own checks (amcheck) pass.
 */

const CLIENTS = 200;
const ACCOUNTS = 10;
const REPLIES_PER_TICKET = 2;
// The kill comes once this many writes were acknowledged, or after LOAD_MS with at least MIN_ACKED.
const KILL_AFTER_ACKED = 600;
const LOAD_MS = 8_000;
const MIN_ACKED = 30;

interface Outcome {
  tickets: Map<number, { title: string; description: string; requesterId: number }>;
  replies: Map<number, { ticketId: number; content: string }>;
  /** Requests sent but never answered (the kill cut them off): either fully there or not at all. */
  unanswered: { titles: Set<string>; contents: Set<string> };
  /** Answers that were neither 201 nor a cut connection (none expected). */
  unexpected: string[];
}

/** Clients open tickets and reply to them until the server dies under them; then `kill` resolves. */
async function loadUntilKilled(server: Server, accounts: Account[], run: string) {
  const outcome: Outcome = {
    tickets: new Map(),
    replies: new Map(),
    unanswered: { titles: new Set(), contents: new Set() },
    unexpected: [],
  };
  let acked = 0;
  const client = async (c: number) => {
    const account = accounts[c % accounts.length];
    if (!account) throw new Error("no account");
    for (let seq = 0; ; seq++) {
      const title = `crash ${run} client ${c} ticket ${seq}`;
      const description = `First message of ${title}: ${randomBytes(6).toString("hex")}`;
      let created: Awaited<ReturnType<typeof api>>;
      try {
        created = await api(server, account.token, "POST", "/tickets", { title, description });
      } catch {
        outcome.unanswered.titles.add(title);
        return;
      }
      if (created.status !== 201) {
        outcome.unexpected.push(`POST /tickets ${created.status} ${JSON.stringify(created.body)}`);
        continue;
      }
      const id = (created.body as { id: number }).id;
      outcome.tickets.set(id, { title, description, requesterId: account.id });
      acked++;
      for (let r = 0; r < REPLIES_PER_TICKET; r++) {
        const content = `Reply ${r} on ${title}`;
        let replied: Awaited<ReturnType<typeof api>>;
        try {
          replied = await api(server, account.token, "POST", `/tickets/${id}/messages`, {
            content,
          });
        } catch {
          outcome.unanswered.contents.add(content);
          return;
        }
        if (replied.status !== 201) {
          outcome.unexpected.push(
            `POST messages ${replied.status} ${JSON.stringify(replied.body)}`,
          );
          continue;
        }
        outcome.replies.set((replied.body as { id: number }).id, { ticketId: id, content });
        acked++;
      }
    }
  };
  const clients = Array.from({ length: CLIENTS }, (_, c) => client(c));

  const started = Date.now();
  for (;;) {
    const elapsed = Date.now() - started;
    if (acked >= KILL_AFTER_ACKED || (elapsed >= LOAD_MS && acked >= MIN_ACKED)) break;
    if (elapsed > 4 * LOAD_MS)
      throw new Error(`only ${acked} writes acknowledged in ${elapsed} ms`);
    await sleep(20);
  }
  server.child.kill("SIGKILL");
  const exit = await server.exited;
  await Promise.all(clients);
  return { outcome, exit, loadMs: Date.now() - started };
}

async function crashAndCheck(store: Store, t: { diagnostic(message: string): void }) {
  const accounts = await seedAccounts(store, ACCOUNTS);
  const run = randomBytes(4).toString("hex");
  const first = await startServer(store);
  const { outcome, exit, loadMs } = await loadUntilKilled(first, accounts, run);
  assert.equal(exit.signal, "SIGKILL");
  assert.deepEqual(outcome.unexpected, [], "every answer before the kill was a 201");
  const unanswered = outcome.unanswered.titles.size + outcome.unanswered.contents.size;
  t.diagnostic(
    `${outcome.tickets.size} tickets and ${outcome.replies.size} replies acknowledged in ${loadMs} ms; ${unanswered} requests cut off by SIGKILL`,
  );
  assert.ok(unanswered > 0, "the kill came while requests were in flight");

  // Restart on the same data: it must come up ready and serve what it acknowledged.
  const second = await startServer(store);
  try {
    const tokenOf = new Map(accounts.map((a) => [a.id, a.token]));
    const sample = [...outcome.tickets].slice(-25);
    for (const [id, ticket] of sample) {
      const token = tokenOf.get(ticket.requesterId) ?? "";
      const shown = await api(second, token, "GET", `/tickets/${id}`);
      assert.equal(shown.status, 200, `ticket ${id} after restart`);
      assert.equal((shown.body as { title: string }).title, ticket.title);
      const listed = await api(second, token, "GET", `/tickets/${id}/messages`);
      assert.equal(listed.status, 200);
      const contents = (listed.body as { data: { content: string }[] }).data.map((m) => m.content);
      assert.equal(contents[0], ticket.description);
      for (const reply of outcome.replies.values()) {
        if (reply.ticketId === id) assert.ok(contents.includes(reply.content), reply.content);
      }
    }
  } finally {
    const stopped = await second.stop();
    assert.equal(stopped.code, 0, `restarted server exit:\n${second.log()}`);
  }

  await withSql(store, async (query) => {
    const tickets = await query<{
      id: number;
      title: string;
      description: string;
      requester_id: number;
    }>("SELECT id, title, description, requester_id FROM tickets");
    const byId = new Map(tickets.map((row) => [row.id, row]));
    for (const [id, expected] of outcome.tickets) {
      const row = byId.get(id);
      assert.ok(row, `acknowledged ticket ${id} is missing`);
      assert.equal(row.title, expected.title);
      assert.equal(row.description, expected.description);
      assert.equal(row.requester_id, expected.requesterId);
    }
    // Nothing invented: every ticket is one a client asked for.
    const acknowledgedTitles = new Set([...outcome.tickets.values()].map((x) => x.title));
    for (const row of tickets) {
      assert.ok(
        acknowledgedTitles.has(row.title) || outcome.unanswered.titles.has(row.title),
        `unexpected ticket ${row.title}`,
      );
    }

    const messages = await query<{ id: number; ticket_id: number; content: string }>(
      "SELECT id, ticket_id, content FROM messages",
    );
    const messageById = new Map(messages.map((m) => [m.id, m]));
    for (const [id, reply] of outcome.replies) {
      const row = messageById.get(id);
      assert.ok(row, `acknowledged reply ${id} is missing`);
      assert.equal(row.ticket_id, reply.ticketId);
      assert.equal(row.content, reply.content);
    }
    const replyContents = new Set([...outcome.replies.values()].map((r) => r.content));
    const descriptions = new Set(tickets.map((row) => row.description));
    for (const m of messages) {
      assert.ok(
        descriptions.has(m.content) ||
          replyContents.has(m.content) ||
          outcome.unanswered.contents.has(m.content),
        `unexpected message ${m.content}`,
      );
    }

    assert.deepEqual(await halfWritten(query), {
      ticketWithoutFirstMessage: [],
      ticketWithoutCreatedEvent: [],
      messageWithoutTicket: [],
      eventWithoutTicket: [],
    });
    const check = await amcheckAll(query);
    assert.deepEqual(check.problems, []);
    assert.ok(check.indexes >= 10, `amcheck checked ${check.indexes} indexes`);
    t.diagnostic(
      `database after restart: ${tickets.length} tickets, ${messages.length} messages; amcheck passed on ${check.indexes} indexes and ${check.tables} tables`,
    );
  });
}

const SLOW = { timeout: scaled(600_000) };
const stores: Store[] = [];
after(async () => {
  for (const store of stores) await store.remove();
});

describe("crash: SIGKILL under load loses nothing acknowledged", () => {
  test("on the embedded database (PGlite data directory)", SLOW, async (t) => {
    const store = await createStore("pglite");
    stores.push(store);
    await crashAndCheck(store, t);
  });

  test("on PostgreSQL", {
    ...SLOW,
    skip: !process.env.TEST_DATABASE_URL && "TEST_DATABASE_URL is not set",
  }, async (t) => {
    const store = await createStore("postgres");
    stores.push(store);
    await crashAndCheck(store, t);
  });
});
