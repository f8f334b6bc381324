import assert from "node:assert/strict";
import { test } from "node:test";
import { makeCustomer } from "../../test/helpers/factories.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";

describeEachDatabase("smoke", (world) => {
  test("a customer signs in and out", async () => {
    const { deps } = world();
    const user = await makeCustomer(deps);
    const b = await world().signedIn(user);
    const account = await b.get("/account");
    assert.equal(account.statusCode, 200);
    assert.match(account.body, new RegExp(user.email));
  });
});
