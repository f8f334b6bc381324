import assert from "node:assert/strict";
import { test } from "node:test";
import { and, asc, eq } from "drizzle-orm";
import { makeAdmin, makeAgent, makeCustomer } from "../../test/helpers/factories.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import type { Actor } from "../accounts/index.ts";
import {
  outbox,
  slaJobs,
  slaPolicies,
  ticketSlaDue,
  ticketSlaTargets,
  users,
} from "../db/schema/index.ts";
import type { Deps } from "../deps.ts";
import { Forbidden, Invalid } from "../lib/errors.ts";
import { action, ruleForm, tag, withRules } from "../rules/test-support.ts";
import * as teams from "../teams/teams.service.ts";
import type { Priority } from "../tickets/lifecycle.ts";
import * as tickets from "../tickets/tickets.service.ts";
import { runSlaNotifications, runSlaRecompute } from "./scheduler.ts";
import { requestRecompute } from "./sla.repo.ts";
import {
  defaultCalendar,
  getSlaSettings,
  recomputationsSettled,
  saveCalendar,
  savePolicy,
} from "./sla.service.ts";

const MIN = 60_000;

async function targets(deps: Deps, ticketId: number) {
  return deps.db
    .select()
    .from(ticketSlaTargets)
    .where(eq(ticketSlaTargets.ticketId, ticketId))
    .orderBy(asc(ticketSlaTargets.id));
}
async function target(
  deps: Deps,
  ticketId: number,
  kind: "first_response" | "next_response" | "resolution",
) {
  const rows = (await targets(deps, ticketId)).filter((r) => r.kind === kind);
  return rows.at(-1);
}

/** A 24/7 policy (minutes) for a priority; `{}` removes it. */
async function policy(
  deps: Deps,
  admin: Actor,
  priority: Priority,
  minutes: { first?: number; next?: number; resolution?: number; warn?: number },
) {
  const calendar = await defaultCalendar(deps);
  await savePolicy(deps, admin, priority, {
    calendarId: String(calendar.id),
    firstResponse: minutes.first ? String(minutes.first) : "",
    nextResponse: minutes.next ? String(minutes.next) : "",
    resolution: minutes.resolution ? String(minutes.resolution) : "",
    warnPercent: String(minutes.warn ?? 80),
  });
  await recomputationsSettled(deps);
}

describeEachDatabase("SLA clocks", (world) => {
  test("a new ticket gets the clocks of its priority's policy; the first public agent reply meets the first response, a note does not", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const agent = await makeAgent(deps);
    const customer = await makeCustomer(deps);
    await policy(deps, admin, "urgent", { first: 60, resolution: 8 * 60 });
    const ticket = await tickets.createTicket(deps, customer, {
      title: "Down",
      description: "x",
      priority: "urgent",
    });
    const [first, resolution] = await targets(deps, ticket.id);
    assert.equal(first?.kind, "first_response");
    assert.equal(+(first?.dueAt ?? 0), +ticket.createdAt + 60 * MIN);
    assert.equal(+(first?.warnAt ?? 0), +ticket.createdAt + 48 * MIN, "80% of the target");
    assert.equal(+(resolution?.dueAt ?? 0), +ticket.createdAt + 480 * MIN);
    const [due] = await deps.db
      .select()
      .from(ticketSlaDue)
      .where(eq(ticketSlaDue.ticketId, ticket.id));
    assert.equal(+(due?.dueAt ?? 0), +ticket.createdAt + 60 * MIN, "the earliest running target");

    await tickets.addReply(deps, agent, ticket.id, { content: "Looking", internal: true });
    assert.equal((await target(deps, ticket.id, "first_response"))?.metAt, null);
    await tickets.addReply(deps, agent, ticket.id, { content: "On it" });
    const met = await target(deps, ticket.id, "first_response");
    assert.ok(met?.metAt, "met");
    assert.equal(met?.breachedAt, null);
    const [dueAfter] = await deps.db
      .select()
      .from(ticketSlaDue)
      .where(eq(ticketSlaDue.ticketId, ticket.id));
    assert.equal(+(dueAfter?.dueAt ?? 0), +ticket.createdAt + 480 * MIN, "now the resolution");

    const low = await tickets.createTicket(deps, customer, {
      title: "Later",
      description: "x",
      priority: "low",
    });
    assert.deepEqual(await targets(deps, low.id), [], "no policy for low: no clocks");
  });

  test("pending pauses every running clock; the customer's reply resumes it with the business time it had left", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const agent = await makeAgent(deps);
    const customer = await makeCustomer(deps);
    await policy(deps, admin, "high", { first: 30, next: 30, resolution: 600 });
    const ticket = await tickets.createTicket(deps, customer, {
      title: "Wait",
      description: "x",
      priority: "high",
    });
    await tickets.addReply(deps, agent, ticket.id, {
      content: "Which model?",
      waitOnCustomer: true,
    });
    const paused = await target(deps, ticket.id, "resolution");
    assert.ok(paused?.pausedAt);
    assert.equal(paused?.dueAt, null);
    assert.equal(paused?.usedMs, +(paused?.pausedAt ?? 0) - +ticket.createdAt);
    const [gone] = await deps.db
      .select()
      .from(ticketSlaDue)
      .where(eq(ticketSlaDue.ticketId, ticket.id));
    assert.equal(gone, undefined, "a pending ticket is not in the due-first queue");

    await tickets.addReply(deps, customer, ticket.id, { content: "Model 7" });
    const resumed = await target(deps, ticket.id, "resolution");
    assert.equal(resumed?.pausedAt, null);
    assert.equal(
      +(resumed?.dueAt ?? 0) - +(resumed?.resumedAt ?? 0),
      600 * MIN - (resumed?.usedMs ?? 0),
    );
    const next = await target(deps, ticket.id, "next_response");
    assert.ok(next && next.metAt === null, "the customer's message waits for an answer");
    assert.equal(+(next?.dueAt ?? 0), +(next?.startedAt ?? 0) + 30 * MIN);

    await tickets.addReply(deps, agent, ticket.id, { content: "Fixed" });
    assert.ok(
      (await target(deps, ticket.id, "next_response"))?.metAt,
      "met by the next public reply",
    );
    await tickets.addReply(deps, customer, ticket.id, { content: "Again!" });
    const rows = (await targets(deps, ticket.id)).filter((r) => r.kind === "next_response");
    assert.equal(rows.length, 2, "each wait for an answer is recorded on its own");
  });

  test("solved meets the resolution; reopened, it runs again from where it stopped", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const agent = await makeAgent(deps);
    const customer = await makeCustomer(deps);
    await policy(deps, admin, "normal", { resolution: 120 });
    const ticket = await tickets.createTicket(deps, customer, { title: "Solve", description: "x" });
    await tickets.updateTicket(deps, agent, ticket.id, { status: "solved" });
    const solved = await target(deps, ticket.id, "resolution");
    assert.ok(solved?.metAt);
    assert.equal(solved?.breachedAt, null);
    await tickets.addReply(deps, customer, ticket.id, { content: "Not fixed" });
    const reopened = await target(deps, ticket.id, "resolution");
    assert.equal(reopened?.metAt, null);
    assert.equal(reopened?.id, solved?.id);
    assert.equal(
      +(reopened?.dueAt ?? 0) - +(reopened?.resumedAt ?? 0),
      120 * MIN - (reopened?.usedMs ?? 0),
    );
  });

  test("a priority change applies the new priority's policy to the clocks not met", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const agent = await makeAgent(deps);
    const customer = await makeCustomer(deps);
    await policy(deps, admin, "normal", { first: 240 });
    await policy(deps, admin, "urgent", { first: 15, resolution: 60 });
    const ticket = await tickets.createTicket(deps, customer, {
      title: "Escalate",
      description: "x",
    });
    assert.equal((await target(deps, ticket.id, "first_response"))?.targetMinutes, 240);
    await tickets.updateTicket(deps, agent, ticket.id, { priority: "urgent" });
    const first = await target(deps, ticket.id, "first_response");
    assert.equal(first?.targetMinutes, 15);
    assert.equal(+(first?.dueAt ?? 0), +ticket.createdAt + 15 * MIN);
    const resolution = await target(deps, ticket.id, "resolution");
    assert.equal(+(resolution?.dueAt ?? 0), +ticket.createdAt + 60 * MIN, "counted from creation");
    await tickets.updateTicket(deps, agent, ticket.id, { priority: "low" });
    assert.deepEqual(
      await targets(deps, ticket.id),
      [],
      "no policy for low: the clocks are dropped",
    );
  });

  test("done when: a ticket left unanswered is due soon, then breached; the assignee is told once of each (clock moved)", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const agent = await makeAgent(deps, { name: "Ada" });
    const customer = await makeCustomer(deps);
    await policy(deps, admin, "urgent", { first: 60, warn: 75 });
    const ticket = await tickets.createTicket(deps, customer, {
      title: "Ignored",
      description: "x",
      priority: "urgent",
    });
    await tickets.updateTicket(deps, admin, ticket.id, { assigneeId: agent.id });
    const at = (minutes: number) => new Date(+ticket.createdAt + minutes * MIN);
    const mails = async () =>
      deps.db
        .select()
        .from(outbox)
        .where(and(eq(outbox.ticketId, ticket.id), eq(outbox.kind, "rule")))
        .orderBy(asc(outbox.id));

    await runSlaNotifications(deps, { now: at(44) });
    assert.equal((await mails()).length, 0, "on track at 44 of 60 minutes");
    await runSlaNotifications(deps, { now: at(46) });
    await runSlaNotifications(deps, { now: at(50) });
    let sent = await mails();
    assert.equal(sent.length, 1, "due soon, told once");
    assert.equal(sent[0]?.toAddress, agent.email);
    assert.match(sent[0]?.subject ?? "", /SLA due soon: first response on #\d+ Ignored/);
    assert.ok((await target(deps, ticket.id, "first_response"))?.nearBreachNotified);

    await runSlaNotifications(deps, { now: at(61) });
    await runSlaNotifications(deps, { now: at(90) });
    sent = await mails();
    assert.equal(sent.length, 2, "breached, told once");
    assert.match(sent[1]?.subject ?? "", /SLA breached: first response/);
    const breached = await target(deps, ticket.id, "first_response");
    assert.equal(
      +(breached?.breachedAt ?? 0),
      +ticket.createdAt + 60 * MIN,
      "recorded for reports",
    );

    // Answered late: met, and still recorded as breached.
    await tickets.addReply(deps, agent, ticket.id, { content: "Sorry" });
    const late = await target(deps, ticket.id, "first_response");
    assert.ok(late?.metAt);
    assert.ok(late?.breachedAt);
  });

  test("with nobody assigned, its team's members who are not away are told; no team, the admins", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const customer = await makeCustomer(deps);
    const [inTeam, awayInTeam, outside] = [
      await makeAgent(deps),
      await makeAgent(deps),
      await makeAgent(deps),
    ];
    const team = await teams.createTeam(deps, admin, {
      name: `Billing ${Date.now()}`,
      offeredOnForm: true,
    });
    await teams.addMember(deps, admin, team.id, inTeam.email);
    await teams.addMember(deps, admin, team.id, awayInTeam.email);
    await deps.db.update(users).set({ away: true }).where(eq(users.id, awayInTeam.id));
    await policy(deps, admin, "urgent", { first: 10 });
    const ticket = await tickets.createTicket(deps, customer, {
      title: "Team's",
      description: "x",
      priority: "urgent",
      teamId: team.id,
    });
    assert.equal((await tickets.getTicket(deps, admin, ticket.id)).assigneeId, null);
    await runSlaNotifications(deps, { now: new Date(+ticket.createdAt + 11 * MIN) });
    const sent = await deps.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.ticketId, ticket.id), eq(outbox.kind, "rule")));
    assert.deepEqual(
      sent.map((m) => m.toAddress),
      [inTeam.email],
      "the team member who is in; not the away one, another agent or the admins",
    );
    assert.ok(![outside.email, admin.email].some((a) => sent.some((m) => m.toAddress === a)));
  });

  test("with nobody assigned and no team, the admins are told", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const customer = await makeCustomer(deps);
    await policy(deps, admin, "urgent", { first: 10 });
    const ticket = await tickets.createTicket(deps, customer, {
      title: "Nobody",
      description: "x",
      priority: "urgent",
    });
    await runSlaNotifications(deps, { now: new Date(+ticket.createdAt + 11 * MIN) });
    const sent = await deps.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.ticketId, ticket.id), eq(outbox.kind, "rule")));
    const addresses = sent.map((m) => m.toAddress);
    assert.ok(addresses.includes(admin.email), "every active admin");
    assert.ok(
      sent.every((m) => /SLA breached/.test(m.subject)),
      "one breach, no near-breach after it",
    );
    assert.equal(addresses.filter((a) => a === admin.email).length, 1);
  });

  test("two nodes notifying at once send each notice once", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const customer = await makeCustomer(deps);
    const agent = await makeAgent(deps);
    await policy(deps, admin, "urgent", { first: 10 });
    const created = [];
    for (let i = 0; i < 5; i++) {
      const t = await tickets.createTicket(deps, customer, {
        title: `Race ${i}`,
        description: "x",
        priority: "urgent",
      });
      await tickets.updateTicket(deps, admin, t.id, { assigneeId: agent.id });
      created.push(t);
    }
    const now = new Date(Math.max(...created.map((t) => +t.createdAt)) + 11 * MIN);
    await Promise.all([
      runSlaNotifications(deps, { now, leaseMs: 1 }),
      runSlaNotifications(deps, { now, leaseMs: 1 }),
    ]);
    await runSlaNotifications(deps, { now });
    for (const t of created) {
      const sent = await deps.db
        .select()
        .from(outbox)
        .where(and(eq(outbox.ticketId, t.id), eq(outbox.kind, "rule")));
      assert.equal(sent.length, 1, `ticket ${t.id}`);
    }
  });

  test("a policy change reaches running clocks in the background, batch by batch; a removed policy drops them and their due-first rows", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const customer = await makeCustomer(deps);
    await policy(deps, admin, "high", { first: 100, resolution: 1000 });
    const made = [];
    for (let i = 0; i < 7; i++) {
      made.push(
        await tickets.createTicket(deps, customer, {
          title: `Batch ${i}`,
          description: "x",
          priority: "high",
        }),
      );
    }
    const calendar = await defaultCalendar(deps);
    // The policy changed behind the service's back, then a pass in batches of three clocks.
    await deps.db
      .update(slaPolicies)
      .set({ firstResponseMinutes: 50, resolutionMinutes: null })
      .where(eq(slaPolicies.priority, "high"));
    await requestRecompute(deps.db);
    const result = await runSlaRecompute(deps, { batchSize: 3 });
    assert.ok(result.clocks >= 14 && result.rewritten >= 14, JSON.stringify(result));
    const [job] = await deps.db.select().from(slaJobs).where(eq(slaJobs.name, "recompute"));
    assert.equal(job?.requestedAt, null, "finished");
    await requestRecompute(deps.db);
    const again = await runSlaRecompute(deps, { batchSize: 3 });
    assert.equal(again.rewritten, 0, "nothing changed, nothing written");
    for (const t of made) {
      const rows = await targets(deps, t.id);
      assert.deepEqual(
        rows.map((r) => [r.kind, r.targetMinutes, +(r.dueAt ?? 0) - +t.createdAt]),
        [["first_response", 50, 50 * MIN]],
      );
      const [due] = await deps.db
        .select()
        .from(ticketSlaDue)
        .where(eq(ticketSlaDue.ticketId, t.id));
      assert.equal(+(due?.dueAt ?? 0), +t.createdAt + 50 * MIN);
    }
    await savePolicy(deps, admin, "high", {
      calendarId: String(calendar.id),
      firstResponse: "",
      resolution: "",
    });
    await recomputationsSettled(deps);
    for (const t of made) {
      assert.deepEqual(await targets(deps, t.id), []);
      const [due] = await deps.db
        .select()
        .from(ticketSlaDue)
        .where(eq(ticketSlaDue.ticketId, t.id));
      assert.equal(due, undefined);
    }
  });

  test("a trigger that raises the priority of a new ticket leaves one clock of each kind, on the new priority's targets", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const customer = await makeCustomer(deps);
    await policy(deps, admin, "normal", { first: 240, resolution: 2400 });
    await policy(deps, admin, "urgent", { first: 20, resolution: 200 });
    const word = tag();
    await withRules(
      deps,
      admin,
      [
        ruleForm({
          conditions: [{ field: "subject", op: "contains", value: word }],
          actions: [action({ type: "set_priority", value: "urgent" })],
        }),
      ],
      async () => {
        const ticket = await tickets.createTicket(deps, customer, {
          title: `Server ${word} down`,
          description: "x",
        });
        const rows = await targets(deps, ticket.id);
        assert.deepEqual(
          rows.map((r) => [r.kind, r.targetMinutes, +(r.dueAt ?? 0) - +ticket.createdAt]),
          [
            ["first_response", 20, 20 * MIN],
            ["resolution", 200, 200 * MIN],
          ],
        );
      },
    );
  });

  test("a calendar without working hours is refused field by field; only admins manage calendars and policies", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const agent = await makeAgent(deps);
    await assert.rejects(
      saveCalendar(deps, admin, { name: "Closed", timeZone: "Europe/Berlin", holidays: "" }),
      (e: unknown) => e instanceof Invalid && e.errors.some((x) => x.field === "hours"),
    );
    await assert.rejects(
      saveCalendar(deps, admin, {
        name: "Bad",
        timeZone: "Europe/Nowhere",
        hours1: "9-5",
        holidays: "13-45",
      }),
      (e: unknown) =>
        e instanceof Invalid &&
        ["timeZone", "hours1", "holidays"].every((f) => e.errors.some((x) => x.field === f)),
    );
    await assert.rejects(getSlaSettings(deps, agent), Forbidden);
    await assert.rejects(
      saveCalendar(deps, agent, { name: "Mine", timeZone: "UTC", hours1: "09:00-17:00" }),
      Forbidden,
    );
    const saved = await saveCalendar(deps, admin, {
      name: "Berlin office",
      timeZone: "Europe/Berlin",
      hours1: "09:00-12:00, 13:00-17:30",
      holidays: "12-25\n2026-12-24",
    });
    assert.deepEqual(saved.holidays, [
      { month: 12, day: 25 },
      { year: 2026, month: 12, day: 24 },
    ]);
  });
});
