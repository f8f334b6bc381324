import assert from "node:assert/strict";
import { test } from "node:test";
import { asc, eq } from "drizzle-orm";
import { makeAdmin, makeAgent, makeCustomer, makeTicket } from "../../test/helpers/factories.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { messages, ticketEvents, tickets } from "../db/schema/index.ts";
import { makeFields } from "../fields/test-support.ts";
import { Forbidden, Invalid, NotFound } from "../lib/errors.ts";
import { escapeMarkdown } from "../lib/markdown.ts";
import { action, ruleForm, tag, withRules } from "../rules/test-support.ts";
import { addRelation } from "../tickets/relations.service.ts";
import {
  listTicketTags,
  OpenChildren,
  TicketClosed,
  updateTicket,
} from "../tickets/tickets.service.ts";
import {
  applyMacro,
  createMacro,
  deleteMacro,
  getMacro,
  listMacros,
  previewMacro,
  updateMacro,
} from "./macros.service.ts";

describeEachDatabase("macros: service", (world) => {
  test("shared and personal like canned replies: an agent never sees or changes another's own; customers get NotFound", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const ann = await makeAgent(deps);
    const bob = await makeAgent(deps);
    const customer = await makeCustomer(deps);
    const actions = [{ type: "set_priority" as const, value: "high" }];
    const shared = await createMacro(deps, admin, { name: "Escalate", shared: true, actions });
    const annOwn = await createMacro(deps, ann, { name: "Ann's", actions });
    const bobOwn = await createMacro(deps, bob, { name: "Bob's", actions });
    const annList = (await listMacros(deps, ann)).map((m) => m.id);
    assert.ok(annList.includes(shared.id) && annList.includes(annOwn.id));
    assert.ok(!annList.includes(bobOwn.id));
    await assert.rejects(getMacro(deps, ann, bobOwn.id), NotFound);
    await assert.rejects(getMacro(deps, admin, bobOwn.id), NotFound, "personal even to admins");
    await assert.rejects(updateMacro(deps, ann, bobOwn.id, { name: "x", actions }), NotFound);
    await assert.rejects(deleteMacro(deps, ann, bobOwn.id), NotFound);
    await assert.rejects(
      createMacro(deps, ann, { name: "S", shared: true, actions }),
      Forbidden,
      "only admins share",
    );
    await assert.rejects(updateMacro(deps, ann, shared.id, { name: "x", actions }), Forbidden);
    await assert.rejects(deleteMacro(deps, ann, shared.id), Forbidden);
    await assert.rejects(listMacros(deps, customer), NotFound);
    await assert.rejects(createMacro(deps, customer, { name: "c", actions }), NotFound);
    const renamed = await updateMacro(deps, ann, annOwn.id, { name: " Ann 2 ", actions });
    assert.equal(renamed.name, "Ann 2");
    await deleteMacro(deps, ann, annOwn.id);
    await assert.rejects(getMacro(deps, ann, annOwn.id), NotFound);
  });

  test("actions are checked as rules check theirs, each problem on its row; placeholders as canned replies'", async () => {
    const { deps } = world();
    const agent = await makeAgent(deps);
    const refused = await createMacro(deps, agent, {
      name: "Bad",
      actions: [
        { type: "set_status", value: "sideways" },
        { type: "set_assignee", value: "nobody-here@example.test" },
        { type: "add_reply", body: "Hi {{requester.firstname}}" },
        { type: "add_note", body: "" },
      ],
    }).catch((e: unknown) => e);
    assert.ok(refused instanceof Invalid);
    assert.deepEqual(
      refused.errors.map((e) => e.field),
      ["actions.0.value", "actions.1.value", "actions.2.body", "actions.3.body"],
    );
    await assert.rejects(createMacro(deps, agent, { name: "Empty", actions: [] }), Invalid);
  });

  test("the preview shows old → new and the filled-in reply, and changes nothing", async () => {
    const { deps } = world();
    const agent = await makeAgent(deps, { name: "Agent Ann" });
    const customer = await makeCustomer(deps, { name: "Cus <b>Tomer</b>" });
    const ticket = await makeTicket(deps, customer, { status: "open" });
    const word = tag();
    const macro = await createMacro(deps, agent, {
      name: "Solve with thanks",
      actions: [
        { type: "add_reply", body: "Thanks {{requester.name}}, solved #{{ticket.id}}." },
        { type: "set_status", value: "solved" },
        { type: "set_priority", value: "low" },
        { type: "set_assignee", value: agent.email },
        { type: "add_tag", value: word },
      ],
    });
    const before = await deps.db.select().from(tickets).where(eq(tickets.id, ticket.id));
    const eventsBefore = await deps.db.$count(ticketEvents, eq(ticketEvents.ticketId, ticket.id));
    const preview = await previewMacro(deps, agent, ticket.id, macro.id);
    assert.deepEqual(preview.changes, [
      { field: "status", from: "open", to: "solved" },
      { field: "priority", from: "normal", to: "low" },
      { field: "assignee", from: null, to: "Agent Ann" },
    ]);
    assert.deepEqual(preview.tagsAdded, [word]);
    assert.equal(preview.replies.length, 1);
    assert.match(preview.replies[0]?.body ?? "", new RegExp(`solved #${ticket.id}\\.`));
    assert.ok(
      preview.replies[0]?.body.includes(escapeMarkdown("Cus <b>Tomer</b>")),
      "the requester's name is filled in as escaped text",
    );
    assert.equal(preview.closed, false);
    const after = await deps.db.select().from(tickets).where(eq(tickets.id, ticket.id));
    assert.deepEqual(after, before, "the ticket is as it was");
    assert.equal(
      await deps.db.$count(ticketEvents, eq(ticketEvents.ticketId, ticket.id)),
      eventsBefore,
    );
    assert.deepEqual(await listTicketTags(deps, agent, ticket.id), []);
  });

  test("applying changes everything in one go, each audit row names the macro, and rules fire on its changes", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const agent = await makeAgent(deps);
    const customer = await makeCustomer(deps);
    const word = tag();
    const ticket = await makeTicket(deps, customer, { title: `Macro ${word}`, status: "open" });
    const macro = await createMacro(deps, agent, {
      name: "Escalate it",
      actions: [
        { type: "add_note", body: "Escalated by {{agent.name}}" },
        { type: "set_priority", value: "high" },
        { type: "set_assignee", value: agent.email },
        { type: "add_tag", value: word },
      ],
    });
    await withRules(
      deps,
      admin,
      [
        ruleForm({
          event: "ticket_updated",
          conditions: [{ field: "subject", op: "contains", value: word }],
          actions: [action({ type: "set_status", value: "pending" })],
        }),
      ],
      async ([rule]) => {
        const applied = await applyMacro(deps, agent, ticket.id, macro.id);
        assert.equal(applied.priority, "high");
        assert.equal(applied.assigneeId, agent.id);
        assert.equal(applied.status, "pending", "the rule fired on the macro's change");
        assert.deepEqual(await listTicketTags(deps, agent, ticket.id), [word]);
        const notes = await deps.db
          .select()
          .from(messages)
          .where(eq(messages.ticketId, ticket.id))
          .orderBy(asc(messages.id));
        assert.equal(notes.at(-1)?.internal, true);
        assert.equal(notes.at(-1)?.content, `Escalated by ${escapeMarkdown(agent.name)}`);
        const rows = await deps.db
          .select()
          .from(ticketEvents)
          .where(eq(ticketEvents.ticketId, ticket.id))
          .orderBy(asc(ticketEvents.id));
        const byAgent = rows.filter((r) => r.actorId === agent.id);
        assert.deepEqual(
          byAgent.map((r) => [r.kind, r.viaMacro]),
          [
            ["macro", "Escalate it"],
            ["priority", "Escalate it"],
            ["assignee", "Escalate it"],
            ["tag_added", "Escalate it"],
          ],
        );
        const ruleRows = rows.filter((r) => r.actorId !== agent.id && r.kind !== "created");
        assert.ok(ruleRows.some((r) => r.kind === "rule" && r.toValue === rule?.name));
        assert.ok(
          ruleRows.every((r) => r.viaMacro === null),
          "the rule's own changes carry the rule, not the macro",
        );
      },
    );
  });

  test("a closed ticket is refused and nothing is applied; solving a parent asks first about open children", async () => {
    const { deps } = world();
    const agent = await makeAgent(deps);
    const customer = await makeCustomer(deps);
    const solve = await createMacro(deps, agent, {
      name: "Solve",
      actions: [
        { type: "add_note", body: "Done" },
        { type: "set_status", value: "solved" },
      ],
    });
    const closed = await makeTicket(deps, customer, { status: "closed" });
    assert.equal((await previewMacro(deps, agent, closed.id, solve.id)).closed, true);
    await assert.rejects(applyMacro(deps, agent, closed.id, solve.id), TicketClosed);

    const parent = await makeTicket(deps, customer, { status: "open" });
    const child = await makeTicket(deps, customer, { status: "open" });
    await addRelation(deps, agent, parent.id, { relation: "child", ticketId: child.id });
    assert.deepEqual((await previewMacro(deps, agent, parent.id, solve.id)).openChildren, [
      child.id,
    ]);
    const notesBefore = await deps.db.$count(messages, eq(messages.ticketId, parent.id));
    await assert.rejects(applyMacro(deps, agent, parent.id, solve.id), OpenChildren);
    assert.equal(
      await deps.db.$count(messages, eq(messages.ticketId, parent.id)),
      notesBefore,
      "the note rolled back with the refused status",
    );
    const solved = await applyMacro(deps, agent, parent.id, solve.id, {
      solveWithOpenChildren: true,
    });
    assert.equal(solved.status, "solved");
  });

  test("custom fields: typed name=value, previewed by label old → new, applied with the macro in the audit trail (a required field it sets lets it solve)", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const f = await makeFields(deps, admin);
    const agent = await makeAgent(deps);
    const ticket = await makeTicket(deps, await makeCustomer(deps), { status: "open" });
    await updateTicket(deps, agent, ticket.id, { fields: { product: "Printer", units: 5 } });
    const refused = await createMacro(deps, agent, {
      name: "Bad",
      actions: [{ type: "set_field", value: "due=tomorrow" }],
    }).catch((e: unknown) => e);
    assert.ok(refused instanceof Invalid);
    assert.deepEqual(
      refused.errors.map((e) => [e.field, e.message]),
      [["actions.0.value", "must be a date (YYYY-MM-DD)"]],
    );
    const macro = await createMacro(deps, agent, {
      name: "Swap to scanner",
      actions: [
        { type: "set_field", value: "serial=SN-1" },
        { type: "set_field", value: "product=scanner" },
        { type: "set_field", value: "units=" },
        { type: "set_field", value: "vip=false" },
        { type: "set_status", value: "solved" },
      ],
    });
    const preview = await previewMacro(deps, agent, ticket.id, macro.id);
    assert.deepEqual(preview.fieldChanges, [
      { name: "serial", label: "Serial number", from: null, to: "SN-1" },
      { name: "product", label: "Product", from: "Printer", to: "Scanner" },
      { name: "units", label: "Units", from: "5", to: null },
    ]);
    assert.deepEqual(preview.changes, [{ field: "status", from: "open", to: "solved" }]);

    await applyMacro(deps, agent, ticket.id, macro.id);
    const [row] = await deps.db.select().from(tickets).where(eq(tickets.id, ticket.id));
    assert.equal(row?.status, "solved", "the serial it sets is there before solving is checked");
    assert.deepEqual(row?.fields, {
      [String(f.product?.id)]: "Scanner",
      [String(f.serial?.id)]: "SN-1",
    });
    const audited = await deps.db
      .select()
      .from(ticketEvents)
      .where(eq(ticketEvents.ticketId, ticket.id))
      .orderBy(asc(ticketEvents.id));
    assert.deepEqual(
      audited
        .filter((e) => e.viaMacro !== null)
        .map((e) => [e.kind, e.field, e.fromValue, e.toValue, e.viaMacro])
        .filter(([kind]) => kind !== "macro"),
      [
        ["status", null, "open", "solved", "Swap to scanner"],
        ["field", "serial", null, "SN-1", "Swap to scanner"],
        ["field", "product", "Printer", "Scanner", "Swap to scanner"],
        ["field", "units", "5", null, "Swap to scanner"],
      ],
    );
  });
});
