import assert from "node:assert/strict";
import { test } from "node:test";
import { and, eq } from "drizzle-orm";
import { apiAs } from "../../test/helpers/api.ts";
import { makeAdmin, makeAgent, makeCustomer, makeTicket } from "../../test/helpers/factories.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { ticketEvents, tickets } from "../db/schema/index.ts";
import type { DomainEvent } from "../events/events.ts";
import { updateTicket } from "../tickets/tickets.service.ts";
import { makeFields } from "./test-support.ts";

describeEachDatabase("custom ticket fields in the API", (world) => {
  test("staff set each type, read it back by name; every change is audited with old and new value and an event", async () => {
    const { deps } = world();
    const seen: DomainEvent[] = [];
    deps.events.subscribe({
      name: "field spy",
      types: ["ticket.field_changed"],
      async inTransaction(_deps, _tx, events) {
        seen.push(...events);
      },
    });
    await makeFields(deps, await makeAdmin(deps));
    const customer = await makeCustomer(deps);
    const ticket = await makeTicket(deps, customer);
    const staff = await apiAs(world(), await makeAgent(deps));

    const defs = await staff.get("/fields");
    assert.equal(defs.status, 200);
    assert.deepEqual(
      defs.body.data.map((f: { name: string }) => f.name),
      ["serial", "units", "due", "product", "areas", "vip"],
    );

    const set = await staff.patch(`/tickets/${ticket.id}`, {
      fields: {
        serial: " SN-1 ",
        units: "3",
        due: "2026-12-31",
        product: "printer",
        areas: ["Network", "Hardware"],
        vip: true,
      },
    });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    const expected = {
      serial: "SN-1",
      units: 3,
      due: "2026-12-31",
      product: "Printer",
      areas: ["Hardware", "Network"],
      vip: true,
    };
    assert.deepEqual(set.body.fields, expected);
    assert.deepEqual((await staff.get(`/tickets/${ticket.id}`)).body.fields, expected);

    const changed = await staff.patch(`/tickets/${ticket.id}`, {
      fields: { units: 4, serial: null, vip: false },
    });
    assert.equal(changed.status, 200);
    assert.equal(changed.body.fields.units, 4);
    assert.equal(changed.body.fields.serial, null);
    assert.equal(changed.body.fields.vip, false);

    const audit = await deps.db
      .select()
      .from(ticketEvents)
      .where(and(eq(ticketEvents.ticketId, ticket.id), eq(ticketEvents.kind, "field")))
      .orderBy(ticketEvents.id);
    assert.deepEqual(
      audit.map((e) => [e.field, e.fromValue, e.toValue]),
      [
        ["serial", null, "SN-1"],
        ["units", null, "3"],
        ["due", null, "2026-12-31"],
        ["product", null, "Printer"],
        ["areas", null, "Hardware, Network"],
        ["vip", null, "true"],
        ["units", "3", "4"],
        ["serial", "SN-1", null],
        ["vip", "true", null],
      ],
    );
    assert.equal(seen.length, 9);
    const events = await staff.get(`/tickets/${ticket.id}/events`);
    const fieldEvent = events.body.data.find((e: { kind: string }) => e.kind === "field");
    assert.equal(fieldEvent.field, "serial");
  });

  test("each type refuses what it cannot hold, naming the field in every error; nothing is saved", async () => {
    const { deps } = world();
    await makeFields(deps, await makeAdmin(deps));
    const ticket = await makeTicket(deps, await makeCustomer(deps));
    const staff = await apiAs(world(), await makeAgent(deps));
    const bad = await staff.patch(`/tickets/${ticket.id}`, {
      fields: {
        serial: "x".repeat(1001),
        units: "three",
        due: "2026-02-30",
        product: "Toaster",
        areas: ["Hardware", "Gardening"],
        vip: "maybe",
        colour: "red",
      },
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.headers["content-type"], "application/problem+json; charset=utf-8");
    assert.deepEqual(
      bad.body.errors.map((e: { field: string }) => e.field),
      [
        "fields.serial",
        "fields.units",
        "fields.due",
        "fields.product",
        "fields.areas",
        "fields.vip",
        "fields.colour",
      ],
    );
    assert.match(JSON.stringify(bad.body.errors), /must be one of: Printer, Scanner, Laptop/);
    const [row] = await deps.db.select().from(tickets).where(eq(tickets.id, ticket.id));
    assert.deepEqual(row?.fields, {});
  });

  test("customers see and set only the fields shown to them", async () => {
    const { deps } = world();
    await makeFields(deps, await makeAdmin(deps));
    const customer = await makeCustomer(deps);
    const agent = await makeAgent(deps);
    const cora = await apiAs(world(), customer);
    const created = await cora.post("/tickets", {
      title: "Jammed",
      description: "Paper everywhere",
      fields: { product: "Scanner" },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(created.body.fields, { product: "Scanner" });
    await updateTicket(deps, agent, created.body.id, { fields: { serial: "SECRET-9", vip: true } });

    const read = await cora.get(`/tickets/${created.body.id}`);
    assert.deepEqual(read.body.fields, { product: "Scanner" });
    assert.ok(!JSON.stringify(read.body).includes("SECRET-9"));
    const list = await cora.get("/tickets");
    assert.deepEqual(list.body.data[0].fields, { product: "Scanner" });
    assert.deepEqual(
      (await cora.get("/fields")).body.data.map((f: { name: string }) => f.name),
      ["product"],
    );
    // A staff-only field is not a field to a customer, on create as on search.
    const sneaky = await cora.post("/tickets", {
      title: "t",
      description: "d",
      fields: { vip: true },
    });
    assert.equal(sneaky.status, 400);
    assert.equal(sneaky.body.errors[0].field, "fields.vip");
    const search = await cora.get("/tickets?q=field:vip=true");
    assert.equal(search.status, 400);
    assert.match(search.body.errors[0].message, /"vip" at character 1, which is not a field/);
    // Customers cannot change fields on their ticket.
    const change = await cora.patch(`/tickets/${created.body.id}`, {
      fields: { product: "Laptop" },
    });
    assert.equal(change.status, 403);
  });

  test("solving without a field required before solving is refused, naming it; rules are not held back", async () => {
    const { deps } = world();
    await makeFields(deps, await makeAdmin(deps));
    const ticket = await makeTicket(deps, await makeCustomer(deps));
    const staff = await apiAs(world(), await makeAgent(deps));
    const refused = await staff.patch(`/tickets/${ticket.id}`, { status: "solved" });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.type, "about:blank#fields_required");
    assert.match(refused.body.detail, /Fill in serial before solving/);
    assert.deepEqual(refused.body.errors, [
      { field: "fields.serial", message: "is required before solving" },
    ]);
    const closed = await staff.patch(`/tickets/${ticket.id}`, { status: "closed" });
    assert.equal(closed.status, 400);
    // The value and the status in one request: accepted.
    const solved = await staff.patch(`/tickets/${ticket.id}`, {
      status: "solved",
      fields: { serial: "SN-2" },
    });
    assert.equal(solved.status, 200);
    assert.equal(solved.body.status, "solved");

    const other = await makeTicket(deps, await makeCustomer(deps));
    const automation = await makeAgent(deps);
    const byRule = await updateTicket(
      deps,
      automation,
      other.id,
      { status: "solved" },
      { skipRequiredFields: true },
    );
    assert.equal(byRule.status, "solved");
  });

  test("search finds tickets by field: field:<name>=<value>, negated, and tells what is wrong", async () => {
    const { deps } = world();
    await makeFields(deps, await makeAdmin(deps));
    const agent = await makeAgent(deps);
    const customer = await makeCustomer(deps);
    const printer = await makeTicket(deps, customer);
    const scanner = await makeTicket(deps, customer);
    await updateTicket(deps, agent, printer.id, {
      fields: { product: "Printer", areas: ["Hardware", "Billing"], units: 2, vip: true },
    });
    await updateTicket(deps, agent, scanner.id, { fields: { product: "Scanner", units: 2.5 } });
    const staff = await apiAs(world(), agent);
    const ids = async (q: string) => {
      // This test's customer's tickets only: earlier tests' tickets have no values.
      const res = await staff.get(`/tickets?requesterId=${customer.id}&q=${encodeURIComponent(q)}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.data.map((t: { id: number }) => t.id).sort();
    };
    assert.deepEqual(await ids("field:product=printer"), [printer.id]);
    assert.deepEqual(await ids("field:areas=billing"), [printer.id]);
    assert.deepEqual(await ids("field:units=2.5"), [scanner.id]);
    assert.deepEqual(await ids("field:vip=true"), [printer.id]);
    assert.deepEqual(await ids("field:vip=false"), [scanner.id]);
    assert.deepEqual(await ids("-field:product=printer"), [scanner.id]);
    const unknown = await staff.get("/tickets?q=field:colour=red");
    assert.equal(unknown.status, 400);
    assert.match(unknown.body.errors[0].message, /not a field \(fields: serial, units/);
    const bad = await staff.get("/tickets?q=status:open%20field:units=many");
    assert.equal(bad.status, 400);
    assert.equal(bad.body.errors[0].field, "q");
    assert.match(
      bad.body.errors[0].message,
      /"many" at character 13, which is not a value of the field units/,
    );
  });
});
