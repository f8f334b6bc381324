import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { setAwayFlag } from "../../src/accounts/index.ts";
import { addMember, createTeam } from "../../src/teams/teams.service.ts";
import { withSql } from "./checks.ts";
import {
  type Account,
  api,
  createStore,
  type Server,
  type Store,
  seedAccounts,
  startServer,
  withStore,
} from "./server.ts";

/**
 * Automatic assignment under concurrency: two app processes on one PostgreSQL
 * database take 50 tickets for one round-robin team at once. The team row lock
 * makes every node's assignments take turns, so the tickets spread evenly,
 * none is assigned twice and none is skipped.
 */

describe("automatic assignment on two app nodes", {
  skip: !process.env.TEST_DATABASE_URL && "TEST_DATABASE_URL is not set",
}, () => {
  let store: Store;
  let a: Server;
  let b: Server;
  let customers: Account[];
  let agents: Account[];
  let away: Account;
  let teamId: number;

  before(async () => {
    store = await createStore("postgres");
    [a, b] = await Promise.all([startServer(store), startServer(store)]);
    customers = await seedAccounts(store, 2);
    const staff = await seedAccounts(store, 5, "agent");
    away = staff[0] as Account;
    agents = staff.slice(1);
    const [admin] = await seedAccounts(store, 1, "admin");
    assert.ok(admin && away);
    teamId = await withStore(store, async (deps) => {
      const actor = { id: admin.id, email: admin.email, name: "Admin", role: admin.role };
      const team = await createTeam(deps, actor, {
        name: "Round robin",
        assignment: "round_robin",
        offeredOnForm: true,
      });
      for (const agent of [away, ...agents]) await addMember(deps, actor, team.id, agent.email);
      await setAwayFlag(deps.db, { ...actor, id: away.id, role: "agent" }, true);
      return team.id;
    });
  });

  after(async () => {
    const exits = await Promise.all([a?.stop(), b?.stop()]);
    await store?.remove();
    for (const exit of exits) assert.deepEqual(exit, { code: 0, signal: null });
  });

  test("50 tickets created at once through both nodes spread evenly over the available agents, each assigned exactly once", async () => {
    const created = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        api(i % 2 ? a : b, (customers[i % 2] as Account).token, "POST", "/tickets", {
          title: `Concurrent ${i}`,
          description: "Assign me.",
          teamId,
        }),
      ),
    );
    assert.deepEqual(
      created.filter((r) => r.status !== 201),
      [],
      `refused; the nodes logged:\n${a.log().slice(-4000)}\n${b.log().slice(-4000)}`,
    );
    const ids = created.map((r) => (r.body as { id: number }).id);
    // What each response said is what the database holds.
    const answered = new Map(
      created.map((r) => {
        const body = r.body as { id: number; assigneeId: number | null };
        return [body.id, body.assigneeId];
      }),
    );

    await withSql(store, async (query) => {
      const rows = await query<{ id: number; assignee_id: number | null }>(
        `SELECT id, assignee_id FROM tickets WHERE id IN (${ids.join(",")})`,
      );
      assert.equal(rows.length, 50);
      for (const row of rows) assert.equal(answered.get(row.id), row.assignee_id);
      // None skipped, and never the away agent.
      assert.deepEqual(
        rows.filter((r) => r.assignee_id === null),
        [],
      );
      const perAgent = new Map(agents.map((agent) => [agent.id, 0]));
      for (const row of rows) {
        assert.ok(perAgent.has(row.assignee_id as number), `assigned to ${row.assignee_id}`);
        perAgent.set(row.assignee_id as number, (perAgent.get(row.assignee_id as number) ?? 0) + 1);
      }
      const counts = [...perAgent.values()];
      assert.ok(
        Math.max(...counts) - Math.min(...counts) <= 1,
        `uneven: ${JSON.stringify([...perAgent])}`,
      );
      // Each ticket was assigned once: one assignee change and one reason in its audit trail.
      const events = await query<{ ticket_id: number; kind: string; n: number }>(
        `SELECT ticket_id, kind, count(*)::int AS n FROM ticket_events
         WHERE ticket_id IN (${ids.join(",")}) AND kind IN ('assignee', 'auto_assign')
         GROUP BY ticket_id, kind`,
      );
      assert.equal(events.length, 100);
      assert.deepEqual(
        events.filter((e) => e.n !== 1),
        [],
      );
      const reasons = await query<{ to_value: string }>(
        `SELECT DISTINCT to_value FROM ticket_events
         WHERE ticket_id IN (${ids.join(",")}) AND kind = 'auto_assign'`,
      );
      assert.deepEqual(
        reasons.map((r) => r.to_value),
        ["round-robin in team Round robin"],
      );
    });
  });
});
