import assert from "node:assert/strict";
import { test } from "node:test";
import { apiAs } from "../../test/helpers/api.ts";
import { makeAgent, makeCustomer, makeTicket } from "../../test/helpers/factories.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { addReply, updateTicket } from "./tickets.service.ts";

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
});
