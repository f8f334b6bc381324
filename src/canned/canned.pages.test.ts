import assert from "node:assert/strict";
import { test } from "node:test";
import { eq } from "drizzle-orm";
import { anonymousApi, apiAs } from "../../test/helpers/api.ts";
import { makeAdmin, makeAgent, makeCustomer, makeTicket } from "../../test/helpers/factories.ts";
import { decodeEntities } from "../../test/helpers/html.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { cannedReplies } from "../db/schema/index.ts";
import { createCannedReply } from "./canned.service.ts";

/** The reply box's text on a ticket page, as the browser would show it. */
function draftOf(body: string): string {
  const match = /<textarea[^>]*name="content"[^>]*>([\s\S]*?)<\/textarea>/.exec(body);
  assert.ok(match, "the page has a reply box");
  return decodeEntities(match[1] ?? "");
}

describeEachDatabase("canned replies: pages and API", (world) => {
  test("customers never reach canned replies: pages, insert and API are 404, the ticket page has no picker", async () => {
    const { deps } = world();
    const customerUser = await makeCustomer(deps);
    const customer = await world().signedIn(customerUser);
    const admin = await makeAdmin(deps);
    const shared = await createCannedReply(deps, admin, { title: "S", body: "b", shared: true });
    const ticket = await makeTicket(deps, customerUser);
    assert.equal((await customer.get("/canned-replies")).statusCode, 404);
    assert.equal((await customer.get(`/canned-replies/${shared.id}`)).statusCode, 404);
    assert.equal(
      (await customer.post("/canned-replies", { title: "t", body: "b" })).statusCode,
      404,
    );
    const insert = await customer.post(`/tickets/${ticket.id}/replies/insert`, {
      content: "draft",
      cannedId: String(shared.id),
    });
    assert.equal(insert.statusCode, 404);
    const page = await customer.get(`/tickets/${ticket.id}`);
    assert.equal(page.statusCode, 200);
    assert.doesNotMatch(page.body, /cannedId|canned-replies/);
    const api = await apiAs(world(), customerUser);
    assert.equal((await api.get("/canned-replies")).status, 404);
    assert.equal(
      (await api.get(`/tickets/${ticket.id}/canned-replies/${shared.id}/rendered`)).status,
      404,
    );
    assert.equal((await anonymousApi(world()).get("/canned-replies")).status, 401);
  });

  test("an agent keeps their own on the page; unknown placeholders are refused next to the text; shared ones are read-only to them", async () => {
    const { deps } = world();
    const agentUser = await makeAgent(deps);
    const agent = await world().signedIn(agentUser);
    const adminUser = await makeAdmin(deps);
    const admin = await world().signedIn(adminUser);

    const refused = await agent.post("/canned-replies", {
      title: "Greeting",
      body: "Hi {{requester.firstname}}",
    });
    assert.equal(refused.statusCode, 422);
    assert.match(refused.body, /id="field-body-error"[^>]*>[^<]*\{\{requester\.firstname\}\}/);
    assert.match(
      refused.body,
      /Hi \{\{requester\.firstname\}\}<\/textarea>/,
      "what was typed is kept",
    );

    const created = await agent.post("/canned-replies", {
      title: "Greeting",
      body: "Hi {{requester.name}}",
      shared: "true",
    });
    assert.equal(created.statusCode, 303);
    const [row] = await deps.db
      .select()
      .from(cannedReplies)
      .where(eq(cannedReplies.ownerId, agentUser.id));
    assert.ok(row, "saved as the agent's own (an agent cannot share)");

    const sharedPost = await admin.post("/canned-replies", {
      title: "Refund policy",
      body: "Refunds take 5 days.",
      shared: "true",
    });
    assert.equal(sharedPost.statusCode, 303);
    const [shared] = await deps.db
      .select()
      .from(cannedReplies)
      .where(eq(cannedReplies.title, "Refund policy"));
    assert.equal(shared?.ownerId, null);

    const agentPage = (await agent.get("/canned-replies")).body;
    assert.match(agentPage, /Refund policy/);
    assert.match(agentPage, new RegExp(`href="/canned-replies/${row.id}"`));
    assert.doesNotMatch(agentPage, new RegExp(`href="/canned-replies/${shared?.id}"`));
    assert.equal((await agent.get(`/canned-replies/${shared?.id}`)).statusCode, 403);
    assert.equal((await agent.post(`/canned-replies/${shared?.id}/delete`, {})).statusCode, 403);
    assert.doesNotMatch(
      (await admin.get("/canned-replies")).body,
      /Greeting/,
      "personal ones are private",
    );
    assert.equal((await admin.get(`/canned-replies/${row.id}`)).statusCode, 404);

    const edited = await agent.post(`/canned-replies/${row.id}`, {
      title: "Greeting 2",
      body: "Hello {{ requester.name }}",
    });
    assert.equal(edited.statusCode, 303);
    const deleted = await agent.post(`/canned-replies/${row.id}/delete`, {});
    assert.equal(deleted.statusCode, 303);
    assert.equal(
      (await deps.db.select().from(cannedReplies).where(eq(cannedReplies.id, row.id))).length,
      0,
    );
  });

  test("without JavaScript, Insert brings the ticket page back with the draft kept and the reply filled in as text", async () => {
    const { deps } = world();
    const requester = await makeCustomer(deps, {
      name: "<img src=x onerror=alert(1)> [x](javascript:alert(1))",
    });
    const agentUser = await makeAgent(deps, { name: "Ann Agent" });
    const agent = await world().signedIn(agentUser);
    const ticket = await makeTicket(deps, requester, { title: "Printer jam" });
    const admin = await makeAdmin(deps);
    const canned = await createCannedReply(deps, admin, {
      title: "Hello",
      body: "Hello {{requester.name}}, about #{{ticket.id}} {{ticket.title}}.\n\n{{agent.name}}",
      shared: true,
    });
    const page = await agent.get(`/tickets/${ticket.id}`);
    assert.match(page.body, new RegExp(`<option value="${canned.id}"[^>]*>Hello</option>`));
    assert.match(page.body, new RegExp(`formaction="/tickets/${ticket.id}/replies/insert"`));

    const inserted = await agent.post(
      `/tickets/${ticket.id}/replies/insert`,
      { content: "Typed <first>.", internal: "true", cannedId: String(canned.id) },
      { csrfFrom: `/tickets/${ticket.id}` },
    );
    assert.equal(inserted.statusCode, 200);
    assert.equal(inserted.headers["hx-push-url"], "false", "the address stays the ticket's");
    assert.equal(
      draftOf(inserted.body),
      `Typed <first>.\n\nHello \\<img src\\=x onerror\\=alert\\(1\\)\\> \\[x\\]\\(javascript\\:alert\\(1\\)\\), about #${ticket.id} Printer jam.\n\nAnn Agent`,
    );
    assert.match(inserted.body, /name="internal" value="true" checked/, "the options are kept");
    assert.doesNotMatch(inserted.body, /<img src=x/);

    // htmx posts the reply form as multipart: the same answer.
    const multipart = await agent.postMultipart(
      `/tickets/${ticket.id}/replies/insert`,
      { content: "", cannedId: String(canned.id) },
      [],
      { csrfFrom: `/tickets/${ticket.id}` },
    );
    assert.equal(multipart.statusCode, 200);
    assert.match(draftOf(multipart.body), /^Hello \\<img/);

    const none = await agent.post(
      `/tickets/${ticket.id}/replies/insert`,
      { content: "keep me" },
      { csrfFrom: `/tickets/${ticket.id}` },
    );
    assert.equal(none.statusCode, 422);
    assert.equal(draftOf(none.body), "keep me");
    assert.match(none.body, /Choose a canned reply to insert/);

    // Another agent's own (or one deleted meanwhile) is not there: the draft is kept.
    const theirs = await createCannedReply(deps, await makeAgent(deps), { title: "x", body: "y" });
    const gone = await agent.post(
      `/tickets/${ticket.id}/replies/insert`,
      { content: "still mine", cannedId: String(theirs.id) },
      { csrfFrom: `/tickets/${ticket.id}` },
    );
    assert.equal(gone.statusCode, 422);
    assert.equal(draftOf(gone.body), "still mine");
    assert.match(gone.body, /That canned reply no longer exists/);
  });

  test("the API lists what the caller may use and fills one in for a ticket", async () => {
    const { deps } = world();
    const agentUser = await makeAgent(deps, { name: "Ann" });
    const other = await makeAgent(deps);
    const requester = await makeCustomer(deps, { name: "Ada" });
    const ticket = await makeTicket(deps, requester, { title: "Toner" });
    const own = await createCannedReply(deps, agentUser, {
      title: "Mine",
      body: "Hi {{requester.name}}, {{agent.name}} here about {{ticket.title}}",
    });
    const theirs = await createCannedReply(deps, other, { title: "Theirs", body: "x" });
    const api = await apiAs(world(), agentUser);
    const list = await api.get<{ data: { id: number; shared: boolean; body: string }[] }>(
      "/canned-replies",
    );
    assert.equal(list.status, 200);
    const mine = list.body.data.find((c) => c.id === own.id);
    assert.equal(mine?.shared, false);
    assert.equal(mine?.body, own.body, "as written, placeholders included");
    assert.ok(!list.body.data.some((c) => c.id === theirs.id));
    const rendered = await api.get<{ body: string; title: string }>(
      `/tickets/${ticket.id}/canned-replies/${own.id}/rendered`,
    );
    assert.equal(rendered.status, 200);
    assert.equal(rendered.body.body, "Hi Ada, Ann here about Toner");
    assert.equal(
      (await api.get(`/tickets/${ticket.id}/canned-replies/${theirs.id}/rendered`)).status,
      404,
    );
    assert.equal((await api.get(`/tickets/999999/canned-replies/${own.id}/rendered`)).status, 404);
    const doc = await world().app.inject({ url: "/api/v1/openapi.json" });
    assert.ok(
      JSON.parse(doc.body).paths["/api/v1/tickets/{id}/canned-replies/{cannedId}/rendered"],
      "documented",
    );
  });
});
