import assert from "node:assert/strict";
import { test } from "node:test";
import { eq } from "drizzle-orm";
import { makeAdmin, makeAgent, makeCustomer, makeTicket } from "../../test/helpers/factories.ts";
import { decodeEntities } from "../../test/helpers/html.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { ticketFields, tickets } from "../db/schema/index.ts";
import { updateTicket } from "../tickets/tickets.service.ts";
import { listFieldsForAdmin } from "./fields.service.ts";
import { makeFields } from "./test-support.ts";

describeEachDatabase("custom fields on the pages", (world) => {
  test("an admin defines, changes, disables and deletes fields; names are unique keys", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    await makeFields(deps, admin);
    const browser = await world().signedIn(admin);
    const page = "/admin/fields";
    const created = await browser.post(
      page,
      { name: "warranty until", label: "Warranty until", type: "date", position: "5" },
      { csrfFrom: page },
    );
    assert.equal(created.statusCode, 422, "a name is letters, digits and _");
    assert.match(decodeEntities(created.body), /Name \(key\) must start with a letter/);
    const ok = await browser.post(
      page,
      { name: "Warranty", label: "Warranty <until>", type: "date", position: "5" },
      { csrfFrom: page },
    );
    assert.equal(ok.statusCode, 303);
    const again = await browser.post(
      page,
      { name: "WARRANTY", label: "Again", type: "text" },
      { csrfFrom: page },
    );
    assert.equal(again.statusCode, 422);
    assert.match(decodeEntities(again.body), /is another field's name/);
    const noChoices = await browser.post(
      page,
      { name: "colour", label: "Colour", type: "choice", choices: "\n \n" },
      { csrfFrom: page },
    );
    assert.equal(noChoices.statusCode, 422);
    assert.match(decodeEntities(noChoices.body), /Choices needs at least one choice/);

    const [warranty] = await deps.db
      .select()
      .from(ticketFields)
      .where(eq(ticketFields.name, "warranty"));
    assert.ok(warranty);
    const list = await browser.get(page);
    assert.ok(!list.body.includes("Warranty <until>"), "labels are escaped");
    assert.match(decodeEntities(list.body), /Warranty <until>/);

    const saved = await browser.post(
      `${page}/${warranty.id}`,
      { label: "Warranty ends", position: "1", disabled: "true", customerVisible: "true" },
      { csrfFrom: page },
    );
    assert.equal(saved.statusCode, 303);
    const after = (await listFieldsForAdmin(deps, admin)).find((f) => f.id === warranty.id);
    assert.equal(after?.label, "Warranty ends");
    assert.equal(after?.disabled, true);
    assert.equal(after?.customerVisible, true);
    assert.equal(after?.type, "date", "the type never changes");

    // Deleting takes the values off every ticket.
    const fields = await listFieldsForAdmin(deps, admin);
    const units = fields.find((f) => f.name === "units");
    assert.ok(units);
    const ticket = await makeTicket(deps, await makeCustomer(deps));
    await updateTicket(deps, admin, ticket.id, { fields: { units: 7, product: "Laptop" } });
    const deleted = await browser.post(`${page}/${units.id}/delete`, {}, { csrfFrom: page });
    assert.equal(deleted.statusCode, 303);
    const [row] = await deps.db.select().from(tickets).where(eq(tickets.id, ticket.id));
    assert.deepEqual(Object.keys(row?.fields ?? {}), [
      String(fields.find((f) => f.name === "product")?.id),
    ]);

    const agent = await world().signedIn(await makeAgent(deps));
    assert.equal((await agent.get(page)).statusCode, 403);
  });

  test("staff edit fields on the ticket page without script; refusals are shown next to the field", async () => {
    const { deps } = world();
    await makeFields(deps, await makeAdmin(deps));
    const agent = await makeAgent(deps);
    const ticket = await makeTicket(deps, await makeCustomer(deps));
    const page = `/tickets/${ticket.id}`;
    const avery = await world().signedIn(agent);
    const before = await avery.get(page);
    assert.match(before.body, /action="\/tickets\/\d+\/fields"/);
    assert.match(before.body, /name="fields.units" type="number"/);

    const bad = await avery.post(
      `${page}/fields`,
      { "fields.units": "lots", "fields.serial": "SN-7" },
      { csrfFrom: page },
    );
    assert.equal(bad.statusCode, 422);
    assert.match(bad.body, /aria-invalid="true"/);
    assert.match(decodeEntities(bad.body), /Units must be a number/);
    assert.match(bad.body, /value="SN-7"/, "what was typed is kept");

    const saved = await avery.post(
      `${page}/fields`,
      {
        "fields.units": "12",
        "fields.serial": "<b>SN-7</b>",
        "fields.areas": ["", "Billing"],
        "fields.vip": ["false", "true"],
        "was.units": "",
      },
      { csrfFrom: page },
    );
    assert.equal(saved.statusCode, 303);
    const [row] = await deps.db.select().from(tickets).where(eq(tickets.id, ticket.id));
    assert.equal(Object.values(row?.fields ?? {}).length, 4);
    const shown = await avery.get(page);
    assert.ok(!shown.body.includes("<b>SN-7</b>"), "values are escaped");
    assert.match(
      decodeEntities(shown.body),
      /set Serial number to <b>SN-7<\/b>/,
      "the history says it, by the field's label",
    );

    // Solving without a required field is refused on the page, naming it.
    await updateTicket(deps, agent, ticket.id, { fields: { serial: null } });
    const version = (await deps.db.select().from(tickets).where(eq(tickets.id, ticket.id)))[0]
      ?.version;
    const solve = await avery.post(
      page,
      { status: "solved", statusWas: "new", version: String(version) },
      { csrfFrom: page },
    );
    assert.equal(solve.statusCode, 422);
    assert.match(decodeEntities(solve.body), /Fill in Serial number before solving/);
  });

  test("customers read only the fields shown to them, and fill those in on the new-ticket form", async () => {
    const { deps } = world();
    await makeFields(deps, await makeAdmin(deps));
    const customer = await makeCustomer(deps);
    const cora = await world().signedIn(customer);
    const form = await cora.get("/tickets/new");
    assert.match(form.body, /name="fields.product"/);
    assert.ok(!form.body.includes('name="fields.serial"'), "staff-only fields are not offered");
    const created = await cora.postMultipart(
      "/tickets",
      { title: "Scanner broke", description: "It hums", "fields.product": "Scanner" },
      [],
      { csrfFrom: "/tickets/new" },
    );
    assert.equal(created.statusCode, 303, created.body);
    const id = Number(/\/tickets\/(\d+)/.exec(String(created.headers.location))?.[1]);
    await updateTicket(deps, await makeAgent(deps), id, {
      fields: { serial: "STAFF-ONLY-42", vip: true },
    });
    const view = await cora.get(`/tickets/${id}`);
    assert.match(decodeEntities(view.body), /<dd data-field="product">Scanner<\/dd>/);
    assert.ok(!view.body.includes("STAFF-ONLY-42"));
    assert.ok(!view.body.includes("Serial number"));
    assert.ok(!view.body.includes(`action="/tickets/${id}/fields"`), "no form for customers");
  });
});
