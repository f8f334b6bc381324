import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { and, eq } from "drizzle-orm";
import { createTestDatabase, databaseKinds, type TestDatabase } from "../../test/helpers/db.ts";
import { makeAdmin, makeCustomer } from "../../test/helpers/factories.ts";
import { createScratchDatabase, type ScratchDatabase } from "../../test/helpers/postgres.ts";
import { until } from "../../test/helpers/wait.ts";
import { loadConfig } from "../config.ts";
import { type Database, openDatabase } from "../db/client.ts";
import { messages } from "../db/schema/index.ts";
import type { Deps } from "../deps.ts";
import { composeDeps } from "../reactions.ts";
import { createTicket } from "../tickets/tickets.service.ts";
import { enabledTriggers } from "./cache.ts";
import * as service from "./rules.service.ts";
import { action, ruleForm, tag } from "./test-support.ts";

const silent: Deps["log"] = { info() {}, warn() {}, error() {}, debug() {} };

async function notesOf(deps: Deps, ticketId: number) {
  const rows = await deps.db
    .select()
    .from(messages)
    .where(and(eq(messages.ticketId, ticketId), eq(messages.internal, true)));
  return rows.map((m) => m.content);
}

for (const kind of databaseKinds()) {
  describe(`the trigger cache of a listening node [${kind}]`, () => {
    let testDb: TestDatabase;
    let unwatch: () => Promise<void>;
    before(async () => {
      testDb = await createTestDatabase(kind);
      unwatch = await enabledTriggers.watch(testDb.deps.db, testDb.database.listen);
    });
    after(async () => {
      await unwatch?.();
      await testDb?.close();
    });

    test("a rule saved, disabled or deleted on this node applies to the very next write", async () => {
      const { deps } = testDb;
      const admin = await makeAdmin(deps);
      const customer = await makeCustomer(deps);
      const word = tag();
      await createTicket(deps, customer, { title: "warm up", description: "x" });
      assert.equal(enabledTriggers.isWarm(deps.db), true);
      const rule = await service.createRule(
        deps,
        admin,
        ruleForm({
          conditions: [{ field: "subject", op: "contains", value: word }],
          actions: [action({ type: "add_note", body: "cached" })],
        }),
      );
      const a = await createTicket(deps, customer, { title: word, description: "x" });
      assert.deepEqual(await notesOf(deps, a.id), ["cached"]);
      await service.setRuleEnabled(deps, admin, rule.id, false);
      const b = await createTicket(deps, customer, { title: word, description: "x" });
      assert.deepEqual(await notesOf(deps, b.id), []);
      await service.setRuleEnabled(deps, admin, rule.id, true);
      await service.deleteRule(deps, admin, rule.id);
      const c = await createTicket(deps, customer, { title: word, description: "x" });
      assert.deepEqual(await notesOf(deps, c.id), []);
    });
  });
}

describe("the trigger cache on two nodes", {
  skip: !process.env.TEST_DATABASE_URL && "TEST_DATABASE_URL is not set",
}, () => {
  let scratch: ScratchDatabase;
  let nodes: Database[] = [];
  let stops: (() => Promise<void>)[] = [];
  before(async () => {
    scratch = await createScratchDatabase();
    nodes = [
      await openDatabase({ kind: "postgres", url: scratch.url, poolMax: 3 }),
      await openDatabase({ kind: "postgres", url: scratch.url, poolMax: 3 }),
    ];
    await nodes[0]?.migrate();
    stops = await Promise.all(nodes.map((n) => enabledTriggers.watch(n.db, n.listen)));
  });
  after(async () => {
    for (const stop of stops) await stop();
    for (const node of nodes) await node.close();
    await scratch?.drop();
  });

  test("a rule saved on one node reaches the other's next write once the change is announced", async () => {
    const config = loadConfig({ LOG_LEVEL: "silent" });
    const [a, b] = nodes.map((n) => composeDeps({ db: n.db, config, log: silent }));
    assert.ok(a && b);
    const admin = await makeAdmin(a);
    const customer = await makeCustomer(a);
    const word = tag();
    await createTicket(b, customer, { title: "warm up", description: "x" });
    assert.equal(enabledTriggers.isWarm(b.db), true);
    await service.createRule(
      a,
      admin,
      ruleForm({
        conditions: [{ field: "subject", op: "contains", value: word }],
        actions: [action({ type: "add_note", body: "from node A" })],
      }),
    );
    await until(() => !enabledTriggers.isWarm(b.db), "node B to drop its copy");
    const ticket = await createTicket(b, customer, { title: word, description: "x" });
    assert.deepEqual(await notesOf(b, ticket.id), ["from node A"]);
  });
});
