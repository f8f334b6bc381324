import assert from "node:assert/strict";
import { test } from "node:test";
import { eq, inArray } from "drizzle-orm";
import { apiAs } from "../../test/helpers/api.ts";
import { makeAdmin, makeAgent, makeCustomer, makeTicket } from "../../test/helpers/factories.ts";
import { decodeEntities } from "../../test/helpers/html.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { outbox, tickets } from "../db/schema/index.ts";
import { createMacro } from "../macros/macros.service.ts";
import { action, ruleForm, tag, withRules } from "../rules/test-support.ts";
import { listTicketTags } from "../tickets/tickets.service.ts";
import { bulkChange, matchingTicketIds } from "./bulk.service.ts";

describeEachDatabase("bulk actions", (world) => {
  test("each ticket changes on its own: a closed one is refused with the reason, the others change and rules fire", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const agent = await makeAgent(deps);
    const customer = await makeCustomer(deps);
    const word = tag();
    const a = await makeTicket(deps, customer, { title: `Bulk ${word} a`, status: "open" });
    const b = await makeTicket(deps, customer, { title: `Bulk ${word} b`, status: "open" });
    const closed = await makeTicket(deps, customer, { title: `Bulk ${word} c`, status: "closed" });
    const already = await makeTicket(deps, customer, { status: "open", assigneeId: agent.id });
    await withRules(
      deps,
      admin,
      [
        ruleForm({
          event: "ticket_updated",
          conditions: [{ field: "subject", op: "contains", value: word }],
          actions: [action({ type: "set_priority", value: "urgent" })],
        }),
      ],
      async () => {
        const results = await bulkChange(
          deps,
          agent,
          [a.id, closed.id, b.id, already.id, 999_999],
          { assigneeId: "me" },
        );
        assert.deepEqual(
          results.map((r) => [r.id, r.outcome, r.code]),
          [
            [a.id, "changed", undefined],
            [closed.id, "refused", "ticket_closed"],
            [b.id, "changed", undefined],
            [already.id, "unchanged", undefined],
            [999_999, "refused", "not_found"],
          ],
        );
        const rows = await deps.db
          .select()
          .from(tickets)
          .where(inArray(tickets.id, [a.id, b.id, closed.id]));
        const byId = new Map(rows.map((r) => [r.id, r]));
        assert.equal(byId.get(a.id)?.assigneeId, agent.id);
        assert.equal(byId.get(b.id)?.assigneeId, agent.id);
        assert.equal(byId.get(a.id)?.priority, "urgent", "the rule fired as for a hand edit");
        assert.equal(byId.get(closed.id)?.assigneeId, null);
      },
    );
  });

  test("tags and a macro in bulk; a macro with other changes is refused", async () => {
    const { deps } = world();
    const agent = await makeAgent(deps);
    const customer = await makeCustomer(deps);
    const a = await makeTicket(deps, customer, { status: "open" });
    const b = await makeTicket(deps, customer, { status: "open" });
    const word = tag();
    const tagged = await bulkChange(deps, agent, [a.id, b.id], { addTags: [word] });
    assert.deepEqual(
      tagged.map((r) => r.outcome),
      ["changed", "changed"],
    );
    assert.deepEqual(await listTicketTags(deps, agent, b.id), [word]);
    const macro = await createMacro(deps, agent, {
      name: "Low and pending",
      actions: [
        { type: "set_priority", value: "low" },
        { type: "set_status", value: "pending" },
      ],
    });
    const applied = await bulkChange(deps, agent, [a.id, b.id], { macroId: macro.id });
    assert.deepEqual(
      applied.map((r) => r.outcome),
      ["changed", "changed"],
    );
    const [row] = await deps.db.select().from(tickets).where(eq(tickets.id, b.id));
    assert.equal(row?.status, "pending");
    await assert.rejects(
      bulkChange(deps, agent, [a.id], { macroId: macro.id, priority: "high" }),
      /macro is applied alone/,
    );
  });

  test("the API: a per-ticket result array; 501 ids is 422; customers 403", async () => {
    const { deps } = world();
    const agent = await makeAgent(deps);
    const customer = await makeCustomer(deps);
    const open = await makeTicket(deps, customer, { status: "open" });
    const closed = await makeTicket(deps, customer, { status: "closed" });
    const api = await apiAs(world(), agent);
    const res = await api.post<{ data: { id: number; outcome: string; code?: string }[] }>(
      "/tickets/bulk",
      { ids: [open.id, closed.id], changes: { priority: "high" } },
    );
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.body.data.map((r) => [r.id, r.outcome, r.code]),
      [
        [open.id, "changed", undefined],
        [closed.id, "refused", "ticket_closed"],
      ],
    );
    const ids = Array.from({ length: 501 }, (_, i) => i + 1);
    const tooMany = await api.post("/tickets/bulk", { ids, changes: { priority: "high" } });
    assert.equal(tooMany.status, 422);
    const outboxBefore = await deps.db.$count(outbox);
    const customerApi = await apiAs(world(), customer);
    const refused = await customerApi.post("/tickets/bulk", {
      ids: [open.id],
      changes: { priority: "low" },
    });
    assert.equal(refused.status, 403);
    assert.equal(await deps.db.$count(outbox), outboxBefore);
  });

  test("on the desk without JavaScript: tick rows, choose assign to me, see which changed and why one did not", async () => {
    const { deps } = world();
    const agentUser = await makeAgent(deps);
    const agent = await world().signedIn(agentUser);
    const customer = await makeCustomer(deps);
    const a = await makeTicket(deps, customer, { status: "open" });
    const closed = await makeTicket(deps, customer, { status: "closed" });
    const desk = await agent.get("/desk?queue=open");
    assert.match(desk.body, /id="bulk-form"/);
    assert.match(desk.body, new RegExp(`name="ids" value="${a.id}" form="bulk-form"`));
    const result = await agent.postPairs("/desk/bulk", [
      ["query", "queue=open"],
      ["change", "assign:me"],
      ["scope", "selected"],
      ["ids", String(a.id)],
      ["ids", String(closed.id)],
    ]);
    assert.equal(result.statusCode, 200);
    const text = decodeEntities(result.body);
    assert.match(text, /1 ticket changed, 0 already so, 1 refused/);
    assert.match(
      text,
      new RegExp(`data-outcome="changed"><a href="/tickets/${a.id}">#${a.id}</a>: changed`),
    );
    assert.match(
      text,
      new RegExp(
        `data-outcome="refused"><a href="/tickets/${closed.id}">#${closed.id}</a>: [^<]*closed`,
      ),
    );
    const [row] = await deps.db.select().from(tickets).where(eq(tickets.id, a.id));
    assert.equal(row?.assigneeId, agentUser.id);

    // "All in this view": the server finds the view's tickets (the open queue holds `a`).
    const all = await agent.postPairs("/desk/bulk", [
      ["query", `queue=open&requesterId=${customer.id}`],
      ["change", "priority:high"],
      ["scope", "all"],
    ]);
    assert.equal(all.statusCode, 200);
    assert.match(decodeEntities(all.body), /1 ticket changed/);
    const none = await agent.postPairs("/desk/bulk", [
      ["query", "queue=open"],
      ["change", "assign:me"],
      ["scope", "selected"],
    ]);
    assert.equal(none.statusCode, 400);
    assert.match(decodeEntities(none.body), /Choose at least one ticket/);
  });

  test("all in a view: the matching ids in the view's order, capped, saying when more match", async () => {
    const { deps } = world();
    const agent = await makeAgent(deps);
    const customer = await makeCustomer(deps);
    const word = tag();
    const made = [];
    for (const n of [1, 2, 3]) {
      made.push(await makeTicket(deps, customer, { title: `${word} ${n}`, status: "open" }));
    }
    const query = { q: word, sort: "createdAt" as const };
    const capped = await matchingTicketIds(deps, agent, query, 2);
    assert.deepEqual(capped, { ids: [made[0]?.id, made[1]?.id], more: true });
    const all = await matchingTicketIds(deps, agent, query, 3);
    assert.deepEqual(all, { ids: made.map((t) => t.id), more: false });
  });
});
