import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import { and, asc, eq, isNull } from "drizzle-orm";
import { apiAs } from "../../test/helpers/api.ts";
import { makeAdmin } from "../../test/helpers/factories.ts";
import { decodeEntities } from "../../test/helpers/html.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import type { Actor } from "../accounts/index.ts";
import {
  slaCalendars,
  slaPolicies,
  teams as teamsTable,
  ticketSlaDue,
  ticketSlaTargets,
} from "../db/schema/index.ts";
import type { Deps } from "../deps.ts";
import { Conflict } from "../lib/errors.ts";
import * as teams from "../teams/teams.service.ts";
import type { Priority } from "../tickets/lifecycle.ts";
import * as tickets from "../tickets/tickets.service.ts";
import { choosePolicy } from "./policy.ts";
import { runSlaRecompute } from "./recompute.ts";
import { requestRecompute } from "./sla.repo.ts";
import {
  defaultCalendar,
  deleteCalendar,
  recomputationsSettled,
  saveCalendar,
  savePolicy,
} from "./sla.service.ts";

const MIN = 60_000;
const unique = () => randomBytes(4).toString("hex");

describe("choosePolicy (the one rule)", () => {
  const row = (
    id: number,
    teamId: number | null,
    priority: Priority,
    calendarId: number,
    conditionId: number | null = null,
  ) => ({
    id,
    teamId,
    conditionId,
    priority,
    calendarId,
    firstResponseMinutes: 60,
    nextResponseMinutes: null,
    resolutionMinutes: null,
    warnPercent: 80,
    createdAt: new Date(0),
    updatedAt: new Date(0),
  });
  const policies = [row(1, null, "high", 10), row(2, 7, "high", 11), row(3, 8, "low", 12)];

  test("a team's own policy for the priority wins; else the general one; else none", () => {
    const teamCalendars = new Map<number, number | null>([
      [7, null],
      [8, null],
    ]);
    assert.equal(
      choosePolicy(policies, teamCalendars, { teamId: 7, priority: "high" })?.policy.id,
      2,
    );
    assert.equal(
      choosePolicy(policies, teamCalendars, { teamId: 8, priority: "high" })?.policy.id,
      1,
    );
    assert.equal(
      choosePolicy(policies, teamCalendars, { teamId: null, priority: "high" })?.policy.id,
      1,
    );
    assert.equal(
      choosePolicy(policies, teamCalendars, { teamId: null, priority: "low" }),
      undefined,
    );
    assert.equal(
      choosePolicy(policies, teamCalendars, { teamId: 8, priority: "low" })?.policy.id,
      3,
    );
  });

  test("the team's calendar, when it chose one, else the policy's", () => {
    const teamCalendars = new Map<number, number | null>([
      [7, 99],
      [8, null],
    ]);
    assert.equal(
      choosePolicy(policies, teamCalendars, { teamId: 7, priority: "high" })?.calendarId,
      99,
    );
    assert.equal(
      choosePolicy(policies, teamCalendars, { teamId: 8, priority: "high" })?.calendarId,
      10,
    );
    assert.equal(
      choosePolicy(policies, teamCalendars, { teamId: 9, priority: "high" })?.calendarId,
      10,
    );
    assert.equal(
      choosePolicy(policies, teamCalendars, { teamId: null, priority: "high" })?.calendarId,
      10,
    );
  });

  test("an SLA condition's policy wins for the tickets that meet it, the first condition in order first", () => {
    // Conditions 21 (first) and 22; 22 has a policy for high and low, 21 only for low.
    const withConditions = [
      ...policies,
      row(4, null, "high", 13, 22),
      row(5, null, "low", 14, 22),
      row(6, null, "low", 15, 21),
    ];
    const teams = new Map<number, number | null>([[7, 98]]);
    const order = [21, 22];
    const choose = (ticket: Parameters<typeof choosePolicy>[2]) =>
      choosePolicy(withConditions, teams, ticket, order);
    // Meets both: 21 has no high policy, so 22's.
    assert.equal(choose({ teamId: 7, priority: "high", conditionIds: [22, 21] })?.policy.id, 4);
    // Meets both, low: 21 comes first.
    assert.equal(choose({ teamId: null, priority: "low", conditionIds: [22, 21] })?.policy.id, 6);
    // Reordered: 22 first.
    assert.equal(
      choosePolicy(
        withConditions,
        teams,
        { teamId: null, priority: "low", conditionIds: [21, 22] },
        [22, 21],
      )?.policy.id,
      5,
    );
    // Meets none: the team's own, else the general one; a condition's policy is never general.
    assert.equal(choose({ teamId: 7, priority: "high", conditionIds: [] })?.policy.id, 2);
    assert.equal(choose({ teamId: null, priority: "low" }), undefined);
    // The team's calendar still wins over a condition policy's.
    assert.equal(choose({ teamId: 7, priority: "high", conditionIds: [22] })?.calendarId, 98);
    assert.equal(choose({ teamId: null, priority: "high", conditionIds: [22] })?.calendarId, 13);
  });
});

/** A policy form in minutes on `calendarId` (the default when not given); `{}` removes it. */
function policyForm(
  calendarId: number,
  minutes: { first?: number; resolution?: number },
): Record<string, string> {
  return {
    calendarId: String(calendarId),
    firstResponse: minutes.first ? String(minutes.first) : "",
    firstResponseUnit: "minutes",
    nextResponse: "",
    resolution: minutes.resolution ? String(minutes.resolution) : "",
    resolutionUnit: "minutes",
    warnPercent: "80",
  };
}

async function running(deps: Deps, ticketId: number) {
  return deps.db
    .select()
    .from(ticketSlaTargets)
    .where(and(eq(ticketSlaTargets.ticketId, ticketId), isNull(ticketSlaTargets.metAt)))
    .orderBy(asc(ticketSlaTargets.id));
}

/** A calendar open 09:00-17:00 Monday to Friday in Berlin. */
async function berlinCalendar(deps: Deps, admin: Actor) {
  return saveCalendar(deps, admin, {
    name: `Berlin ${unique()}`,
    timeZone: "Europe/Berlin",
    hours1: "09:00-17:00",
    hours2: "09:00-17:00",
    hours3: "09:00-17:00",
    hours4: "09:00-17:00",
    hours5: "09:00-17:00",
    holidays: "",
  });
}

describeEachDatabase("SLA per team", (world) => {
  test("a team's own policy and calendar drive its tickets' clocks; a ticket moved to another team is retargeted", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const always = await defaultCalendar(deps);
    const berlin = await berlinCalendar(deps, admin);
    const office = await teams.createTeam(deps, admin, {
      name: `Office ${unique()}`,
      calendarId: berlin.id,
    });
    const plain = await teams.createTeam(deps, admin, { name: `Plain ${unique()}` });
    await savePolicy(deps, admin, "normal", policyForm(always.id, { first: 120 }));
    await savePolicy(deps, admin, "normal", policyForm(always.id, { first: 30 }), {
      teamId: office.id,
      conditionId: null,
    });
    await recomputationsSettled(deps);

    const inOffice = await tickets.createTicket(deps, admin, {
      title: "Office hours",
      description: "x",
      priority: "normal",
      teamId: office.id,
    });
    const [officeClock] = await running(deps, inOffice.id);
    assert.equal(officeClock?.calendarId, berlin.id, "the team's calendar, not the policy's");
    assert.equal(officeClock?.targetMinutes, 30, "the team's own policy");

    const inPlain = await tickets.createTicket(deps, admin, {
      title: "Around the clock",
      description: "x",
      priority: "normal",
      teamId: plain.id,
    });
    const [plainClock] = await running(deps, inPlain.id);
    assert.equal(plainClock?.calendarId, always.id, "no calendar of its own: the policy's");
    assert.equal(plainClock?.targetMinutes, 120, "no policy of its own: the general one");
    assert.equal(+(plainClock?.dueAt ?? 0), +inPlain.createdAt + 120 * MIN);

    // Moved from the plain team to the office: the office's target and calendar.
    const moved = await tickets.updateTicket(deps, admin, inPlain.id, { teamId: office.id });
    const [movedClock] = await running(deps, inPlain.id);
    assert.equal(movedClock?.id, plainClock?.id, "the same clock, retargeted");
    assert.equal(movedClock?.calendarId, berlin.id);
    assert.equal(movedClock?.targetMinutes, 30);
    const [due] = await deps.db
      .select()
      .from(ticketSlaDue)
      .where(eq(ticketSlaDue.ticketId, moved.id));
    assert.equal(+(due?.dueAt ?? 0), +(movedClock?.dueAt ?? 0), "the due-first row follows");

    // Out of every team: the general policy on its calendar again.
    await tickets.updateTicket(deps, admin, inPlain.id, { teamId: null });
    const [back] = await running(deps, inPlain.id);
    assert.equal(back?.calendarId, always.id);
    assert.equal(+(back?.dueAt ?? 0), +inPlain.createdAt + 120 * MIN);

    // The recomputation decides exactly as the reaction did: nothing to rewrite.
    await requestRecompute(deps.db);
    const again = await runSlaRecompute(deps);
    assert.ok(again.clocks >= 2, JSON.stringify(again));
    assert.equal(again.rewritten, 0, "the same choice per (team, priority)");
  });

  test("a team's calendar or policy saved later reaches its running clocks in the background; other teams keep theirs", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const always = await defaultCalendar(deps);
    const berlin = await berlinCalendar(deps, admin);
    const team = await teams.createTeam(deps, admin, { name: `Later ${unique()}` });
    const other = await teams.createTeam(deps, admin, { name: `Other ${unique()}` });
    await savePolicy(deps, admin, "low", policyForm(always.id, { first: 60 }));
    await recomputationsSettled(deps);
    const mine = await tickets.createTicket(deps, admin, {
      title: "Mine",
      description: "x",
      priority: "low",
      teamId: team.id,
    });
    const theirs = await tickets.createTicket(deps, admin, {
      title: "Theirs",
      description: "x",
      priority: "low",
      teamId: other.id,
    });
    const [theirsBefore] = await running(deps, theirs.id);

    await teams.updateTeam(deps, admin, team.id, { name: team.name, calendarId: berlin.id });
    await recomputationsSettled(deps);
    const [onBerlin] = await running(deps, mine.id);
    assert.equal(onBerlin?.calendarId, berlin.id, "the team's new calendar");

    await savePolicy(deps, admin, "low", policyForm(always.id, { first: 15 }), {
      teamId: team.id,
      conditionId: null,
    });
    await recomputationsSettled(deps);
    const [retargeted] = await running(deps, mine.id);
    assert.equal(retargeted?.targetMinutes, 15, "the team's new policy");
    assert.equal(retargeted?.calendarId, berlin.id, "still the team's calendar");
    assert.deepEqual(await running(deps, theirs.id), [theirsBefore], "the other team's untouched");

    // One policy per (team, priority): saving again changes it; the general one is apart.
    await savePolicy(deps, admin, "low", policyForm(always.id, { first: 20 }), {
      teamId: team.id,
      conditionId: null,
    });
    const rows = await deps.db
      .select()
      .from(slaPolicies)
      .where(eq(slaPolicies.priority, "low"))
      .orderBy(asc(slaPolicies.id));
    assert.deepEqual(
      rows.map((r) => [r.teamId, r.firstResponseMinutes]),
      [
        [null, 60],
        [team.id, 20],
      ],
    );
    await assert.rejects(
      deps.db.insert(slaPolicies).values({ priority: "low", calendarId: always.id }),
      "a second general policy for a priority breaks the unique constraint (NULLS NOT DISTINCT)",
    );
    await recomputationsSettled(deps);
  });

  test("a calendar in use by a team or a policy cannot be deleted; the default neither; an unused one can", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const always = await defaultCalendar(deps);
    const teamCal = await berlinCalendar(deps, admin);
    const policyCal = await berlinCalendar(deps, admin);
    const team = await teams.createTeam(deps, admin, {
      name: `Uses ${unique()}`,
      calendarId: teamCal.id,
    });
    await savePolicy(deps, admin, "urgent", policyForm(policyCal.id, { first: 5 }), {
      teamId: team.id,
      conditionId: null,
    });
    await recomputationsSettled(deps);

    await assert.rejects(deleteCalendar(deps, admin, teamCal.id), (e: unknown) => {
      assert.ok(e instanceof Conflict);
      assert.match(e.message, new RegExp(`in use by team ${team.name}`));
      return true;
    });
    await assert.rejects(deleteCalendar(deps, admin, policyCal.id), (e: unknown) => {
      assert.ok(e instanceof Conflict);
      assert.match(e.message, new RegExp(`team ${team.name}'s urgent policy`));
      return true;
    });
    await assert.rejects(deleteCalendar(deps, admin, always.id), /default calendar/);

    // Freed: the team goes back to its policy's calendar, the policy moves to the default.
    await teams.updateTeam(deps, admin, team.id, { name: team.name, calendarId: null });
    await savePolicy(deps, admin, "urgent", policyForm(always.id, { first: 5 }), {
      teamId: team.id,
      conditionId: null,
    });
    await recomputationsSettled(deps);
    await deleteCalendar(deps, admin, teamCal.id);
    await deleteCalendar(deps, admin, policyCal.id);
    await recomputationsSettled(deps);
    const left = await deps.db.select().from(slaCalendars);
    assert.ok(!left.some((c) => c.id === teamCal.id || c.id === policyCal.id));
  });
});

describeEachDatabase("SLA per team: admin pages and API", (world) => {
  test("an admin chooses a team's calendar on the teams page; staff read it in the API", async () => {
    const { deps } = world();
    const adminUser = await makeAdmin(deps);
    const admin = await world().signedIn(adminUser);
    const berlin = await berlinCalendar(deps, adminUser);
    const name = `Hours ${unique()}`;
    const page = await admin.get("/admin/teams");
    assert.match(
      decodeEntities(page.body),
      new RegExp(`<option value="${berlin.id}">${berlin.name}`),
    );
    assert.equal(
      (await admin.post("/admin/teams", { name, calendarId: String(berlin.id) })).statusCode,
      303,
    );
    const [row] = await deps.db.select().from(teamsTable).where(eq(teamsTable.name, name));
    assert.equal(row?.calendarId, berlin.id);
    const shown = await admin.get("/admin/teams");
    assert.match(shown.body, new RegExp(`<option value="${berlin.id}" selected`));

    const bad = await admin.post(`/admin/teams/${row?.id}`, { name, calendarId: "999999" });
    assert.equal(bad.statusCode, 422);
    assert.match(bad.body, /Business hours is not a calendar/);

    const api = await apiAs(world(), adminUser);
    const listed = await api.get("/teams");
    assert.equal(listed.status, 200);
    const team = (listed.body as { data: { name: string; calendarId: number | null }[] }).data.find(
      (t) => t.name === name,
    );
    assert.equal(team?.calendarId, berlin.id);

    // Back to none.
    await admin.post(`/admin/teams/${row?.id}`, { name, calendarId: "" });
    const [after] = await deps.db.select().from(teamsTable).where(eq(teamsTable.name, name));
    assert.equal(after?.calendarId, null);
  });

  test("the SLA page lists general and per-team policies; an admin adds, edits and removes a team's own; deleting a calendar in use is refused with why", async () => {
    const { deps } = world();
    const adminUser = await makeAdmin(deps);
    const admin = await world().signedIn(adminUser);
    const always = await defaultCalendar(deps);
    const berlin = await berlinCalendar(deps, adminUser);
    const team = await teams.createTeam(deps, adminUser, {
      name: `Desk ${unique()}`,
      calendarId: berlin.id,
    });
    const page = await admin.get("/admin/sla");
    assert.equal(page.statusCode, 200);
    const text = decodeEntities(page.body);
    assert.match(text, /Teams' own policies/);
    assert.match(text, new RegExp(`${team.name}</h3>`));
    assert.match(text, new RegExp(`clocks run on ${berlin.name}`));
    assert.match(text, /no policy of its own: the general ones apply/);

    const added = await admin.post(`/admin/sla/teams/${team.id}/policies`, {
      priority: "high",
      ...policyForm(always.id, { first: 45 }),
    });
    assert.equal(added.statusCode, 303);
    const own = async () =>
      deps.db
        .select()
        .from(slaPolicies)
        .where(and(eq(slaPolicies.teamId, team.id), eq(slaPolicies.priority, "high")));
    assert.equal((await own())[0]?.firstResponseMinutes, 45);
    const listed = decodeEntities((await admin.get("/admin/sla")).body);
    assert.match(listed, new RegExp(`Save ${team.name} high policy`));
    assert.match(listed, new RegExp(`Remove ${team.name} high policy`));

    const refused = await admin.post(`/admin/sla/teams/${team.id}/policies/high`, {
      ...policyForm(always.id, {}),
      firstResponse: "soon",
    });
    assert.equal(refused.statusCode, 422);
    assert.match(refused.body, /value="soon"/, "what was typed is kept");
    assert.equal((await own())[0]?.firstResponseMinutes, 45, "unchanged");

    assert.equal(
      (
        await admin.post(
          `/admin/sla/teams/${team.id}/policies/high`,
          policyForm(always.id, { first: 50 }),
        )
      ).statusCode,
      303,
    );
    assert.equal((await own())[0]?.firstResponseMinutes, 50);

    const inUse = await admin.post(`/admin/sla/calendars/${berlin.id}/delete`, {});
    assert.equal(inUse.statusCode, 409);
    assert.match(
      decodeEntities(inUse.body),
      new RegExp(
        `"${berlin.name}" is in use by team ${team.name}: choose another calendar there first`,
      ),
    );
    assert.equal(
      (await deps.db.select().from(slaCalendars).where(eq(slaCalendars.id, berlin.id))).length,
      1,
    );

    const removed = await admin.post(`/admin/sla/teams/${team.id}/policies/high/remove`, {});
    assert.equal(removed.statusCode, 303);
    assert.deepEqual(await own(), []);

    const unused = await berlinCalendar(deps, adminUser);
    const gone = await admin.post(`/admin/sla/calendars/${unused.id}/delete`, {});
    assert.equal(gone.statusCode, 303);
    assert.equal(
      (await deps.db.select().from(slaCalendars).where(eq(slaCalendars.id, unused.id))).length,
      0,
    );
    await recomputationsSettled(deps);
  });
});
