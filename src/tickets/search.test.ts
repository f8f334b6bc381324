import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { eq } from "drizzle-orm";
import { apiAs } from "../../test/helpers/api.ts";
import { makeAdmin, makeAgent, makeCustomer, makeTicket } from "../../test/helpers/factories.ts";
import { decodeEntities } from "../../test/helpers/html.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import type { Actor } from "../accounts/index.ts";
import { tickets as ticketsTable } from "../db/schema/index.ts";
import type { Deps } from "../deps.ts";
import { addMember, createTeam } from "../teams/teams.service.ts";
import { addReply, changeTags, listTickets, updateTicket } from "./tickets.service.ts";

/** A word no other test uses (letters only, so every configuration keeps it whole). */
const word = () =>
  `zq${Array.from(randomBytes(6), (b) => String.fromCharCode(97 + (b % 26))).join("")}`;

async function found(deps: Deps, actor: Actor, q: string, timeZone?: string): Promise<number[]> {
  const page = await listTickets(deps, actor, { q, limit: 100, timeZone });
  return page.tickets.map((t) => t.id).sort((a, b) => a - b);
}

async function setTimes(deps: Deps, id: number, times: { createdAt?: Date; updatedAt?: Date }) {
  await deps.db.update(ticketsTable).set(times).where(eq(ticketsTable.id, id));
}

describeEachDatabase("the search language", (world) => {
  test("printer -toner status:open assignee:me finds the one ticket that is all of it", async () => {
    const { deps } = world();
    const agent = await makeAgent(deps);
    const customer = await makeCustomer(deps);
    const printer = word();
    const toner = word();
    const hit = await makeTicket(deps, customer, {
      description: `The ${printer} jams`,
      status: "open",
      assigneeId: agent.id,
    });
    const withToner = await makeTicket(deps, customer, {
      description: `The ${printer} needs ${toner}`,
      status: "open",
      assigneeId: agent.id,
    });
    const pending = await makeTicket(deps, customer, {
      description: `The ${printer} jams`,
      status: "pending",
      assigneeId: agent.id,
    });
    const unassigned = await makeTicket(deps, customer, {
      description: `The ${printer} jams`,
      status: "open",
    });
    const q = `${printer} -${toner} status:open assignee:me`;
    assert.deepEqual(await found(deps, agent, q), [hit.id]);
    assert.deepEqual(await found(deps, agent, `${printer} status:open,pending assignee:me`), [
      hit.id,
      withToner.id,
      pending.id,
    ]);
    assert.deepEqual(await found(deps, agent, `${printer} -status:pending assignee:none`), [
      unassigned.id,
    ]);
    // The same query through the API (the same parser and statement).
    const api = await apiAs(world(), agent);
    const res = await api.get(`/tickets?q=${encodeURIComponent(q)}`);
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.body.data.map((t: { id: number }) => t.id),
      [hit.id],
    );
  });

  test('phrases must appear together; -"phrase" leaves them out', async () => {
    const { deps } = world();
    const agent = await makeAgent(deps);
    const [a, b] = [word(), word()];
    const together = await makeTicket(deps, await makeCustomer(deps), {
      description: `${a} ${b} again`,
    });
    const apart = await makeTicket(deps, await makeCustomer(deps), {
      description: `${b} and then ${a}`,
    });
    assert.deepEqual(await found(deps, agent, `"${a} ${b}"`), [together.id]);
    assert.deepEqual(await found(deps, agent, `${a} -"${a} ${b}"`), [apart.id]);
  });

  test("priority:, requester: (an address or @domain) and team: (a name or an id) narrow the list", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const topic = word();
    const domain = `${word()}.example`;
    const ana = await makeCustomer(deps, { email: `ana@${domain}` });
    const bo = await makeCustomer(deps, { email: `bo@${domain}` });
    const cy = await makeCustomer(deps);
    const team = await createTeam(deps, admin, { name: `Second line ${topic}` });
    const t1 = await makeTicket(deps, ana, { description: topic, priority: "high" });
    const t2 = await makeTicket(deps, bo, { description: topic, priority: "low" });
    const t3 = await makeTicket(deps, cy, { description: topic, priority: "high" });
    await updateTicket(deps, admin, t3.id, { teamId: team.id });
    assert.deepEqual(await found(deps, admin, `${topic} priority:high`), [t1.id, t3.id]);
    assert.deepEqual(await found(deps, admin, `${topic} requester:ANA@${domain}`), [t1.id]);
    assert.deepEqual(await found(deps, admin, `${topic} requester:@${domain}`), [t1.id, t2.id]);
    assert.deepEqual(await found(deps, admin, `${topic} -requester:@${domain}`), [t3.id]);
    assert.deepEqual(await found(deps, admin, `${topic} team:"second line ${topic}"`), [t3.id]);
    assert.deepEqual(await found(deps, admin, `${topic} team:${team.id}`), [t3.id]);
    assert.deepEqual(await found(deps, admin, `${topic} team:none`), [t1.id, t2.id]);
    // Filters alone list without any words.
    assert.deepEqual(await found(deps, admin, `requester:@${domain} priority:low`), [t2.id]);
  });

  test("created: compares calendar days in the reader's zone; updated:<7d is within the last week", async () => {
    const { deps } = world();
    const agent = await makeAgent(deps);
    const topic = word();
    const customer = await makeCustomer(deps);
    const lateNewYear = await makeTicket(deps, customer, { description: topic });
    const july = await makeTicket(deps, customer, { description: topic });
    const recent = await makeTicket(deps, customer, { description: topic });
    // 23:30 UTC on 31 December is already 1 January in Berlin.
    await setTimes(deps, lateNewYear.id, {
      createdAt: new Date("2025-12-31T23:30:00Z"),
      updatedAt: new Date(Date.now() - 30 * 86_400_000),
    });
    await setTimes(deps, july.id, {
      createdAt: new Date("2026-07-01T10:00:00Z"),
      updatedAt: new Date(Date.now() - 8 * 86_400_000),
    });
    await setTimes(deps, recent.id, { createdAt: new Date("2026-11-01T10:00:00Z") });
    assert.deepEqual(await found(deps, agent, `${topic} created:2025-12-31`), [lateNewYear.id]);
    assert.deepEqual(await found(deps, agent, `${topic} created:2025-12-31`, "Europe/Berlin"), []);
    assert.deepEqual(await found(deps, agent, `${topic} created:2026-01-01`, "Europe/Berlin"), [
      lateNewYear.id,
    ]);
    assert.deepEqual(await found(deps, agent, `${topic} created:>2026-01-01`), [
      july.id,
      recent.id,
    ]);
    assert.deepEqual(await found(deps, agent, `${topic} created:<2026-07-01`), [lateNewYear.id]);
    assert.deepEqual(await found(deps, agent, `${topic} created:<=2026-07-01`), [
      lateNewYear.id,
      july.id,
    ]);
    assert.deepEqual(await found(deps, agent, `${topic} updated:<7d`), [recent.id]);
    assert.deepEqual(await found(deps, agent, `${topic} updated:<2w`), [july.id, recent.id]);
    assert.deepEqual(await found(deps, agent, `${topic} updated:>7d`), [lateNewYear.id, july.id]);
    assert.deepEqual(await found(deps, agent, `${topic} updated:>200h`), [lateNewYear.id]);
  });

  test("the API answers a query it cannot read with 400, naming the problem and its place", async () => {
    const agent = await makeAgent(world().deps);
    const api = await apiAs(world(), agent);
    const cases: [string, number, RegExp][] = [
      ["printer colour:red", 9, /unknown filter "colour:" at character 9/],
      ["x -field:size=big", 4, /"size" at character 4, which is not a field/],
      ['printer "paper jam', 9, /quote at character 9 that is never closed/],
      ["created:2026-02-30", 9, /"2026-02-30" at character 9, which is not a date/],
      ["status:shut", 8, /"shut" at character 8, which is not a status/],
    ];
    for (const [q, position, message] of cases) {
      const res = await api.get(`/tickets?q=${encodeURIComponent(q)}`);
      assert.equal(res.status, 400, q);
      assert.equal(res.body.type, "about:blank#invalid");
      const [error] = res.body.errors;
      assert.equal(error.field, "q");
      assert.equal(error.position, position, q);
      assert.match(error.message, message);
    }
    // A NUL byte is refused before the query is read (platform/security.ts): a 400 too, never a 500.
    assert.equal((await api.get(`/tickets?q=${encodeURIComponent("a\u0000b")}`)).status, 400);
  });

  test("the desk shows a query it cannot read again, with the sentence in the reader's language", async () => {
    const { deps } = world();
    const b = await world().signedIn(await makeAgent(deps));
    const res = await b.get(`/desk?queue=open&q=${encodeURIComponent("drucker farbe:rot")}`, {
      "accept-language": "de",
    });
    assert.equal(res.statusCode, 400);
    const html = decodeEntities(res.body);
    assert.match(html, /value="drucker farbe:rot"/);
    assert.match(html, /aria-invalid="true"/);
    assert.match(html, /Suche: „farbe:“ an Zeichen 9 ist kein Filter\./);
    assert.match(html, /Es werden keine Tickets angezeigt, bis die Suche lesbar ist\./);
  });

  test("on the desk, status: and assignee: in the box replace the queue's own", async () => {
    const { deps } = world();
    const agent = await makeAgent(deps);
    const topic = word();
    await makeTicket(deps, await makeCustomer(deps), {
      title: `Closed ${topic}`,
      description: topic,
      status: "closed",
    });
    const b = await world().signedIn(agent);
    const inQueue = await b.get(`/desk?queue=unassigned&q=${topic}`);
    assert.equal(inQueue.statusCode, 200);
    assert.doesNotMatch(inQueue.body, new RegExp(`Closed ${topic}`));
    const closed = await b.get(
      `/desk?queue=unassigned&q=${encodeURIComponent(`${topic} status:closed`)}`,
    );
    assert.equal(closed.statusCode, 200);
    assert.match(closed.body, new RegExp(`Closed ${topic}`));
  });

  test("the search box updates the results as you type, and is a plain GET form without script", async () => {
    const b = await world().signedIn(await makeAgent(world().deps));
    const page = await b.get("/desk");
    const input = /<input[^>]*name="q"[^>]*>/.exec(page.body)?.[0] ?? "";
    assert.match(input, /hx-trigger="input changed delay:300ms, search"/);
    assert.match(input, /hx-get="\/desk"/);
    assert.match(input, /hx-target="#desk-results"/);
    assert.match(page.body, /<form method="get" action="\/desk"[^>]*>[\s\S]*name="q"/);
  });
});

describeEachDatabase("search results show where they matched", (world) => {
  test("a snippet marks the words found and never lets a message become markup", async () => {
    const { deps } = world();
    const agent = await makeAgent(deps);
    const customer = await makeCustomer(deps);
    const topic = word();
    const ticket = await makeTicket(deps, customer, { title: "Odd characters" });
    await addReply(deps, customer, ticket.id, {
      // PostgreSQL's parser drops whole tags from a headline, but not a tag cut off by the
      // fragment's end, nor "<" in text: what is left must come out as text.
      content: `<script>alert(1)</script> if a<b && c>d then ${topic} <img src=x onerror=alert(1)> \uE000<b>bold</b>\uE001 <mark>x</mark> done`,
    });
    const api = await apiAs(world(), agent);
    const res = await api.get(`/tickets?q=${encodeURIComponent(topic)}`);
    assert.equal(res.status, 200);
    const snippet: string = res.body.data[0].snippet;
    assert.match(snippet, new RegExp(`<mark>${topic}</mark>`));
    assert.match(snippet, /&lt;img src=x onerror=alert/);
    // The message's own sentinel characters are not marks.
    assert.equal(snippet.match(/<mark>/g)?.length, 1);
    assert.doesNotMatch(snippet, /[\uE000\uE001]/);
    assert.doesNotMatch(snippet, /<(?!\/?mark>)/);

    const b = await world().signedIn(agent);
    const page = await b.get(`/desk?queue=open&q=${encodeURIComponent(`${topic} status:new`)}`);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, new RegExp(`<p class="snippet">.*<mark>${topic}</mark>`));
    assert.match(page.body, /&lt;img src=x onerror=alert/);
    assert.doesNotMatch(page.body, /<img src=x/);
    assert.doesNotMatch(page.body, /<script>alert/);
    assert.doesNotMatch(page.body, /<b>bold/);
    assert.doesNotMatch(page.body, /<mark>x<\/mark>/);
  });

  test("sort=relevance puts the best match first and pages through the rest", async () => {
    const { deps } = world();
    const agent = await makeAgent(deps);
    const customer = await makeCustomer(deps);
    const topic = word();
    const strong = await makeTicket(deps, customer, {
      title: `${topic} ${topic}`,
      description: `${topic} again, ${topic} and ${topic}`,
    });
    const weak = await makeTicket(deps, customer, {
      description: `one ${topic} among many other words here`,
    });
    const middle = await makeTicket(deps, customer, { description: `${topic} twice: ${topic}` });
    await setTimes(deps, strong.id, { updatedAt: new Date(Date.now() - 86_400_000) });
    const api = await apiAs(world(), agent);
    const seen: number[] = [];
    let url = `/tickets?q=${topic}&sort=relevance&limit=1`;
    for (let i = 0; i < 4; i++) {
      const res = await api.get(url);
      assert.equal(res.status, 200);
      seen.push(...res.body.data.map((t: { id: number }) => t.id));
      if (!res.body.nextCursor) break;
      url = `/tickets?q=${topic}&sort=relevance&limit=1&cursor=${encodeURIComponent(res.body.nextCursor)}`;
    }
    assert.deepEqual(seen, [strong.id, middle.id, weak.id]);
    // Without words there is nothing to rank: the newest activity first.
    assert.equal((await api.get("/tickets?sort=relevance&q=status:new")).status, 200);
  });

  test("a customer's snippet never comes from an internal note", async () => {
    const { deps } = world();
    const agent = await makeAgent(deps);
    const customer = await makeCustomer(deps);
    const topic = word();
    const ticket = await makeTicket(deps, customer, { description: `Public ${topic} question` });
    await addReply(deps, agent, ticket.id, { content: `secret ${topic} remark`, internal: true });
    const customerRows = (await listTickets(deps, customer, { q: topic, withSnippets: true }))
      .tickets;
    const staffRows = (await listTickets(deps, agent, { q: topic, withSnippets: true })).tickets;
    const text = (rows: typeof customerRows) =>
      rows[0]?.snippet?.map((p) => (p.hit ? `[${p.text}]` : p.text)).join("") ?? "";
    assert.match(text(customerRows), new RegExp(`Public \\[${topic}\\] question`));
    assert.doesNotMatch(text(customerRows), /secret/);
    assert.match(text(staffRows), new RegExp(`secret \\[${topic}\\] remark`));
  });
});

describeEachDatabase("search keeps to what the reader may see", (world) => {
  test("internal notes are searched for staff only, filters or not", async () => {
    const { deps } = world();
    const agent = await makeAgent(deps);
    const customer = await makeCustomer(deps);
    const secret = word();
    const ticket = await makeTicket(deps, customer, { description: "Public words" });
    await addReply(deps, agent, ticket.id, { content: `note ${secret}`, internal: true });
    assert.deepEqual(await found(deps, agent, secret), [ticket.id]);
    assert.deepEqual(await found(deps, customer, secret), []);
    assert.deepEqual(await found(deps, customer, `${secret} status:new,open,pending`), []);
  });

  test("a customer's filters never reach another customer's tickets", async () => {
    const { deps } = world();
    const topic = word();
    const mine = await makeCustomer(deps);
    const other = await makeCustomer(deps);
    const own = await makeTicket(deps, mine, { description: topic });
    await makeTicket(deps, other, { description: topic });
    assert.deepEqual(await found(deps, mine, topic), [own.id]);
    assert.deepEqual(await found(deps, mine, `${topic} requester:${other.email}`), []);
    assert.deepEqual(await found(deps, mine, `requester:${other.email}`), []);
    assert.deepEqual(await found(deps, mine, `${topic} -requester:${mine.email}`), []);
  });

  test("a restricted team's tickets stay hidden from agents outside it, even asked for by name", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const member = await makeAgent(deps);
    const outsider = await makeAgent(deps);
    const topic = word();
    const team = await createTeam(deps, admin, { name: `Vault ${topic}`, restricted: true });
    await addMember(deps, admin, team.id, member.email);
    const hidden = await makeTicket(deps, await makeCustomer(deps), { description: topic });
    await updateTicket(deps, admin, hidden.id, { teamId: team.id });
    assert.deepEqual(await found(deps, member, topic), [hidden.id]);
    assert.deepEqual(await found(deps, outsider, topic), []);
    assert.deepEqual(await found(deps, outsider, `team:"Vault ${topic}"`), []);
    assert.deepEqual(await found(deps, outsider, `team:${team.id}`), []);
  });

  test("tag: finds staff's tagged tickets, with words and negated; to a customer it is an unknown filter", async () => {
    const { deps } = world();
    const agent = await makeAgent(deps);
    const customer = await makeCustomer(deps);
    const topic = `toner${randomBytes(3).toString("hex")}`;
    const hardware = await makeTicket(deps, customer, { title: `Printer ${topic}` });
    const other = await makeTicket(deps, customer, { title: `Scanner ${topic}` });
    await changeTags(deps, agent, hardware.id, { add: [`HW-${topic}`] });
    assert.deepEqual(await found(deps, agent, `${topic} tag:hw-${topic}`), [hardware.id]);
    assert.deepEqual(await found(deps, agent, `${topic} -tag:hw-${topic}`), [other.id]);
    assert.deepEqual(await found(deps, agent, `${topic} tag:no-such-tag`), []);
    await assert.rejects(
      listTickets(deps, customer, { q: `${topic} tag:hw-${topic}` }),
      (e: Error & { errors?: { message: string }[] }) =>
        /unknown filter "tag:"/.test(e.errors?.[0]?.message ?? "") &&
        !/tag:/.test((e.errors?.[0]?.message ?? "").replace(/"tag:"/, "")),
    );
  });
});
