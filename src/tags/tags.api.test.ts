import assert from "node:assert/strict";
import { test } from "node:test";
import { and, eq } from "drizzle-orm";
import { apiAs } from "../../test/helpers/api.ts";
import { makeAgent, makeCustomer, makeTicket } from "../../test/helpers/factories.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { tags, ticketEvents, ticketTags } from "../db/schema/index.ts";
import type { Deps } from "../deps.ts";
import type { DomainEvent } from "../events/events.ts";
import { EVENT_ACTOR, EVENT_TICKET } from "../webhooks/test-support.ts";
import { webhookEventsOf } from "../webhooks/webhooks.events.ts";

describeEachDatabase("ticket tags and external ids in the API", (world) => {
  const auditOf = async (deps: Deps, ticketId: number, kind: string) =>
    (
      await deps.db
        .select()
        .from(ticketEvents)
        .where(and(eq(ticketEvents.ticketId, ticketId), eq(ticketEvents.kind, kind)))
        .orderBy(ticketEvents.id)
    ).map((e) => e.toValue ?? e.fromValue);

  test("staff add, set, list and remove tags; each change is audited and an event on the bus", async () => {
    const { deps } = world();
    const seen: DomainEvent[] = [];
    deps.events.subscribe({
      name: "tag spy",
      types: ["ticket.tag_added", "ticket.tag_removed"],
      async inTransaction(_deps, _tx, events) {
        seen.push(...events);
      },
    });
    const customer = await makeCustomer(deps);
    const ticket = await makeTicket(deps, customer);
    const staff = await apiAs(world(), await makeAgent(deps));
    const url = `/tickets/${ticket.id}/tags`;

    const added = await staff.post(url, { tags: ["  Printer ", "urgent-ish", "printer"] });
    assert.equal(added.status, 200);
    assert.deepEqual(added.body.data, ["Printer", "urgent-ish"]);
    // An existing tag is found whatever its case: no second "printer" tag.
    const again = await staff.post(url, { tags: ["PRINTER"] });
    assert.deepEqual(again.body.data, ["Printer", "urgent-ish"]);
    assert.equal(
      (await deps.db.select().from(tags).where(eq(tags.name, "PRINTER"))).length,
      0,
      "no second tag for another case",
    );

    const set = await staff.request("PUT", url, { tags: ["urgent-ish", "toner"] });
    assert.equal(set.status, 200);
    assert.deepEqual(set.body.data, ["toner", "urgent-ish"]);
    assert.deepEqual((await staff.get(url)).body.data, ["toner", "urgent-ish"]);
    const one = await staff.get(`/tickets/${ticket.id}`);
    assert.deepEqual(one.body.tags, ["toner", "urgent-ish"]);

    assert.equal((await staff.request("DELETE", `${url}/Urgent-Ish`)).status, 204);
    assert.deepEqual((await staff.get(url)).body.data, ["toner"]);

    assert.deepEqual(await auditOf(deps, ticket.id, "tag_added"), [
      "Printer",
      "urgent-ish",
      "toner",
    ]);
    assert.deepEqual(await auditOf(deps, ticket.id, "tag_removed"), ["Printer", "urgent-ish"]);
    assert.deepEqual(
      seen.map((e) => `${e.type}:${"tag" in e ? e.tag : ""}`),
      [
        "ticket.tag_added:Printer",
        "ticket.tag_added:urgent-ish",
        "ticket.tag_removed:Printer",
        "ticket.tag_added:toner",
        "ticket.tag_removed:urgent-ish",
      ],
    );
    const events = await staff.get(`/tickets/${ticket.id}/events`);
    assert.ok(events.body.data.some((e: { kind: string }) => e.kind === "tag_added"));
  });

  test("bad tag names are refused with the field named; a 21st tag too", async () => {
    const { deps } = world();
    const ticket = await makeTicket(deps, await makeCustomer(deps));
    const staff = await apiAs(world(), await makeAgent(deps));
    const url = `/tickets/${ticket.id}/tags`;
    const comma = await staff.post(url, { tags: ["a,b"] });
    assert.equal(comma.status, 400);
    assert.match(JSON.stringify(comma.body), /commas or control characters/);
    const long = await staff.post(url, { tags: ["x".repeat(51)] });
    assert.equal(long.status, 400);
    assert.match(JSON.stringify(long.body), /at most 50 characters/);
    const blank = await staff.post(url, { tags: ["ok", "   "] });
    assert.equal(blank.status, 400);
    assert.equal(blank.body.errors[0].field, "tags.1");
    const control = await staff.post(url, { tags: ["bell\u0007"] });
    assert.equal(control.status, 400);
    for (let i = 0; i < 20; i++) {
      assert.equal((await staff.post(url, { tags: [`t${i}`] })).status, 200);
    }
    const over = await staff.post(url, { tags: ["t20"] });
    assert.equal(over.status, 400);
    assert.match(JSON.stringify(over.body), /at most 20 tags/);
    assert.equal(
      (await deps.db.select().from(ticketTags).where(eq(ticketTags.ticketId, ticket.id))).length,
      20,
    );
  });

  test("customers never see tags: not in their ticket, refused on the tag routes and filter", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    const ticket = await makeTicket(deps, customer);
    const staff = await apiAs(world(), await makeAgent(deps));
    await staff.post(`/tickets/${ticket.id}/tags`, { tags: ["vip-angry"] });
    const own = await apiAs(world(), customer);
    const got = await own.get(`/tickets/${ticket.id}`);
    assert.equal(got.status, 200);
    assert.equal(got.body.tags, undefined);
    assert.ok(!JSON.stringify(got.body).includes("vip-angry"));
    const list = await own.get("/tickets");
    assert.ok(!JSON.stringify(list.body).includes("vip-angry"));
    assert.equal((await own.get(`/tickets/${ticket.id}/tags`)).status, 403);
    assert.equal((await own.post(`/tickets/${ticket.id}/tags`, { tags: ["mine"] })).status, 403);
    assert.equal((await own.request("DELETE", `/tickets/${ticket.id}/tags/vip-angry`)).status, 403);
    assert.equal((await own.get("/tickets?tag=vip-angry")).status, 403);
    const stranger = await apiAs(world(), await makeCustomer(deps));
    assert.equal((await stranger.get(`/tickets/${ticket.id}/tags`)).status, 404);
    assert.deepEqual((await staff.get(`/tickets/${ticket.id}/tags`)).body.data, ["vip-angry"]);
  });

  test("the list filters by tag (any case) and shows staff each ticket's tags", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    const tagged = await makeTicket(deps, customer, { title: "Tagged" });
    const plain = await makeTicket(deps, customer, { title: "Plain" });
    const staff = await apiAs(world(), await makeAgent(deps));
    await staff.post(`/tickets/${tagged.id}/tags`, { tags: ["Hardware"] });
    const found = await staff.get("/tickets?tag=hardware");
    assert.equal(found.status, 200);
    assert.deepEqual(
      found.body.data.map((t: { id: number }) => t.id),
      [tagged.id],
    );
    assert.deepEqual(found.body.data[0].tags, ["Hardware"]);
    const none = await staff.get("/tickets?tag=no-such-tag");
    assert.deepEqual(none.body.data, []);
    const all = await staff.get("/tickets");
    const plainRow = all.body.data.find((t: { id: number }) => t.id === plain.id);
    assert.deepEqual(plainRow.tags, []);
  });

  test("externalId: set on create and update by staff, found by the list, unique (409)", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    const staff = await apiAs(world(), await makeAgent(deps));
    const created = await staff.post("/tickets", {
      title: "From the shop",
      description: "Order 17",
      requesterEmail: customer.email,
      externalId: "shop-17",
    });
    assert.equal(created.status, 201);
    assert.equal(created.body.externalId, "shop-17");
    const found = await staff.get("/tickets?externalId=shop-17");
    assert.deepEqual(
      found.body.data.map((t: { id: number }) => t.id),
      [created.body.id],
    );

    const duplicate = await staff.post("/tickets", {
      title: "Again",
      description: "Order 17 again",
      requesterEmail: customer.email,
      externalId: "shop-17",
    });
    assert.equal(duplicate.status, 409);
    assert.match(String(duplicate.headers["content-type"]), /application\/problem\+json/);
    assert.equal(duplicate.body.errors[0].field, "externalId");
    assert.match(duplicate.body.errors[0].message, /already another ticket's external id/);

    const other = await makeTicket(deps, customer);
    const clash = await staff.request("PATCH", `/tickets/${other.id}`, { externalId: "shop-17" });
    assert.equal(clash.status, 409);
    const set = await staff.request("PATCH", `/tickets/${other.id}`, { externalId: "shop-18" });
    assert.equal(set.status, 200);
    assert.equal(set.body.externalId, "shop-18");
    assert.equal((await staff.get(`/tickets/${other.id}`)).body.externalId, "shop-18");
    const cleared = await staff.request("PATCH", `/tickets/${other.id}`, { externalId: null });
    assert.equal(cleared.body.externalId, null);
    // Once cleared, another ticket may take it; several tickets may have none.
    assert.equal(
      (await staff.request("PATCH", `/tickets/${created.body.id}`, { externalId: "shop-18" }))
        .status,
      200,
    );

    const bad = await staff.request("PATCH", `/tickets/${other.id}`, { externalId: " spaced " });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.errors[0].field, "externalId");
    const long = await staff.request("PATCH", `/tickets/${other.id}`, {
      externalId: "x".repeat(201),
    });
    assert.equal(long.status, 400);

    const own = await apiAs(world(), customer);
    const byCustomer = await own.post("/tickets", {
      title: "Mine",
      description: "Mine",
      externalId: "cust-1",
    });
    assert.equal(byCustomer.status, 403);
  });
});

test("a tag put on or taken off is a ticket.tags_changed webhook event naming it", () => {
  const ticket = EVENT_TICKET;
  const actor = EVENT_ACTOR;
  const [added] = webhookEventsOf({ type: "ticket.tag_added", ticket, actor, tag: "vip" });
  assert.equal(added?.type, "ticket.tags_changed");
  assert.deepEqual(added?.data.added, ["vip"]);
  assert.deepEqual(added?.data.removed, []);
  const [removed] = webhookEventsOf({ type: "ticket.tag_removed", ticket, actor, tag: "vip" });
  assert.deepEqual(removed?.data.removed, ["vip"]);
});
