import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { eq, sql } from "drizzle-orm";
import { makeAdmin, makeCustomer } from "../../test/helpers/factories.ts";
import {
  createStore,
  type Store,
  sleep,
  startServer,
  withStore,
} from "../../test/resilience/server.ts";
import { rules } from "../db/schema/index.ts";
import type { Deps } from "../deps.ts";
import * as service from "./rules.service.ts";
import { runTimeRules } from "./scheduler.ts";
import { action, insertStaleTickets, ruleForm, tag } from "./test-support.ts";

/**
 * A server process running the scheduler is killed with SIGKILL in the middle
 * of a run; a second run then finishes the work: every due ticket gets its
 * action exactly once (nothing lost, nothing repeated).
 */

const DUE = 1500;
const NOTE = "crash test note";

async function tally(deps: Deps, ruleId: number, word: string) {
  const result = await deps.db.execute(sql`select
      count(*)::int as tickets,
      count(*) filter (where n.notes = 1)::int as one_note,
      count(*) filter (where n.notes > 1)::int as repeated,
      coalesce(sum(n.notes), 0)::int as notes,
      coalesce(sum(n.firings), 0)::int as firings,
      coalesce(sum(n.audits), 0)::int as audits
    from (select
      (select count(*) from messages m where m.ticket_id = t.id and m.internal and m.content = ${NOTE}) as notes,
      (select count(*) from rule_firings f where f.ticket_id = t.id and f.rule_id = ${ruleId}) as firings,
      (select count(*) from ticket_events e where e.ticket_id = t.id and e.kind = 'rule' and e.from_value = ${String(ruleId)}) as audits
      from tickets t where t.title like ${`${word} #%`}) n`);
  return (result as unknown as { rows: Record<string, number>[] }).rows[0] ?? {};
}

describe("the scheduler killed mid-run", {
  skip: !process.env.TEST_DATABASE_URL && "TEST_DATABASE_URL is not set (PGlite runs one process)",
}, () => {
  let store: Store | undefined;
  after(async () => {
    await store?.remove();
  });

  test(`kill -9 while firing ${DUE} due tickets, then a second run: each action exactly once`, async () => {
    store = await createStore("postgres");
    const word = tag();
    const ruleId = await withStore(store, async (deps) => {
      const admin = await makeAdmin(deps);
      const customer = await makeCustomer(deps);
      await deps.db.update(rules).set({ enabled: false });
      const rule = await service.createRule(
        deps,
        admin,
        ruleForm({
          kind: "automation",
          name: "Crash",
          clock: "updated",
          hours: "24",
          conditions: [{ field: "subject", op: "contains", value: word }],
          actions: [action({ type: "add_note", body: NOTE })],
        }),
      );
      await insertStaleTickets(deps, customer.id, word, DUE);
      return rule.id;
    });

    const server = await startServer(store, { RULES_INTERVAL_SECONDS: "1" });
    let atKill: Record<string, number> = {};
    await withStore(store, async (deps) => {
      const deadline = Date.now() + 120_000;
      for (;;) {
        const now = await tally(deps, ruleId, word);
        if ((now.firings ?? 0) >= 50) break;
        if (Date.now() > deadline) throw new Error(`the scheduler did not start:\n${server.log()}`);
        await sleep(20);
      }
      server.child.kill("SIGKILL");
      await server.exited;
      atKill = await tally(deps, ruleId, word);
    });
    assert.ok((atKill.firings ?? 0) < DUE, `killed mid-run (${atKill.firings} of ${DUE} fired)`);
    // What committed is whole: each firing with its note and its audit row.
    assert.equal(atKill.notes, atKill.firings);
    assert.equal(atKill.audits, atKill.firings);
    assert.equal(atKill.repeated, 0);

    // A second run takes the rule over once the dead node's lease ends.
    const final = await withStore(store, async (deps) => {
      const deadline = Date.now() + 120_000;
      for (;;) {
        await runTimeRules(deps, { leaseMs: 10_000 });
        const now = await tally(deps, ruleId, word);
        if (now.firings === DUE || Date.now() > deadline) return now;
        await sleep(200);
      }
    });
    assert.deepEqual(final, {
      tickets: DUE,
      one_note: DUE,
      repeated: 0,
      notes: DUE,
      firings: DUE,
      audits: DUE,
    });
    const [rule] = await withStore(store, (deps) =>
      deps.db.select().from(rules).where(eq(rules.id, ruleId)),
    );
    assert.equal(rule?.leaseToken, null);
  });
});
