import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { and, eq } from "drizzle-orm";
import { apiAs } from "../../test/helpers/api.ts";
import { makeAdmin, makeAgent, makeCustomer, makeTicket } from "../../test/helpers/factories.ts";
import { decodeEntities } from "../../test/helpers/html.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { teamMembers, teams, ticketEvents, tickets } from "../db/schema/index.ts";
import { createTicket, updateTicket } from "../tickets/tickets.service.ts";
import { addMember, createTeam } from "./teams.service.ts";

const unique = () => randomBytes(4).toString("hex");

/** The ticket titles listed on a desk page. */
function titles(body: string): string[] {
  return [
    ...body.matchAll(/<tr data-ticket-row="\d+">.*?<a href="\/tickets\/\d+">(.*?)<\/a>/gs),
  ].map((m) => decodeEntities(m[1] ?? ""));
}

describeEachDatabase("teams", (world) => {
  test("an admin creates, renames, staffs and deletes a team on the teams page; names are unique in any case", async () => {
    const { deps } = world();
    const adminUser = await makeAdmin(deps);
    const admin = await world().signedIn(adminUser);
    const agent = await makeAgent(deps, { name: "Ada Agent" });
    const customer = await makeCustomer(deps);
    const name = `Billing ${unique()}`;

    const created = await admin.post("/admin/teams", {
      name,
      description: "Invoices <and> refunds",
      offeredOnForm: "true",
      assignment: "round_robin",
      maxOpenPerAgent: "5",
    });
    assert.equal(created.statusCode, 303);
    const [row] = await deps.db.select().from(teams).where(eq(teams.name, name));
    assert.ok(row);
    assert.equal(row.assignment, "round_robin");
    assert.equal(row.maxOpenPerAgent, 5);
    assert.equal(row.offeredOnForm, true);
    assert.equal(row.restricted, false);

    // The same name in another case is refused, and the form keeps what was typed.
    const twin = await admin.post("/admin/teams", {
      name: name.toUpperCase(),
      description: "kept",
    });
    assert.equal(twin.statusCode, 422);
    assert.match(twin.body, /Name is already the name of another team/);
    assert.match(twin.body, /kept/);
    // A cap that is not a number is a clear error too.
    const badCap = await admin.post(`/admin/teams/${row.id}`, { name, maxOpenPerAgent: "lots" });
    assert.equal(badCap.statusCode, 422);
    assert.match(badCap.body, /Most open tickets per agent must be a whole number/);

    // Members: agents by address; a customer cannot be one.
    assert.equal(
      (await admin.post(`/admin/teams/${row.id}/members`, { email: agent.email })).statusCode,
      303,
    );
    const refused = await admin.post(`/admin/teams/${row.id}/members`, { email: customer.email });
    assert.equal(refused.statusCode, 422);
    assert.match(refused.body, /must be the address of an agent or admin/);
    const page = await admin.get("/admin/teams");
    assert.match(page.body, /Ada Agent/);
    // The description is shown escaped.
    assert.match(page.body, /Invoices &lt;and(>|&gt;) refunds/);
    const members = await deps.db.select().from(teamMembers).where(eq(teamMembers.teamId, row.id));
    assert.deepEqual(
      members.map((m) => m.userId),
      [agent.id],
    );

    const renamed = `${name} and refunds`;
    assert.equal(
      (await admin.post(`/admin/teams/${row.id}`, { name: renamed, assignment: "off" })).statusCode,
      303,
    );
    assert.equal(
      (await deps.db.select().from(teams).where(eq(teams.id, row.id)))[0]?.name,
      renamed,
    );

    assert.equal(
      (await admin.post(`/admin/teams/${row.id}/members/${agent.id}/remove`, {})).statusCode,
      303,
    );
    assert.equal(
      (await deps.db.select().from(teamMembers).where(eq(teamMembers.teamId, row.id))).length,
      0,
    );

    // Deleting a team leaves its tickets, without a team, each saying so in its audit trail.
    const ticket = await makeTicket(deps, customer);
    await deps.db.update(tickets).set({ teamId: row.id }).where(eq(tickets.id, ticket.id));
    const [before] = await deps.db.select().from(tickets).where(eq(tickets.id, ticket.id));
    assert.equal((await admin.post(`/admin/teams/${row.id}/delete`, {})).statusCode, 303);
    const [after] = await deps.db.select().from(tickets).where(eq(tickets.id, ticket.id));
    assert.equal(after?.teamId, null);
    assert.equal(after?.version, (before?.version ?? 0) + 1, "a change the API's ETag shows");
    const trail = await deps.db
      .select()
      .from(ticketEvents)
      .where(and(eq(ticketEvents.ticketId, ticket.id), eq(ticketEvents.kind, "team")));
    assert.deepEqual(
      trail.map((e) => [e.actorId, e.fromValue, e.toValue]),
      [[adminUser.id, String(row.id), null]],
    );
  });

  test("customers pick a category on the new-ticket form, which puts the ticket in its team; teams not offered are refused", async () => {
    const { deps } = world();
    const adminUser = await makeAdmin(deps);
    const offered = await createTeam(deps, adminUser, {
      name: `Sales ${unique()}`,
      offeredOnForm: true,
    });
    const internal = await createTeam(deps, adminUser, { name: `Back office ${unique()}` });
    const customer = await world().signedIn(await makeCustomer(deps));

    const form = await customer.get("/tickets/new");
    assert.match(form.body, new RegExp(`<option value="${offered.id}"[^>]*>${offered.name}`));
    assert.doesNotMatch(form.body, new RegExp(internal.name));

    const created = await customer.post(
      "/tickets",
      { title: "Quote please", description: "For 10 seats", teamId: String(offered.id) },
      { csrfFrom: "/tickets/new" },
    );
    assert.equal(created.statusCode, 303);
    const id = Number(/\/tickets\/(\d+)/.exec(String(created.headers.location))?.[1]);
    const [row] = await deps.db.select().from(tickets).where(eq(tickets.id, id));
    assert.equal(row?.teamId, offered.id);

    const title = `Sneaky ${unique()}`;
    const sneaky = await customer.post(
      "/tickets",
      { title, description: "into the back office", teamId: String(internal.id) },
      { csrfFrom: "/tickets/new" },
    );
    assert.equal(sneaky.statusCode, 422);
    assert.match(sneaky.body, /is not a category/);
    // What was typed is kept, and nothing was written.
    assert.match(sneaky.body, /into the back office/);
    assert.equal((await deps.db.select().from(tickets).where(eq(tickets.title, title))).length, 0);
  });

  test("staff move a ticket to a team on its page; the history says so; a customer cannot", async () => {
    const { deps } = world();
    const adminUser = await makeAdmin(deps);
    const team = await createTeam(deps, adminUser, { name: `Hardware ${unique()}` });
    const owner = await makeCustomer(deps);
    const ticket = await makeTicket(deps, owner);
    const agent = await world().signedIn(await makeAgent(deps));

    const page = await agent.get(`/tickets/${ticket.id}`);
    assert.match(page.body, /<select id="control-team" name="teamId">/);
    const moved = await agent.post(`/tickets/${ticket.id}`, {
      teamId: String(team.id),
      teamIdWas: "",
    });
    assert.equal(moved.statusCode, 303);
    const after = await agent.get(`/tickets/${ticket.id}`);
    assert.match(
      decodeEntities(after.body),
      new RegExp(`moved it from no team to team ${team.name}`),
    );
    assert.match(decodeEntities(after.body), new RegExp(`Team ${team.name}`));

    const customer = await world().signedIn(owner);
    const refused = await customer.post(`/tickets/${ticket.id}`, {
      teamId: "",
      teamIdWas: String(team.id),
    });
    assert.equal(refused.statusCode, 403);
    const [row] = await deps.db.select().from(tickets).where(eq(tickets.id, ticket.id));
    assert.equal(row?.teamId, team.id);
  });

  test("a restricted team's tickets are hidden from agents outside it in the desk, search, counts and the API; tickets without a team stay visible to all", async () => {
    const { deps } = world();
    const adminUser = await makeAdmin(deps);
    const tag = unique();
    const secret = await createTeam(deps, adminUser, { name: `Legal ${tag}`, restricted: true });
    const open = await createTeam(deps, adminUser, { name: `Facilities ${tag}` });
    const member = await makeAgent(deps);
    const outsider = await makeAgent(deps);
    // In two teams: sees both teams' tickets.
    await addMember(deps, adminUser, secret.id, member.email);
    await addMember(deps, adminUser, open.id, member.email);
    await addMember(deps, adminUser, open.id, outsider.email);
    const customer = await makeCustomer(deps);
    const legal = await createTicket(deps, adminUser, {
      title: `Contract ${tag} legal`,
      description: "confidential",
      teamId: secret.id,
      requesterEmail: customer.email,
    });
    const facilities = await createTicket(deps, adminUser, {
      title: `Door ${tag} facilities`,
      description: "squeaks",
      teamId: open.id,
      requesterEmail: customer.email,
    });
    const loose = await createTicket(deps, customer, {
      title: `Loose ${tag} noteam`,
      description: "no team",
    });

    const seen = async (user: typeof member) => {
      const browser = await world().signedIn(user);
      const queues = await browser.get(`/desk?queue=unassigned&q=${tag}`);
      const api = await apiAs(world(), user);
      const listed = await api.get(`/tickets?q=${tag}&limit=100`);
      assert.equal(listed.status, 200);
      return {
        desk: titles(queues.body).sort(),
        api: (listed.body.data as { title: string }[]).map((t) => t.title).sort(),
        teamQueues: /aria-label="Team queues"/.test(queues.body)
          ? [...queues.body.matchAll(/queue=team&amp;team=(\d+)/g)].map((m) => Number(m[1]))
          : [],
        page: (await browser.get(`/tickets/${legal.id}`)).statusCode,
      };
    };
    const everything = [legal.title, facilities.title, loose.title].sort();
    const forMember = await seen(member);
    assert.deepEqual(forMember.desk, everything);
    assert.deepEqual(forMember.api, everything);
    assert.equal(forMember.page, 200);
    assert.ok(forMember.teamQueues.includes(secret.id));

    const forOutsider = await seen(outsider);
    const visible = [facilities.title, loose.title].sort();
    assert.deepEqual(forOutsider.desk, visible);
    assert.deepEqual(forOutsider.api, visible);
    assert.equal(forOutsider.page, 404);
    assert.ok(!forOutsider.teamQueues.includes(secret.id), "the restricted team's queue is hidden");
    assert.ok(forOutsider.teamQueues.includes(open.id));
    // Filtering by the team itself shows nothing either.
    const api = await apiAs(world(), outsider);
    const byTeam = await api.get(`/tickets?teamId=${secret.id}`);
    assert.equal(byTeam.status, 200);
    assert.deepEqual(byTeam.body.data, []);

    // Admins see every team's tickets.
    const forAdmin = await seen(adminUser);
    assert.deepEqual(forAdmin.desk, everything);
    assert.equal(forAdmin.page, 200);

    // Lifting the restriction shows them again at once; the requester always sees their own.
    await updateTicket(deps, adminUser, legal.id, { teamId: open.id });
    assert.deepEqual((await seen(outsider)).desk, everything);
    const mine = await (await world().signedIn(customer)).get(`/tickets/${legal.id}`);
    assert.equal(mine.statusCode, 200);
  });

  test("the desk has a team filter, a 'My teams, unassigned' queue and one queue per team with counts", async () => {
    const { deps } = world();
    const adminUser = await makeAdmin(deps);
    const tag = unique();
    const mineTeam = await createTeam(deps, adminUser, { name: `Network ${tag}` });
    const otherTeam = await createTeam(deps, adminUser, { name: `Printers ${tag}` });
    const agentUser = await makeAgent(deps);
    await addMember(deps, adminUser, mineTeam.id, agentUser.email);
    const customer = await makeCustomer(deps);
    const make = (title: string, teamId: number | undefined) =>
      createTicket(deps, adminUser, {
        title: `${title} ${tag}`,
        description: "x",
        requesterEmail: customer.email,
        ...(teamId ? { teamId } : {}),
      });
    const a = await make("Switch down", mineTeam.id);
    const b = await make("VPN slow", mineTeam.id);
    await updateTicket(deps, adminUser, b.id, { assigneeId: agentUser.id });
    await make("Toner", otherTeam.id);
    await make("Unrouted", undefined);

    const agent = await world().signedIn(agentUser);
    const pool = await agent.get(`/desk?queue=myTeams&q=${tag}`);
    assert.equal(pool.statusCode, 200);
    assert.deepEqual(titles(pool.body), [a.title]);
    const count = /<a href="\/desk\?queue=myTeams"[^>]*>.*?<span class="count">(\d+)<\/span>/s.exec(
      pool.body,
    );
    assert.equal(Number(count?.[1]), 1);
    // One queue per team: all its active tickets, and how many wait unassigned.
    const teamLink = new RegExp(
      `queue=team&amp;team=${mineTeam.id}"[^>]*>.*?Network ${tag} \\(my team\\).*?<span class="count">2</span>.*?1 unassigned`,
      "s",
    );
    assert.match(pool.body, teamLink);
    const teamQueue = await agent.get(`/desk?queue=team&team=${mineTeam.id}&q=${tag}`);
    assert.equal(teamQueue.statusCode, 200);
    assert.deepEqual(titles(teamQueue.body).sort(), [a.title, b.title].sort());
    assert.match(teamQueue.body, new RegExp(`<h1 id="desk-heading">Team Network ${tag}</h1>`));

    // The filter: no team, and a team id; nonsense is a 400.
    const none = await agent.get(`/desk?queue=open&team=none&q=${tag}`);
    assert.deepEqual(titles(none.body), [`Unrouted ${tag}`]);
    const other = await agent.get(`/desk?queue=open&team=${otherTeam.id}&q=${tag}`);
    assert.deepEqual(titles(other.body), [`Toner ${tag}`]);
    assert.equal((await agent.get("/desk?queue=open&team=abc")).statusCode, 400);
    assert.equal((await agent.get("/desk?queue=team")).statusCode, 400);
  });

  test("the API lists teams for staff, filters tickets by teamId and validates teamId on create and update", async () => {
    const { deps } = world();
    const adminUser = await makeAdmin(deps);
    const team = await createTeam(deps, adminUser, {
      name: `Api ${unique()}`,
      assignment: "round_robin",
    });
    const agentUser = await makeAgent(deps);
    const api = await apiAs(world(), agentUser);
    const listed = await api.get("/teams");
    assert.equal(listed.status, 200);
    const found = (listed.body.data as { id: number; assignment: string }[]).find(
      (t) => t.id === team.id,
    );
    assert.equal(found?.assignment, "round_robin");
    const customerApi = await apiAs(world(), await makeCustomer(deps));
    assert.equal((await customerApi.get("/teams")).status, 403);

    const created = await api.post("/tickets", { title: "API", description: "d", teamId: team.id });
    assert.equal(created.status, 201);
    assert.equal(created.body.teamId, team.id);
    const missing = await api.post("/tickets", { title: "API", description: "d", teamId: 999_999 });
    assert.equal(missing.status, 400);
    assert.match(JSON.stringify(missing.body), /teamId/);

    const moved = await api.patch(`/tickets/${created.body.id}`, { teamId: null });
    assert.equal(moved.status, 200);
    assert.equal(moved.body.teamId, null);
    assert.equal((await api.patch(`/tickets/${created.body.id}`, { teamId: 999_999 })).status, 400);
    await api.patch(`/tickets/${created.body.id}`, { teamId: team.id });
    const filtered = await api.get(`/tickets?teamId=${team.id}`);
    assert.deepEqual(
      (filtered.body.data as { id: number }[]).map((t) => t.id),
      [created.body.id],
    );
    const events = await api.get(`/tickets/${created.body.id}/events`);
    const kinds = (events.body.data as { kind: string; to: string | null }[]).filter(
      (e) => e.kind === "team",
    );
    assert.deepEqual(
      kinds.map((e) => e.to),
      [null, String(team.id)],
    );
  });
});
