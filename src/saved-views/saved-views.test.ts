import assert from "node:assert/strict";
import { test } from "node:test";
import { anonymousApi, apiAs } from "../../test/helpers/api.ts";
import { makeAdmin, makeAgent, makeCustomer, makeTicket } from "../../test/helpers/factories.ts";
import { decodeEntities } from "../../test/helpers/html.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { addMember, createTeam } from "../teams/teams.service.ts";
import { updateTicket } from "../tickets/tickets.service.ts";
import { createView, listViews } from "./saved-views.service.ts";

interface ViewBody {
  id: number;
  name: string;
  shared: boolean;
  position: number;
  filters: Record<string, string>;
  count?: number;
}

/** The saved views' side bar of a desk page: each view's name and count, in order. */
function viewsOnDesk(body: string): { name: string; count: string | undefined }[] {
  const nav = /<nav class="queues saved-views"[\s\S]*?<\/nav>/.exec(body)?.[0] ?? "";
  return [
    ...nav.matchAll(
      /<span class="queue-label">([^<]*)<\/span>(?:\s*<span class="count">([^<]*)<\/span>)?/g,
    ),
  ].map((m) => ({ name: decodeEntities(m[1] ?? ""), count: m[2] }));
}

describeEachDatabase("saved views", (world) => {
  test("an agent saves the desk's search; it is listed on the desk with its count, and its link shows those tickets", async () => {
    const { deps } = world();
    const agentUser = await makeAgent(deps);
    const agent = await world().signedIn(agentUser);
    const customer = await makeCustomer(deps);
    for (let i = 0; i < 3; i++) await makeTicket(deps, customer, { title: `Zebra crossing ${i}` });
    await makeTicket(deps, customer, { title: "Zebra pending", status: "pending" });
    await makeTicket(deps, customer, { title: "Something else" });

    const desk = await agent.get("/desk?queue=open&q=zebra");
    assert.match(desk.body, /Save this search/);
    const saved = await agent.post(
      "/desk/views",
      { name: "Zebras <b>", queue: "open", q: "zebra", requester: "x@example.test" },
      { csrfFrom: "/desk?queue=open&q=zebra" },
    );
    assert.equal(saved.statusCode, 303);
    const location = String(saved.headers.location);
    assert.match(location, /^\/desk\?queue=open&q=zebra&notice=view-saved$/);

    const page = await agent.get("/desk");
    assert.deepEqual(viewsOnDesk(page.body), [{ name: "Zebras <b>", count: "3" }]);
    assert.doesNotMatch(page.body, /Zebras <b>/, "the name is escaped");
    const shown = await agent.get(location);
    assert.equal((shown.body.match(/data-ticket-row=/g) ?? []).length, 3);
    assert.match(shown.body, /aria-current="page"[^>]*>\s*<span class="queue-label">Zebras &lt;b>/);

    const [view] = await listViews(deps, agentUser);
    assert.equal(view?.filters.q, "zebra");
    assert.equal(view?.filters.requester, "", "a requester is not kept");
  });

  test("a view's count follows restricted teams: tickets of a team the agent is not in are not counted or listed", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const outsider = await makeAgent(deps);
    const member = await makeAgent(deps);
    const team = await createTeam(deps, admin, { name: "Legal", restricted: true });
    await addMember(deps, admin, team.id, member.email);
    const customer = await makeCustomer(deps);
    await makeTicket(deps, customer, { title: "Quokka visible" });
    const hidden = await makeTicket(deps, customer, { title: "Quokka secret" });
    await updateTicket(deps, admin, hidden.id, { teamId: team.id });
    const shared = await createView(deps, admin, {
      name: "Quokkas",
      filters: { queue: "open", q: "quokka" },
      shared: true,
    });

    const outsiderApi = await apiAs(world(), outsider);
    const memberApi = await apiAs(world(), member);
    const listed = await outsiderApi.get<{ data: ViewBody[] }>("/views");
    assert.equal(listed.body.data.find((v) => v.id === shared.id)?.count, 1);
    assert.equal((await memberApi.get<{ data: ViewBody[] }>("/views")).body.data[0]?.count, 2);
    const rows = await outsiderApi.get<{ data: { title: string }[] }>(
      `/views/${shared.id}/tickets`,
    );
    assert.deepEqual(
      rows.body.data.map((t) => t.title),
      ["Quokka visible"],
    );
    const desk = await (await world().signedIn(outsider)).get("/desk");
    assert.deepEqual(viewsOnDesk(desk.body), [{ name: "Quokkas", count: "1" }]);
  });

  test("personal views are their owner's alone (404 to other agents, even admins); only admins share and change shared ones", async () => {
    const { deps } = world();
    const ownerUser = await makeAgent(deps);
    const otherUser = await makeAgent(deps);
    const adminUser = await makeAdmin(deps);
    const owner = await apiAs(world(), ownerUser);
    const other = await apiAs(world(), otherUser);
    const admin = await apiAs(world(), adminUser);

    const mine = await owner.post<ViewBody>("/views", {
      name: "Mine",
      filters: { queue: "mine", status: "open" },
    });
    assert.equal(mine.status, 201);
    assert.equal(mine.body.shared, false);
    for (const client of [other, admin]) {
      assert.equal((await client.get(`/views/${mine.body.id}`)).status, 404);
      assert.equal((await client.patch(`/views/${mine.body.id}`, { name: "x" })).status, 404);
      assert.equal((await client.request("DELETE", `/views/${mine.body.id}`)).status, 404);
      assert.equal((await client.get(`/views/${mine.body.id}/tickets`)).status, 404);
    }
    const otherBrowser = await world().signedIn(otherUser);
    assert.equal(
      (await otherBrowser.post(`/desk/views/${mine.body.id}/delete`, {})).statusCode,
      404,
    );
    assert.doesNotMatch((await otherBrowser.get("/desk/views")).body, /Mine/);

    assert.equal(
      (await owner.post("/views", { name: "S", filters: {}, shared: true })).status,
      403,
    );
    const shared = await admin.post<ViewBody>("/views", {
      name: "Everyone's",
      filters: { queue: "open" },
      shared: true,
    });
    assert.equal(shared.status, 201);
    assert.equal((await other.get(`/views/${shared.body.id}`)).status, 200);
    assert.equal((await other.patch(`/views/${shared.body.id}`, { name: "No" })).status, 403);
    assert.equal((await other.request("DELETE", `/views/${shared.body.id}`)).status, 403);
    assert.equal(
      (await admin.patch<ViewBody>(`/views/${shared.body.id}`, { name: "Renamed" })).body.name,
      "Renamed",
    );
  });

  test("views are renamed, reordered and deleted, on the page and through the API", async () => {
    const { deps } = world();
    const agentUser = await makeAgent(deps);
    const api = await apiAs(world(), agentUser);
    const ids: number[] = [];
    for (const name of ["A", "B", "C"]) {
      ids.push((await api.post<ViewBody>("/views", { name, filters: { q: name } })).body.id);
    }
    const moved = await api.patch<ViewBody>(`/views/${ids[2]}`, { position: 1 });
    assert.equal(moved.body.position, 1);
    // Its own views (shared ones from other tests are listed first).
    const order = async () =>
      (await api.get<{ data: ViewBody[] }>("/views")).body.data.filter((v) => !v.shared);
    assert.deepEqual(
      (await order()).map((v) => [v.name, v.position]),
      [
        ["C", 1],
        ["A", 2],
        ["B", 3],
      ],
    );

    const browser = await world().signedIn(agentUser);
    const down = await browser.post(`/desk/views/${ids[2]}/move`, { position: "2" });
    assert.equal(down.statusCode, 303);
    const renamed = await browser.post(`/desk/views/${ids[0]}`, { name: "  Alpha  " });
    assert.equal(renamed.statusCode, 303);
    const empty = await browser.post(`/desk/views/${ids[0]}`, { name: "" });
    assert.equal(empty.statusCode, 422);
    assert.deepEqual(
      (await order()).map((v) => v.name),
      ["Alpha", "C", "B"],
    );
    const desk = await browser.get("/desk");
    assert.deepEqual(
      viewsOnDesk(desk.body)
        .map((v) => v.name)
        .slice(-3),
      ["Alpha", "C", "B"],
    );

    assert.equal((await browser.post(`/desk/views/${ids[2]}/delete`, {})).statusCode, 303);
    assert.equal((await api.request("DELETE", `/views/${ids[1]}`)).status, 204);
    assert.deepEqual(
      (await order()).map((v) => [v.name, v.position]),
      [["Alpha", 1]],
    );
  });

  test("a search the desk would refuse is refused, saying what is wrong", async () => {
    const { deps } = world();
    const api = await apiAs(world(), await makeAgent(deps));
    const badStatus = await api.post<{ errors: { field: string }[] }>("/views", {
      name: "x",
      filters: { status: "bogus" },
    });
    assert.equal(badStatus.status, 400);
    assert.equal(badStatus.body.errors[0]?.field, "status");
    const badQuery = await api.post<{ errors: { field: string }[] }>("/views", {
      name: "x",
      filters: { q: "status:nope" },
    });
    assert.equal(badQuery.status, 400);
    const unknown = await api.post("/views", { name: "x", filters: { requester: "a@b.c" } });
    assert.equal(unknown.status, 400);
    const browser = await world().signedIn(await makeAgent(deps));
    const page = await browser.post("/desk/views", { name: "", q: "zebra" });
    assert.equal(page.statusCode, 422);
  });

  test("customers never reach saved views: API and pages are 404, the desk is not theirs", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const shared = await createView(deps, admin, { name: "S", filters: {}, shared: true });
    const customerUser = await makeCustomer(deps);
    const api = await apiAs(world(), customerUser);
    assert.equal((await api.get("/views")).status, 404);
    assert.equal((await api.get(`/views/${shared.id}`)).status, 404);
    assert.equal((await api.get(`/views/${shared.id}/tickets`)).status, 404);
    assert.equal((await api.post("/views", { name: "x", filters: {} })).status, 404);
    const browser = await world().signedIn(customerUser);
    assert.equal((await browser.get("/desk/views")).statusCode, 404);
    assert.equal((await browser.post("/desk/views", { name: "x" })).statusCode, 404);
    assert.equal((await anonymousApi(world()).get("/views")).status, 401);
  });
});
