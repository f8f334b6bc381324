import assert from "node:assert/strict";
import { test } from "node:test";
import { makeCustomer, makeTicket } from "../../test/helpers/factories.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { QUEUE_COUNT_CAP } from "./queues.ts";
import { countTickets } from "./tickets.repo.ts";
import { formatCount } from "./views/desk.tsx";

test("queue counts read exactly up to the cap, then as the cap and a plus", () => {
  assert.equal(formatCount(0), "0");
  assert.equal(formatCount(QUEUE_COUNT_CAP), "10,000");
  assert.equal(formatCount(QUEUE_COUNT_CAP + 1), "10,000+");
});

describeEachDatabase("bounded ticket counts", (world) => {
  test("a count stops at its bound, so its cost never grows with the table", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    for (let i = 0; i < 5; i++) await makeTicket(deps, customer);
    assert.equal(await countTickets(deps.db, { requesterId: customer.id }, 3), 3);
    assert.equal(await countTickets(deps.db, { requesterId: customer.id }, 100), 5);
  });
});
