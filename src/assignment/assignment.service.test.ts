import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { and, eq, inArray, sql } from "drizzle-orm";
import { apiAs } from "../../test/helpers/api.ts";
import { makeAdmin, makeAgent, makeCustomer, type TestUser } from "../../test/helpers/factories.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { updateUser } from "../accounts/accounts.service.ts";
import { teams, ticketEvents, tickets, users } from "../db/schema/index.ts";
import type { Deps } from "../deps.ts";
import { createRule } from "../rules/rules.service.ts";
import { addMember, createTeam, updateTeam } from "../teams/teams.service.ts";
import { addReply, createTicket, updateTicket } from "../tickets/tickets.service.ts";
import { pickAndMoveCursor } from "./assignment.repo.ts";
import { setAway } from "./assignment.service.ts";

const unique = () => randomBytes(4).toString("hex");

async function teamOf(
  deps: Deps,
  admin: TestUser,
  members: TestUser[],
  settings: Parameters<typeof createTeam>[2] = { name: "" },
) {
  const team = await createTeam(deps, admin, { ...settings, name: `Team ${unique()}` });
  for (const m of members) await addMember(deps, admin, team.id, m.email);
  return team;
}

async function assigneeOf(deps: Deps, id: number) {
  const [row] = await deps.db.select().from(tickets).where(eq(tickets.id, id));
  return row?.assigneeId ?? null;
}

async function reasons(deps: Deps, id: number) {
  const rows = await deps.db
    .select()
    .from(ticketEvents)
    .where(and(eq(ticketEvents.ticketId, id), inArray(ticketEvents.kind, ["auto_assign"])));
  return rows.map((r) => r.toValue);
}

describeEachDatabase("automatic assignment", (world) => {
  test("the pick: round-robin goes on after the last one (or where a member who left was); fewest open takes the least busy, ties in turn; the cap excludes; the cursor moves", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const customer = await makeCustomer(deps);
    // Made in this order, so their ids rise: a < gone < b < c.
    const a = await makeAgent(deps);
    const gone = await makeAgent(deps);
    const b = await makeAgent(deps);
    const c = await makeAgent(deps);
    const team = await teamOf(deps, admin, [a, b, c]);
    const open = async (agent: TestUser, n: number) => {
      for (let i = 0; i < n; i++) {
        const t = await createTicket(deps, customer, { title: "Old", description: "x" });
        await deps.db.update(tickets).set({ assigneeId: agent.id }).where(eq(tickets.id, t.id));
      }
    };
    const pick = async (
      assignment: "round_robin" | "fewest_open",
      lastAssigneeId: number | null,
      maxOpenPerAgent: number | null = null,
    ) => {
      const choice = pickAndMoveCursor(
        deps.db,
        { id: team.id, assignment, maxOpenPerAgent, lastAssigneeId },
        (open) => sql`${open}::text`,
      );
      const [chosen] = await deps.db
        .with(...choice.with, choice.chosen)
        .select()
        .from(choice.chosen);
      const [row] = await deps.db.select().from(teams).where(eq(teams.id, team.id));
      if (chosen) assert.equal(row?.lastAssigneeId, chosen.id, "the cursor is on the one picked");
      return chosen?.id;
    };
    assert.equal(await pick("round_robin", null), a.id);
    assert.equal(await pick("round_robin", a.id), b.id);
    assert.equal(await pick("round_robin", c.id), a.id, "after the last id, the first again");
    assert.equal(await pick("round_robin", gone.id), b.id, "the next after a member who left");
    await open(a, 2);
    await open(b, 1);
    assert.equal(await pick("round_robin", c.id, 2), b.id, "a is at the cap of 2");
    assert.equal(await pick("fewest_open", null), c.id, "c has none open");
    await open(c, 1);
    assert.equal(await pick("fewest_open", null), b.id, "b and c tie at 1: the first in turn");
    assert.equal(await pick("fewest_open", b.id), c.id, "the tie goes on in turn");
    assert.equal(await pick("fewest_open", c.id, 2), b.id, "a has the most and is at the cap");
    await open(b, 1);
    await open(c, 1);
    const [before] = await deps.db.select().from(teams).where(eq(teams.id, team.id));
    assert.equal(await pick("round_robin", null, 2), undefined, "everyone at the cap");
    assert.equal(await pick("fewest_open", null, 2), undefined);
    const [after] = await deps.db.select().from(teams).where(eq(teams.id, team.id));
    assert.equal(after?.lastAssigneeId, before?.lastAssigneeId, "nobody picked: the cursor stays");
  });

  test("round-robin spreads a team's new tickets in turn, skipping away and disabled agents, each with its reason in the audit trail", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const [a, b, c, d] = [
      await makeAgent(deps),
      await makeAgent(deps),
      await makeAgent(deps),
      await makeAgent(deps),
    ];
    const team = await teamOf(deps, admin, [a, b, c, d], {
      name: "",
      assignment: "round_robin",
      offeredOnForm: true,
    });
    await setAway(deps, c, true);
    await updateUser(deps, admin, d.id, { disabled: true });
    const customer = await makeCustomer(deps);
    const assigned: (number | null)[] = [];
    for (let i = 0; i < 4; i++) {
      const t = await createTicket(deps, customer, {
        title: `T${i}`,
        description: "x",
        teamId: team.id,
      });
      // What createTicket returns already shows who got it.
      assert.equal(t.assigneeId, await assigneeOf(deps, t.id));
      assigned.push(t.assigneeId);
    }
    assert.deepEqual(assigned, [a.id, b.id, a.id, b.id]);
    const first = await createTicket(deps, customer, {
      title: "R",
      description: "x",
      teamId: team.id,
    });
    assert.deepEqual(await reasons(deps, first.id), [`round-robin in team ${team.name}`]);
    const [assigneeEvent] = await deps.db
      .select()
      .from(ticketEvents)
      .where(and(eq(ticketEvents.ticketId, first.id), eq(ticketEvents.kind, "assignee")));
    assert.equal(assigneeEvent?.toValue, String(a.id));

    // Back from away: in the rotation again.
    await setAway(deps, c, false);
    const next = [];
    for (let i = 0; i < 3; i++) {
      next.push(
        (await createTicket(deps, customer, { title: "N", description: "x", teamId: team.id }))
          .assigneeId,
      );
    }
    assert.deepEqual(next, [b.id, c.id, a.id]);
  });

  test("fewest open tickets picks the least busy member; agents at the cap are skipped; a ticket nobody can take waits unassigned in the team's queue", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const busy = await makeAgent(deps);
    const idle = await makeAgent(deps);
    const team = await teamOf(deps, admin, [busy, idle], {
      name: "",
      assignment: "fewest_open",
      maxOpenPerAgent: 2,
    });
    const customer = await makeCustomer(deps);
    const make = () =>
      createTicket(deps, admin, {
        title: "Help",
        description: "x",
        requesterEmail: customer.email,
        teamId: team.id,
      });
    // busy already holds two open tickets (outside the team: every open ticket counts).
    for (let i = 0; i < 2; i++) {
      const t = await createTicket(deps, customer, { title: "Old", description: "x" });
      await updateTicket(deps, admin, t.id, { assigneeId: busy.id });
    }
    const first = await make();
    assert.equal(first.assigneeId, idle.id);
    assert.match(
      (await reasons(deps, first.id))[0] ?? "",
      /^fewest open tickets in team .* \(0 open\)$/,
    );
    const second = await make();
    assert.equal(second.assigneeId, idle.id, "busy is at the cap of 2");
    const third = await make();
    assert.equal(third.assigneeId, null, "everyone is at the cap");
    assert.deepEqual(await reasons(deps, third.id), []);
    // It waits in the team's queue, unassigned.
    const agent = await world().signedIn(idle);
    const queue = await agent.get(`/desk?queue=unassigned&team=${team.id}`);
    assert.match(queue.body, new RegExp(`data-ticket-row="${third.id}"`));
    // Solving one frees a place: the next ticket goes there.
    await updateTicket(deps, admin, first.id, { status: "solved" });
    assert.equal((await make()).assigneeId, idle.id);
  });

  test("moving an unassigned ticket into a team assigns it; a rule's 'set team' routes and then assignment runs; teams with assignment off leave it unassigned", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const agent = await makeAgent(deps);
    const auto = await teamOf(deps, admin, [agent], { name: "", assignment: "round_robin" });
    const manual = await teamOf(deps, admin, [agent]);
    const customer = await makeCustomer(deps);

    const loose = await createTicket(deps, customer, { title: "Loose", description: "x" });
    assert.equal(loose.assigneeId, null);
    await updateTicket(deps, admin, loose.id, { teamId: manual.id });
    assert.equal(await assigneeOf(deps, loose.id), null);
    await updateTicket(deps, admin, loose.id, { teamId: auto.id });
    assert.equal(await assigneeOf(deps, loose.id), agent.id);

    const word = `refund${unique()}`;
    await createRule(deps, admin, {
      kind: "trigger",
      name: "Route refunds",
      enabled: true,
      event: "ticket_created",
      clock: "",
      hours: "",
      match: "all",
      conditions: [{ field: "subject", op: "contains", value: word }],
      actions: [{ type: "set_team", value: auto.name, to: "", address: "", subject: "", body: "" }],
    });
    const routed = await createTicket(deps, customer, { title: `My ${word}`, description: "x" });
    const [row] = await deps.db.select().from(tickets).where(eq(tickets.id, routed.id));
    assert.equal(row?.teamId, auto.id);
    assert.equal(row?.assigneeId, agent.id);
    assert.equal(routed.assigneeId, agent.id);
  });

  test("agents mark themselves away and back from the page header (form + CSRF) and the API", async () => {
    const { deps } = world();
    const agentUser = await makeAgent(deps);
    const agent = await world().signedIn(agentUser);
    const page = await agent.get("/tickets/new");
    assert.match(page.body, /action="\/account\/away"/);
    assert.match(page.body, /Mark me away/);
    const away = await agent.post(
      "/account/away",
      { away: "true", back: "/tickets/new" },
      { csrfFrom: "/tickets/new" },
    );
    assert.equal(away.statusCode, 303);
    assert.equal(away.headers.location, "/tickets/new");
    const [row] = await deps.db.select().from(users).where(eq(users.id, agentUser.id));
    assert.equal(row?.away, true);
    const after = await agent.get("/desk");
    assert.match(after.body, /I'm back/);
    // A redirect elsewhere is not followed.
    const offsite = await agent.post(
      "/account/away",
      { away: "false", back: "//evil.example/" },
      { csrfFrom: "/desk" },
    );
    assert.equal(offsite.headers.location, "/desk");

    const api = await apiAs(world(), agentUser);
    assert.equal((await api.get("/me")).body.away, false);
    const set = await api.patch("/me", { away: true });
    assert.equal(set.status, 200);
    assert.equal((await api.get("/me")).body.away, true);
    assert.equal((await api.patch("/me", { away: "yes" })).status, 400);
    const customerApi = await apiAs(world(), await makeCustomer(deps));
    assert.equal((await customerApi.patch("/me", { away: true })).status, 403);
  });

  test("going away hands unanswered tickets back to teams that ask for it, audited; answered ones and other teams' stay", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const leaving = await makeAgent(deps, { name: "Lee Leaving" });
    const handsBack = await teamOf(deps, admin, [leaving], { name: "", handBackWhenAway: true });
    const keeps = await teamOf(deps, admin, [leaving]);
    const customer = await makeCustomer(deps);
    const ticket = async (teamId: number) => {
      const t = await createTicket(deps, customer, { title: "Q", description: "x" });
      await updateTicket(deps, admin, t.id, { teamId, assigneeId: leaving.id });
      return t.id;
    };
    const waiting = await ticket(handsBack.id);
    const answered = await ticket(handsBack.id);
    await addReply(deps, leaving, answered, { content: "On it" });
    const elsewhere = await ticket(keeps.id);

    const agent = await world().signedIn(leaving);
    await agent.post("/account/away", { away: "true", back: "/desk" }, { csrfFrom: "/desk" });
    assert.equal(await assigneeOf(deps, waiting), null);
    assert.deepEqual(await reasons(deps, waiting), [
      `handed back to team ${handsBack.name}: Lee Leaving is away`,
    ]);
    assert.equal(await assigneeOf(deps, answered), leaving.id);
    assert.equal(await assigneeOf(deps, elsewhere), leaving.id);
    // The ticket page's history says why.
    const adminBrowser = await world().signedIn(admin);
    const page = await adminBrowser.get(`/tickets/${waiting}`);
    assert.match(page.body, /assigned automatically: handed back to team/);

    // Switching the option off: nothing more is handed back.
    await updateTeam(deps, admin, handsBack.id, { name: handsBack.name, handBackWhenAway: false });
    await setAway(deps, leaving, false);
    const later = await ticket(handsBack.id);
    await setAway(deps, leaving, true);
    assert.equal(await assigneeOf(deps, later), leaving.id);
  });
});
