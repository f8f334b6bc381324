import assert from "node:assert/strict";
import { test } from "node:test";
import { eq, inArray, sql } from "drizzle-orm";
import fc from "fast-check";
import { makeAgent, makeCustomer, type TestUser } from "../../test/helpers/factories.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { tickets, users } from "../db/schema/index.ts";
import type { Deps } from "../deps.ts";
import { STATUSES } from "../tickets/lifecycle.ts";
import { createTicket, updateTicket } from "../tickets/tickets.service.ts";

/** Each agent's kept count beside the count of their new, open and pending tickets. */
async function counts(deps: Deps, ids: number[]) {
  const kept = await deps.db
    .select({ id: users.id, open: users.openTickets })
    .from(users)
    .where(inArray(users.id, ids))
    .orderBy(users.id);
  const real = await deps.db
    .select({ id: tickets.assigneeId, n: sql<number>`count(*)::int` })
    .from(tickets)
    .where(sql`${tickets.assigneeId} in ${ids} and ${tickets.status} in ('new', 'open', 'pending')`)
    .groupBy(tickets.assigneeId);
  const byId = new Map(real.map((r) => [r.id, r.n]));
  return {
    kept: kept.map((k) => [k.id, k.open]),
    real: kept.map((k) => [k.id, byId.get(k.id) ?? 0]),
  };
}

describeEachDatabase("agents' open-ticket counts", (world) => {
  test("follow every assignment and status change, through the service or plain SQL, one row or many", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    const agents = [await makeAgent(deps), await makeAgent(deps), await makeAgent(deps)];
    const agentIds = agents.map((a) => a.id);
    const made: number[] = [];
    // Tickets inserted by plain SQL, with nothing referring to them: these can be deleted.
    const bare: number[] = [];
    const ticketOf = (i: number) => made[i % made.length] as number;
    const assignee = fc.option(fc.integer({ min: 0, max: 2 }), { nil: null });
    const step = fc.oneof(
      fc.record({ op: fc.constant("create" as const), assignee }),
      fc.record({ op: fc.constant("assign" as const), i: fc.nat(), assignee }),
      fc.record({
        op: fc.constant("status" as const),
        i: fc.nat(),
        to: fc.constantFrom(...STATUSES),
      }),
      fc.record({
        op: fc.constant("sqlMove" as const),
        from: fc.integer({ min: 0, max: 2 }),
        to: assignee,
      }),
      fc.record({
        op: fc.constant("insertRaw" as const),
        assignee,
        to: fc.constantFrom(...STATUSES),
      }),
      fc.record({ op: fc.constant("deleteRaw" as const), i: fc.nat() }),
    );
    // The runs share the database, so a shrunk counterexample is only the last
    // run's steps; the message names the step after which the counts parted.
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
        for (const s of steps) {
          const agentId = (k: number | null) => (k === null ? null : (agentIds[k] as number));
          if (s.op === "create" || made.length === 0) {
            const t = await createTicket(deps, customer, { title: "Count me", description: "x" });
            made.push(t.id);
            if (s.op === "create" && s.assignee !== null) {
              await updateTicket(deps, agents[0] as TestUser, t.id, {
                assigneeId: agentId(s.assignee),
              });
            }
          } else if (s.op === "assign") {
            await deps.db
              .update(tickets)
              .set({ assigneeId: agentId(s.assignee) })
              .where(eq(tickets.id, ticketOf(s.i)));
          } else if (s.op === "status") {
            await deps.db
              .update(tickets)
              .set({ status: s.to })
              .where(eq(tickets.id, ticketOf(s.i)));
          } else if (s.op === "sqlMove") {
            // Many rows in one statement, both columns at once.
            await deps.db
              .update(tickets)
              .set({
                assigneeId: agentId(s.to),
                status: sql`case when ${tickets.id} % 2 = 0 then 'open'::ticket_status else ${tickets.status} end`,
              })
              .where(eq(tickets.assigneeId, agentId(s.from) as number));
          } else if (s.op === "insertRaw") {
            const [row] = await deps.db
              .insert(tickets)
              .values({
                title: "Bare",
                description: "x",
                requesterId: customer.id,
                assigneeId: agentId(s.assignee),
                status: s.to,
              })
              .returning({ id: tickets.id });
            bare.push((row as { id: number }).id);
          } else if (bare.length > 0) {
            const [id] = bare.splice(s.i % bare.length, 1);
            await deps.db.delete(tickets).where(eq(tickets.id, id as number));
          }
          const { kept, real } = await counts(deps, agentIds);
          assert.deepEqual(kept, real, `after ${JSON.stringify(s)}`);
        }
      }),
      { numRuns: 15 },
    );
  });
});
