import assert from "node:assert/strict";
import { test } from "node:test";
import { eq } from "drizzle-orm";
import { makeAdmin, makeAgent, makeCustomer, makeTicket } from "../../test/helpers/factories.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { tags, tickets, ticketTags } from "../db/schema/index.ts";
import { Forbidden, Invalid, NotFound, Taken } from "../lib/errors.ts";
import { changeTags, createTicket, listTickets, TicketClosed } from "../tickets/tickets.service.ts";
import { checkTagName, deleteTag, listTags, mergeTag, renameTag } from "./tags.service.ts";

test("a tag name is trimmed, inner runs of spaces made one, and checked", () => {
  assert.equal(checkTagName("  needs   parts "), "needs parts");
  assert.equal(checkTagName("ü".repeat(50)), "ü".repeat(50), "50 characters, not bytes");
  const refused = (raw: string, key: string) =>
    assert.throws(
      () => checkTagName(raw),
      (e: unknown) => e instanceof Invalid && e.errors[0]?.key === key,
      JSON.stringify(raw),
    );
  refused("   ", "error.field.required");
  refused("x".repeat(51), "error.tags.tooLong");
  refused("a,b", "error.tags.characters");
  refused("tab\there", "error.tags.characters");
  refused("evil\u202Eright-to-left", "error.tags.characters");
  refused("zero\u200Bwidth", "error.tags.characters");
});

describeEachDatabase("tags: the service", (world) => {
  test("renaming is one row: tickets keep the tag's id; a case-only rename is fine; another tag's name is Taken", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const agent = await makeAgent(deps);
    const ticket = await makeTicket(deps, await makeCustomer(deps));
    await changeTags(deps, agent, ticket.id, { add: ["svc-old", "svc-other"] });
    const [old] = await deps.db.select().from(tags).where(eq(tags.name, "svc-old"));
    assert.ok(old);
    const [before] = await deps.db.select().from(tickets).where(eq(tickets.id, ticket.id));
    await renameTag(deps, admin, old.id, "svc-new");
    await renameTag(deps, admin, old.id, "SVC-New");
    const links = await deps.db.select().from(ticketTags).where(eq(ticketTags.ticketId, ticket.id));
    assert.ok(
      links.some((l) => l.tagId === old.id),
      "the ticket still holds the same id",
    );
    const [after] = await deps.db.select().from(tickets).where(eq(tickets.id, ticket.id));
    assert.equal(after?.version, before?.version, "no ticket row was written");
    await assert.rejects(renameTag(deps, admin, old.id, "SVC-OTHER"), Taken);
    await assert.rejects(renameTag(deps, agent, old.id, "x"), Forbidden);
    await assert.rejects(renameTag(deps, admin, 999_999, "x"), NotFound);
    const page = await listTickets(deps, agent, { tag: "svc-new" });
    assert.deepEqual(
      page.tickets.map((t) => t.id),
      [ticket.id],
    );
    assert.deepEqual(page.tickets[0]?.tags, ["SVC-New", "svc-other"]);
  });

  test("merge keeps one tag per ticket and refuses itself or a missing tag; delete takes it off; counts follow", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const agent = await makeAgent(deps);
    const customer = await makeCustomer(deps);
    const a = await makeTicket(deps, customer);
    const b = await makeTicket(deps, customer);
    await changeTags(deps, agent, a.id, { add: ["mrg-a", "mrg-b"] });
    await changeTags(deps, agent, b.id, { add: ["mrg-a"] });
    const count = async (name: string) =>
      (await listTags(deps, admin)).find((t) => t.name === name)?.tickets;
    assert.equal(await count("mrg-a"), 2);
    assert.equal(await count("mrg-b"), 1);
    const [tagA] = await deps.db.select().from(tags).where(eq(tags.name, "mrg-a"));
    assert.ok(tagA);
    await assert.rejects(mergeTag(deps, admin, tagA.id, "MRG-A"), Invalid);
    await assert.rejects(mergeTag(deps, admin, tagA.id, "mrg-nope"), Invalid);
    await mergeTag(deps, admin, tagA.id, "mrg-b");
    assert.equal(await count("mrg-a"), undefined);
    assert.equal(await count("mrg-b"), 2);
    const [tagB] = await deps.db.select().from(tags).where(eq(tags.name, "mrg-b"));
    assert.ok(tagB);
    await deleteTag(deps, admin, tagB.id);
    assert.deepEqual(
      await deps.db.select().from(ticketTags).where(eq(ticketTags.tagId, tagB.id)),
      [],
    );
    await assert.rejects(deleteTag(deps, admin, tagB.id), NotFound);
  });

  test("a closed ticket's tags cannot change", async () => {
    const { deps } = world();
    const agent = await makeAgent(deps);
    const ticket = await makeTicket(deps, await makeCustomer(deps), { status: "closed" });
    await assert.rejects(changeTags(deps, agent, ticket.id, { add: ["late"] }), TicketClosed);
  });

  test("two tickets opened at once with one external id: one is made, the other is Taken (409)", async () => {
    const { deps } = world();
    const agent = await makeAgent(deps);
    const customer = await makeCustomer(deps);
    const open = () =>
      createTicket(deps, agent, {
        title: "Order",
        description: "From the shop",
        requesterEmail: customer.email,
        externalId: "race-1",
      });
    const results = await Promise.allSettled([open(), open(), open()]);
    const made = results.filter((r) => r.status === "fulfilled");
    const refused = results.filter((r) => r.status === "rejected");
    assert.equal(made.length, 1);
    for (const r of refused) assert.ok(r.reason instanceof Taken, String(r.reason));
    const rows = await deps.db.select().from(tickets).where(eq(tickets.externalId, "race-1"));
    assert.equal(rows.length, 1);
  });
});
