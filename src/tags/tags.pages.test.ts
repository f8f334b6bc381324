import assert from "node:assert/strict";
import { test } from "node:test";
import { eq } from "drizzle-orm";
import { makeAdmin, makeAgent, makeCustomer, makeTicket } from "../../test/helpers/factories.ts";
import { decodeEntities } from "../../test/helpers/html.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { tags } from "../db/schema/index.ts";
import { action, ruleForm, tag, withRules } from "../rules/test-support.ts";
import { changeTags, updateTicket } from "../tickets/tickets.service.ts";
import { tagsOf } from "./test-support.ts";

describeEachDatabase("tags on the pages", (world) => {
  test("staff tag a ticket with a plain form (several at once), see them, and take one off", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    const agent = await makeAgent(deps);
    const ticket = await makeTicket(deps, customer);
    const other = await makeTicket(deps, customer);
    await changeTags(deps, agent, other.id, { add: ["existing-tag"] });
    const page = `/tickets/${ticket.id}`;
    const avery = await world().signedIn(agent);
    const before = await avery.get(page);
    assert.match(before.body, /<datalist id="tag-suggestions"><option value="existing-tag"/);
    const added = await avery.post(
      `${page}/tags`,
      { tag: "printer, <b>toner</b>" },
      { csrfFrom: page },
    );
    assert.equal(added.statusCode, 303);
    assert.deepEqual(await tagsOf(deps, ticket.id), ["<b>toner</b>", "printer"]);
    const shown = await avery.get(page);
    assert.ok(!shown.body.includes("<b>toner</b>"), "a tag's name is escaped");
    assert.match(decodeEntities(shown.body), /<b>toner<\/b>/);
    assert.match(decodeEntities(shown.body), /added the tag printer/, "the history says it");

    const bad = await avery.post(`${page}/tags`, { tag: "x".repeat(60) }, { csrfFrom: page });
    assert.equal(bad.statusCode, 422);
    assert.match(bad.body, /aria-invalid="true"/);
    assert.match(decodeEntities(bad.body), /at most 50 characters/);

    const noCsrf = await avery.post(`${page}/tags`, { tag: "sneaky", _csrf: "" });
    assert.equal(noCsrf.statusCode, 403);

    const removed = await avery.post(`${page}/tags/remove`, { tag: "printer" }, { csrfFrom: page });
    assert.equal(removed.statusCode, 303);
    assert.deepEqual(await tagsOf(deps, ticket.id), ["<b>toner</b>"]);
  });

  test("customers never see tags on their ticket page, and cannot post them", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    const agent = await makeAgent(deps);
    const ticket = await makeTicket(deps, customer);
    await changeTags(deps, agent, ticket.id, { add: ["angry-customer"] });
    const page = `/tickets/${ticket.id}`;
    const cora = await world().signedIn(customer);
    const view = await cora.get(page);
    assert.equal(view.statusCode, 200);
    assert.ok(!view.body.includes("angry-customer"));
    assert.ok(!view.body.includes('id="tags"'));
    const list = await cora.get("/tickets");
    assert.ok(!list.body.includes("angry-customer"));
    const forged = await cora.post(`${page}/tags`, { tag: "mine" }, { csrfFrom: page });
    assert.equal(forged.statusCode, 403);
    const forgedRemove = await cora.post(
      `${page}/tags/remove`,
      { tag: "angry-customer" },
      { csrfFrom: page },
    );
    assert.equal(forgedRemove.statusCode, 403);
    assert.deepEqual(await tagsOf(deps, ticket.id), ["angry-customer"]);
    // Staff see it.
    const avery = await world().signedIn(agent);
    assert.match((await avery.get(page)).body, /angry-customer/);
  });

  test("the desk filters by tag and shows each ticket's tags", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    const agent = await makeAgent(deps);
    const tagged = await makeTicket(deps, customer, { title: "Tagged one" });
    await makeTicket(deps, customer, { title: "Untagged one" });
    await changeTags(deps, agent, tagged.id, { add: ["Hardware"] });
    const avery = await world().signedIn(agent);
    const filtered = await avery.get("/desk?queue=open&tag=hardware");
    assert.equal(filtered.statusCode, 200);
    assert.match(filtered.body, /Tagged one/);
    assert.ok(!filtered.body.includes("Untagged one"));
    assert.match(filtered.body, /name="tag"[^>]*value="hardware"|value="hardware"[^>]*name="tag"/);
    const all = await avery.get("/desk?queue=open");
    assert.match(all.body, /Untagged one/);
    assert.match(all.body, /class="tag" href="\/desk\?queue=open&amp;tag=Hardware"/);
  });

  test("an admin's rename, merge and delete reach every ticket", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    const agent = await makeAgent(deps);
    const admin = await makeAdmin(deps);
    const a = await makeTicket(deps, customer);
    const b = await makeTicket(deps, customer);
    await changeTags(deps, agent, a.id, { add: ["scannr", "cables"] });
    await changeTags(deps, agent, b.id, { add: ["scannr", "scanners"] });
    const ada = await world().signedIn(admin);
    const page = "/admin/tags";
    const list = await ada.get(page);
    assert.equal(list.statusCode, 200);
    assert.match(decodeEntities(list.body), /scannr/);
    const idOf = async (name: string) =>
      (await deps.db.select().from(tags).where(eq(tags.name, name)))[0]?.id;

    const scannr = await idOf("scannr");
    const renamed = await ada.post(
      `${page}/${scannr}/rename`,
      { name: "scanner" },
      { csrfFrom: page },
    );
    assert.equal(renamed.statusCode, 303);
    assert.deepEqual(await tagsOf(deps, a.id), ["cables", "scanner"]);
    assert.deepEqual(await tagsOf(deps, b.id), ["scanner", "scanners"]);

    const taken = await ada.post(
      `${page}/${scannr}/rename`,
      { name: "CABLES" },
      { csrfFrom: page },
    );
    assert.equal(taken.statusCode, 422);
    assert.match(decodeEntities(taken.body), /another tag's name/);

    const scanners = await idOf("scanners");
    const merged = await ada.post(
      `${page}/${scanners}/merge`,
      { into: "Scanner" },
      { csrfFrom: page },
    );
    assert.equal(merged.statusCode, 303);
    assert.deepEqual(await tagsOf(deps, b.id), ["scanner"], "b carries the tag kept, once");
    assert.equal(await idOf("scanners"), undefined);

    const cables = await idOf("cables");
    const deleted = await ada.post(`${page}/${cables}/delete`, {}, { csrfFrom: page });
    assert.equal(deleted.statusCode, 303);
    assert.deepEqual(await tagsOf(deps, a.id), ["scanner"]);
    const after = decodeEntities((await ada.get(page)).body);
    assert.match(after, /scanner/);
    assert.ok(!after.includes("cables"));

    const avery = await world().signedIn(agent);
    assert.equal((await avery.get(page)).statusCode, 403, "agents do not manage tags");
  });

  test("deleting a tag a rule names is refused on the list, naming the rule; the tag stays", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const word = tag();
    const ruleName = `Label <b>${word}</b>`;
    await withRules(
      deps,
      admin,
      [ruleForm({ name: ruleName, actions: [action({ type: "add_tag", value: `vip-${word}` })] })],
      async () => {
        const [vip] = await deps.db
          .select()
          .from(tags)
          .where(eq(tags.name, `vip-${word}`));
        assert.ok(vip);
        const ada = await world().signedIn(admin);
        const refused = await ada.post(
          `/admin/tags/${vip.id}/delete`,
          {},
          { csrfFrom: "/admin/tags" },
        );
        assert.equal(refused.statusCode, 409);
        assert.ok(!refused.body.includes("<b>"), "the rule's name is escaped");
        assert.match(decodeEntities(refused.body), new RegExp(`used by the rules ${ruleName}:`));
        assert.equal((await deps.db.select().from(tags).where(eq(tags.id, vip.id))).length, 1);
      },
    );
  });

  test("staff see a ticket's external id on its page; its requester does not", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    const agent = await makeAgent(deps);
    const ticket = await makeTicket(deps, customer);
    await updateTicket(deps, agent, ticket.id, { externalId: "crm-<4711>" });
    const page = `/tickets/${ticket.id}`;
    const staffView = await (await world().signedIn(agent)).get(page);
    assert.match(decodeEntities(staffView.body), /External id: crm-<4711>/);
    assert.ok(!staffView.body.includes("crm-<4711>"), "escaped");
    const own = await (await world().signedIn(customer)).get(page);
    assert.equal(own.statusCode, 200);
    assert.ok(!decodeEntities(own.body).includes("crm-<4711>"));
  });
});
