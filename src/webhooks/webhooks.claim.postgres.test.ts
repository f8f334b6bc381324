import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { sql } from "drizzle-orm";
import { createScratchDatabase, type ScratchDatabase } from "../../test/helpers/postgres.ts";
import { type Database, openDatabase } from "../db/client.ts";
import { webhookDeliveries, webhookEndpoints } from "../db/schema/index.ts";
import * as repo from "./webhooks.repo.ts";

// Two app nodes = two connection pools on one PostgreSQL database.
const adminUrl = process.env.TEST_DATABASE_URL;

describe("webhook delivery claims on one PostgreSQL from two nodes", {
  skip: !adminUrl && "TEST_DATABASE_URL is not set",
}, () => {
  let scratch: ScratchDatabase;
  let nodes: Database[] = [];
  let endpointId = 0;
  before(async () => {
    scratch = await createScratchDatabase();
    nodes = [
      await openDatabase({ kind: "postgres", url: scratch.url, poolMax: 3 }),
      await openDatabase({ kind: "postgres", url: scratch.url, poolMax: 3 }),
    ];
    await nodes[0]?.migrate();
    const [endpoint] = await (nodes[0] as Database).db
      .insert(webhookEndpoints)
      .values({ url: "https://example.test/", eventTypes: ["ticket.created"], secret: "whsec_x" })
      .returning();
    endpointId = endpoint?.id ?? 0;
  });
  after(async () => {
    for (const node of nodes) await node.close();
    await scratch?.drop();
  });

  const queue = (db: Database["db"], n: number) =>
    repo.insertDeliveries(
      db,
      Array.from({ length: n }, (_, i) => ({
        endpointId,
        webhookId: `msg_${randomUUID()}`,
        eventType: "ticket.created",
        body: `{"n":${i}}`,
      })),
    );

  test("claims made at the same moment take disjoint rows; a second claim within the lease gets nothing", async () => {
    const [one, two] = nodes.map((n) => n.db);
    assert.ok(one && two);
    await one.delete(webhookDeliveries);
    await queue(one, 20);
    const [a, b] = await Promise.all([
      repo.claimDue(one, "claim-a", 12, 60_000),
      repo.claimDue(two, "claim-b", 12, 60_000),
    ]);
    const ids = [...(a ?? []), ...(b ?? [])].map((r) => r.id);
    assert.equal(ids.length, 20, `claimed ${a?.length} + ${b?.length}`);
    assert.equal(new Set(ids).size, 20, "no row claimed twice");
    assert.deepEqual(await repo.claimDue(two, "claim-c", 50, 60_000), [], "all leased");
  });

  test("after the lease ends another node takes the row, and the first claim can no longer record", async () => {
    const [one, two] = nodes.map((n) => n.db);
    assert.ok(one && two);
    await one.delete(webhookDeliveries);
    await queue(one, 1);
    const [first] = await repo.claimDue(one, "slow", 10, 300);
    assert.ok(first);
    assert.deepEqual(await repo.claimDue(two, "early", 10, 300), [], "within the lease");
    await one.execute(sql`select pg_sleep(0.4)`);
    const [taken] = await repo.claimDue(two, "late", 10, 60_000);
    assert.equal(taken?.id, first.id);
    assert.equal(taken?.attempts, 2);
    const outcome = {
      responseStatus: 200,
      responseMs: 5,
      responseExcerpt: "ok",
      lastError: null,
      next: { status: "delivered" as const },
    };
    assert.equal(await repo.recordAttempt(one, first.id, "slow", outcome), false);
    assert.equal(await repo.recordAttempt(two, first.id, "late", outcome), true);
  });
});
