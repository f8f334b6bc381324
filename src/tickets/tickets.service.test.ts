import assert from "node:assert/strict";
import { test } from "node:test";
import { eq } from "drizzle-orm";
import { makeAdmin, makeAgent, makeCustomer, makeTicket } from "../../test/helpers/factories.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { messages, ticketEvents, tickets } from "../db/schema/index.ts";
import { Conflict, Forbidden, Invalid, NotFound } from "../lib/errors.ts";
import * as service from "./tickets.service.ts";

describeEachDatabase("tickets service", (world) => {
  test("creating a ticket writes the ticket, its first message and a created event together", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    const ticket = await service.createTicket(deps, customer, {
      title: "  VPN drops every hour  ",
      description: "Since Monday.",
      priority: "high",
    });
    assert.equal(ticket.title, "VPN drops every hour");
    assert.equal(ticket.status, "new");
    assert.equal(ticket.priority, "high");
    assert.equal(ticket.requesterId, customer.id);
    const rows = await deps.db.select().from(messages).where(eq(messages.ticketId, ticket.id));
    assert.deepEqual(
      rows.map((m) => [m.content, m.authorId, m.internal]),
      [["Since Monday.", customer.id, false]],
    );
    const events = await deps.db
      .select()
      .from(ticketEvents)
      .where(eq(ticketEvents.ticketId, ticket.id));
    assert.deepEqual(
      events.map((e) => [e.kind, e.toValue, e.actorId]),
      [["created", "new", customer.id]],
    );
  });

  test("invalid tickets are refused field by field and nothing is written", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    await assert.rejects(
      service.createTicket(deps, customer, {
        title: " ",
        description: "",
        priority: "huge" as "low",
      }),
      (error: unknown) => {
        assert.ok(error instanceof Invalid);
        assert.deepEqual(error.errors.map((e) => e.field).sort(), [
          "description",
          "priority",
          "title",
        ]);
        return true;
      },
    );
    const mine = await deps.db.select().from(tickets).where(eq(tickets.requesterId, customer.id));
    assert.equal(mine.length, 0);
  });

  test("a NUL byte or an overlong title is a field error, not a database error", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    await assert.rejects(
      service.createTicket(deps, customer, { title: "a\u0000b", description: "x" }),
      Invalid,
    );
    await assert.rejects(
      service.createTicket(deps, customer, { title: "x".repeat(201), description: "x" }),
      Invalid,
    );
  });

  test("an agent's first public reply opens a new ticket; reply-and-wait sets it pending", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    const agent = await makeAgent(deps);
    const first = await makeTicket(deps, customer);
    const r1 = await service.addReply(deps, agent, first.id, { content: "Looking into it." });
    assert.equal(r1.ticket.status, "open");
    const second = await makeTicket(deps, customer);
    const r2 = await service.addReply(deps, agent, second.id, {
      content: "Can you send a log?",
      waitOnCustomer: true,
    });
    assert.equal(r2.ticket.status, "pending");
    const events = await deps.db
      .select()
      .from(ticketEvents)
      .where(eq(ticketEvents.ticketId, second.id));
    assert.deepEqual(
      events.map((e) => [e.kind, e.fromValue, e.toValue]),
      [
        ["created", null, "new"],
        ["status", "new", "pending"],
      ],
    );
  });

  test("an internal note changes no status and a customer never gets it", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    const agent = await makeAgent(deps);
    const ticket = await makeTicket(deps, customer);
    const note = await service.addReply(deps, agent, ticket.id, {
      content: "Customer is on the legacy plan.",
      internal: true,
    });
    assert.equal(note.ticket.status, "new");
    assert.equal(note.message.internal, true);
    const [after] = await deps.db.select().from(tickets).where(eq(tickets.id, ticket.id));
    assert.equal(after?.updatedAt.getTime(), ticket.updatedAt.getTime(), "no visible activity");
    const asCustomer = await service.getTicketView(deps, customer, ticket.id);
    assert.equal(
      asCustomer.messages.some((m) => m.internal),
      false,
    );
    assert.equal(asCustomer.events.length, 0, "customers get no audit trail");
    const asAgent = await service.getTicketView(deps, agent, ticket.id);
    assert.equal(asAgent.messages.filter((m) => m.internal).length, 1);
  });

  test("a customer cannot post internal notes or set their ticket pending", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    const ticket = await makeTicket(deps, customer);
    await assert.rejects(
      service.addReply(deps, customer, ticket.id, { content: "hi", internal: true }),
      Forbidden,
    );
    await assert.rejects(
      service.addReply(deps, customer, ticket.id, { content: "hi", waitOnCustomer: true }),
      Forbidden,
    );
  });

  test("an internal note cannot set the ticket pending: the customer would wait on nothing", async () => {
    const { deps } = world();
    const ticket = await makeTicket(deps, await makeCustomer(deps));
    const agent = await makeAgent(deps);
    const note = { content: "note", internal: true, waitOnCustomer: true };
    await assert.rejects(service.addReply(deps, agent, ticket.id, note), Invalid);
  });

  test("a customer's reply reopens a pending or solved ticket", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    for (const status of ["pending", "solved"] as const) {
      const ticket = await makeTicket(deps, customer, { status });
      const { ticket: after } = await service.addReply(deps, customer, ticket.id, {
        content: "Still broken.",
      });
      assert.equal(after.status, "open", `from ${status}`);
    }
  });

  test("a customer's reply on a closed ticket opens a linked follow-up; the closed one is untouched", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    const closed = await makeTicket(deps, customer, {
      status: "closed",
      title: "Old issue",
      priority: "high",
    });
    const result = await service.addReply(deps, customer, closed.id, { content: "It is back." });
    assert.notEqual(result.ticket.id, closed.id);
    assert.equal(result.ticket.followUpOf, closed.id);
    assert.equal(result.ticket.title, "Re: Old issue");
    assert.equal(result.ticket.priority, "high");
    assert.equal(result.message.content, "It is back.");
    const oldMessages = await deps.db
      .select()
      .from(messages)
      .where(eq(messages.ticketId, closed.id));
    assert.equal(oldMessages.length, 1, "nothing added to the closed ticket");
  });

  test("closed is final for staff: no replies and no changes", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    const agent = await makeAgent(deps);
    const ticket = await makeTicket(deps, customer, { status: "closed" });
    await assert.rejects(service.addReply(deps, agent, ticket.id, { content: "x" }), Conflict);
    await assert.rejects(
      service.updateTicket(deps, agent, ticket.id, { status: "open" }),
      Conflict,
    );
    await assert.rejects(
      service.updateTicket(deps, agent, ticket.id, { priority: "low" }),
      Conflict,
    );
  });

  test("assignment to an agent, to nobody, and every change is in the audit trail", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    const agent = await makeAgent(deps);
    const admin = await makeAdmin(deps);
    const ticket = await makeTicket(deps, customer);
    await service.updateTicket(deps, agent, ticket.id, {
      assigneeId: agent.id,
      priority: "urgent",
    });
    await service.updateTicket(deps, admin, ticket.id, { assigneeId: admin.id, status: "open" });
    await service.updateTicket(deps, admin, ticket.id, { assigneeId: null });
    const unchanged = await service.updateTicket(deps, admin, ticket.id, { status: "open" });
    assert.equal(unchanged.assigneeId, null);
    const events = await deps.db
      .select()
      .from(ticketEvents)
      .where(eq(ticketEvents.ticketId, ticket.id));
    assert.deepEqual(
      events.map((e) => [e.kind, e.fromValue, e.toValue, e.actorId]),
      [
        ["created", null, "new", customer.id],
        ["priority", "normal", "urgent", agent.id],
        ["assignee", null, String(agent.id), agent.id],
        ["status", "new", "open", admin.id],
        ["assignee", String(agent.id), String(admin.id), admin.id],
        ["assignee", String(admin.id), null, admin.id],
      ],
    );
  });

  test("a ticket cannot be assigned to a customer or a disabled agent", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    const agent = await makeAgent(deps);
    const ticket = await makeTicket(deps, customer);
    await assert.rejects(
      service.updateTicket(deps, agent, ticket.id, { assigneeId: customer.id }),
      Invalid,
    );
    await assert.rejects(
      service.updateTicket(deps, agent, ticket.id, { assigneeId: 2_000_000_000 }),
      Invalid,
    );
  });

  test("a customer may mark their own ticket solved and nothing else", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    const ticket = await makeTicket(deps, customer, { status: "open" });
    await assert.rejects(
      service.updateTicket(deps, customer, ticket.id, { status: "closed" }),
      Forbidden,
    );
    await assert.rejects(
      service.updateTicket(deps, customer, ticket.id, { priority: "urgent" }),
      Forbidden,
    );
    await assert.rejects(
      service.updateTicket(deps, customer, ticket.id, { assigneeId: null }),
      Forbidden,
    );
    const solved = await service.updateTicket(deps, customer, ticket.id, { status: "solved" });
    assert.equal(solved.status, "solved");
  });

  test("another customer's ticket does not exist for them: read, reply, update, attachment", async () => {
    const { deps } = world();
    const owner = await makeCustomer(deps);
    const stranger = await makeCustomer(deps);
    const ticket = await makeTicket(deps, owner);
    await assert.rejects(service.getTicketView(deps, stranger, ticket.id), NotFound);
    await assert.rejects(
      service.addReply(deps, stranger, ticket.id, { content: "me too" }),
      NotFound,
    );
    await assert.rejects(
      service.updateTicket(deps, stranger, ticket.id, { status: "solved" }),
      NotFound,
    );
    const page = await service.listTickets(deps, stranger, { requesterId: owner.id });
    assert.equal(page.tickets.length, 0, "the requester filter is forced to the customer");
  });

  test("a staff member cannot go back to new", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    const agent = await makeAgent(deps);
    const ticket = await makeTicket(deps, customer, { status: "open" });
    await assert.rejects(service.updateTicket(deps, agent, ticket.id, { status: "new" }), Invalid);
  });

  test("my tickets are listed newest activity first, with keyset pages", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    const agent = await makeAgent(deps);
    const a = await makeTicket(deps, customer, { title: "A" });
    await makeTicket(deps, customer, { title: "B" });
    await makeTicket(deps, customer, { title: "C" });
    await service.addReply(deps, agent, a.id, { content: "bump" });
    const first = await service.listTickets(deps, customer, { limit: 2 });
    assert.deepEqual(
      first.tickets.map((t) => t.title),
      ["A", "C"],
    );
    assert.ok(first.nextCursor);
    const second = await service.listTickets(deps, customer, {
      limit: 2,
      cursor: first.nextCursor,
    });
    assert.deepEqual(
      second.tickets.map((t) => t.title),
      ["B"],
    );
    assert.equal(second.nextCursor, undefined);
  });

  test("a cursor from another sort order or garbage is refused", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    await makeTicket(deps, customer);
    await makeTicket(deps, customer);
    const page = await service.listTickets(deps, customer, { limit: 1 });
    await assert.rejects(
      service.listTickets(deps, customer, { limit: 1, sort: "priority", cursor: page.nextCursor }),
      Invalid,
    );
    await assert.rejects(service.listTickets(deps, customer, { cursor: "not-a-cursor" }), Invalid);
    for (const instant of ["0000-01-01T00:00:00.000Z", "2020-02-30T00:00:00.000Z", "2020-01-01"]) {
      const cursor = Buffer.from(JSON.stringify([instant, 1, "-updatedAt"])).toString("base64url");
      await assert.rejects(service.listTickets(deps, customer, { cursor }), Invalid, instant);
    }
    await assert.rejects(service.listTickets(deps, customer, { limit: 0 }), Invalid);
  });
});
