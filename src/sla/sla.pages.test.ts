import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { eq } from "drizzle-orm";
import { makeAdmin, makeAgent, makeCustomer } from "../../test/helpers/factories.ts";
import { decodeEntities } from "../../test/helpers/html.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { slaCalendars, slaJobs, slaPolicies, ticketSlaTargets } from "../db/schema/index.ts";
import * as tickets from "../tickets/tickets.service.ts";
import { recomputationsSettled } from "./sla.service.ts";

const word = () => `Cal ${randomBytes(4).toString("hex")}`;

describeEachDatabase("SLA admin pages", (world) => {
  test("only admins reach the SLA pages; others get 403 and their posts change nothing", async () => {
    const { deps } = world();
    for (const user of [await makeAgent(deps), await makeCustomer(deps)]) {
      const browser = await world().signedIn(user);
      assert.equal((await browser.get("/admin/sla")).statusCode, 403);
      assert.equal((await browser.get("/admin/sla/calendars/new")).statusCode, 403);
      const name = word();
      const post = await browser.post("/admin/sla/calendars", {
        name,
        timeZone: "UTC",
        hours1: "09:00-17:00",
      });
      assert.equal(post.statusCode, 403);
      const rows = await deps.db.select().from(slaCalendars).where(eq(slaCalendars.name, name));
      assert.equal(rows.length, 0);
      assert.equal(
        (await browser.post("/admin/sla/policies/urgent", { firstResponse: "1" })).statusCode,
        403,
      );
    }
  });

  test("the default calendar is 24/7; a calendar without working hours is refused next to its field, and nothing is saved", async () => {
    const { deps } = world();
    const browser = await world().signedIn(await makeAdmin(deps));
    const page = await browser.get("/admin/sla");
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /href="\/admin\/sla"/, "in the admin navigation");
    assert.match(page.body, /24\/7<\/a><\/th><td>UTC<\/td><td>Default/);

    const name = word();
    const refused = await browser.post("/admin/sla/calendars", {
      name,
      timeZone: "Europe/Berlin",
      hours1: "",
      hours2: "",
      holidays: "",
    });
    assert.equal(refused.statusCode, 422);
    assert.match(
      decodeEntities(refused.body),
      /Working hours are empty: a calendar needs at least one working period/,
    );
    assert.match(refused.body, new RegExp(`value="${name}"`), "what was typed is kept");
    const rows = await deps.db.select().from(slaCalendars).where(eq(slaCalendars.name, name));
    assert.equal(rows.length, 0);

    const bad = await browser.post("/admin/sla/calendars", {
      name,
      timeZone: "Mars/Base",
      hours1: "9 to 5",
      holidays: "2027-02-29",
    });
    assert.equal(bad.statusCode, 422);
    const text = decodeEntities(bad.body);
    assert.match(text, /Time zone is not an IANA time zone \(such as Europe\/Paris\)/);
    assert.match(text, /Monday has "9 to 5"/);
    assert.match(text, /aria-invalid="true"[^>]*name="hours1"|name="hours1"[^>]*aria-invalid/);
  });

  test("an admin creates a split-shift calendar with holidays, edits it, makes it the default and sets a policy on it", async () => {
    const { deps } = world();
    const browser = await world().signedIn(await makeAdmin(deps));
    const name = word();
    const created = await browser.post("/admin/sla/calendars", {
      name,
      timeZone: "Europe/Berlin",
      hours1: "09:00-12:00, 13:00-17:30",
      hours5: "09:00-12:00",
      holidays: "12-25\n2026-12-24",
    });
    assert.equal(created.statusCode, 303);
    assert.equal(created.headers.location, "/admin/sla?notice=calendar-saved");
    const [row] = await deps.db.select().from(slaCalendars).where(eq(slaCalendars.name, name));
    assert.ok(row);
    assert.deepEqual(row.periods, [
      { day: 1, start: 540, end: 720 },
      { day: 1, start: 780, end: 1050 },
      { day: 5, start: 540, end: 720 },
    ]);
    const edit = await browser.get(`/admin/sla/calendars/${row.id}`);
    assert.match(edit.body, /value="09:00-12:00, 13:00-17:30"/);
    assert.match(edit.body, />12-25\n2026-12-24<\/textarea>/);

    const policy = await browser.post("/admin/sla/policies/high", {
      calendarId: String(row.id),
      firstResponse: "2",
      firstResponseUnit: "hours",
      nextResponse: "",
      resolution: "90",
      resolutionUnit: "minutes",
      warnPercent: "75",
    });
    assert.equal(policy.statusCode, 303);
    const [saved] = await deps.db
      .select()
      .from(slaPolicies)
      .where(eq(slaPolicies.priority, "high"));
    assert.equal(saved?.firstResponseMinutes, 120);
    assert.equal(saved?.nextResponseMinutes, null);
    assert.equal(saved?.resolutionMinutes, 90);
    assert.equal(saved?.warnPercent, 75);
    const shown = await browser.get("/admin/sla");
    assert.match(shown.body, /name="resolution"[^>]*value="90"/);

    const wrong = await browser.post("/admin/sla/policies/high", {
      calendarId: String(row.id),
      firstResponse: "-3",
      warnPercent: "120",
    });
    assert.equal(wrong.statusCode, 422);
    assert.match(decodeEntities(wrong.body), /First response must be a whole number of minutes/);
    assert.match(
      decodeEntities(wrong.body),
      /Warn at \(% of the target elapsed\) must be a whole number from 1 to 99/,
    );

    assert.equal((await browser.post(`/admin/sla/calendars/${row.id}/default`)).statusCode, 303);
    const defaults = await deps.db
      .select()
      .from(slaCalendars)
      .where(eq(slaCalendars.isDefault, true));
    assert.deepEqual(
      defaults.map((d) => d.id),
      [row.id],
    );
    await deps.db.delete(slaPolicies).where(eq(slaPolicies.priority, "high"));
  });

  test("changing a calendar recomputes the due times of open tickets in the background", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const customer = await makeCustomer(deps);
    const browser = await world().signedIn(admin);
    const name = word();
    await browser.post("/admin/sla/calendars", {
      name,
      timeZone: "UTC",
      ...allWeek("00:00-24:00"),
    });
    const [cal] = await deps.db.select().from(slaCalendars).where(eq(slaCalendars.name, name));
    assert.ok(cal);
    await browser.post("/admin/sla/policies/low", {
      calendarId: String(cal.id),
      resolution: "10",
      resolutionUnit: "hours",
    });
    await recomputationsSettled(deps);
    const ticket = await tickets.createTicket(deps, customer, {
      title: "Slow",
      description: "x",
      priority: "low",
    });
    const dueOf = async () => {
      const [t] = await deps.db
        .select()
        .from(ticketSlaTargets)
        .where(eq(ticketSlaTargets.ticketId, ticket.id));
      return t?.dueAt;
    };
    assert.equal(+((await dueOf()) ?? 0), +ticket.createdAt + 10 * 3600_000);

    // Now open 09:00-17:00 UTC on weekdays only: the due time moves to business hours.
    const saved = await browser.post(`/admin/sla/calendars/${cal.id}`, {
      name,
      timeZone: "UTC",
      ...allWeek(""),
      hours1: "09:00-17:00",
      hours2: "09:00-17:00",
      hours3: "09:00-17:00",
      hours4: "09:00-17:00",
      hours5: "09:00-17:00",
    });
    assert.equal(saved.statusCode, 303, "the save returns at once");
    await recomputationsSettled(deps);
    const [job] = await deps.db.select().from(slaJobs).where(eq(slaJobs.name, "recompute"));
    assert.equal(job?.requestedAt, null, "finished");
    const due = (await dueOf()) ?? new Date(0);
    const hour = due.getUTCHours() + due.getUTCMinutes() / 60;
    assert.ok(hour >= 9 && hour <= 17, `due within business hours, got ${due.toISOString()}`);
    assert.ok(![0, 6].includes(due.getUTCDay()), "on a weekday");
    assert.ok(+due > +ticket.createdAt + 10 * 3600_000, "later than 10 hours of wall time");
    await deps.db.delete(slaPolicies).where(eq(slaPolicies.priority, "low"));
  });
});

function allWeek(hours: string): Record<string, string> {
  return Object.fromEntries([1, 2, 3, 4, 5, 6, 7].map((d) => [`hours${d}`, hours]));
}
