import assert from "node:assert/strict";
import { test } from "node:test";
import { makeCustomer, makeTicket } from "../../test/helpers/factories.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { QUEUE_COUNT_CAP } from "./queues.ts";
import { countTicketsEach } from "./tickets.repo.ts";
import { formatCount } from "./views/desk.tsx";

test("queue counts read exactly up to the cap, then as the cap and a plus", () => {
  assert.equal(formatCount(0), "0");
  assert.equal(formatCount(QUEUE_COUNT_CAP), "10,000");
  assert.equal(formatCount(QUEUE_COUNT_CAP + 1), "10,000+");
});

describeEachDatabase("bounded ticket counts", (world) => {
  test("counts stop at their bound, so their cost never grows with the table, and each filter counts its own", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    for (let i = 0; i < 5; i++) await makeTicket(deps, customer);
    const other = await makeCustomer(deps);
    await makeTicket(deps, other);
    const filters = { mine: { requesterId: customer.id }, other: { requesterId: other.id } };
    assert.deepEqual(await countTicketsEach(deps.db, filters, 3), { mine: 3, other: 1 });
    assert.deepEqual(await countTicketsEach(deps.db, filters, 100), { mine: 5, other: 1 });
  });
});
