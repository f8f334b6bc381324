import assert from "node:assert/strict";
import { test } from "node:test";
import { makeAdmin, makeAgent, makeCustomer } from "../../test/helpers/factories.ts";
import { decodeEntities } from "../../test/helpers/html.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import type { Actor } from "../accounts/index.ts";
import type { Deps } from "../deps.ts";
import type { Priority } from "../tickets/lifecycle.ts";
import * as tickets from "../tickets/tickets.service.ts";
import { runSlaNotifications } from "./scheduler.ts";
import { defaultCalendar, recomputationsSettled, savePolicy } from "./sla.service.ts";

const MIN = 60_000;

async function policy(
  deps: Deps,
  admin: Actor,
  priority: Priority,
  first: number,
  resolution?: number,
) {
  const calendar = await defaultCalendar(deps);
  await savePolicy(deps, admin, priority, {
    calendarId: String(calendar.id),
    firstResponse: String(first),
    firstResponseUnit: "minutes",
    resolution: resolution ? String(resolution) : "",
    resolutionUnit: "minutes",
  });
  await recomputationsSettled(deps);
}

/** The text of the ticket page's service-level panel. */
function slaPanel(html: string): string {
  const m = /<section class="panel" aria-labelledby="sla-heading">([\s\S]*?)<\/section>/.exec(html);
  return m
    ? decodeEntities(m[1] ?? "")
        .replace(/<[^>]+>/g, " ")
        .replace(/\s+/g, " ")
    : "";
}

describeEachDatabase("SLA on the ticket page, the desk and the API", (world) => {
  test("done when: a ticket left unanswered shows on track, due soon, then breached to staff (clock moved); its customer sees none of it", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const agent = await makeAgent(deps);
    const customer = await makeCustomer(deps);
    await policy(deps, admin, "urgent", 60, 600);
    const ticket = await tickets.createTicket(deps, customer, {
      title: "Shown",
      description: "x",
      priority: "urgent",
    });
    const staffBrowser = await world().signedIn(agent);
    const page = async () => slaPanel((await staffBrowser.get(`/tickets/${ticket.id}`)).body);
    const html = (await staffBrowser.get(`/tickets/${ticket.id}`)).body;
    const dueIso = (minutes: number) => new Date(+ticket.createdAt + minutes * MIN).toISOString();
    assert.ok(
      html.includes(`dateTime="${dueIso(60)}"`) || html.includes(`datetime="${dueIso(60)}"`),
    );
    assert.ok(
      html.includes(`dateTime="${dueIso(600)}"`) || html.includes(`datetime="${dueIso(600)}"`),
    );

    assert.match(await page(), /First response On track due in (1 hour|59 minutes)/);
    assert.match(await page(), /Resolution On track due in (10|9) hours/);
    await runSlaNotifications(deps, { now: new Date(+ticket.createdAt + 50 * MIN) });
    assert.match(await page(), /First response Due soon due/);
    await runSlaNotifications(deps, { now: new Date(+ticket.createdAt + 61 * MIN) });
    assert.match(await page(), /First response Breached due/);
    assert.match(await page(), /Resolution On track/);

    const customerPage = await (await world().signedIn(customer)).get(`/tickets/${ticket.id}`);
    assert.equal(customerPage.statusCode, 200);
    assert.equal(slaPanel(customerPage.body), "");
    assert.doesNotMatch(customerPage.body, /Service level|On track|Breached/);

    await tickets.addReply(deps, agent, ticket.id, { content: "Late, sorry" });
    assert.match(await page(), /First response Met late met/);
  });

  test("the desk shows each ticket's SLA and sorts due first, page by page; tickets without a running clock are left out of that order", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const agent = await makeAgent(deps);
    const customer = await makeCustomer(deps);
    await policy(deps, admin, "high", 300);
    await policy(deps, admin, "urgent", 30);
    const later = await tickets.createTicket(deps, customer, {
      title: "Due later",
      description: "x",
      priority: "high",
    });
    const sooner = await tickets.createTicket(deps, customer, {
      title: "Due sooner",
      description: "x",
      priority: "urgent",
    });
    const none = await tickets.createTicket(deps, customer, {
      title: "No clock",
      description: "x",
      priority: "low",
    });
    const browser = await world().signedIn(agent);

    const desk = await browser.get("/desk?queue=open");
    assert.equal(desk.statusCode, 200);
    assert.match(desk.body, /<th scope="col">SLA due<\/th>/);
    const row = (id: number) =>
      new RegExp(`data-ticket-row="${id}"[\\s\\S]*?<td class="sla">([\\s\\S]*?)</td>`).exec(
        desk.body,
      )?.[1] ?? "";
    assert.match(row(sooner.id), /badge sla-on-track/);
    assert.match(row(none.id), /—/);

    const order = async (url: string) => {
      const body = (await browser.get(url)).body;
      return [...body.matchAll(/data-ticket-row="(\d+)"/g)].map((m) => Number(m[1]));
    };
    const dueFirst = await order("/desk?queue=open&sort=dueAt");
    const mine = dueFirst.filter((id) => [later.id, sooner.id, none.id].includes(id));
    assert.deepEqual(mine, [sooner.id, later.id]);

    // The API: staff rows carry slaDueAt, and a cursor walks the due-first order.
    const first = await browser.get("/api/v1/tickets?sort=dueAt&status=new&limit=1");
    assert.equal(first.statusCode, 200);
    const firstPage = first.json() as {
      data: { id: number; slaDueAt: string | null }[];
      nextCursor: string | null;
    };
    assert.equal(firstPage.data.length, 1);
    assert.ok(firstPage.nextCursor);
    const seen = [...firstPage.data];
    let cursor: string | null = firstPage.nextCursor;
    while (cursor) {
      const next = (
        await browser.get(
          `/api/v1/tickets?sort=dueAt&status=new&limit=1&cursor=${encodeURIComponent(cursor)}`,
        )
      ).json() as typeof firstPage;
      seen.push(...next.data);
      cursor = next.nextCursor;
    }
    const dues = seen.map((t) => Date.parse(t.slaDueAt ?? ""));
    assert.deepEqual(
      [...dues].sort((a, b) => a - b),
      dues,
      "earliest first",
    );
    assert.ok(seen.some((t) => t.id === sooner.id) && !seen.some((t) => t.id === none.id));
  });

  test("the API gives staff each target's state and due time (documented in OpenAPI); customers get neither", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const agent = await makeAgent(deps);
    const customer = await makeCustomer(deps);
    await policy(deps, admin, "normal", 90, 240);
    const ticket = await tickets.createTicket(deps, customer, { title: "Api", description: "x" });
    const asAgent = await (await world().signedIn(agent)).get(`/api/v1/tickets/${ticket.id}`);
    assert.equal(asAgent.statusCode, 200);
    const body = asAgent.json() as {
      sla: { kind: string; state: string; dueAt: string; targetMinutes: number }[];
    };
    assert.deepEqual(
      body.sla.map((t) => [t.kind, t.state, t.targetMinutes, t.dueAt]),
      [
        ["first_response", "on_track", 90, new Date(+ticket.createdAt + 90 * MIN).toISOString()],
        ["resolution", "on_track", 240, new Date(+ticket.createdAt + 240 * MIN).toISOString()],
      ],
    );
    const asCustomer = await (await world().signedIn(customer)).get(`/api/v1/tickets/${ticket.id}`);
    assert.equal(asCustomer.statusCode, 200);
    assert.equal((asCustomer.json() as { sla?: unknown }).sla, undefined);
    const list = (await (await world().signedIn(customer)).get("/api/v1/tickets")).json() as {
      data: Record<string, unknown>[];
    };
    assert.ok(list.data.every((t) => !("slaDueAt" in t)));

    const spec = (await world().browser().get("/api/v1/openapi.json")).json() as {
      components: { schemas: Record<string, { properties: Record<string, unknown> }> };
    };
    assert.ok(spec.components.schemas.SlaTarget?.properties.state);
    assert.ok(spec.components.schemas.Ticket?.properties.sla);
  });
});
