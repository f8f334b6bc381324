import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { inArray } from "drizzle-orm";
import type { FastifyInstance } from "fastify";
import { ApiClient } from "../../test/helpers/api.ts";
import {
  makeAgent,
  makeCustomer,
  makeTicket,
  type TestUser,
} from "../../test/helpers/factories.ts";
import { createScratchDatabase, type ScratchDatabase } from "../../test/helpers/postgres.ts";
import { buildApp } from "../app.ts";
import { loadConfig } from "../config.ts";
import { type Database, openDatabase } from "../db/client.ts";
import { tickets as ticketsTable } from "../db/schema/index.ts";
import type { Deps } from "../deps.ts";
import { composeDeps } from "../reactions.ts";
import { createToken } from "../tokens/tokens.service.ts";
import type { Priority } from "./lifecycle.ts";
import { updateTicket } from "./tickets.service.ts";

// A reader node following the change feed over the API while a writer node (its own
// connection pool, so truly concurrent transactions) changes tickets.
const adminUrl = process.env.TEST_DATABASE_URL;
const silent: Deps["log"] = { info() {}, warn() {}, error() {}, debug() {} };
const PRIORITIES: Priority[] = ["low", "normal", "high", "urgent"];

type Row = { id: number; version: number; priority: Priority };
type FeedPage = { status: number; body: { data: Row[]; nextCursor: string } };

describe("the change feed on PostgreSQL with writers running during the walk", {
  skip: !adminUrl && "TEST_DATABASE_URL is not set",
}, () => {
  let scratch: ScratchDatabase;
  let nodes: Database[] = [];
  let writer: Deps;
  let reader: Deps;
  let app: FastifyInstance;
  let agent: TestUser;
  let customer: TestUser;
  let api: ApiClient;

  before(async () => {
    scratch = await createScratchDatabase();
    nodes = [
      await openDatabase({ kind: "postgres", url: scratch.url, poolMax: 8 }),
      await openDatabase({ kind: "postgres", url: scratch.url, poolMax: 2 }),
    ];
    await nodes[0]?.migrate();
    const config = loadConfig({ LOG_LEVEL: "silent" });
    const [w, r] = nodes.map((node) => composeDeps({ db: node.db, config, log: silent }));
    assert.ok(w && r);
    writer = w;
    reader = r;
    app = await buildApp({ db: reader.db, config, events: reader.events });
    await app.ready();
    agent = await makeAgent(writer);
    customer = await makeCustomer(writer);
    api = new ApiClient(app, (await createToken(reader, agent, { name: "feed" })).token);
  });
  after(async () => {
    await app?.close();
    for (const node of nodes) await node.close();
    await scratch?.drop();
  });

  async function page(cursor: string, limit = 100): Promise<FeedPage> {
    const res: FeedPage = await api.get(
      `/tickets?updatedSince=${encodeURIComponent(cursor)}&limit=${limit}`,
    );
    assert.equal(res.status, 200);
    return res;
  }

  test("a change whose transaction began first but commits last is not skipped, though its updatedAt is older", async () => {
    const first = await makeTicket(writer, customer);
    const second = await makeTicket(writer, customer);
    let cursor = (await page("now")).body.nextCursor;
    const seen: Row[] = [];

    // A: changes the first ticket and stays open. B: changes the second and commits.
    let wrote!: () => void;
    const written = new Promise<void>((resolve) => {
      wrote = resolve;
    });
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow = writer.db.transaction(async (tx) => {
      await updateTicket(writer, agent, first.id, { priority: "urgent" }, { tx });
      wrote();
      await released;
    });
    await written;
    await sleep(20);
    await updateTicket(writer, agent, second.id, { priority: "low" });

    // While A is open the reader may move on (B is committed) ...
    const during = await page(cursor);
    seen.push(...during.body.data);
    cursor = during.body.nextCursor;
    release();
    await slow;

    // ... and A's change still comes after the cursor it was given.
    const [a, b] = await writer.db
      .select({ id: ticketsTable.id, updatedAt: ticketsTable.updatedAt })
      .from(ticketsTable)
      .where(inArray(ticketsTable.id, [first.id, second.id]))
      .orderBy(ticketsTable.id);
    assert.ok(a && b && a.updatedAt < b.updatedAt, "A's timestamp is the older one");
    const deadline = Date.now() + 20_000;
    // Until both changes are released: another test's transaction on the shared server,
    // begun between A and B and still running, holds B back after A is out.
    const changed = (id: number) => seen.some((r) => r.id === id && r.version > 1);
    while (!(changed(first.id) && changed(second.id)) && Date.now() < deadline) {
      const next = await page(cursor);
      seen.push(...next.body.data);
      cursor = next.body.nextCursor;
      if (next.body.data.length === 0) await sleep(50);
    }
    // (`now` may also give the two creations, which happened just before it.)
    assert.deepEqual(
      seen
        .filter((r) => (r.id === first.id || r.id === second.id) && r.version > 1)
        .map((r) => [r.id, r.version, r.priority])
        .sort(),
      [
        [first.id, 2, "urgent"],
        [second.id, 2, "low"],
      ].sort(),
    );
  });

  test("four writers and slow transactions changing 30 tickets while a reader walks: nothing missed, nothing twice", async () => {
    const ids: number[] = [];
    for (let i = 0; i < 30; i++) ids.push((await makeTicket(writer, customer)).id);
    // Start at the feed's beginning: every ticket of the database comes once first.
    let cursor = "0";
    const seen: Row[] = [];

    const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)] as T;
    const change = async (tx?: Parameters<typeof updateTicket>[4]) => {
      await updateTicket(
        writer,
        agent,
        pick(ids),
        { priority: pick(PRIORITIES), assigneeId: pick([agent.id, null]) },
        tx,
      );
    };
    const writers = [
      ...[0, 1, 2, 3].map(async () => {
        for (let i = 0; i < 40; i++) await change();
      }),
      // Transactions that hold their change open while others commit theirs.
      (async () => {
        for (let i = 0; i < 8; i++) {
          await writer.db.transaction(async (tx) => {
            await change({ tx });
            await sleep(30 + Math.random() * 40);
          });
        }
      })(),
    ];
    // When the writers are done: each ticket's version as it stays.
    let finals: Map<number, number> | undefined;
    const done = Promise.all(writers).then(async () => {
      const rows = await writer.db
        .select({ id: ticketsTable.id, version: ticketsTable.version })
        .from(ticketsTable)
        .where(inArray(ticketsTable.id, ids));
      finals = new Map(rows.map((r) => [r.id, r.version]));
    });
    const caughtUp = () =>
      finals !== undefined &&
      [...finals].every(([id, version]) => seen.some((r) => r.id === id && r.version === version));

    const walk = async () => {
      // Until the writers are done and the feed has given every ticket's last version
      // (a change is released once the transactions that began before it have ended,
      // which on a server shared with other test files can take a moment).
      const deadline = Date.now() + 60_000;
      while (!caughtUp() && Date.now() < deadline) {
        const next = await page(cursor, 7);
        seen.push(...next.body.data);
        cursor = next.body.nextCursor;
        if (next.body.data.length === 0) await sleep(5);
      }
      // And then nothing more comes.
      const after = await page(cursor);
      seen.push(...after.body.data);
    };
    await Promise.all([done, walk()]);

    const mine = seen.filter((r) => ids.includes(r.id));
    // Nothing twice: each version of a ticket at most once, and versions only go up.
    const keys = mine.map((r) => `${r.id}@${r.version}`);
    assert.equal(new Set(keys).size, keys.length, "a ticket version came twice");
    for (const id of ids) {
      const versions = mine.filter((r) => r.id === id).map((r) => r.version);
      assert.deepEqual(
        versions,
        [...versions].sort((x, y) => x - y),
        `ticket ${id} went back`,
      );
    }
    // Nothing missed: the last state read of every ticket is its state now.
    const final = await writer.db
      .select({
        id: ticketsTable.id,
        version: ticketsTable.version,
        priority: ticketsTable.priority,
      })
      .from(ticketsTable)
      .where(inArray(ticketsTable.id, ids));
    assert.ok(
      final.some((t) => t.version > 3),
      "the writers changed tickets",
    );
    for (const ticket of final) {
      const last = mine.filter((r) => r.id === ticket.id).at(-1);
      assert.deepEqual(
        last && { id: last.id, version: last.version, priority: last.priority },
        ticket,
        `ticket ${ticket.id}`,
      );
    }
  });
});
