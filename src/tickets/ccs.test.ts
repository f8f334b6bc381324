import assert from "node:assert/strict";
import { test } from "node:test";
import { and, eq } from "drizzle-orm";
import { apiAs } from "../../test/helpers/api.ts";
import { makeAgent, makeCustomer, makeTicket } from "../../test/helpers/factories.ts";
import { decodeEntities } from "../../test/helpers/html.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { ticketCcs, ticketEvents } from "../db/schema/index.ts";
import type { Deps } from "../deps.ts";

const ENV = { MAIL_FROM: "support@example.test", INBOUND_SMTP_DOMAINS: "support@example.test" };

describeEachDatabase(
  "CCs on the ticket page and in the API",
  (world) => {
    const ccRows = async (deps: Deps, ticketId: number) =>
      (await deps.db.select().from(ticketCcs).where(eq(ticketCcs.ticketId, ticketId))).map(
        (c) => c.address,
      );
    const auditOf = async (deps: Deps, ticketId: number, kind: string) =>
      (
        await deps.db
          .select()
          .from(ticketEvents)
          .where(and(eq(ticketEvents.ticketId, ticketId), eq(ticketEvents.kind, kind)))
      ).map((e) => e.toValue ?? e.fromValue);

    test("API: staff add, list and remove CCs; every change is in the audit trail", async () => {
      const { deps } = world();
      const customer = await makeCustomer(deps);
      const agent = await makeAgent(deps);
      const ticket = await makeTicket(deps, customer);
      const staff = await apiAs(world(), agent);
      const added = await staff.post(`/tickets/${ticket.id}/ccs`, {
        address: "Boss@Client.Example.org",
        name: "The Boss",
      });
      assert.equal(added.status, 201);
      assert.equal(added.body.address, "boss@client.example.org");
      assert.equal(added.body.name, "The Boss");
      assert.equal(added.body.addedBy, agent.id);
      const again = await staff.post(`/tickets/${ticket.id}/ccs`, {
        address: "boss@client.example.org",
      });
      assert.equal(again.status, 200, "adding an existing CC changes nothing");
      const list = await staff.get(`/tickets/${ticket.id}/ccs`);
      assert.deepEqual(
        list.body.data.map((c: { address: string }) => c.address),
        ["boss@client.example.org"],
      );
      const own = await apiAs(world(), customer);
      assert.equal(
        (await own.get(`/tickets/${ticket.id}/ccs`)).status,
        200,
        "the requester sees them",
      );
      const other = await apiAs(world(), await makeCustomer(deps));
      assert.equal((await other.get(`/tickets/${ticket.id}/ccs`)).status, 404);
      const byCustomer = await own.post(`/tickets/${ticket.id}/ccs`, {
        address: "friend@client.example.org",
      });
      assert.equal(byCustomer.status, 403);
      const removed = await staff.request(
        "DELETE",
        `/tickets/${ticket.id}/ccs/${encodeURIComponent("boss@client.example.org")}`,
      );
      assert.equal(removed.status, 204);
      assert.equal(
        (await staff.request("DELETE", `/tickets/${ticket.id}/ccs/boss%40client.example.org`))
          .status,
        404,
      );
      assert.deepEqual(await ccRows(deps, ticket.id), []);
      assert.deepEqual(await auditOf(deps, ticket.id, "cc_added"), ["boss@client.example.org"]);
      assert.deepEqual(await auditOf(deps, ticket.id, "cc_removed"), ["boss@client.example.org"]);
      const events = await staff.get(`/tickets/${ticket.id}/events`);
      assert.deepEqual(
        events.body.data
          .map((e: { kind: string }) => e.kind)
          .filter((k: string) => k.startsWith("cc_")),
        ["cc_added", "cc_removed"],
      );
    });

    test("API: bad addresses, our own address, the requester and a 21st CC are refused with a clear error", async () => {
      const { deps } = world();
      const customer = await makeCustomer(deps);
      const ticket = await makeTicket(deps, customer);
      const staff = await apiAs(world(), await makeAgent(deps));
      const url = `/tickets/${ticket.id}/ccs`;
      assert.equal((await staff.post(url, { address: "not an address" })).status, 400);
      const ours = await staff.post(url, { address: "support+12-abc@example.test" });
      assert.equal(ours.status, 400);
      assert.match(JSON.stringify(ours.body), /own addresses/);
      const requester = await staff.post(url, { address: customer.email.toUpperCase() });
      assert.equal(requester.status, 400);
      assert.match(JSON.stringify(requester.body), /requester/);
      for (let i = 0; i < 20; i++) {
        assert.equal((await staff.post(url, { address: `p${i}@client.example.org` })).status, 201);
      }
      const over = await staff.post(url, { address: "p20@client.example.org" });
      assert.equal(over.status, 400);
      assert.match(JSON.stringify(over.body), /at most 20 CCs/);
      assert.equal((await ccRows(deps, ticket.id)).length, 20);
    });

    test("page: staff add and remove CCs with plain forms; the requester sees the list without controls", async () => {
      const { deps } = world();
      const customer = await makeCustomer(deps);
      const agent = await makeAgent(deps);
      const ticket = await makeTicket(deps, customer);
      const page = `/tickets/${ticket.id}`;
      const avery = await world().signedIn(agent);
      const added = await avery.post(
        `${page}/ccs`,
        { ccAddress: "gina@client.example.org", ccName: "Gina <script>" },
        { csrfFrom: page },
      );
      assert.equal(added.statusCode, 303);
      const shown = await avery.get(page);
      assert.match(decodeEntities(shown.body), /Gina <script> <gina@client\.example\.org>/);
      assert.ok(!shown.body.includes("Gina <script>"), "the name is escaped");
      assert.match(shown.body, /action="\/tickets\/\d+\/ccs\/remove"/);
      assert.match(decodeEntities(shown.body), /added gina@client\.example\.org as CC/);

      const bad = await avery.post(`${page}/ccs`, { ccAddress: "nope" }, { csrfFrom: page });
      assert.equal(bad.statusCode, 422);
      assert.match(bad.body, /value="nope"/, "the form keeps what was typed");
      assert.match(bad.body, /aria-invalid="true"/);

      const noCsrf = await avery.post(`${page}/ccs`, {
        ccAddress: "sneaky@client.example.org",
        _csrf: "",
      });
      assert.equal(noCsrf.statusCode, 403);

      const cora = await world().signedIn(customer);
      const customerView = await cora.get(page);
      assert.match(customerView.body, /gina@client\.example\.org/);
      assert.ok(!customerView.body.includes("/ccs/remove"), "no remove button for the customer");
      assert.ok(!customerView.body.includes('name="ccAddress"'), "no add form for the customer");
      const forged = await cora.post(
        `${page}/ccs`,
        { ccAddress: "x@client.example.org" },
        { csrfFrom: page },
      );
      assert.equal(forged.statusCode, 403);

      const removed = await avery.post(
        `${page}/ccs/remove`,
        { address: "gina@client.example.org" },
        { csrfFrom: page },
      );
      assert.equal(removed.statusCode, 303);
      assert.deepEqual(
        await ccRows(deps, ticket.id),
        [],
        "the post without a CSRF token added nobody",
      );
      assert.ok(!(await cora.get(page)).body.includes("gina@client.example.org"));
    });
  },
  { env: ENV },
);
