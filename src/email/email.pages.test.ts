import assert from "node:assert/strict";
import { test } from "node:test";
import { eq } from "drizzle-orm";
import { makeAdmin, makeAgent, makeCustomer, makeTicket } from "../../test/helpers/factories.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { outbox } from "../db/schema/index.ts";

describeEachDatabase("email pages", (world) => {
  test("an admin sees failed deliveries with their error and can queue one again", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    const ticket = await makeTicket(deps, customer, { title: "Undeliverable" });
    const [row] = await deps.db.select().from(outbox).where(eq(outbox.ticketId, ticket.id));
    assert.ok(row);
    await deps.db
      .update(outbox)
      .set({ status: "failed", attempts: 8, lastError: "550 5.1.1 <x>: mailbox <unknown>" })
      .where(eq(outbox.id, row.id));
    const admin = await world().signedIn(await makeAdmin(deps));
    const page = await admin.get("/admin/email");
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Mail delivery is off/);
    assert.match(page.body, /550 5\.1\.1 &lt;x>: mailbox &lt;unknown>/);
    assert.match(page.body, new RegExp(`/admin/email/outbox/${row.id}/retry`));
    const retried = await admin.post(
      `/admin/email/outbox/${row.id}/retry`,
      {},
      { csrfFrom: "/admin/email" },
    );
    assert.equal(retried.statusCode, 303);
    const [after] = await deps.db.select().from(outbox).where(eq(outbox.id, row.id));
    assert.deepEqual([after?.status, after?.attempts], ["pending", 0]);
    const again = await admin.post(
      `/admin/email/outbox/${row.id}/retry`,
      {},
      { csrfFrom: "/admin/email" },
    );
    assert.equal(again.statusCode, 404, "only failed mail can be retried");

    const agent = await world().signedIn(await makeAgent(deps));
    assert.equal((await agent.get("/admin/email")).statusCode, 403);
  });

  test("an agent turns their notification mail off on the account page; customers have no such switch", async () => {
    const { deps } = world();
    const agentUser = await makeAgent(deps);
    const agent = await world().signedIn(agentUser);
    const page = await agent.get("/account");
    assert.match(page.body, /name="emailNotifications" value="true" checked/);
    const saved = await agent.post("/account/notifications", {}, { csrfFrom: "/account" });
    assert.equal(saved.statusCode, 303);
    assert.doesNotMatch(
      (await agent.get("/account")).body,
      /name="emailNotifications" value="true" checked/,
    );
    const customer = await makeCustomer(deps);
    const ticket = await makeTicket(deps, customer);
    const rows = await deps.db.select().from(outbox).where(eq(outbox.ticketId, ticket.id));
    assert.ok(
      !rows.some((r) => r.recipientId === agentUser.id),
      "no mail for an agent who opted out",
    );

    const customerBrowser = await world().signedIn(customer);
    assert.doesNotMatch((await customerBrowser.get("/account")).body, /emailNotifications/);
    const refused = await customerBrowser.post(
      "/account/notifications",
      { emailNotifications: "true" },
      { csrfFrom: "/account" },
    );
    assert.equal(refused.statusCode, 403);
  });
});
