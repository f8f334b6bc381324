import assert from "node:assert/strict";
import { test } from "node:test";
import { and, count, eq, sql } from "drizzle-orm";
import { makeAdmin, makeAgent, makeCustomer } from "../../test/helpers/factories.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { updateUser } from "../accounts/accounts.service.ts";
import {
  messages,
  outbox,
  ruleFailures,
  ruleFirings,
  rules,
  ticketEvents,
  tickets,
} from "../db/schema/index.ts";
import type { Deps } from "../deps.ts";
import * as ticketService from "../tickets/tickets.service.ts";
import { runTimeRules } from "./scheduler.ts";
import { action, ruleForm, tag, withRules } from "./test-support.ts";

const HOUR = 3600_000;
const inHours = (h: number) => new Date(Date.now() + h * HOUR);

async function status(deps: Deps, id: number) {
  const [row] = await deps.db
    .select({ status: tickets.status })
    .from(tickets)
    .where(eq(tickets.id, id));
  return row?.status;
}

async function ruleEvents(deps: Deps, ticketId: number) {
  const rows = await deps.db
    .select()
    .from(ticketEvents)
    .where(and(eq(ticketEvents.ticketId, ticketId), eq(ticketEvents.kind, "rule")))
    .orderBy(ticketEvents.id);
  return rows.map((r) => r.toValue);
}

describeEachDatabase("time rules", (world) => {
  test("done when: the default rule closes a solved ticket after 4 days without activity (clock moved, not waited for)", async () => {
    const { deps } = world();
    const agent = await makeAgent(deps);
    const customer = await makeCustomer(deps);
    const ticket = await ticketService.createTicket(deps, customer, {
      title: "Done",
      description: "x",
    });
    await ticketService.updateTicket(deps, agent, ticket.id, { status: "solved" });

    await runTimeRules(deps, { now: inHours(95) });
    assert.equal(await status(deps, ticket.id), "solved");
    const result = await runTimeRules(deps, { now: inHours(97) });
    assert.ok(result.fired >= 1);
    assert.equal(await status(deps, ticket.id), "closed");
    assert.deepEqual(await ruleEvents(deps, ticket.id), [
      "Close solved tickets after 4 days without activity",
    ]);
  });

  test("the default pending rules remind the customer once after 3 days and solve the ticket 7 days later", async () => {
    const { deps } = world();
    const agent = await makeAgent(deps);
    const customer = await makeCustomer(deps, { name: "Pat" });
    const ticket = await ticketService.createTicket(deps, customer, {
      title: "Waiting",
      description: "x",
    });
    await ticketService.addReply(deps, agent, ticket.id, {
      content: "Which model?",
      waitOnCustomer: true,
    });
    assert.equal(await status(deps, ticket.id), "pending");
    const reminders = async () =>
      deps.db
        .select()
        .from(outbox)
        .where(and(eq(outbox.ticketId, ticket.id), eq(outbox.kind, "rule")));

    await runTimeRules(deps, { now: inHours(71) });
    assert.equal((await reminders()).length, 0);
    await runTimeRules(deps, { now: inHours(73) });
    await runTimeRules(deps, { now: inHours(80) });
    const sent = await reminders();
    assert.equal(sent.length, 1, "reminded once");
    assert.equal(sent[0]?.toAddress, customer.email);
    assert.match(sent[0]?.textBody ?? "", /Hello Pat,/);
    assert.match(sent[0]?.subject ?? "", /Reminder: Waiting/);
    assert.equal(await status(deps, ticket.id), "pending");

    await runTimeRules(deps, { now: inHours(241) });
    assert.equal(await status(deps, ticket.id), "solved");
    assert.deepEqual(await ruleEvents(deps, ticket.id), [
      "Remind the customer of a pending ticket after 3 days",
      "Solve pending tickets 7 days after the reminder",
    ]);
  });

  test("a time rule fires once per occurrence of its clock: again only when the clock starts again", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const agent = await makeAgent(deps);
    const customer = await makeCustomer(deps);
    const word = tag();
    await withRules(
      deps,
      admin,
      [
        ruleForm({
          kind: "automation",
          clock: "customer_reply",
          hours: "2",
          conditions: [{ field: "subject", op: "contains", value: word }],
          actions: [action({ type: "add_note", body: "No answer for 2 hours on #{{ticket.id}}" })],
        }),
      ],
      async ([rule]) => {
        assert.ok(rule);
        const ticket = await ticketService.createTicket(deps, customer, {
          title: word,
          description: "x",
        });
        const notes = async () =>
          (
            await deps.db
              .select({ n: count() })
              .from(messages)
              .where(and(eq(messages.ticketId, ticket.id), eq(messages.internal, true)))
          )[0]?.n;
        await runTimeRules(deps, { now: inHours(1) });
        assert.equal(await notes(), 0);
        await runTimeRules(deps, { now: inHours(3) });
        await runTimeRules(deps, { now: inHours(4) });
        assert.equal(await notes(), 1);
        await ticketService.addReply(deps, agent, ticket.id, { content: "Looking" });
        await ticketService.addReply(deps, customer, ticket.id, { content: "Still broken" });
        await runTimeRules(deps, { now: inHours(5) });
        assert.equal(await notes(), 2);
        const firings = await deps.db
          .select()
          .from(ruleFirings)
          .where(and(eq(ruleFirings.ruleId, rule.id), eq(ruleFirings.ticketId, ticket.id)));
        assert.equal(firings.length, 2);
      },
    );
  });

  test("closed tickets and disabled rules are left alone; a refused action is recorded once, not retried every pass", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const leaving = await makeAgent(deps);
    const customer = await makeCustomer(deps);
    const word = tag();
    await withRules(
      deps,
      admin,
      [
        ruleForm({
          kind: "automation",
          clock: "created",
          hours: "1",
          conditions: [{ field: "subject", op: "contains", value: word }],
          actions: [action({ type: "set_assignee", value: leaving.email })],
        }),
      ],
      async ([rule]) => {
        assert.ok(rule);
        const firings = async (ticketId: number) =>
          (await deps.db.select().from(ruleFirings).where(eq(ruleFirings.ticketId, ticketId)))
            .length;
        const closed = await ticketService.createTicket(deps, customer, {
          title: word,
          description: "x",
        });
        await deps.db.update(tickets).set({ status: "closed" }).where(eq(tickets.id, closed.id));
        await deps.db.update(rules).set({ enabled: false }).where(eq(rules.id, rule.id));
        const open = await ticketService.createTicket(deps, customer, {
          title: word,
          description: "x",
        });
        await runTimeRules(deps, { now: inHours(2) });
        assert.equal(await firings(open.id), 0, "disabled");
        await deps.db.update(rules).set({ enabled: true }).where(eq(rules.id, rule.id));
        await updateUser(deps, admin, leaving.id, { disabled: true });
        await runTimeRules(deps, { now: inHours(2) });
        await runTimeRules(deps, { now: inHours(3) });
        assert.equal(await firings(closed.id), 0, "closed tickets are left out");
        assert.equal(await firings(open.id), 1);
        const [row] = await deps.db.select().from(tickets).where(eq(tickets.id, open.id));
        assert.equal(row?.assigneeId, null);
        assert.deepEqual(
          await ruleEvents(deps, open.id),
          [],
          "the refused firing left no audit row",
        );
        const failures = await deps.db
          .select()
          .from(ruleFailures)
          .where(eq(ruleFailures.ticketId, open.id));
        assert.equal(failures.length, 1);
        assert.equal(failures[0]?.ruleId, rule.id);
        // Leases are given back at the end of a pass.
        const [leased] = await deps.db
          .select({ n: count() })
          .from(rules)
          .where(sql`${rules.leaseToken} is not null`);
        assert.equal(leased?.n, 0);
      },
    );
  });
});
