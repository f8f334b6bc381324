import assert from "node:assert/strict";
import { test } from "node:test";
import { and, eq, inArray } from "drizzle-orm";
import { apiAs } from "../../test/helpers/api.ts";
import { makeAdmin, makeAgent, makeCustomer, makeTicket } from "../../test/helpers/factories.ts";
import { decodeEntities } from "../../test/helpers/html.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { ticketEvents, ticketRelations, tickets } from "../db/schema/index.ts";
import type { Deps } from "../deps.ts";
import { action, ruleForm, withRules } from "../rules/test-support.ts";
import { addMember, createTeam } from "../teams/teams.service.ts";
import { updateTicket } from "./tickets.service.ts";

const trail = async (deps: Deps, ticketId: number) =>
  (
    await deps.db
      .select()
      .from(ticketEvents)
      .where(
        and(
          eq(ticketEvents.ticketId, ticketId),
          inArray(ticketEvents.kind, ["linked", "unlinked"]),
        ),
      )
      .orderBy(ticketEvents.id)
  ).map((e) => `${e.kind} ${e.fromValue} #${e.toValue}`);

const statusOf = async (deps: Deps, id: number) =>
  (await deps.db.select().from(tickets).where(eq(tickets.id, id)))[0]?.status;

describeEachDatabase("linked tickets: parent, children, related", (world) => {
  test("API: staff link a parent, a child and a related ticket; each side lists the other as what it is; both audit trails say so; unlinking removes it", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    const agent = await makeAgent(deps);
    const [main, parent, child, related] = [
      await makeTicket(deps, customer, { title: "Main" }),
      await makeTicket(deps, customer, { title: "Parent" }),
      await makeTicket(deps, customer, { title: "Child" }),
      await makeTicket(deps, customer, { title: "Related", status: "closed" }),
    ];
    const staff = await apiAs(world(), agent);
    const url = `/tickets/${main.id}/links`;
    const up = await staff.post(url, { relation: "parent", ticketId: parent.id });
    assert.equal(up.status, 201);
    assert.deepEqual(up.body, {
      id: up.body.id,
      relation: "parent",
      ticket: { id: parent.id, title: "Parent", status: "new" },
    });
    assert.equal((await staff.post(url, { relation: "child", ticketId: child.id })).status, 201);
    const side = await staff.post(url, { relation: "related", ticketId: related.id });
    assert.equal(side.status, 201, "a closed ticket can still be related");

    const list = await staff.get(url);
    assert.deepEqual(
      list.body.data.map((l: { relation: string; ticket: { id: number } }) => [
        l.relation,
        l.ticket.id,
      ]),
      [
        ["parent", parent.id],
        ["child", child.id],
        ["related", related.id],
      ],
    );
    const fromParent = await staff.get(`/tickets/${parent.id}/links`);
    assert.deepEqual(
      fromParent.body.data.map((l: { relation: string; ticket: { id: number } }) => [
        l.relation,
        l.ticket.id,
      ]),
      [["child", main.id]],
    );
    const fromRelated = await staff.get(`/tickets/${related.id}/links`);
    assert.equal(fromRelated.body.data[0].relation, "related");
    assert.deepEqual(await trail(deps, main.id), [
      `linked parent #${parent.id}`,
      `linked child #${child.id}`,
      `linked related #${related.id}`,
    ]);
    assert.deepEqual(await trail(deps, parent.id), [`linked child #${main.id}`]);

    const gone = await staff.request("DELETE", `${url}/${up.body.id}`);
    assert.equal(gone.status, 204);
    assert.equal((await staff.request("DELETE", `${url}/${up.body.id}`)).status, 404);
    assert.deepEqual((await staff.get(`/tickets/${parent.id}/links`)).body.data, []);
    assert.deepEqual(await trail(deps, parent.id), [
      `linked child #${main.id}`,
      `unlinked child #${main.id}`,
    ]);

    // Customers: not even their own ticket's links.
    const own = await apiAs(world(), customer);
    assert.equal((await own.get(url)).status, 403);
    assert.equal((await own.post(url, { relation: "related", ticketId: parent.id })).status, 403);
    const stranger = await apiAs(world(), await makeCustomer(deps));
    assert.equal((await stranger.get(url)).status, 404);
    assert.equal(
      (await deps.db.select().from(ticketRelations).where(eq(ticketRelations.otherId, parent.id)))
        .length,
      0,
      "nothing was linked by the customers",
    );
  });

  test("refused with the reason: itself, a ticket the agent cannot see, a second link between two tickets, a second parent, a loop, a closed parent", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const customer = await makeCustomer(deps);
    const agent = await makeAgent(deps);
    const [a, b, c, d] = [
      await makeTicket(deps, customer),
      await makeTicket(deps, customer),
      await makeTicket(deps, customer),
      await makeTicket(deps, customer),
    ];
    const closed = await makeTicket(deps, customer, { status: "closed" });
    const hiddenTeam = await createTeam(deps, admin, { name: "Payroll", restricted: true });
    await addMember(deps, admin, hiddenTeam.id, admin.email);
    const hidden = await makeTicket(deps, customer);
    await deps.db.update(tickets).set({ teamId: hiddenTeam.id }).where(eq(tickets.id, hidden.id));

    const staff = await apiAs(world(), agent);
    const link = (from: number, relation: string, to: number) =>
      staff.post(`/tickets/${from}/links`, { relation, ticketId: to });
    const reason = async (from: number, relation: string, to: number) => {
      const res = await link(from, relation, to);
      assert.equal(res.status, 400, JSON.stringify(res.body));
      return res.body.errors[0].message as string;
    };
    assert.match(await reason(a.id, "related", a.id), /this ticket itself/);
    assert.match(await reason(a.id, "related", hidden.id), /not a ticket you can see/);
    assert.match(await reason(a.id, "related", 999_999), /not a ticket you can see/);
    assert.equal((await link(a.id, "child", b.id)).status, 201); // b is a's child
    assert.match(await reason(b.id, "related", a.id), /linked to this ticket already/);
    assert.match(await reason(c.id, "child", b.id), /has a parent already/);
    assert.equal((await link(b.id, "child", c.id)).status, 201); // a > b > c
    assert.match(await reason(c.id, "child", a.id), /would make a loop/);
    assert.match(await reason(d.id, "parent", closed.id), /is closed/);
    const onClosed = await link(closed.id, "related", d.id);
    assert.equal(onClosed.status, 409, "a closed ticket is final");
    const mine = [a, b, c, d, closed, hidden].map((t) => t.id);
    assert.equal(
      (await deps.db.select().from(ticketRelations).where(inArray(ticketRelations.ticketId, mine)))
        .length,
      2,
      "only the two good links were stored",
    );
  });

  test("a parent is not solved while a child is open, unless confirmed; rules solve it as written; a requester's own solve is not asked", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const customer = await makeCustomer(deps);
    const agent = await makeAgent(deps);
    const parent = await makeTicket(deps, customer, { status: "open" });
    const child = await makeTicket(deps, customer, { status: "pending" });
    const staff = await apiAs(world(), agent);
    await staff.post(`/tickets/${parent.id}/links`, { relation: "child", ticketId: child.id });

    const refused = await staff.patch(`/tickets/${parent.id}`, { status: "solved" });
    assert.equal(refused.status, 409);
    assert.equal(refused.body.type, "about:blank#open_children");
    assert.match(refused.body.detail, new RegExp(`#${child.id}`));
    assert.equal(await statusOf(deps, parent.id), "open");
    const confirmed = await staff.patch(`/tickets/${parent.id}`, {
      status: "solved",
      solveWithOpenChildren: true,
    });
    assert.equal(confirmed.status, 200);
    assert.equal(await statusOf(deps, parent.id), "solved");

    // The page asks, and "Solve anyway" sends the same change confirmed.
    const other = await makeTicket(deps, customer, { status: "open" });
    await staff.post(`/tickets/${other.id}/links`, { relation: "child", ticketId: child.id });
    // child has a parent already: make a fresh one for this parent.
    const second = await makeTicket(deps, customer, { status: "new" });
    await staff.post(`/tickets/${other.id}/links`, { relation: "child", ticketId: second.id });
    const page = `/tickets/${other.id}`;
    const avery = await world().signedIn(agent);
    const form = { status: "solved", statusWas: "open" };
    const asked = await avery.post(page, form, { csrfFrom: page });
    assert.equal(asked.statusCode, 409);
    const shown = decodeEntities(asked.body);
    assert.match(shown, /A child ticket is still open\. Solve this one anyway\?/);
    assert.match(shown, new RegExp(`href="/tickets/${second.id}"`));
    assert.match(asked.body, /name="solveWithOpenChildren" value="true"/);
    assert.equal(await statusOf(deps, other.id), "open");
    const anyway = await avery.post(
      page,
      { ...form, solveWithOpenChildren: "true" },
      { csrfFrom: page },
    );
    assert.equal(anyway.statusCode, 303);
    assert.equal(await statusOf(deps, other.id), "solved");

    // Children solved: nothing to ask.
    const third = await makeTicket(deps, customer, { status: "open" });
    const done = await makeTicket(deps, customer, { status: "solved" });
    await staff.post(`/tickets/${third.id}/links`, { relation: "child", ticketId: done.id });
    assert.equal((await staff.patch(`/tickets/${third.id}`, { status: "closed" })).status, 200);

    // The requester marking their own ticket solved is not asked about children they never see.
    const theirs = await makeTicket(deps, customer, { status: "open" });
    const kid = await makeTicket(deps, customer, { status: "open" });
    await staff.post(`/tickets/${theirs.id}/links`, { relation: "child", ticketId: kid.id });
    await updateTicket(deps, customer, theirs.id, { status: "solved" });
    assert.equal(await statusOf(deps, theirs.id), "solved");

    // A rule that solves: the admin decided beforehand.
    const ruled = await makeTicket(deps, customer, { status: "open" });
    const ruledKid = await makeTicket(deps, customer, { status: "open" });
    await staff.post(`/tickets/${ruled.id}/links`, { relation: "child", ticketId: ruledKid.id });
    await withRules(
      deps,
      admin,
      [
        ruleForm({
          event: "ticket_updated",
          conditions: [{ field: "priority", op: "is", value: "low" }],
          actions: [action({ type: "set_status", value: "solved" })],
        }),
      ],
      async () => {
        assert.equal((await staff.patch(`/tickets/${ruled.id}`, { priority: "low" })).status, 200);
      },
    );
    assert.equal(await statusOf(deps, ruled.id), "solved");
  });

  test("page: staff see links with each ticket's status, link by number (with or without #) and unlink; errors keep what was typed; customers see no panel", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    const agent = await makeAgent(deps);
    const ticket = await makeTicket(deps, customer, { title: "Main" });
    const other = await makeTicket(deps, customer, {
      title: "<img src=x onerror=alert(1)>",
      status: "pending",
    });
    const page = `/tickets/${ticket.id}`;
    const avery = await world().signedIn(agent);
    const added = await avery.post(
      `${page}/links`,
      { relation: "related", linkTicketId: `#${other.id}` },
      { csrfFrom: page },
    );
    assert.equal(added.statusCode, 303);
    assert.match(added.headers.location as string, /notice=linked#links/);
    const shown = await avery.get(page);
    assert.match(shown.body, /id="links"/);
    assert.ok(!shown.body.includes("<img src=x"), "the other ticket's title is escaped");
    const panel = shown.body.slice(shown.body.indexOf('id="links"'));
    assert.match(panel, new RegExp(`href="/tickets/${other.id}"`));
    assert.match(panel, /data-relation="related"/);
    assert.match(decodeEntities(panel), /Pending/);
    assert.match(
      decodeEntities(shown.body),
      new RegExp(`linked <a href="/tickets/${other.id}">#${other.id}</a> as related`),
    );

    const bad = await avery.post(
      `${page}/links`,
      { relation: "child", linkTicketId: "twelve" },
      { csrfFrom: page },
    );
    assert.equal(bad.statusCode, 422);
    assert.match(bad.body, /value="twelve"/);
    assert.match(decodeEntities(bad.body), /is not a ticket number/);

    const ofTicket = () =>
      deps.db.select().from(ticketRelations).where(eq(ticketRelations.ticketId, ticket.id));
    const [row] = await ofTicket();
    const removed = await avery.post(
      `${page}/links/remove`,
      { linkId: String(row?.id) },
      { csrfFrom: page },
    );
    assert.equal(removed.statusCode, 303);
    assert.equal((await ofTicket()).length, 0);

    await avery.post(
      `${page}/links`,
      { relation: "related", linkTicketId: String(other.id) },
      { csrfFrom: page },
    );
    const cora = await world().signedIn(customer);
    const theirs = await cora.get(page);
    assert.equal(theirs.statusCode, 200);
    assert.ok(!theirs.body.includes('id="links"'), "no links panel for the customer");
    const forged = await cora.post(
      `${page}/links`,
      { relation: "related", linkTicketId: String(other.id) },
      { csrfFrom: page },
    );
    assert.equal(forged.statusCode, 403);
  });
});
