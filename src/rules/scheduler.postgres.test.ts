import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { and, eq, sql } from "drizzle-orm";
import { makeAdmin, makeCustomer } from "../../test/helpers/factories.ts";
import { createScratchDatabase, type ScratchDatabase } from "../../test/helpers/postgres.ts";
import { loadConfig } from "../config.ts";
import { type Database, openDatabase } from "../db/client.ts";
import { messages, ruleFirings, rules, ticketEvents, tickets } from "../db/schema/index.ts";
import type { Deps } from "../deps.ts";
import { composeDeps } from "../reactions.ts";
import * as service from "./rules.service.ts";
import { runTimeRules } from "./scheduler.ts";
import { action, insertStaleTickets, ruleForm, tag } from "./test-support.ts";

// Two app nodes = two connection pools on one PostgreSQL database, each running the scheduler.
const adminUrl = process.env.TEST_DATABASE_URL;
const silent: Deps["log"] = { info() {}, warn() {}, error() {}, debug() {} };
const DUE = 500;

describe("the scheduler on two nodes on one PostgreSQL", {
  skip: !adminUrl && "TEST_DATABASE_URL is not set",
}, () => {
  let scratch: ScratchDatabase;
  let nodes: Database[] = [];
  let deps: Deps[] = [];
  before(async () => {
    scratch = await createScratchDatabase();
    nodes = [
      await openDatabase({ kind: "postgres", url: scratch.url, poolMax: 4 }),
      await openDatabase({ kind: "postgres", url: scratch.url, poolMax: 4 }),
    ];
    await nodes[0]?.migrate();
    const config = loadConfig({ LOG_LEVEL: "silent" });
    deps = nodes.map((node) => composeDeps({ db: node.db, config, log: silent }));
  });
  after(async () => {
    for (const node of nodes) await node.close();
    await scratch?.drop();
  });

  /** Per ticket of `word`: how many notes of `text`, firings of `ruleId`, and audit rows naming it. */
  async function tally(d: Deps, word: string, text: string, ruleId: number) {
    const rows = await d.db
      .select({
        id: tickets.id,
        notes: sql<number>`(select count(*)::int from ${messages} m where m.ticket_id = "tickets"."id" and m.internal and m.content = ${text})`,
        firings: sql<number>`(select count(*)::int from ${ruleFirings} f where f.ticket_id = "tickets"."id" and f.rule_id = ${ruleId})`,
        audits: sql<number>`(select count(*)::int from ${ticketEvents} e where e.ticket_id = "tickets"."id" and e.kind = 'rule' and e.from_value = ${String(ruleId)})`,
      })
      .from(tickets)
      .where(sql`${tickets.title} like ${`${word} #%`}`);
    return rows;
  }

  for (const leaseMs of [60_000, 1]) {
    const how =
      leaseMs === 1
        ? "with leases that run out at once (both nodes work the same rule at the same time)"
        : "claiming rules with leases";
    test(`${DUE} due tickets, two rules, two nodes running at once ${how}: each action happens exactly once`, async () => {
      const [a, b] = deps;
      assert.ok(a && b);
      const admin = await makeAdmin(a);
      const customer = await makeCustomer(a);
      const word = tag();
      // Only this test's rules: the defaults (and earlier tests' rules) stay out of the way.
      await a.db.update(rules).set({ enabled: false });
      const made = [];
      for (const n of [1, 2]) {
        made.push(
          await service.createRule(
            a,
            admin,
            ruleForm({
              kind: "automation",
              name: `Stale ${n} ${word}`,
              clock: "updated",
              hours: "24",
              conditions: [{ field: "subject", op: "contains", value: word }],
              actions: [action({ type: "add_note", body: `stale ${n}` })],
            }),
          ),
        );
      }
      await insertStaleTickets(a, customer.id, word, DUE);
      // A node that loses its claim to the other mid-pass stops, and a ticket the other
      // node held locked is skipped: what a pass leaves is due for the next one. So both
      // nodes run passes side by side until the work is done (a bounded number of them).
      let fired = 0;
      for (let pass = 0; pass < 10 && fired < 2 * DUE; pass++) {
        const [ra, rb] = await Promise.all([
          runTimeRules(a, { leaseMs, batchSize: 50 }),
          runTimeRules(b, { leaseMs, batchSize: 50 }),
        ]);
        fired += ra.fired + rb.fired;
      }
      assert.equal(fired, 2 * DUE);
      for (const [i, rule] of made.entries()) {
        const rows = await tally(a, word, `stale ${i + 1}`, rule.id);
        assert.equal(rows.length, DUE);
        const wrong = rows.filter((r) => r.notes !== 1 || r.firings !== 1 || r.audits !== 1);
        assert.deepEqual(wrong, [], "one note, one firing and one audit row per ticket");
      }
      // Nothing is due any more: a third pass fires nothing.
      assert.equal((await runTimeRules(b, { leaseMs })).fired, 0);
      const held = await a.db
        .select()
        .from(rules)
        .where(and(eq(rules.kind, "automation"), sql`${rules.leaseToken} is not null`));
      assert.deepEqual(held, []);
    });
  }
});
