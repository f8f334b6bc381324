// Issue 15's "done when", as one agent's morning through the API, on both databases:
// tag and field a ticket, answer it with a canned reply, solve another with a macro in
// one action, bulk-assign 50 tickets from a saved view, merge two tickets, and find the
// result with `printer -toner status:open assignee:me tag:hardware`. (The picker, bulk
// selection and live search in a browser: test/e2e/canned, bulk and desk-search.)
import assert from "node:assert/strict";
import { test } from "node:test";
import { eq } from "drizzle-orm";
import { createCannedReply } from "../../src/canned/canned.service.ts";
import { messages, ticketEvents, tickets } from "../../src/db/schema/index.ts";
import { createField } from "../../src/fields/fields.service.ts";
import { apiAs } from "../helpers/api.ts";
import { makeAdmin, makeAgent, makeCustomer } from "../helpers/factories.ts";
import { describeEachDatabase } from "../helpers/world.ts";

describeEachDatabase("an agent's tools, end to end (issue 15)", (world) => {
  test("tags and fields, a canned reply, a macro, a saved view's bulk assignment, a merge, and the search that finds it", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const agent = await makeAgent(deps, { name: "Avery Agent" });
    const ada = await makeCustomer(deps, { name: "Ada Lovelace" });
    const bob = await makeCustomer(deps);
    await createField(deps, admin, { name: "asset", label: "Asset tag", type: "text" });
    const staff = await apiAs(world(), agent);
    const asAda = await apiAs(world(), ada);
    const asBob = await apiAs(world(), bob);
    const open = async (as: typeof asAda, title: string, description: string) => {
      const res = await as.post("/tickets", { title, description });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body.id as number;
    };

    // 1. Tag and field a ticket.
    const printer = await open(asAda, "Printer jams on page two", "The printer in room 4 jams.");
    assert.equal(
      (await staff.post(`/tickets/${printer}/tags`, { tags: ["hardware"] })).status,
      200,
    );
    const fielded = await staff.patch(`/tickets/${printer}`, { fields: { asset: "PR-0042" } });
    assert.equal(fielded.status, 200, JSON.stringify(fielded.body));
    assert.deepEqual(fielded.body.tags, ["hardware"]);
    assert.equal(fielded.body.fields.asset, "PR-0042");

    // 2. Answer it with a canned reply, its placeholders filled in for this ticket.
    const canned = await createCannedReply(deps, agent, {
      title: "Jam steps",
      body: "Hello {{requester.name}}, please open tray {{field.asset}} and remove the paper.",
    });
    const rendered = await staff.get(`/tickets/${printer}/canned-replies/${canned.id}/rendered`);
    assert.equal(rendered.status, 200);
    const answered = await staff.post(`/tickets/${printer}/messages`, {
      content: rendered.body.body,
    });
    assert.equal(answered.status, 201);
    const [reply] = await deps.db
      .select({ content: messages.content })
      .from(messages)
      .where(eq(messages.id, answered.body.id));
    // Values are escaped to read as plain text in the Markdown ("PR\-0042" shows "PR-0042").
    assert.equal(
      reply?.content,
      "Hello Ada Lovelace, please open tray PR\\-0042 and remove the paper.",
    );
    // Ada writes back: the ticket is open again.
    assert.equal(
      (await asAda.post(`/tickets/${printer}/messages`, { content: "Still jamming." })).status,
      201,
    );

    // 3. Solve another with a macro, in one action.
    const macro = await staff.post("/macros", {
      name: "Solved: restarted",
      actions: [
        { type: "add_reply", body: "We restarted it for you, {{requester.name}}." },
        { type: "set_status", value: "solved" },
      ],
    });
    assert.equal(macro.status, 201, JSON.stringify(macro.body));
    const offline = await open(asBob, "Printer offline", "It shows offline since Monday.");
    const applied = await staff.post(`/tickets/${offline}/macros/${macro.body.id}`, {});
    assert.equal(applied.status, 200, JSON.stringify(applied.body));
    assert.equal(applied.body.status, "solved");
    const macroRows = await deps.db
      .select({ kind: ticketEvents.kind, viaMacro: ticketEvents.viaMacro })
      .from(ticketEvents)
      .where(eq(ticketEvents.ticketId, offline));
    assert.ok(macroRows.some((r) => r.kind === "status" && r.viaMacro === "Solved: restarted"));

    // 4. Bulk-assign 50 tickets from a saved view.
    const scanners: number[] = [];
    for (let i = 1; i <= 50; i++) {
      scanners.push(await open(i % 2 ? asAda : asBob, `Scanner queue stuck ${i}`, "Stuck."));
    }
    const view = await staff.post("/views", {
      name: "Scanner queue",
      filters: { queue: "unassigned", q: "scanner queue" },
    });
    assert.equal(view.status, 201, JSON.stringify(view.body));
    const listed = await staff.get(`/views/${view.body.id}/tickets?limit=100`);
    assert.equal(listed.status, 200);
    const ids = (listed.body.data as { id: number }[]).map((t) => t.id);
    assert.deepEqual(
      [...ids].sort((a, b) => a - b),
      scanners,
    );
    const bulk = await staff.post("/tickets/bulk", { ids, changes: { assigneeId: "me" } });
    assert.equal(bulk.status, 200, JSON.stringify(bulk.body));
    assert.deepEqual(
      new Set((bulk.body.data as { outcome: string }[]).map((r) => r.outcome)),
      new Set(["changed"]),
    );
    const assigned = await deps.db
      .select({ id: tickets.id })
      .from(tickets)
      .where(eq(tickets.assigneeId, agent.id));
    assert.equal(assigned.filter((t) => scanners.includes(t.id)).length, 50);
    assert.equal((await staff.get(`/views/${view.body.id}/tickets`)).body.data.length, 0);

    // 5. Merge Ada's second ticket into the first.
    const again = await open(asAda, "Printer jams again", "Since the firmware update, room 4.");
    const merged = await staff.post(`/tickets/${again}/merge`, { targetId: printer });
    assert.equal(merged.status, 200, JSON.stringify(merged.body));
    const [source] = await deps.db.select().from(tickets).where(eq(tickets.id, again));
    assert.equal(source?.status, "closed");
    const moved = await deps.db
      .select({ id: messages.id })
      .from(messages)
      .where(eq(messages.ticketId, printer));
    assert.equal(moved.length, 4, "description, the canned reply, Ada's answer, the merged one");
    assert.equal((await staff.patch(`/tickets/${printer}`, { assigneeId: agent.id })).status, 200);

    // 6. Find it: a decoy with toner, another without the tag, neither found.
    const toner = await open(asBob, "Printer toner empty", "The printer says toner low.");
    await staff.post(`/tickets/${toner}/tags`, { tags: ["hardware"] });
    await staff.patch(`/tickets/${toner}`, { status: "open", assigneeId: agent.id });
    const untagged = await open(asBob, "Printer jam in hall", "Paper jam.");
    await staff.patch(`/tickets/${untagged}`, { status: "open", assigneeId: agent.id });
    const q = encodeURIComponent("printer -toner status:open assignee:me tag:hardware");
    const found = await staff.get(`/tickets?q=${q}`);
    assert.equal(found.status, 200, JSON.stringify(found.body));
    assert.deepEqual(
      (found.body.data as { id: number }[]).map((t) => t.id),
      [printer],
    );
    // The merged ticket's words are the target's now (the closed source keeps its own).
    const byMergedWords = await staff.get(
      `/tickets?q=${encodeURIComponent("firmware status:open")}`,
    );
    assert.deepEqual(
      (byMergedWords.body.data as { id: number }[]).map((t) => t.id),
      [printer],
    );
  });
});
