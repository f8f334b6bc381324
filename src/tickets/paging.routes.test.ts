import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { apiAs } from "../../test/helpers/api.ts";
import { makeAgent, makeCustomer, makeTicket } from "../../test/helpers/factories.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { addReply, updateTicket } from "./tickets.service.ts";

type FeedPage = {
  status: number;
  body: { data: { id: number; version: number }[]; nextCursor: string | null };
};

describeEachDatabase("messages and the audit trail, a page at a time", (world) => {
  test("a walk with limit and cursor sees every message once, in order, notes for staff only", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    const agent = await makeAgent(deps);
    const ticket = await makeTicket(deps, customer, { description: "m0" });
    for (let i = 1; i <= 6; i++) {
      await addReply(deps, i % 3 === 0 ? agent : customer, ticket.id, {
        content: `m${i}`,
        internal: i === 3,
      });
    }
    const walk = async (api: Awaited<ReturnType<typeof apiAs>>, path: string) => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const response: {
          status: number;
          body: { data: { content?: string; kind?: string }[]; nextCursor: string | null };
        } = await api.get(
          `${path}?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
        );
        assert.equal(response.status, 200);
        assert.ok(response.body.data.length <= 2);
        seen.push(
          ...response.body.data.map(
            (m: { content?: string; kind?: string }) => m.content ?? m.kind ?? "",
          ),
        );
        cursor = response.body.nextCursor;
        pages++;
      } while (cursor && pages < 20);
      return { seen, pages };
    };
    const staff = await apiAs(world(), agent);
    const mine = await apiAs(world(), customer);
    assert.deepEqual((await walk(staff, `/tickets/${ticket.id}/messages`)).seen, [
      "m0",
      "m1",
      "m2",
      "m3",
      "m4",
      "m5",
      "m6",
    ]);
    const theirs = await walk(mine, `/tickets/${ticket.id}/messages`);
    assert.deepEqual(theirs.seen, ["m0", "m1", "m2", "m4", "m5", "m6"]);
    assert.equal(theirs.pages, 3);
    const all = await staff.get(`/tickets/${ticket.id}/messages`);
    assert.equal(all.body.data.length, 7, "up to 100 by default");
    assert.equal(all.body.nextCursor, null);

    await updateTicket(deps, agent, ticket.id, { priority: "high" });
    await updateTicket(deps, agent, ticket.id, { priority: "low" });
    const trail = await walk(staff, `/tickets/${ticket.id}/events`);
    const whole = (await staff.get(`/tickets/${ticket.id}/events`)).body.data.map(
      (e: { kind: string }) => e.kind,
    );
    assert.deepEqual(trail.seen, whole);
    assert.ok(whole.filter((k: string) => k === "priority").length === 2);

    for (const cursor of ["nonsense", Buffer.from('["x"]').toString("base64url")]) {
      const bad = await staff.get(`/tickets/${ticket.id}/messages?cursor=${cursor}`);
      assert.equal(bad.status, 400);
      assert.equal(bad.body.errors[0].field, "cursor");
    }
    assert.equal((await staff.get(`/tickets/${ticket.id}/events?limit=101`)).status, 400);
    assert.equal((await mine.get(`/tickets/${ticket.id}/events?limit=1`)).status, 403);
  });

  test("the change feed: every ticket once from 0, a changed one again later, a cursor to poll with when caught up", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    const other = await makeCustomer(deps);
    const agent = await makeAgent(deps);
    const mine = await apiAs(world(), customer);
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) ids.push((await makeTicket(deps, customer, { title: `t${i}` })).id);
    const theirs = await makeTicket(deps, other);

    /**
     * Follows the feed from `cursor` until `done` says so. A change is released
     * once every transaction that began before it has ended: on a PostgreSQL server
     * that other test files share, that can take a moment, so a short page is polled again.
     */
    type Row = { id: number; version: number };
    const follow = async (cursor: string, done: (rows: Row[]) => boolean, limit = 100) => {
      const rows: Row[] = [];
      const deadline = Date.now() + 15_000;
      while (!done(rows) && Date.now() < deadline) {
        const page: FeedPage = await mine.get(
          `/tickets?updatedSince=${encodeURIComponent(cursor)}&limit=${limit}`,
        );
        assert.equal(page.status, 200);
        assert.ok(page.body.nextCursor, "the feed always gives a cursor");
        assert.ok(page.body.data.length <= limit);
        cursor = page.body.nextCursor;
        rows.push(...page.body.data);
        if (page.body.data.length < limit) await sleep(20);
      }
      return { rows, cursor };
    };

    // The customer's feed from the start: their five tickets, two a page, each once.
    const start = await follow("0", (rows) => rows.length >= 5, 2);
    assert.deepEqual(
      start.rows.map((t) => t.id),
      ids,
    );
    assert.ok(!start.rows.some((t) => t.id === theirs.id));

    // Caught up: an empty page, and a cursor to poll again with.
    const idle: FeedPage = await mine.get(
      `/tickets?updatedSince=${encodeURIComponent(start.cursor)}`,
    );
    assert.deepEqual(idle.body.data, []);
    assert.ok(idle.body.nextCursor);

    // A change to a ticket read long ago brings it back, once, at its new version;
    // an internal note is not a change the customer may notice.
    const [first, , third] = ids as [number, number, number];
    await updateTicket(deps, agent, third, { priority: "high" });
    await addReply(deps, agent, first, { content: "staff only", internal: true });
    await updateTicket(deps, agent, first, { priority: "low" });
    const changed = await follow(idle.body.nextCursor ?? "", (rows) => rows.length >= 2);
    assert.deepEqual(
      changed.rows.map((t) => [t.id, t.version]),
      [
        [third, 2],
        [first, 2],
      ],
    );
    const more: FeedPage = await mine.get(
      `/tickets?updatedSince=${encodeURIComponent(changed.cursor)}`,
    );
    assert.deepEqual(more.body.data, [], "nothing more");

    // `now`: changes from about now on (at least everything after it).
    const now: FeedPage = await mine.get("/tickets?updatedSince=now");
    await updateTicket(deps, customer, ids[4] as number, { status: "solved" });
    const after = await follow(now.body.nextCursor ?? "", (rows) =>
      rows.some((t) => t.id === ids[4]),
    );
    assert.deepEqual(
      after.rows.filter((t) => t.id === ids[4]).map((t) => t.version),
      [2],
    );
  });

  test("the change feed refuses cursors it did not give out and filters it does not take", async () => {
    const { deps } = world();
    const agent = await makeAgent(deps);
    const staff = await apiAs(world(), agent);
    const list = await staff.get("/tickets?limit=1");
    for (const bad of [
      "nonsense",
      "-1",
      Buffer.from('["changes","12x",1]').toString("base64url"),
      Buffer.from('["changes","1",1.5]').toString("base64url"),
      Buffer.from('["changes","99999999999999999999999",1]').toString("base64url"),
      ...(list.body.nextCursor ? [list.body.nextCursor] : []),
    ]) {
      const res = await staff.get(`/tickets?updatedSince=${encodeURIComponent(bad)}`);
      assert.equal(res.status, 400, bad);
      assert.equal(res.body.errors[0].field, "updatedSince");
    }
    const mixed = await staff.get("/tickets?updatedSince=0&status=open&sort=createdAt");
    assert.equal(mixed.status, 400);
    assert.deepEqual(
      mixed.body.errors.map((e: { field: string }) => e.field),
      ["status", "sort"],
    );
    assert.equal((await staff.get("/tickets?updatedSince=0&limit=101")).status, 400);
  });
});
