import assert from "node:assert/strict";
import { test } from "node:test";
import { and, asc, eq, inArray, sql } from "drizzle-orm";
import { mail, TEST_SECRET_KEY } from "../../test/helpers/dovecot.ts";
import { makeAdmin, makeAgent, makeCustomer } from "../../test/helpers/factories.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { setAway } from "../assignment/assignment.service.ts";
import { outbox, ticketSlaTargets, tickets as ticketsTable } from "../db/schema/index.ts";
import type { Deps } from "../deps.ts";
import { receiveEmail } from "../email/inbound.service.ts";
import { createMailbox } from "../email/mailboxes.service.ts";
import { addMember, createTeam } from "../teams/teams.service.ts";
import * as tickets from "../tickets/tickets.service.ts";
import { addBusinessMs } from "./business-time.ts";
import { runSlaRecompute } from "./recompute.ts";
import { runSlaNotifications } from "./scheduler.ts";
import { requestRecompute } from "./sla.repo.ts";
import { calendarOf } from "./sla.schemas.ts";
import {
  defaultCalendar,
  getCalendar,
  recomputationsSettled,
  saveCalendar,
  savePolicy,
} from "./sla.service.ts";

const MIN = 60_000;

/** The first-response clock of a ticket. */
async function firstResponse(deps: Deps, ticketId: number) {
  const [row] = await deps.db
    .select()
    .from(ticketSlaTargets)
    .where(
      and(eq(ticketSlaTargets.ticketId, ticketId), eq(ticketSlaTargets.kind, "first_response")),
    );
  assert.ok(row, `ticket ${ticketId} has a first-response clock`);
  return row;
}

/**
 * The database stamps a ticket and its clocks with its own clock (now). To
 * assert exact instants, the test moves a ticket's creation and its clocks'
 * start to `at`, then lets the recomputation place them again: it chooses the
 * policy and calendar per (team, priority) by the same rule as the reaction.
 */
async function createdAt(deps: Deps, ticketId: number, at: Date): Promise<void> {
  await deps.db.update(ticketsTable).set({ createdAt: at }).where(eq(ticketsTable.id, ticketId));
  await deps.db
    .update(ticketSlaTargets)
    .set({ startedAt: at, resumedAt: at })
    .where(eq(ticketSlaTargets.ticketId, ticketId));
}

/** The text of a ticket's SLA mails, oldest first. */
async function slaMailTexts(deps: Deps, ticketId: number) {
  const rows = await deps.db
    .select({ text: outbox.textBody })
    .from(outbox)
    .where(and(eq(outbox.ticketId, ticketId), eq(outbox.kind, "rule")))
    .orderBy(asc(outbox.id));
  return rows.map((r) => r.text);
}

/** The SLA mails of a ticket, oldest first: [to, subject]. */
async function slaMails(deps: Deps, ticketId: number) {
  const rows = await deps.db
    .select()
    .from(outbox)
    .where(and(eq(outbox.ticketId, ticketId), eq(outbox.kind, "rule")))
    .orderBy(asc(outbox.id));
  return rows.map((r) => [
    r.toAddress,
    r.subject.replace(/^\[#\d+\] /, "").replace(/ on #\d+.*/, ""),
  ]);
}

describeEachDatabase(
  "done when (issue 14): two teams, two calendars, their own policies",
  (world) => {
    test("mail and the form land in each team's queue, are assigned round-robin past an away agent, get due times on the team's business hours, are due soon then breached, and the assignee hears of each once", async () => {
      const { deps } = world();
      const admin = await makeAdmin(deps);
      const customer = await makeCustomer(deps);

      // Business hours: Berlin 9-17 Monday to Friday; New York 8-20 every day.
      const berlinHours = await saveCalendar(deps, admin, {
        name: "Berlin office",
        timeZone: "Europe/Berlin",
        hours1: "09:00-17:00",
        hours2: "09:00-17:00",
        hours3: "09:00-17:00",
        hours4: "09:00-17:00",
        hours5: "09:00-17:00",
        holidays: "",
      });
      const newYorkHours = await saveCalendar(deps, admin, {
        name: "New York desk",
        timeZone: "America/New_York",
        hours1: "08:00-20:00",
        hours2: "08:00-20:00",
        hours3: "08:00-20:00",
        hours4: "08:00-20:00",
        hours5: "08:00-20:00",
        hours6: "08:00-20:00",
        hours7: "08:00-20:00",
        holidays: "",
      });
      assert.equal(
        calendarOf(await getCalendar(deps, admin, newYorkHours.id)).periods.length,
        7,
        "every day",
      );

      // Two teams on those calendars, three agents each; the middle one is away.
      const berlin = await createTeam(deps, admin, {
        name: "Berlin",
        assignment: "round_robin",
        calendarId: berlinHours.id,
      });
      const newYork = await createTeam(deps, admin, {
        name: "New York",
        assignment: "round_robin",
        offeredOnForm: true,
        calendarId: newYorkHours.id,
      });
      const staff = async (teamId: number) => {
        const agents = [await makeAgent(deps), await makeAgent(deps), await makeAgent(deps)];
        for (const a of agents) await addMember(deps, admin, teamId, a.email);
        const [first, away, third] = agents;
        assert.ok(first && away && third);
        await setAway(deps, away, true);
        return { first, away, third };
      };
      const berliners = await staff(berlin.id);
      const newYorkers = await staff(newYork.id);

      // A general policy on 24/7 and each team's own for normal tickets: a first response in 2 hours.
      const always = await defaultCalendar(deps);
      const targets = (firstResponse: string) => ({
        calendarId: String(always.id),
        firstResponse,
        firstResponseUnit: "hours",
        nextResponse: "",
        resolution: "",
        warnPercent: "80",
      });
      await savePolicy(deps, admin, "normal", targets("8"));
      await savePolicy(deps, admin, "normal", targets("2"), {
        teamId: berlin.id,
        conditionId: null,
      });
      await savePolicy(deps, admin, "normal", targets("2"), {
        teamId: newYork.id,
        conditionId: null,
      });
      await recomputationsSettled(deps);

      // Berlin's tickets come by mail to its mailbox; New York's through the form's category.
      const mailbox = await createMailbox(deps, admin, {
        address: "berlin@shop.example",
        imapHost: "imap.example.test",
        imapTls: "off",
        imapUser: "berlin",
        imapSecret: "secret",
        teamId: String(berlin.id),
      });
      const byMail: number[] = [];
      for (const uid of [1, 2]) {
        const result = await receiveEmail(
          deps,
          Buffer.from(mail({ from: customer.email, subject: `Invoice question ${uid}` })),
          { to: [mailbox.address] },
          { mailboxId: mailbox.id, address: mailbox.address, uidValidity: 1, uid },
        );
        assert.equal(result.status, "ticket");
        byMail.push(result.ticketId ?? 0);
      }
      const byForm: number[] = [];
      for (const n of [1, 2]) {
        const ticket = await tickets.createTicket(deps, customer, {
          title: `Delivery question ${n}`,
          description: "Where is my parcel?",
          teamId: newYork.id,
        });
        byForm.push(ticket.id);
      }

      // Each team's queue holds its own tickets, and only those.
      const queue = async (teamId: number) =>
        (await tickets.listTickets(deps, admin, { team: teamId, limit: 50 })).tickets
          .map((t) => t.id)
          .sort((a, b) => a - b);
      assert.deepEqual(await queue(berlin.id), byMail);
      assert.deepEqual(await queue(newYork.id), byForm);

      // Round-robin, past the away agent.
      const assignees = async (ids: number[]) =>
        (
          await deps.db
            .select({ assigneeId: ticketsTable.assigneeId })
            .from(ticketsTable)
            .where(inArray(ticketsTable.id, ids))
            .orderBy(asc(ticketsTable.id))
        ).map((r) => r.assigneeId);
      assert.deepEqual(await assignees(byMail), [berliners.first.id, berliners.third.id]);
      assert.deepEqual(await assignees(byForm), [newYorkers.first.id, newYorkers.third.id]);

      // The clocks run on the team's calendar with the team's target, from the ticket's creation.
      for (const [id, calendar] of [
        [byMail[0], berlinHours],
        [byForm[0], newYorkHours],
      ] as const) {
        const clock = await firstResponse(deps, id ?? 0);
        assert.equal(clock.calendarId, calendar.id);
        assert.equal(clock.targetMinutes, 120);
        assert.equal(
          +(clock.dueAt ?? 0),
          addBusinessMs(calendarOf(calendar), +clock.startedAt, 120 * MIN),
        );
      }

      // Exact instants: Berlin's ticket as if written on Friday 6 March 2026 at 16:00 in Berlin
      // (CET): one working hour that day, the second on Monday from 09:00. New York's on
      // Saturday 7 March at 19:30 (EST): half an hour that evening, the rest on Sunday from
      // 08:00, after the clocks went forward to EDT that night.
      const berlinTicket = byMail[0] ?? 0;
      const newYorkTicket = byForm[0] ?? 0;
      await createdAt(deps, berlinTicket, new Date("2026-03-06T15:00:00Z"));
      await createdAt(deps, newYorkTicket, new Date("2026-03-08T00:30:00Z"));
      await requestRecompute(deps.db);
      await runSlaRecompute(deps);
      const berlinClock = await firstResponse(deps, berlinTicket);
      assert.equal(berlinClock.dueAt?.toISOString(), "2026-03-09T09:00:00.000Z", "Mon 10:00 CET");
      assert.equal(berlinClock.warnAt?.toISOString(), "2026-03-09T08:36:00.000Z", "80%: 09:36");
      const newYorkClock = await firstResponse(deps, newYorkTicket);
      assert.equal(newYorkClock.dueAt?.toISOString(), "2026-03-08T13:30:00.000Z", "Sun 09:30 EDT");
      assert.equal(newYorkClock.warnAt?.toISOString(), "2026-03-08T13:06:00.000Z", "80%: 09:06");

      // The clock moves on: on track, due soon, breached; each notice once, to the assignee.
      const state = async (ticketId: number, now: Date) =>
        (await tickets.getTicketSla(deps, admin, ticketId, now)).find(
          (t) => t.kind === "first_response",
        )?.state;
      const cases = [
        {
          id: newYorkTicket,
          clock: newYorkClock,
          assignee: newYorkers.first,
          due: "2026-03-08 09:30 America/New_York (13:30 UTC)",
        },
        {
          id: berlinTicket,
          clock: berlinClock,
          assignee: berliners.first,
          due: "2026-03-09 10:00 Europe/Berlin (09:00 UTC)",
        },
      ];
      for (const { id, clock, assignee, due } of cases) {
        const warnAt = +(clock.warnAt ?? 0);
        const dueAt = +(clock.dueAt ?? 0);
        assert.equal(await state(id, new Date(warnAt - 1)), "on_track");
        await runSlaNotifications(deps, { now: new Date(warnAt - 1) });
        assert.deepEqual(await slaMails(deps, id), []);

        assert.equal(await state(id, new Date(warnAt)), "due_soon");
        await runSlaNotifications(deps, { now: new Date(warnAt) });
        await runSlaNotifications(deps, { now: new Date(warnAt + 5 * MIN) });
        assert.deepEqual(await slaMails(deps, id), [
          [assignee.email, "SLA due soon: first response"],
        ]);

        assert.equal(await state(id, new Date(dueAt)), "breached");
        await runSlaNotifications(deps, { now: new Date(dueAt) });
        await runSlaNotifications(deps, { now: new Date(dueAt + 60 * MIN) });
        assert.deepEqual(await slaMails(deps, id), [
          [assignee.email, "SLA due soon: first response"],
          [assignee.email, "SLA breached: first response"],
        ]);
        // The due time is told on the team's calendar, where its hours are.
        const texts = await slaMailTexts(deps, id);
        assert.ok(texts[0]?.includes(`is due at ${due}.`), texts[0]);
        assert.ok(texts[1]?.includes(`was due at ${due} and`), texts[1]);
      }
      // The away agents heard of no SLA notice.
      const [{ count } = { count: -1 }] = await deps.db
        .select({ count: sql<number>`count(*)::int` })
        .from(outbox)
        .where(
          and(
            eq(outbox.kind, "rule"),
            inArray(outbox.toAddress, [berliners.away.email, newYorkers.away.email]),
          ),
        );
      assert.equal(count, 0);
    });
  },
  { env: { MAILBOX_SECRET_KEY: TEST_SECRET_KEY } },
);
