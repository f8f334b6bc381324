import assert from "node:assert/strict";
import { test } from "node:test";
import { eq } from "drizzle-orm";
import { makeAdmin, makeAgent, makeCustomer, makeTicket } from "../../test/helpers/factories.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { createCannedReply, renderCannedReply } from "../canned/canned.service.ts";
import { tickets } from "../db/schema/index.ts";
import { updateTicket } from "../tickets/tickets.service.ts";
import { EVENT_ACTOR, EVENT_TICKET } from "../webhooks/test-support.ts";
import { webhookEventsOf } from "../webhooks/webhooks.events.ts";
import { deleteField, updateField } from "./fields.service.ts";
import { makeFields } from "./test-support.ts";

describeEachDatabase("custom fields elsewhere", (world) => {
  test("canned replies fill {{field.<name>}}; an unset one stays as written; unknown names are refused", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    await makeFields(deps, admin);
    const agent = await makeAgent(deps);
    const ticket = await makeTicket(deps, await makeCustomer(deps));
    await updateTicket(deps, agent, ticket.id, {
      fields: { product: "Printer", areas: ["Hardware", "Billing"] },
    });
    const reply = await createCannedReply(deps, admin, {
      title: "Fields",
      body: "{{field.product}} / {{field.areas}} / {{ field.serial }}",
      shared: true,
    });
    const { body } = await renderCannedReply(deps, agent, ticket.id, reply.id);
    assert.equal(body, "Printer / Hardware, Billing / {{ field.serial }}");
    await assert.rejects(
      createCannedReply(deps, admin, { title: "Bad", body: "{{field.nope}}", shared: true }),
      /Some fields need attention/,
    );
  });

  test("a disabled field is hidden and its values kept; deleting it removes them", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const defs = await makeFields(deps, admin);
    const agent = await makeAgent(deps);
    const ticket = await makeTicket(deps, await makeCustomer(deps));
    await updateTicket(deps, agent, ticket.id, { fields: { units: 5, serial: "S" } });
    const serial = defs.serial;
    const units = defs.units;
    assert.ok(serial && units);
    await updateField(deps, admin, units.id, { label: "Units", disabled: true });
    await assert.rejects(
      updateTicket(deps, agent, ticket.id, { fields: { units: 6 } }),
      (e: { errors?: { field: string; message: string }[] }) =>
        e.errors?.[0]?.field === "fields.units" && e.errors[0].message === "is not a field",
    );
    await updateField(deps, admin, units.id, { label: "Units", disabled: false });
    const again = await updateTicket(deps, agent, ticket.id, { fields: { serial: "S" } });
    assert.equal(again.fields[String(units.id)], 5, "kept while disabled");
    // A disabled field required before solving does not hold solving back.
    await updateField(deps, admin, serial.id, {
      label: "Serial",
      requiredToSolve: true,
      disabled: true,
    });
    const before = await updateTicket(deps, agent, ticket.id, { fields: { units: 9 } });
    await deleteField(deps, admin, units.id);
    const [moved] = await deps.db
      .select({ version: tickets.version, changeXid: tickets.changeXid })
      .from(tickets)
      .where(eq(tickets.id, ticket.id));
    assert.equal(moved?.version, before.version + 1, "its ETag changes");
    assert.ok(
      BigInt(moved?.changeXid ?? 0) > BigInt(before.changeXid),
      "it moves in the change feed",
    );
    const solved = await updateTicket(deps, agent, ticket.id, { status: "solved" });
    assert.equal(solved.status, "solved");
    assert.equal(solved.fields[String(units.id)], undefined, "deleting took the value off");
  });
});

test("a field change is a ticket.field_changed webhook event naming the field", () => {
  const ticket = EVENT_TICKET;
  const actor = EVENT_ACTOR;
  const [event] = webhookEventsOf({
    type: "ticket.field_changed",
    ticket,
    actor,
    field: "product",
    from: null,
    to: "Printer",
    customerVisible: true,
  });
  assert.equal(event?.type, "ticket.field_changed");
  assert.deepEqual(
    [event?.data.field, event?.data.from, event?.data.to],
    ["product", null, "Printer"],
  );
});
