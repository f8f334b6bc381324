import assert from "node:assert/strict";
import { test } from "node:test";
import { makeAdmin, makeAgent, makeCustomer, makeTicket } from "../../test/helpers/factories.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { addMember, createTeam } from "../teams/teams.service.ts";
import { requesterRecentTickets, updateTicket } from "./tickets.service.ts";

/** The ids linked from the ticket page's "other tickets" panel, in order (undefined: no panel). */
function recentOnPage(body: string): number[] | undefined {
  const panel = /<section class="panel"[^>]*id="requester-recent">([\s\S]*?)<\/section>/.exec(body);
  if (!panel) return undefined;
  return [...(panel[1] ?? "").matchAll(/href="\/tickets\/(\d+)"/g)].map((m) => Number(m[1]));
}

describeEachDatabase("the requester's other recent tickets", (world) => {
  test("staff see the requester's five most recently active other tickets, with status and title, not this one nor others' tickets", async () => {
    const { deps } = world();
    const agent = await makeAgent(deps);
    const customer = await makeCustomer(deps);
    const stranger = await makeCustomer(deps);
    const ids: number[] = [];
    for (let i = 0; i < 7; i++) {
      ids.push(
        (
          await makeTicket(deps, customer, {
            title: `Issue <${i}>`,
            status: i === 3 ? "solved" : undefined,
          })
        ).id,
      );
    }
    const notTheirs = await makeTicket(deps, stranger, { title: "Not theirs" });
    const current = ids[6] as number;
    const page = await (await world().signedIn(agent)).get(`/tickets/${current}`);
    assert.equal(page.statusCode, 200);
    assert.deepEqual(recentOnPage(page.body), [ids[5], ids[4], ids[3], ids[2], ids[1]]);
    assert.match(page.body, /Issue &lt;5>/, "titles are escaped");
    assert.match(page.body, /Requester's other tickets/);

    const lone = await makeTicket(deps, stranger, { title: "Alone" });
    const none = await (await world().signedIn(agent)).get(`/tickets/${lone.id}`);
    assert.deepEqual(
      recentOnPage(none.body),
      [notTheirs.id],
      "only the stranger's own other ticket",
    );
  });

  test("tickets of a restricted team the agent is not in are left out; its members see them", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const outsider = await makeAgent(deps);
    const member = await makeAgent(deps);
    const team = await createTeam(deps, admin, { name: "Payroll", restricted: true });
    await addMember(deps, admin, team.id, member.email);
    const customer = await makeCustomer(deps);
    const open = await makeTicket(deps, customer, { title: "Open to all" });
    const secret = await makeTicket(deps, customer, { title: "Secret" });
    await updateTicket(deps, admin, secret.id, { teamId: team.id });
    const current = await makeTicket(deps, customer, { title: "Current" });

    const outsiderPage = await (await world().signedIn(outsider)).get(`/tickets/${current.id}`);
    assert.deepEqual(recentOnPage(outsiderPage.body), [open.id]);
    assert.doesNotMatch(outsiderPage.body, /Secret/);
    const memberPage = await (await world().signedIn(member)).get(`/tickets/${current.id}`);
    assert.deepEqual(recentOnPage(memberPage.body), [secret.id, open.id]);
  });

  test("a customer never gets the panel (their tickets are under My tickets)", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    await makeTicket(deps, customer, { title: "Earlier one" });
    const current = await makeTicket(deps, customer, { title: "Now" });
    const page = await (await world().signedIn(customer)).get(`/tickets/${current.id}`);
    assert.equal(page.statusCode, 200);
    assert.equal(recentOnPage(page.body), undefined);
    assert.doesNotMatch(page.body, /Earlier one/);
    assert.deepEqual(await requesterRecentTickets(deps, customer, current.id), []);
  });
});
