import assert from "node:assert/strict";
import { test } from "node:test";
import { and, eq } from "drizzle-orm";
import { anonymousApi, apiAs } from "../../test/helpers/api.ts";
import { makeAdmin, makeAgent, makeCustomer, makeTicket } from "../../test/helpers/factories.ts";
import { decodeEntities } from "../../test/helpers/html.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { macros, ticketEvents, tickets } from "../db/schema/index.ts";
import { createField } from "../fields/fields.service.ts";
import { createMacro } from "./macros.service.ts";

describeEachDatabase("macros: pages and API", (world) => {
  test("an agent creates a macro on the page, previews it on a ticket without JavaScript, and applies it; the trail says via the macro", async () => {
    const { deps } = world();
    const agentUser = await makeAgent(deps, { name: "Page Agent" });
    const agent = await world().signedIn(agentUser);
    const customer = await makeCustomer(deps);
    const ticket = await makeTicket(deps, customer, { status: "open" });

    const refused = await agent.post("/macros", {
      name: "Close out",
      "actions.0.type": "set_status",
      "actions.0.value": "sideways",
    });
    assert.equal(refused.statusCode, 422);
    assert.match(refused.body, /id="field-actions\.0\.value-error"/);

    const created = await agent.post("/macros", {
      name: "Close out",
      "actions.0.type": "add_reply",
      "actions.0.body": "Done for you, {{requester.name}}.",
      "actions.1.type": "set_status",
      "actions.1.value": "solved",
    });
    assert.equal(created.statusCode, 303);
    const [row] = await deps.db.select().from(macros).where(eq(macros.ownerId, agentUser.id));
    assert.ok(row);
    const list = await agent.get("/macros");
    assert.match(list.body, /Close out/);

    const page = await agent.get(`/tickets/${ticket.id}`);
    assert.match(page.body, new RegExp(`href="/tickets/${ticket.id}/macros"`));
    const choose = await agent.get(`/tickets/${ticket.id}/macros`);
    assert.equal(choose.statusCode, 200);
    assert.match(choose.body, new RegExp(`<option value="${row.id}"`));

    const preview = await agent.get(`/tickets/${ticket.id}/macros/preview?macro=${row.id}`);
    assert.equal(preview.statusCode, 200);
    const text = decodeEntities(preview.body);
    assert.match(text, /data-change="status"/);
    assert.match(text, new RegExp(`Done for you, ${customer.name}`));
    const unchanged = await deps.db.select().from(tickets).where(eq(tickets.id, ticket.id));
    assert.equal(unchanged[0]?.status, "open", "the preview changed nothing");

    const applied = await agent.post(`/tickets/${ticket.id}/macros/${row.id}/apply`);
    assert.equal(applied.statusCode, 303);
    assert.equal(applied.headers.location, `/tickets/${ticket.id}?notice=macro-applied`);
    const after = await agent.get(`/tickets/${ticket.id}`);
    const shown = decodeEntities(after.body);
    assert.match(shown, /Page Agent<\/strong> applied the macro “Close out”/);
    assert.match(
      shown,
      /changed status from Open to Solved\s*<span class="via-macro"> \(via macro “Close out”\)/,
    );
    const rows = await deps.db
      .select()
      .from(ticketEvents)
      .where(and(eq(ticketEvents.ticketId, ticket.id), eq(ticketEvents.kind, "status")));
    assert.equal(rows.at(-1)?.viaMacro, "Close out");

    // Once closed: the preview says so and offers no button; applying is refused.
    await deps.db.update(tickets).set({ status: "closed" }).where(eq(tickets.id, ticket.id));
    const closedPreview = await agent.get(`/tickets/${ticket.id}/macros/preview?macro=${row.id}`);
    assert.match(closedPreview.body, /id="macro-closed"/);
    assert.doesNotMatch(closedPreview.body, /\/apply"/);
    const closedApply = await agent.post(`/tickets/${ticket.id}/macros/${row.id}/apply`);
    assert.equal(closedApply.statusCode, 409);
  });

  test("the API: CRUD with ownership, preview, apply; customers 404, anonymous 401", async () => {
    const { deps } = world();
    const adminUser = await makeAdmin(deps);
    const ann = await makeAgent(deps);
    const bob = await makeAgent(deps);
    const customerUser = await makeCustomer(deps);
    const ticket = await makeTicket(deps, customerUser, { status: "open" });
    const annApi = await apiAs(world(), ann);
    const bobApi = await apiAs(world(), bob);
    const adminApi = await apiAs(world(), adminUser);
    const customerApi = await apiAs(world(), customerUser);

    const created = await annApi.post<{ id: number; actions: unknown[] }>("/macros", {
      name: "Triage",
      actions: [
        { type: "set_priority", value: "urgent" },
        { type: "set_assignee", value: ann.email },
      ],
    });
    assert.equal(created.status, 201);
    assert.deepEqual(created.body.actions, [
      { type: "set_priority", value: "urgent" },
      { type: "set_assignee", value: ann.email },
    ]);
    const id = created.body.id;
    assert.equal((await bobApi.get(`/macros/${id}`)).status, 404);
    assert.equal((await bobApi.patch(`/macros/${id}`, { name: "Mine now" })).status, 404);
    assert.equal((await bobApi.request("DELETE", `/macros/${id}`)).status, 404);
    assert.equal((await adminApi.get(`/macros/${id}`)).status, 404, "personal even to admins");
    const shared = await annApi.post("/macros", { name: "S", shared: true, actions: [] });
    assert.equal(shared.status, 403);
    assert.equal((await customerApi.get("/macros")).status, 404);
    assert.equal((await customerApi.post("/macros", { name: "c", actions: [] })).status, 404);
    assert.equal((await customerApi.post(`/tickets/${ticket.id}/macros/${id}`, {})).status, 404);
    assert.equal((await anonymousApi(world()).get("/macros")).status, 401);

    const renamed = await annApi.patch<{ name: string }>(`/macros/${id}`, { name: "Triage 2" });
    assert.equal(renamed.status, 200);
    assert.equal(renamed.body.name, "Triage 2");

    const preview = await annApi.get<{ changes: unknown[] }>(
      `/tickets/${ticket.id}/macros/${id}/preview`,
    );
    assert.equal(preview.status, 200);
    assert.equal(preview.body.changes.length, 2);
    const applied = await annApi.post<{ priority: string; assigneeId: number }>(
      `/tickets/${ticket.id}/macros/${id}`,
      {},
    );
    assert.equal(applied.status, 200);
    assert.equal(applied.body.priority, "urgent");
    assert.equal(applied.body.assigneeId, ann.id);
    const events = await annApi.get<{ data: { kind: string; viaMacro: string | null }[] }>(
      `/tickets/${ticket.id}/events`,
    );
    assert.ok(events.body.data.some((e) => e.kind === "macro" && e.viaMacro === "Triage 2"));
    assert.ok(events.body.data.some((e) => e.kind === "priority" && e.viaMacro === "Triage 2"));

    const gone = await annApi.request("DELETE", `/macros/${id}`);
    assert.equal(gone.status, 204);
    assert.equal((await annApi.get(`/macros/${id}`)).status, 404);
  });

  test("another agent's personal macro cannot be edited on the page", async () => {
    const { deps } = world();
    const ann = await makeAgent(deps);
    const bob = await world().signedIn(await makeAgent(deps));
    const own = await createMacro(deps, ann, {
      name: "Ann only",
      actions: [{ type: "set_priority", value: "low" }],
    });
    assert.equal((await bob.get(`/macros/${own.id}`)).statusCode, 404);
    assert.equal((await bob.post(`/macros/${own.id}`, { name: "x" })).statusCode, 404);
    assert.equal((await bob.post(`/macros/${own.id}/delete`)).statusCode, 404);
    const customer = await world().signedIn(await makeCustomer(deps));
    assert.equal((await customer.get("/macros")).statusCode, 404);
  });

  test("a macro that sets a custom field: typed on the page, its preview shows the field's label (as text) old → new", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    await createField(deps, admin, {
      name: "model_pg",
      label: "<i>Model</i>",
      type: "choice",
      choices: "Alpha\nBeta",
    });
    const agentUser = await makeAgent(deps);
    const agent = await world().signedIn(agentUser);
    const ticket = await makeTicket(deps, await makeCustomer(deps), { status: "open" });

    const form = await agent.get("/macros");
    assert.match(form.body, /<option value="set_field">Set custom field<\/option>/);
    const refused = await agent.post("/macros", {
      name: "Beta it",
      "actions.0.type": "set_field",
      "actions.0.value": "model_pg=Gamma",
    });
    assert.equal(refused.statusCode, 422);
    assert.match(decodeEntities(refused.body), /must be one of: Alpha, Beta/);
    assert.match(refused.body, /value="model_pg=Gamma"/, "what was typed is kept");

    const created = await agent.post("/macros", {
      name: "Beta it",
      "actions.0.type": "set_field",
      "actions.0.value": "model_pg=beta",
    });
    assert.equal(created.statusCode, 303);
    const [row] = await deps.db.select().from(macros).where(eq(macros.ownerId, agentUser.id));
    assert.ok(row);
    const preview = await agent.get(`/tickets/${ticket.id}/macros/preview?macro=${row.id}`);
    assert.equal(preview.statusCode, 200);
    assert.ok(!preview.body.includes("<i>Model</i>"), "the label is text, not markup");
    assert.match(
      decodeEntities(preview.body),
      /<tr data-change="fields\.model_pg"><th scope="row"><i>Model<\/i><\/th><td>\(empty\)<\/td><td>Beta<\/td><\/tr>/,
    );

    const api = await apiAs(world(), agentUser);
    const json = await api.get<{ fieldChanges: unknown[] }>(
      `/tickets/${ticket.id}/macros/${row.id}/preview`,
    );
    assert.deepEqual(json.body.fieldChanges, [
      { name: "model_pg", label: "<i>Model</i>", from: null, to: "Beta" },
    ]);
  });
});
