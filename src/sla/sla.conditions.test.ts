import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { and, asc, eq, isNull } from "drizzle-orm";
import { makeAdmin } from "../../test/helpers/factories.ts";
import { decodeEntities } from "../../test/helpers/html.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { slaConditions, slaPolicies, ticketSlaTargets } from "../db/schema/index.ts";
import type { Deps } from "../deps.ts";
import * as teams from "../teams/teams.service.ts";
import * as tickets from "../tickets/tickets.service.ts";
import {
  defaultCalendar,
  deleteCondition,
  GENERAL,
  moveCondition,
  recomputationsSettled,
  saveCondition,
  savePolicy,
} from "./sla.service.ts";

const unique = () => randomBytes(4).toString("hex");

/** A first-response policy form of `minutes` on `calendarId`. */
function firstResponse(calendarId: number, minutes: number): Record<string, string> {
  return {
    calendarId: String(calendarId),
    firstResponse: String(minutes),
    firstResponseUnit: "minutes",
    nextResponse: "",
    resolution: "",
    warnPercent: "80",
  };
}

/** A condition form: name, match and rows. */
function conditionForm(
  name: string,
  rows: { field: string; op: string; value: string }[],
  match = "all",
) {
  return { name, match, conditions: rows };
}

/** The first-response target (minutes) of a ticket's running clock. */
async function firstTarget(deps: Deps, ticketId: number): Promise<number | undefined> {
  const [row] = await deps.db
    .select({ minutes: ticketSlaTargets.targetMinutes })
    .from(ticketSlaTargets)
    .where(
      and(
        eq(ticketSlaTargets.ticketId, ticketId),
        eq(ticketSlaTargets.kind, "first_response"),
        isNull(ticketSlaTargets.metAt),
      ),
    )
    .orderBy(asc(ticketSlaTargets.id));
  return row?.minutes;
}

describeEachDatabase("SLA policies by condition", (world) => {
  test("a ticket that meets a condition gets its policy before its team's and the general one; the others do not; the first condition in order wins", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const always = await defaultCalendar(deps);
    const vipDomain = `vip-${unique()}.example`;
    const team = await teams.createTeam(deps, admin, { name: `Desk ${unique()}` });
    await savePolicy(deps, admin, "high", firstResponse(always.id, 240));
    await savePolicy(deps, admin, "high", firstResponse(always.id, 120), {
      teamId: team.id,
      conditionId: null,
    });
    const vip = await saveCondition(
      deps,
      admin,
      conditionForm(`VIP ${unique()}`, [
        { field: "requester_domain", op: "is", value: `@${vipDomain.toUpperCase()}` },
      ]),
    );
    assert.deepEqual(vip.conditions, [{ field: "requester_domain", op: "is", value: vipDomain }]);
    await savePolicy(deps, admin, "high", firstResponse(always.id, 15), {
      teamId: null,
      conditionId: vip.id,
    });
    const refunds = await saveCondition(
      deps,
      admin,
      conditionForm(`Refunds ${unique()}`, [
        { field: "subject", op: "contains", value: "refund" },
        { field: "channel", op: "is_not", value: "email" },
      ]),
    );
    await savePolicy(deps, admin, "high", firstResponse(always.id, 45), {
      teamId: null,
      conditionId: refunds.id,
    });
    await recomputationsSettled(deps);

    const open = (title: string, email: string, teamId?: number) =>
      tickets.createTicket(deps, admin, {
        title,
        description: "help",
        priority: "high",
        requesterEmail: email,
        ...(teamId ? { teamId } : {}),
      });
    const vipInTeam = await open("Order missing", `ann@${vipDomain}`, team.id);
    const plainInTeam = await open("Order missing", `bob-${unique()}@other.example`, team.id);
    const plain = await open("Order missing", `cy-${unique()}@other.example`);
    const both = await open("REFUND please", `dee@${vipDomain}`);
    const refundOnly = await open("Refund please", `eve-${unique()}@other.example`);

    assert.equal(await firstTarget(deps, vipInTeam.id), 15, "the condition's, over the team's");
    assert.equal(await firstTarget(deps, plainInTeam.id), 120, "the team's own");
    assert.equal(await firstTarget(deps, plain.id), 240, "the general one");
    assert.equal(await firstTarget(deps, both.id), 15, "VIP comes first in order");
    assert.equal(await firstTarget(deps, refundOnly.id), 45, "all of its conditions met");

    // Reordered, Refunds comes first: the open ticket meeting both is recomputed (in SQL) to 45.
    await moveCondition(deps, admin, refunds.id, "up");
    await recomputationsSettled(deps);
    assert.equal(await firstTarget(deps, both.id), 45);
    assert.equal(await firstTarget(deps, vipInTeam.id), 15, "meets only VIP");
    assert.equal(await firstTarget(deps, plain.id), 240, "meets none");

    // Deleted with its policies: its tickets fall back to their team's or the general one.
    await deleteCondition(deps, admin, vip.id);
    await recomputationsSettled(deps);
    assert.equal(await firstTarget(deps, vipInTeam.id), 120);
    const left = await deps.db
      .select()
      .from(slaPolicies)
      .where(eq(slaPolicies.conditionId, vip.id));
    assert.equal(left.length, 0, "its policies went with it");
  });

  test("a condition added later retargets the open tickets that meet it, and only those", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const always = await defaultCalendar(deps);
    await savePolicy(deps, admin, "low", firstResponse(always.id, 600), GENERAL);
    await recomputationsSettled(deps);
    const domain = `late-${unique()}.example`;
    const meets = await tickets.createTicket(deps, admin, {
      title: "Slow site",
      description: "x",
      priority: "low",
      requesterEmail: `fay@${domain}`,
    });
    const other = await tickets.createTicket(deps, admin, {
      title: "Slow site",
      description: "x",
      priority: "low",
      requesterEmail: `gus-${unique()}@other.example`,
    });
    assert.equal(await firstTarget(deps, meets.id), 600);

    const condition = await saveCondition(
      deps,
      admin,
      conditionForm(`Late ${unique()}`, [
        { field: "requester_email", op: "is", value: `FAY@${domain}` },
      ]),
    );
    await savePolicy(deps, admin, "low", firstResponse(always.id, 30), {
      teamId: null,
      conditionId: condition.id,
    });
    await recomputationsSettled(deps);
    assert.equal(await firstTarget(deps, meets.id), 30);
    assert.equal(await firstTarget(deps, other.id), 600);

    // Changed to check another address: the recomputation moves the ticket back.
    await saveCondition(
      deps,
      admin,
      conditionForm(condition.name, [
        { field: "requester_email", op: "is", value: `nobody@${domain}` },
      ]),
      condition.id,
    );
    await recomputationsSettled(deps);
    assert.equal(await firstTarget(deps, meets.id), 600);
  });

  test("admin pages: a condition is added, refused field by field (fields that change with the work are not offered), given a policy, moved and deleted", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const browser = await world().signedIn(admin);
    const always = await defaultCalendar(deps);
    const name = `Press ${unique()}`;

    const form = await browser.get("/admin/sla/conditions/new");
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /<option value="requester_domain"/);
    assert.doesNotMatch(form.body, /<option value="status"/, "status changes with the work");
    assert.doesNotMatch(form.body, /<option value="assignee"/);

    const refused = await browser.post("/admin/sla/conditions", {
      name,
      match: "all",
      "conditions.0.field": "status",
      "conditions.0.op": "is",
      "conditions.0.value": "open",
      "conditions.1.field": "requester_domain",
      "conditions.1.op": "is",
      "conditions.1.value": "not a domain",
    });
    assert.equal(refused.statusCode, 422);
    const text = decodeEntities(refused.body);
    assert.match(text, /Field is not a condition this can check/);
    assert.match(text, /Value must be a domain like example.com/);
    assert.match(refused.body, new RegExp(`value="${name}"`), "what was typed is kept");
    const none = await browser.post("/admin/sla/conditions", { name, match: "all" });
    assert.equal(none.statusCode, 422);
    assert.match(decodeEntities(none.body), /needs at least one condition/);
    assert.equal(
      (await deps.db.select().from(slaConditions).where(eq(slaConditions.name, name))).length,
      0,
      "nothing saved",
    );

    const saved = await browser.post("/admin/sla/conditions", {
      name,
      match: "any",
      "conditions.0.field": "requester_domain",
      "conditions.0.op": "is",
      "conditions.0.value": "press.example",
      "conditions.1.field": "subject",
      "conditions.1.op": "contains",
      "conditions.1.value": "interview",
    });
    assert.equal(saved.statusCode, 303);
    const [row] = await deps.db.select().from(slaConditions).where(eq(slaConditions.name, name));
    assert.ok(row);
    const page = decodeEntities((await browser.get("/admin/sla")).body);
    assert.match(
      page,
      /Tickets where requester domain is press.example or subject contains interview\./,
    );

    const policy = await browser.post(`/admin/sla/conditions/${row.id}/policies`, {
      ...firstResponse(always.id, 20),
      priority: "urgent",
    });
    assert.equal(policy.statusCode, 303);
    const [stored] = await deps.db
      .select()
      .from(slaPolicies)
      .where(eq(slaPolicies.conditionId, row.id));
    assert.equal(stored?.priority, "urgent");
    assert.equal(stored?.firstResponseMinutes, 20);
    assert.equal(stored?.teamId, null);
    assert.match(decodeEntities((await browser.get("/admin/sla")).body), /Remove .* urgent policy/);

    const badMove = await browser.post(`/admin/sla/conditions/${row.id}/move`, {
      direction: "sideways",
    });
    assert.equal(badMove.statusCode, 400, "no form sends that");
    assert.equal(
      (await browser.post(`/admin/sla/conditions/${row.id}/delete`, {})).statusCode,
      303,
    );
    assert.equal(
      (await deps.db.select().from(slaConditions).where(eq(slaConditions.id, row.id))).length,
      0,
    );
    assert.equal((await browser.get(`/admin/sla/conditions/${row.id}`)).statusCode, 404);
    await recomputationsSettled(deps);
  });
});
