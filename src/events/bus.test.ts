import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { eq } from "drizzle-orm";
import { createTestDatabase, databaseKinds, type TestDatabase } from "../../test/helpers/db.ts";
import { makeAdmin, makeAgent, makeCustomer, makeTicket } from "../../test/helpers/factories.ts";
import { until } from "../../test/helpers/wait.ts";
import { outbox, ticketEvents, tickets } from "../db/schema/index.ts";
import type { Deps } from "../deps.ts";
import { composeReactions } from "../reactions.ts";
import { addMember, createTeam } from "../teams/teams.service.ts";
import { addReply, createTicket, updateTicket } from "../tickets/tickets.service.ts";
import {
  type Batch,
  EVENTS_CHANNEL,
  type EventBus,
  gathered,
  notifyPayloads,
  withCause,
} from "./bus.ts";
import type { CommittedEvent, DomainEvent } from "./events.ts";

test("event notifications are split under PostgreSQL's 8,000-byte payload limit, keeping every event", () => {
  const events: CommittedEvent[] = Array.from({ length: 400 }, (_, i) => ({
    type: "ticket.updated",
    ticketId: i + 1,
    requesterId: 7,
    actorId: 8,
    status: "open",
    assigneeId: null,
    fields: ["status", "priority"],
  }));
  const payloads = notifyPayloads(events);
  assert.ok(payloads.length > 1);
  for (const p of payloads) assert.ok(Buffer.byteLength(p) < 8_000, `payload of ${p.length}`);
  const back = payloads.flatMap((p) => JSON.parse(p) as CommittedEvent[]);
  assert.deepEqual(
    back.map((e) => e.ticketId),
    events.map((e) => e.ticketId),
  );
});

for (const kind of databaseKinds()) {
  describe(`events [${kind}]`, () => {
    let testDb: TestDatabase;
    before(async () => {
      testDb = await createTestDatabase(kind);
    });
    after(async () => {
      await testDb?.close();
    });

    /** Deps whose bus has the app's reactions plus `extra`, recording what they saw. */
    function depsWith(...extra: Parameters<EventBus<Deps>["subscribe"]>[0][]): Deps {
      const events = composeReactions();
      for (const reaction of extra) events.subscribe(reaction);
      return { ...testDb.deps, events };
    }

    test("a reply on a solved ticket records message.created, ticket.updated and ticket.status_changed, in that order, with old and new values", async () => {
      const seen: DomainEvent[] = [];
      const deps = depsWith({
        name: "spy",
        async inTransaction(_deps, _tx, events) {
          seen.push(...events);
        },
      });
      const customer = await makeCustomer(deps);
      const ticket = await makeTicket(deps, customer);
      await updateTicket(deps, await makeAgent(deps), ticket.id, { status: "solved" });
      seen.length = 0;
      await addReply(deps, customer, ticket.id, { content: "Still broken." });
      assert.deepEqual(
        seen.map((e) => e.type),
        ["message.created", "ticket.updated", "ticket.status_changed"],
      );
      const [created, updated] = seen;
      assert.equal(created?.type === "message.created" && created.byRequester, true);
      assert.equal(created?.type === "message.created" && created.message.content, "Still broken.");
      assert.deepEqual(updated?.type === "ticket.updated" && updated.changes, {
        status: { from: "solved", to: "open" },
      });
      assert.equal(updated?.ticket.status, "open");
    });

    test("an internal note is a message.created event marked internal and changes nothing else", async () => {
      const seen: DomainEvent[] = [];
      const deps = depsWith({
        name: "spy",
        types: ["message.created", "ticket.updated"],
        async inTransaction(_deps, _tx, events) {
          seen.push(...events);
        },
      });
      const agent = await makeAgent(deps);
      const ticket = await makeTicket(deps, await makeCustomer(deps));
      await addReply(deps, agent, ticket.id, { content: "note", internal: true });
      assert.equal(seen.length, 1);
      const [event] = seen;
      assert.equal(event?.type, "message.created");
      assert.equal(event?.type === "message.created" && event.message.internal, true);
      assert.equal(event?.type === "message.created" && event.authorRole, "agent");
    });

    test("the audit trail is written from the events: one row per changed field, with old and new values", async () => {
      const deps = depsWith();
      const agent = await makeAgent(deps);
      const ticket = await makeTicket(deps, await makeCustomer(deps));
      await updateTicket(deps, agent, ticket.id, {
        status: "pending",
        priority: "urgent",
        assigneeId: agent.id,
      });
      const rows = await deps.db
        .select()
        .from(ticketEvents)
        .where(eq(ticketEvents.ticketId, ticket.id))
        .orderBy(ticketEvents.id);
      assert.deepEqual(
        rows.map((r) => [r.kind, r.fromValue, r.toValue, r.actorId]),
        [
          ["created", null, "new", ticket.requesterId],
          ["status", "new", "pending", agent.id],
          ["priority", "normal", "urgent", agent.id],
          ["assignee", null, String(agent.id), agent.id],
        ],
      );
    });

    test("a reaction that throws rolls the whole change back: no ticket, no audit row, no mail", async () => {
      const deps = depsWith({
        name: "broken",
        types: ["ticket.created"],
        async inTransaction() {
          throw new Error("reaction failed");
        },
      });
      const customer = await makeCustomer(deps);
      await assert.rejects(
        createTicket(deps, customer, { title: "Rolled back", description: "x" }),
        /reaction failed/,
      );
      const left = await deps.db
        .select({ id: tickets.id })
        .from(tickets)
        .where(eq(tickets.requesterId, customer.id));
      assert.deepEqual(left, []);
      const mails = await deps.db
        .select({ id: outbox.id })
        .from(outbox)
        .where(eq(outbox.recipientId, customer.id));
      assert.deepEqual(mails, []);
    });

    test("events recorded inside withCause carry the rule as their cause", async () => {
      const seen: DomainEvent[] = [];
      const deps = depsWith({
        name: "spy",
        types: ["ticket.updated"],
        async inTransaction(_deps, _tx, events) {
          seen.push(...events);
        },
      });
      const agent = await makeAgent(deps);
      const ticket = await makeTicket(deps, await makeCustomer(deps));
      await withCause({ ruleId: 41, ruleName: "Escalate", depth: 2 }, () =>
        updateTicket(deps, agent, ticket.id, { priority: "high" }),
      );
      assert.deepEqual(seen[0]?.cause, { ruleId: 41, ruleName: "Escalate", depth: 2 });
    });

    test("rows gathered in a batch across a change and the changes its reactions make are written once, after every reaction has run; a failed change writes none; outside a change nothing is gathered", async () => {
      const writes: string[][] = [];
      const seenBeforeWrite: string[][] = [];
      const seen: string[] = [];
      const batch: Batch<string> = {
        async write(_tx, rows) {
          writes.push([...rows]);
          seenBeforeWrite.push([...seen]);
        },
      };
      let fail = false;
      const deps = depsWith({
        name: "gatherer",
        async inTransaction(_deps, tx, events) {
          for (const event of events) {
            seen.push(event.type);
            gathered(tx, batch)?.push(`${event.type} ${event.ticket.id}`);
          }
          if (fail) throw new Error("reaction failed");
        },
      });
      const admin = await makeAdmin(deps);
      const agent = await makeAgent(deps);
      const customer = await makeCustomer(deps);
      const team = await createTeam(deps, admin, {
        name: "Batch",
        assignment: "round_robin",
        offeredOnForm: true,
      });
      await addMember(deps, admin, team.id, agent.email);
      // Automatic assignment changes the new ticket again inside the creation's reactions.
      const ticket = await createTicket(deps, customer, {
        title: "Gathered",
        description: "x",
        teamId: team.id,
      });
      assert.equal(ticket.assigneeId, agent.id);
      // Subscribed after automatic assignment, this reaction hears of the assignment (a
      // change made by a reaction before it) first; the rows are written once, at the end.
      assert.deepEqual(writes, [
        [
          `ticket.updated ${ticket.id}`,
          `ticket.assigned ${ticket.id}`,
          `ticket.created ${ticket.id}`,
        ],
      ]);
      assert.deepEqual(seenBeforeWrite[0], ["ticket.updated", "ticket.assigned", "ticket.created"]);

      fail = true;
      await assert.rejects(
        createTicket(deps, customer, { title: "Failed", description: "x" }),
        /reaction failed/,
      );
      assert.equal(writes.length, 1, "the failed change wrote nothing");

      await deps.db.transaction(async (tx) => {
        assert.equal(gathered(tx, batch), undefined, "no change is being recorded");
      });
    });

    test("after-commit reactions hear of a change once it commits, and never of one rolled back", async () => {
      const heard: CommittedEvent[] = [];
      const deps = depsWith({
        name: "listener",
        afterCommit(events) {
          heard.push(...events);
        },
      });
      const unlisten = await testDb.database.listen(EVENTS_CHANNEL, {
        onPayload: (payload) => deps.events.deliver(payload, deps.log),
      });
      try {
        const customer = await makeCustomer(deps);
        const agent = await makeAgent(deps);
        // Rolled back: the ticket is made, then the transaction fails.
        await assert.rejects(
          deps.db.transaction(async (tx) => {
            await createTicket(deps, customer, { title: "never", description: "x" }, [], { tx });
            throw new Error("abort");
          }),
          /abort/,
        );
        const ticket = await makeTicket(deps, customer);
        await addReply(deps, agent, ticket.id, { content: "internal", internal: true });
        await until(() => heard.some((e) => e.type === "message.created"), "the note's event");
        assert.deepEqual(
          heard.map((e) => [e.type, e.ticketId]),
          [
            ["ticket.created", ticket.id],
            ["message.created", ticket.id],
          ],
        );
        assert.equal(heard[1]?.internal, true);
        assert.equal(heard[1]?.requesterId, customer.id);
      } finally {
        await unlisten();
      }
    });
  });
}
