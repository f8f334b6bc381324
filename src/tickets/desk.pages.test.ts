import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import type { Browser } from "../../test/helpers/browser.ts";
import { makeAdmin, makeAgent, makeCustomer, makeTicket } from "../../test/helpers/factories.ts";
import { decodeEntities } from "../../test/helpers/html.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { encodeCursor } from "../lib/cursor.ts";
import { createTicket, updateTicket } from "./tickets.service.ts";

const unique = () => randomBytes(4).toString("hex");

/** The ticket titles listed on a desk page, in order. */
function titles(body: string): string[] {
  return [
    ...body.matchAll(/<tr data-ticket-row="\d+">.*?<a href="\/tickets\/\d+">(.*?)<\/a>/gs),
  ].map((m) => decodeEntities(m[1] ?? ""));
}

/** The number shown beside a queue in the sidebar. */
function queueCount(body: string, queue: string): number {
  const match = new RegExp(
    `<a href="/desk\\?queue=${queue}"[^>]*>.*?<span class="count">(\\d+)</span>`,
    "s",
  ).exec(body);
  assert.ok(match?.[1], `no count for queue ${queue}`);
  return Number(match[1]);
}

function link(body: string, text: string): string | undefined {
  const match = new RegExp(`<a href="([^"]+)"[^>]*>${text}</a>`).exec(body);
  return match?.[1] ? decodeEntities(match[1]) : undefined;
}

async function desk(browser: Browser, url: string): Promise<string> {
  const page = await browser.get(url);
  assert.equal(page.statusCode, 200, `GET ${url}: ${page.body.slice(0, 300)}`);
  return page.body;
}

describeEachDatabase("desk pages", (world) => {
  test("a customer gets 403 on the desk", async () => {
    const customer = await makeCustomer(world().deps);
    const b = await world().signedIn(customer);
    const page = await b.get("/desk");
    assert.equal(page.statusCode, 403);
    assert.match(page.body, /for support staff/);
  });

  test("the desk search finds words in titles and messages and keeps them in the links", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    const agent = await makeAgent(deps);
    // Letters only: a word with digits is not stemmed, so "…s" would not match it.
    const word = `quokka${unique().replace(/\d/g, (d) => "ghijklmnop"[Number(d)] ?? "")}`;
    for (let i = 0; i < 3; i++) {
      await makeTicket(deps, customer, { title: `Plain ${i}`, description: `the ${word} escaped` });
    }
    await makeTicket(deps, customer, { title: `About ${word}s` });
    await makeTicket(deps, customer, { title: "Unrelated" });
    const b = await world().signedIn(agent);
    const body = await desk(b, `/desk?queue=open&q=${word}`);
    assert.equal(titles(body).length, 4);
    assert.ok(!titles(body).includes("Unrelated"));
    assert.match(body, new RegExp(`name="q" value="${word}"`));
    const phrase = await desk(b, `/desk?queue=open&q=${encodeURIComponent(`"${word} escaped"`)}`);
    assert.deepEqual(titles(phrase), ["Plain 2", "Plain 1", "Plain 0"]);
    const tooLong = await b.get(`/desk?q=${"x".repeat(201)}`);
    assert.equal(tooLong.statusCode, 400);
  });

  test("working queues show counts; solved and closed, years of them, shows none", async () => {
    const b = await world().signedIn(await makeAgent(world().deps));
    const body = await desk(b, "/desk");
    assert.ok(queueCount(body, "open") >= 0);
    assert.match(
      body,
      /<a href="\/desk\?queue=done"[^>]*><span class="queue-label">Solved and closed<\/span><\/a>/,
    );
  });

  test("an anonymous visitor is sent to sign in", async () => {
    const page = await world().browser().get("/desk?queue=mine");
    assert.equal(page.statusCode, 303);
    assert.equal(page.headers.location, `/login?next=${encodeURIComponent("/desk?queue=mine")}`);
  });

  test("the desk opens on the unassigned queue, marked current, for agents and admins", async () => {
    const { deps } = world();
    for (const user of [await makeAgent(deps), await makeAdmin(deps)]) {
      const b = await world().signedIn(user);
      const body = await desk(b, "/desk");
      assert.match(body, /<a href="\/desk\?queue=unassigned" aria-current="page">/);
      assert.doesNotMatch(body, /<a href="\/desk\?queue=mine" aria-current/);
      assert.match(body, /<h1 id="desk-heading">Unassigned<\/h1>/);
    }
  });

  test("a new ticket shows in unassigned, and after assignment moves to mine", async () => {
    const { deps } = world();
    const agent = await makeAgent(deps);
    const customer = await makeCustomer(deps);
    const b = await world().signedIn(agent);
    const before = await desk(b, "/desk?queue=unassigned");
    const unassignedBefore = queueCount(before, "unassigned");
    assert.equal(queueCount(before, "mine"), 0);

    const title = `Cannot log in ${unique()}`;
    const ticket = await createTicket(deps, customer, { title, description: "Help" });
    const after = await desk(b, "/desk?queue=unassigned");
    assert.equal(queueCount(after, "unassigned"), unassignedBefore + 1);
    assert.ok(titles(after).includes(title));
    assert.match(after, new RegExp(`<tr data-ticket-row="${ticket.id}">`));
    assert.match(after, new RegExp(`<a href="/tickets/${ticket.id}">`));
    assert.ok(!titles(await desk(b, "/desk?queue=mine")).includes(title));

    await updateTicket(deps, agent, ticket.id, { assigneeId: agent.id });
    const mine = await desk(b, "/desk?queue=mine");
    assert.equal(queueCount(mine, "mine"), 1);
    assert.equal(queueCount(mine, "unassigned"), unassignedBefore);
    assert.deepEqual(titles(mine), [title]);
    assert.match(mine, new RegExp(`>${agent.name}</td>`));
    assert.ok(!titles(await desk(b, "/desk?queue=unassigned")).includes(title));
  });

  test("an empty queue says so instead of showing a table", async () => {
    const agent = await makeAgent(world().deps);
    const b = await world().signedIn(agent);
    const body = await desk(b, "/desk?queue=mine");
    assert.doesNotMatch(body, /<table/);
    assert.match(body, /No tickets in this queue\./);
  });

  test("filters by status, priority, assignee and requester narrow the list", async () => {
    const { deps } = world();
    const agent = await makeAgent(deps);
    const other = await makeAgent(deps, { name: `Other agent ${unique()}` });
    const alice = await makeCustomer(deps);
    const bob = await makeCustomer(deps);
    const tag = unique();
    const urgentNew = `Urgent new ${tag}`;
    const lowPending = `Low pending ${tag}`;
    const highOpenAssigned = `High open assigned ${tag}`;
    const bobs = `Bob's ticket ${tag}`;
    await makeTicket(deps, alice, { title: urgentNew, priority: "urgent" });
    await makeTicket(deps, alice, { title: lowPending, priority: "low", status: "pending" });
    await makeTicket(deps, alice, {
      title: highOpenAssigned,
      priority: "high",
      status: "open",
      assigneeId: other.id,
    });
    await makeTicket(deps, bob, { title: bobs });
    const b = await world().signedIn(agent);
    const mineOnly = (list: string[]) => list.filter((t) => t.endsWith(tag));

    const all = mineOnly(titles(await desk(b, `/desk?queue=open&requesterId=${alice.id}`)));
    assert.deepEqual(all.sort(), [highOpenAssigned, urgentNew].sort());

    // A chosen status replaces the queue's statuses.
    const pending = titles(
      await desk(b, `/desk?queue=open&status=pending&requesterId=${alice.id}`),
    );
    assert.deepEqual(pending, [lowPending]);

    const urgent = titles(
      await desk(b, `/desk?queue=open&priority=urgent&requesterId=${alice.id}`),
    );
    assert.deepEqual(urgent, [urgentNew]);

    const byOther = titles(await desk(b, `/desk?queue=open&assignee=${other.id}`));
    assert.deepEqual(byOther, [highOpenAssigned]);
    const unassigned = mineOnly(
      titles(await desk(b, `/desk?queue=open&assignee=none&requesterId=${alice.id}`)),
    );
    assert.deepEqual(unassigned, [urgentNew]);

    const fromBob = await desk(b, `/desk?queue=open&requester=${encodeURIComponent(bob.email)}`);
    assert.deepEqual(titles(fromBob), [bobs]);
    assert.match(fromBob, new RegExp(`value="${bob.email}"`));
    assert.match(fromBob, /Showing tickets from/);

    const nobody = await desk(b, "/desk?queue=open&requester=nobody-here%40example.test");
    assert.deepEqual(titles(nobody), []);
    assert.match(nobody, /Requester email matches no account/);
  });

  test("the requester name links to that requester's tickets, keeping the other filters", async () => {
    const { deps } = world();
    const agent = await makeAgent(deps);
    const carol = await makeCustomer(deps, { name: `Carol ${unique()}` });
    const title = `Carol's printer ${unique()}`;
    await makeTicket(deps, carol, { title, priority: "high" });
    const b = await world().signedIn(agent);
    const body = await desk(b, "/desk?queue=open&priority=high");
    const href = link(body, carol.name);
    assert.equal(href, `/desk?queue=open&priority=high&requesterId=${carol.id}`);
    assert.deepEqual(titles(await desk(b, href ?? "")), [title]);
  });

  test("sorting by priority puts urgent first", async () => {
    const { deps } = world();
    const agent = await makeAgent(deps);
    const customer = await makeCustomer(deps);
    for (const priority of ["low", "urgent", "normal", "high"] as const) {
      await makeTicket(deps, customer, { title: `${priority} one`, priority });
    }
    const b = await world().signedIn(agent);
    const down = titles(
      await desk(b, `/desk?queue=open&sort=-priority&requesterId=${customer.id}`),
    );
    assert.deepEqual(down, ["urgent one", "high one", "normal one", "low one"]);
    const up = titles(await desk(b, `/desk?queue=open&sort=priority&requesterId=${customer.id}`));
    assert.deepEqual(up, ["low one", "normal one", "high one", "urgent one"]);
  });

  test("Next page links walk 120 tickets in pages of 50, each exactly once and in order", async () => {
    const { deps } = world();
    const agent = await makeAgent(deps);
    const customer = await makeCustomer(deps);
    const created: string[] = [];
    for (let i = 0; i < 120; i++) {
      const title = `Bulk ${String(i).padStart(3, "0")}`;
      await createTicket(deps, customer, { title, description: "bulk" });
      created.push(title);
    }
    const b = await world().signedIn(agent);

    for (const [sort, expected] of [
      ["", [...created].reverse()],
      ["createdAt", created],
    ] as const) {
      let url: string | undefined =
        `/desk?queue=unassigned&requesterId=${customer.id}${sort ? `&sort=${sort}` : ""}`;
      const seen: string[] = [];
      const sizes: number[] = [];
      while (url) {
        const body = await desk(b, url);
        const page = titles(body);
        sizes.push(page.length);
        seen.push(...page);
        if (sizes.length > 1)
          assert.ok(link(body, "First page"), "a later page links to the first");
        else assert.equal(link(body, "First page"), undefined);
        url = link(body, "Next page");
        if (url) {
          assert.match(url, new RegExp(`requesterId=${customer.id}`));
          assert.match(url, /queue=unassigned/);
          if (sort) assert.match(url, new RegExp(`sort=${sort}`));
        }
        assert.ok(sizes.length <= 3, "too many pages");
      }
      assert.deepEqual(sizes, [50, 50, 20]);
      assert.deepEqual(seen, expected);
    }
  });

  test("filter values the desk does not know answer 400 with a friendly page", async () => {
    const agent = await makeAgent(world().deps);
    const b = await world().signedIn(agent);
    const forged = encodeCursor(["not a date", 1, "-updatedAt"]);
    const hugeId = encodeCursor(["2024-01-01T00:00:00.000Z", 1e308, "-updatedAt"]);
    const wrongSort = encodeCursor(["2024-01-01T00:00:00.000Z", 5, "-createdAt"]);
    for (const query of [
      "status=bogus",
      "priority=x",
      "assignee=abc",
      "assignee=-1",
      "queue=everything",
      "sort=title",
      "requesterId=abc",
      "cursor=garbage",
      `cursor=${forged}`,
      `cursor=${hugeId}`,
      `cursor=${wrongSort}`,
      `sort=-priority&cursor=${encodeCursor(["extreme", 5, "-priority"])}`,
      "status=new&status=open",
    ]) {
      const page = await b.get(`/desk?${query}`);
      assert.equal(page.statusCode, 400, `${query} gave ${page.statusCode}`);
      assert.match(String(page.headers["content-type"]), /text\/html/);
      assert.match(page.body, /That did not work/, query);
    }
    const missing = await b.get("/desk?requesterId=2000000000");
    assert.equal(missing.statusCode, 400);
  });

  test("a ticket title with markup is shown as text", async () => {
    const { deps } = world();
    const agent = await makeAgent(deps);
    const customer = await makeCustomer(deps, { name: "<b>Mallory</b>" });
    await makeTicket(deps, customer, { title: "<img src=x onerror=alert(1)>" });
    const b = await world().signedIn(agent);
    const body = await desk(b, `/desk?queue=unassigned&requesterId=${customer.id}`);
    assert.doesNotMatch(body, /<img/);
    assert.doesNotMatch(body, /<b>Mallory/);
    assert.ok(body.includes("&lt;img src=x onerror=alert(1)"), "the title is shown escaped");
    assert.deepEqual(titles(body), ["<img src=x onerror=alert(1)>"]);
  });

  test("the ticket table has a caption and column headers", async () => {
    const { deps } = world();
    const agent = await makeAgent(deps);
    const customer = await makeCustomer(deps);
    await makeTicket(deps, customer, { title: "Caption check" });
    const b = await world().signedIn(agent);
    const body = await desk(b, `/desk?queue=unassigned&requesterId=${customer.id}`);
    assert.match(body, /<caption>Unassigned tickets, filtered<\/caption>/);
    assert.match(body, /<th scope="col">Title<\/th>/);
    assert.match(body, /<time datetime="\d{4}-\d{2}-\d{2}T[^"]+"/);
  });
});
