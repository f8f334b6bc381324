import assert from "node:assert/strict";
import { test } from "node:test";
import { makeAgent, makeCustomer, makeTicket } from "../../test/helpers/factories.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { addReply, listMessages, RepliedMeanwhile } from "./tickets.service.ts";

/** The hidden field the reply form carries: the newest message the page showed. */
function lastSeenOn(body: string): string {
  const match = /name="lastSeenMessageId" value="(\d*)"/.exec(body);
  assert.ok(match, "the reply form carries lastSeenMessageId");
  return match[1] ?? "";
}

describeEachDatabase("replies when someone else replied meanwhile", (world) => {
  test("the service refuses a reply over messages its author has not seen, naming who wrote", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    const ann = await makeAgent(deps, { name: "Ann Agent" });
    const bob = await makeAgent(deps, { name: "Bob Agent" });
    const ticket = await makeTicket(deps, customer);
    const [first] = await listMessages(deps, ann, ticket.id);
    assert.ok(first);

    await addReply(deps, bob, ticket.id, { content: "Bob was faster" });
    await assert.rejects(
      addReply(deps, ann, ticket.id, { content: "Ann's answer" }, [], {
        lastSeenMessageId: first.id,
      }),
      (error: unknown) => {
        assert.ok(error instanceof RepliedMeanwhile);
        assert.equal(error.status, 409);
        assert.deepEqual(error.authors, ["Bob Agent"]);
        assert.match(error.message, /Bob Agent replied while you were writing/);
        return true;
      },
    );
    const after = await listMessages(deps, ann, ticket.id);
    assert.ok(!after.some((m) => m.content === "Ann's answer"), "nothing was saved");

    // Having seen Bob's reply, or without the field at all, the reply goes through.
    const latest = after.at(-1);
    assert.ok(latest);
    await addReply(deps, ann, ticket.id, { content: "Ann, after reading" }, [], {
      lastSeenMessageId: latest.id,
    });
    await addReply(deps, ann, ticket.id, { content: "Ann, without asking" });
    // Her own messages since never count against her.
    await addReply(deps, ann, ticket.id, { content: "Ann again" }, [], {
      lastSeenMessageId: latest.id,
    });
  });

  test("a customer is never held up by an internal note they cannot see", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    const agent = await makeAgent(deps);
    const ticket = await makeTicket(deps, customer);
    const [first] = await listMessages(deps, customer, ticket.id);
    assert.ok(first);
    await addReply(deps, agent, ticket.id, { content: "Staff only", internal: true });
    await addReply(deps, customer, ticket.id, { content: "Any news?" }, [], {
      lastSeenMessageId: first.id,
    });
    // ... but staff are: a colleague's note since counts.
    const other = await makeAgent(deps);
    await assert.rejects(
      addReply(deps, other, ticket.id, { content: "Hi" }, [], { lastSeenMessageId: first.id }),
      RepliedMeanwhile,
    );
  });

  test("the page asks first (409), keeps the draft, shows the new message, and Send anyway sends it", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    const ann = await makeAgent(deps, { name: "Ann Agent" });
    const bob = await makeAgent(deps, { name: "Bob <b>Agent</b>" });
    const ticket = await makeTicket(deps, customer);
    const annPage = await world().signedIn(ann);
    const loaded = await annPage.get(`/tickets/${ticket.id}`);
    const seen = lastSeenOn(loaded.body);

    const bobPage = await world().signedIn(bob);
    const bobSent = await bobPage.post(
      `/tickets/${ticket.id}/replies`,
      { content: "Bob's fix", lastSeenMessageId: seen },
      { csrfFrom: `/tickets/${ticket.id}` },
    );
    assert.equal(bobSent.statusCode, 303);

    const asked = await annPage.post(
      `/tickets/${ticket.id}/replies`,
      { content: "Ann's *draft*", internal: "true", lastSeenMessageId: seen },
      { csrfFrom: `/tickets/${ticket.id}` },
    );
    assert.equal(asked.statusCode, 409);
    assert.match(asked.body, /Bob &lt;b>Agent&lt;\/b> replied while you were writing\./);
    assert.match(asked.body, /Bob&#39;s fix|Bob’s fix|Bob's fix/, "the new message is shown");
    assert.match(asked.body, /class="message is-new"/);
    assert.match(asked.body, />Ann&#39;s \*draft\*<\/textarea>|>Ann's \*draft\*<\/textarea>/);
    assert.match(asked.body, /name="internal" value="true" checked/, "options are kept");
    assert.match(asked.body, /Send anyway/);
    const now = lastSeenOn(asked.body);
    assert.ok(Number(now) > Number(seen), "the form now carries the newest message");
    const messages = await listMessages(deps, ann, ticket.id);
    assert.ok(!messages.some((m) => m.content === "Ann's *draft*"), "nothing sent yet");

    const sent = await annPage.post(
      `/tickets/${ticket.id}/replies`,
      { content: "Ann's *draft*", internal: "true", lastSeenMessageId: now },
      { csrfFrom: `/tickets/${ticket.id}` },
    );
    assert.equal(sent.statusCode, 303);
    const final = await listMessages(deps, ann, ticket.id);
    assert.equal(final.filter((m) => m.content === "Ann's *draft*").length, 1);
  });

  test("a lastSeenMessageId that is not an id is refused with the draft kept (422)", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    const ticket = await makeTicket(deps, customer);
    const page = await world().signedIn(customer);
    const response = await page.post(
      `/tickets/${ticket.id}/replies`,
      { content: "Keep me", lastSeenMessageId: "12abc" },
      { csrfFrom: `/tickets/${ticket.id}` },
    );
    assert.equal(response.statusCode, 422);
    assert.match(response.body, />Keep me<\/textarea>/);
    const messages = await listMessages(deps, customer, ticket.id);
    assert.ok(!messages.some((m) => m.content === "Keep me"));
  });
});
