import assert from "node:assert/strict";
import { test } from "node:test";
import { and, eq } from "drizzle-orm";
import { makeAdmin, makeAgent, makeCustomer } from "../../test/helpers/factories.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { updateUser } from "../accounts/accounts.service.ts";
import { messages, outbox, ruleFailures, ticketEvents, tickets } from "../db/schema/index.ts";
import type { Deps } from "../deps.ts";
import * as ticketService from "../tickets/tickets.service.ts";
import { MAX_DEPTH } from "./engine.ts";
import { action, ruleForm, tag, withRules } from "./test-support.ts";

async function audit(deps: Deps, ticketId: number) {
  const rows = await deps.db
    .select()
    .from(ticketEvents)
    .where(eq(ticketEvents.ticketId, ticketId))
    .orderBy(ticketEvents.id);
  return rows.map((e) => [e.kind, e.fromValue, e.toValue]);
}

async function notes(deps: Deps, ticketId: number) {
  const rows = await deps.db
    .select()
    .from(messages)
    .where(and(eq(messages.ticketId, ticketId), eq(messages.internal, true)))
    .orderBy(messages.id);
  return rows.map((m) => m.content);
}

async function current(deps: Deps, ticketId: number) {
  const [row] = await deps.db.select().from(tickets).where(eq(tickets.id, ticketId));
  assert.ok(row);
  return row;
}

describeEachDatabase("rule triggers", (world) => {
  test("a trigger on new tickets sets the priority and adds a note, as the automation account, with an audit row naming it", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const customer = await makeCustomer(deps, { name: "Ada" });
    const word = tag();
    await withRules(
      deps,
      admin,
      [
        ruleForm({
          name: `Urgent ${word}`,
          conditions: [{ field: "subject", op: "contains", value: word.toUpperCase() }],
          actions: [
            action({ type: "set_priority", value: "urgent" }),
            action({ type: "add_note", body: "Escalated for {{requester.name}} (#{{ticket.id}})" }),
          ],
        }),
      ],
      async ([rule]) => {
        assert.ok(rule);
        const ticket = await ticketService.createTicket(deps, customer, {
          title: `Down ${word}`,
          description: "All of it.",
        });
        const after = await current(deps, ticket.id);
        assert.equal(after.priority, "urgent");
        assert.deepEqual(await notes(deps, ticket.id), [`Escalated for Ada (#${ticket.id})`]);
        assert.deepEqual(await audit(deps, ticket.id), [
          ["created", null, "new"],
          ["rule", String(rule.id), `Urgent ${word}`],
          ["priority", "normal", "urgent"],
        ]);
        const [fired] = await deps.db
          .select()
          .from(ticketEvents)
          .where(and(eq(ticketEvents.ticketId, ticket.id), eq(ticketEvents.kind, "rule")));
        const view = await ticketService.getTicketView(deps, admin, ticket.id);
        const actor = view.events.find((e) => e.id === fired?.id);
        assert.equal(actor?.actorName, "Automation");

        const other = await ticketService.createTicket(deps, customer, {
          title: "Something else",
          description: "No match.",
        });
        assert.equal((await current(deps, other.id)).priority, "normal");
      },
    );
  });

  test("each trigger runs on its own event only", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const agent = await makeAgent(deps);
    const customer = await makeCustomer(deps);
    const word = tag();
    const events = [
      "ticket_created",
      "ticket_updated",
      "customer_replied",
      "agent_replied",
      "note_added",
      "status_changed",
    ];
    await withRules(
      deps,
      admin,
      events.map((event) =>
        ruleForm({
          name: event,
          event,
          conditions: [{ field: "subject", op: "contains", value: word }],
          // A mail to an address: an action that changes nothing on the ticket.
          actions: [
            action({
              type: "send_mail",
              to: "address",
              address: "log@example.test",
              subject: event,
              body: event,
            }),
          ],
        }),
      ),
      async () => {
        const fired = async (ticketId: number) =>
          (
            await deps.db
              .select()
              .from(outbox)
              .where(and(eq(outbox.ticketId, ticketId), eq(outbox.kind, "rule")))
              .orderBy(outbox.id)
          ).map((m) => m.subject.replace(/^\[#\d+\] /, ""));
        const ticket = await ticketService.createTicket(deps, customer, {
          title: `Help ${word}`,
          description: "x",
        });
        assert.deepEqual(await fired(ticket.id), ["ticket_created"]);
        await ticketService.addReply(deps, agent, ticket.id, { content: "Hello" });
        // The agent's first reply also opens the ticket: updated and status changed.
        assert.deepEqual((await fired(ticket.id)).slice(1), [
          "agent_replied",
          "ticket_updated",
          "status_changed",
        ]);
        await ticketService.addReply(deps, customer, ticket.id, { content: "Thanks" });
        assert.deepEqual((await fired(ticket.id)).slice(4), ["customer_replied"]);
        await ticketService.addReply(deps, agent, ticket.id, { content: "psst", internal: true });
        assert.deepEqual((await fired(ticket.id)).slice(5), ["note_added"]);
        await ticketService.updateTicket(deps, agent, ticket.id, { priority: "high" });
        assert.deepEqual((await fired(ticket.id)).slice(6), ["ticket_updated"]);
      },
    );
  });

  test("rules run in their order, each seeing what the earlier ones did; reordering changes the outcome; disabled rules do not run", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const customer = await makeCustomer(deps);
    const word = tag();
    const { moveRule, setRuleEnabled } = await import("./rules.service.ts");
    await withRules(
      deps,
      admin,
      [
        ruleForm({
          name: "first: high",
          conditions: [{ field: "subject", op: "contains", value: word }],
          actions: [action({ type: "set_priority", value: "high" })],
        }),
        ruleForm({
          name: "second: note on high",
          conditions: [
            { field: "subject", op: "contains", value: word },
            { field: "priority", op: "is", value: "high" },
          ],
          actions: [action({ type: "add_note", body: "saw high" })],
        }),
      ],
      async ([first, second]) => {
        assert.ok(first && second);
        const a = await ticketService.createTicket(deps, customer, {
          title: word,
          description: "x",
        });
        assert.deepEqual(await notes(deps, a.id), ["saw high"]);

        await moveRule(deps, admin, second.id, "up");
        const b = await ticketService.createTicket(deps, customer, {
          title: word,
          description: "x",
        });
        assert.deepEqual(await notes(deps, b.id), []);
        assert.equal((await current(deps, b.id)).priority, "high");

        await setRuleEnabled(deps, admin, first.id, false);
        const c = await ticketService.createTicket(deps, customer, {
          title: word,
          description: "x",
        });
        assert.equal((await current(deps, c.id)).priority, "normal");
        assert.deepEqual(await audit(deps, c.id), [["created", null, "new"]]);
      },
    );
  });

  test("any: one condition is enough; all: every one", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const customer = await makeCustomer(deps);
    const word = tag();
    await withRules(
      deps,
      admin,
      [
        ruleForm({
          match: "any",
          conditions: [
            { field: "subject", op: "contains", value: `${word}-a` },
            { field: "body", op: "contains", value: `${word}-b` },
          ],
          actions: [action({ type: "add_note", body: "any" })],
        }),
        ruleForm({
          match: "all",
          conditions: [
            { field: "subject", op: "contains", value: `${word}-a` },
            { field: "body", op: "contains", value: `${word}-b` },
          ],
          actions: [action({ type: "add_note", body: "all" })],
        }),
      ],
      async () => {
        const one = await ticketService.createTicket(deps, customer, {
          title: `${word}-a`,
          description: "x",
        });
        const both = await ticketService.createTicket(deps, customer, {
          title: `${word}-a`,
          description: `${word}-b`,
        });
        const none = await ticketService.createTicket(deps, customer, {
          title: "x",
          description: "y",
        });
        assert.deepEqual(await notes(deps, one.id), ["any"]);
        assert.deepEqual(await notes(deps, both.id), ["any", "all"]);
        assert.deepEqual(await notes(deps, none.id), []);
      },
    );
  });

  test(`two rules that keep undoing each other stop after ${MAX_DEPTH} firings; the cut is logged and recorded`, async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const agent = await makeAgent(deps);
    const customer = await makeCustomer(deps);
    const word = tag();
    const warnings: string[] = [];
    const logged: Deps = {
      ...deps,
      log: { ...deps.log, warn: (_obj: object, msg?: string) => void warnings.push(msg ?? "") },
    };
    await withRules(
      deps,
      admin,
      [
        ruleForm({
          name: "to urgent",
          event: "ticket_updated",
          conditions: [
            { field: "subject", op: "contains", value: word },
            { field: "priority", op: "is", value: "high" },
          ],
          actions: [action({ type: "set_priority", value: "urgent" })],
        }),
        ruleForm({
          name: "to high",
          event: "ticket_updated",
          conditions: [
            { field: "subject", op: "contains", value: word },
            { field: "priority", op: "is", value: "urgent" },
          ],
          actions: [action({ type: "set_priority", value: "high" })],
        }),
      ],
      async ([toUrgent, toHigh]) => {
        assert.ok(toUrgent && toHigh);
        const ticket = await ticketService.createTicket(deps, customer, {
          title: word,
          description: "x",
        });
        const started = Date.now();
        const updated = await ticketService.updateTicket(logged, agent, ticket.id, {
          priority: "high",
        });
        assert.ok(Date.now() - started < 5_000);
        assert.equal(updated.priority, "high");
        const fired = (await audit(deps, ticket.id)).filter(([kind]) => kind === "rule");
        assert.equal(fired.length, MAX_DEPTH);
        // high (person) -> urgent -> high -> urgent -> high -> urgent; the sixth is cut.
        assert.equal((await current(deps, ticket.id)).priority, "urgent");
        assert.deepEqual(warnings, ["rule loop cut"]);
        const failures = await deps.db
          .select()
          .from(ruleFailures)
          .where(eq(ruleFailures.ticketId, ticket.id));
        assert.deepEqual(
          failures.map((f) => f.ruleId),
          [toHigh.id],
        );
        assert.match(failures[0]?.reason ?? "", /more than 5 levels deep/);
      },
    );
  });

  test("a refused action rolls back its rule alone: the person's change stands and the reason is recorded", async () => {
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
          name: "assign to leaver",
          conditions: [{ field: "subject", op: "contains", value: word }],
          actions: [
            action({ type: "add_note", body: "assigning" }),
            action({ type: "set_assignee", value: leaving.email }),
          ],
        }),
      ],
      async ([rule]) => {
        assert.ok(rule);
        await updateUser(deps, admin, leaving.id, { disabled: true });
        const ticket = await ticketService.createTicket(deps, customer, {
          title: word,
          description: "x",
        });
        const row = await current(deps, ticket.id);
        assert.equal(row.assigneeId, null);
        assert.deepEqual(await notes(deps, ticket.id), []);
        assert.deepEqual(await audit(deps, ticket.id), [["created", null, "new"]]);
        const failures = await deps.db
          .select()
          .from(ruleFailures)
          .where(eq(ruleFailures.ticketId, ticket.id));
        assert.equal(failures.length, 1);
        assert.equal(failures[0]?.ruleId, rule.id);
        assert.match(failures[0]?.reason ?? "", /field|agent|attention/i);
      },
    );
  });

  test("a rule's mail escapes every placeholder value in HTML: a customer named <script> is inert", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const customer = await makeCustomer(deps, { name: "<script>alert(1)</script>" });
    const word = tag();
    await withRules(
      deps,
      admin,
      [
        ruleForm({
          conditions: [{ field: "subject", op: "contains", value: word }],
          actions: [
            action({
              type: "send_mail",
              to: "requester",
              subject: "About {{ticket.title}}",
              body: "Hello {{requester.name}},\n\nwe got <b>{{ticket.title}}</b>.",
            }),
          ],
        }),
      ],
      async () => {
        const ticket = await ticketService.createTicket(deps, customer, {
          title: `${word} <img src=x onerror=alert(2)>`,
          description: "x",
        });
        const [mail] = await deps.db
          .select()
          .from(outbox)
          .where(and(eq(outbox.ticketId, ticket.id), eq(outbox.kind, "rule")));
        assert.ok(mail);
        assert.equal(mail.toAddress, customer.email);
        assert.ok(!mail.htmlBody.includes("<script>"));
        assert.ok(!mail.htmlBody.includes("<img"));
        assert.ok(!mail.htmlBody.includes("<b>"));
        assert.ok(mail.htmlBody.includes("Hello &lt;script&gt;alert(1)&lt;/script&gt;,"));
        assert.ok(mail.textBody.includes("Hello <script>alert(1)</script>,"));
        assert.equal(mail.subject, `[#${ticket.id}] About ${word} <img src=x onerror=alert(2)>`);
        assert.ok(mail.headers["Reply-To"]);
      },
    );
  });

  test("a rule's mail goes to the assignee, to every agent who takes mail, or to an address; never to a disabled account", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const assignee = await makeAgent(deps);
    const customer = await makeCustomer(deps);
    const word = tag();
    const mail = (to: string, extra: Record<string, string> = {}) =>
      action({
        type: "send_mail",
        to,
        subject: `to ${to}`,
        body: "Ticket {{ticket.id}} for {{agent.name}}",
        ...extra,
      });
    await withRules(
      deps,
      admin,
      [
        ruleForm({
          event: "ticket_updated",
          conditions: [{ field: "subject", op: "contains", value: word }],
          actions: [
            mail("assignee"),
            mail("all_agents"),
            mail("address", { address: "Boss@Example.test" }),
          ],
        }),
      ],
      async () => {
        const ticket = await ticketService.createTicket(deps, customer, {
          title: word,
          description: "x",
        });
        await ticketService.updateTicket(deps, admin, ticket.id, { assigneeId: assignee.id });
        const sent = await deps.db
          .select()
          .from(outbox)
          .where(and(eq(outbox.ticketId, ticket.id), eq(outbox.kind, "rule")));
        const to = (subject: string) =>
          sent.filter((m) => m.subject.endsWith(subject)).map((m) => m.toAddress);
        assert.deepEqual(to("to assignee"), [assignee.email]);
        assert.ok(to("to all_agents").includes(assignee.email));
        assert.ok(to("to all_agents").includes(admin.email));
        assert.ok(!to("to all_agents").includes("automation@tessera.invalid"));
        assert.deepEqual(to("to address"), ["boss@example.test"]);
        assert.match(sent[0]?.textBody ?? "", new RegExp(`Ticket ${ticket.id} for Test agent`));
      },
    );
  });
});
