import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { eq, sql } from "drizzle-orm";
import { Webhook } from "standardwebhooks";
import { createTestDatabase, databaseKinds, type TestDatabase } from "../../test/helpers/db.ts";
import { makeAdmin, makeAgent, makeCustomer, makeTicket } from "../../test/helpers/factories.ts";
import {
  type ReceivedWebhook,
  startWebhookReceiver,
  type WebhookReceiver,
} from "../../test/helpers/webhook-receiver.ts";
import type { Actor } from "../accounts/index.ts";
import { webhookDeliveries, webhookEndpoints } from "../db/schema/index.ts";
import type { Deps } from "../deps.ts";
import { EventBus } from "../events/bus.ts";
import { Invalid } from "../lib/errors.ts";
import { addReply, createTicket, updateTicket } from "../tickets/tickets.service.ts";
import type { Resolver } from "./webhooks.guard.ts";
import { webhookDeliveries as webhookReaction } from "./webhooks.reaction.ts";
import * as webhooks from "./webhooks.service.ts";
import { startWebhookWorker } from "./webhooks.worker.ts";

/** DNS for names under .test, which the system resolver does not know. */
function fakeDns(table: Record<string, string>): Resolver {
  return async (hostname) => {
    const address = table[hostname];
    if (!address)
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
    return [{ address, family: address.includes(":") ? 6 : 4 }];
  };
}

/** Verifies a received delivery with the reference Standard Webhooks library; returns the payload. */
function verified(
  secret: string,
  hook: ReceivedWebhook,
): { type: string; data: Record<string, unknown> } {
  return new Webhook(secret).verify(hook.body, hook.headers) as {
    type: string;
    data: Record<string, unknown>;
  };
}

for (const kind of databaseKinds()) {
  describe(`webhook deliveries [${kind}]`, () => {
    let testDb: TestDatabase;
    let receiver: WebhookReceiver;
    let admin: Actor;
    let customer: Actor;
    let agent: Actor;
    const deps = () => testDb.deps;

    before(async () => {
      receiver = await startWebhookReceiver();
      testDb = await createTestDatabase(kind, {
        WEBHOOK_ALLOW_HOSTS: `127.0.0.1:${receiver.port},receiver.test:${receiver.port}`,
        WEBHOOK_MAX_ATTEMPTS: "3",
        WEBHOOK_TIMEOUT_SECONDS: "1",
      });
      admin = await makeAdmin(deps());
      customer = await makeCustomer(deps());
      agent = await makeAgent(deps());
    });
    after(async () => {
      await testDb?.close();
      await receiver?.close();
    });

    const worker = (resolve?: Resolver) =>
      startWebhookWorker(deps(), { start: false, ...(resolve ? { resolve } : {}) });
    const rowsOf = (endpointId: number) =>
      deps()
        .db.select()
        .from(webhookDeliveries)
        .where(eq(webhookDeliveries.endpointId, endpointId))
        .orderBy(webhookDeliveries.id);
    const hooksAt = (path: string) => receiver.received.filter((r) => r.path === path);
    const cleanUp = () => deps().db.delete(webhookEndpoints);

    test("a new ticket is delivered, signed, to the endpoints subscribed to ticket.created only", async () => {
      const created = await webhooks.createEndpoint(deps(), admin, {
        url: receiver.url("/created"),
        eventTypes: ["ticket.created", "message.created"],
      });
      const solvedOnly = await webhooks.createEndpoint(deps(), admin, {
        url: receiver.url("/solved"),
        eventTypes: ["ticket.solved"],
      });
      assert.match(created.secret, /^whsec_[A-Za-z0-9+/]{43}=$/);

      const ticket = await makeTicket(deps(), customer, { title: "Webhook me" });
      // Written in the ticket's transaction: there as soon as the ticket is.
      const queued = await rowsOf(created.endpoint.id);
      assert.deepEqual(
        queued.map((r) => [r.eventType, r.status, r.ticketId]),
        [["ticket.created", "pending", ticket.id]],
      );
      assert.equal((await rowsOf(solvedOnly.endpoint.id)).length, 0);

      assert.equal(await worker().runOnce(), 1);
      const [hook] = hooksAt("/created");
      assert.ok(hook);
      const payload = verified(created.secret, hook);
      assert.equal(payload.type, "ticket.created");
      assert.equal((payload.data.ticket as { id: number; title: string }).title, "Webhook me");
      assert.equal(hook.headers["webhook-id"], queued[0]?.webhookId);
      assert.equal(hook.headers["content-type"], "application/json");
      const [row] = await rowsOf(created.endpoint.id);
      assert.equal(row?.status, "delivered");
      assert.equal(row?.attempts, 1);
      assert.equal(row?.responseStatus, 200);
      assert.equal(row?.responseExcerpt, "ok");
      assert.ok(row?.deliveredAt);
      await cleanUp();
    });

    test("ticket.updated carries old and new values; ticket.solved and message.created follow the change", async () => {
      const all = await webhooks.createEndpoint(deps(), admin, {
        url: receiver.url("/all"),
        eventTypes: ["ticket.updated", "ticket.solved", "message.created"],
      });
      const ticket = await makeTicket(deps(), customer);
      await addReply(deps(), agent, ticket.id, { content: "Try turning it off" });
      await updateTicket(deps(), agent, ticket.id, { status: "solved", priority: "high" });
      const w = worker();
      while ((await w.runOnce()) > 0);
      const payloads = hooksAt("/all").map((h) => verified(all.secret, h));
      const types = payloads.map((p) => p.type);
      assert.ok(types.includes("message.created"));
      assert.ok(types.includes("ticket.solved"));
      const solvedUpdate = payloads.find(
        (p) =>
          p.type === "ticket.updated" &&
          (p.data.changes as { status?: { to: string } }).status?.to === "solved",
      );
      assert.ok(solvedUpdate, `got ${types.join(", ")}`);
      assert.deepEqual((solvedUpdate.data.changes as Record<string, unknown>).priority, {
        from: "normal",
        to: "high",
      });
      await cleanUp();
    });

    test("a 500 is retried after 5 seconds with the same id, then delivered", async () => {
      const { endpoint, secret } = await webhooks.createEndpoint(deps(), admin, {
        url: receiver.url("/flaky"),
        eventTypes: ["ticket.created"],
      });
      receiver.answer({ status: 500, body: "<b>database down</b>" });
      await makeTicket(deps(), customer);
      const w = worker();
      await w.runOnce();
      let [row] = await rowsOf(endpoint.id);
      assert.equal(row?.status, "pending");
      assert.equal(row?.attempts, 1);
      assert.equal(row?.responseStatus, 500);
      assert.equal(row?.responseExcerpt, "<b>database down</b>");
      assert.equal(row?.lastError, "answered 500");
      const wait = (row?.nextAttemptAt.getTime() ?? 0) - (row?.lastAttemptAt?.getTime() ?? 0);
      assert.ok(wait > 4_000 && wait <= 5_100, `retry in ${wait} ms`);
      assert.equal(await w.runOnce(), 0, "not due yet");

      await deps().db.update(webhookDeliveries).set({ nextAttemptAt: sql`now()` });
      await w.runOnce();
      [row] = await rowsOf(endpoint.id);
      assert.equal(row?.status, "delivered");
      assert.equal(row?.attempts, 2);
      assert.equal(row?.responseStatus, 200);
      const hooks = hooksAt("/flaky");
      assert.equal(hooks.length, 2);
      assert.equal(hooks[0]?.headers["webhook-id"], hooks[1]?.headers["webhook-id"]);
      for (const hook of hooks) verified(secret, hook);
      await cleanUp();
    });

    test("a delivery is marked failed after WEBHOOK_MAX_ATTEMPTS, and an admin can resend it", async () => {
      const { endpoint } = await webhooks.createEndpoint(deps(), admin, {
        url: receiver.url("/down"),
        eventTypes: ["ticket.created"],
      });
      receiver.answer(
        { status: 503, body: "1" },
        { status: 503, body: "2" },
        { status: 503, body: "3" },
      );
      await makeTicket(deps(), customer);
      const w = worker();
      for (let i = 0; i < 3; i++) {
        await deps().db.update(webhookDeliveries).set({ nextAttemptAt: sql`now()` });
        await w.runOnce();
      }
      let [row] = await rowsOf(endpoint.id);
      assert.equal(row?.status, "failed");
      assert.equal(row?.attempts, 3);
      assert.equal(row?.responseExcerpt, "3");
      assert.ok(row);

      const again = await webhooks.resendDelivery(deps(), admin, endpoint.id, row.id);
      assert.equal(again.status, "pending");
      await w.runOnce();
      [row] = await rowsOf(endpoint.id);
      assert.equal(row?.status, "delivered");
      assert.equal(row?.attempts, 1);
      assert.equal(hooksAt("/down").length, 4);
      await cleanUp();
    });

    test("an endpoint that does not answer in time, a redirect and a long answer are recorded as such", async () => {
      const { endpoint } = await webhooks.createEndpoint(deps(), admin, {
        url: receiver.url("/odd"),
        eventTypes: ["ticket.created"],
      });
      const w = worker();
      const outcome = async () => {
        await makeTicket(deps(), customer);
        await w.runOnce();
        return (await rowsOf(endpoint.id)).at(-1);
      };
      receiver.answer({ status: 0, body: "", hang: true });
      const started = Date.now();
      const slow = await outcome();
      assert.ok(Date.now() - started < 3_000);
      assert.equal(slow?.status, "pending");
      assert.equal(slow?.responseStatus, null);
      assert.equal(slow?.lastError, "no answer within 1 s");

      receiver.answer({
        status: 302,
        body: "moved",
        headers: { location: receiver.url("/moved") },
      });
      const moved = await outcome();
      assert.equal(moved?.status, "pending");
      assert.equal(moved?.responseStatus, 302);
      assert.equal(hooksAt("/moved").length, 0, "redirects are not followed");

      receiver.answer({ status: 200, body: "é".repeat(3000) });
      const long = await outcome();
      assert.equal(long?.status, "delivered");
      assert.equal(Buffer.byteLength(long?.responseExcerpt ?? ""), 1024);
      await cleanUp();
    });

    test("a change that rolls back leaves no delivery", async () => {
      const { endpoint } = await webhooks.createEndpoint(deps(), admin, {
        url: receiver.url("/rolled-back"),
        eventTypes: ["ticket.created"],
      });
      const failing = new EventBus<Deps>().subscribe(webhookReaction).subscribe({
        name: "fails after the webhooks",
        async inTransaction() {
          throw new Error("boom");
        },
      });
      await assert.rejects(
        createTicket({ ...deps(), events: failing }, customer, {
          title: "Never",
          description: "x",
          priority: "normal",
        }),
        /boom/,
      );
      assert.equal((await rowsOf(endpoint.id)).length, 0);
      await cleanUp();
    });

    test("private, loopback, link-local and metadata addresses are refused when saved", async () => {
      for (const url of [
        "http://10.0.0.5/hook",
        "http://192.168.1.10:8080/hook",
        "http://100.64.0.1/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[fd00:ec2::254]/",
        "http://[::ffff:127.0.0.1]:80/",
        "http://[::1]/",
        "http://0.0.0.0:3000/",
        "http://localhost:9/",
        `http://127.0.0.1:${receiver.port + 1}/`, // loopback, but not the allowed port
        "ftp://example.com/hook",
      ]) {
        await assert.rejects(
          webhooks.createEndpoint(deps(), admin, { url, eventTypes: ["ticket.created"] }),
          (error: unknown) => error instanceof Invalid && error.errors[0]?.field === "url",
          url,
        );
      }
      // A name that resolves to a private address is refused too.
      await assert.rejects(
        webhooks.createEndpoint(
          deps(),
          admin,
          { url: "https://intranet.test/hook", eventTypes: ["ticket.created"] },
          { resolve: fakeDns({ "intranet.test": "10.1.2.3" }) },
        ),
        Invalid,
      );
      assert.equal((await webhooks.listEndpoints(deps(), admin)).length, 0);
    });

    test("DNS rebinding: a name that resolved to a public address at save time but to 127.0.0.1 at send time is refused unsent", async () => {
      const { endpoint } = await webhooks.createEndpoint(
        deps(),
        admin,
        { url: `http://rebind.test:${receiver.port}/rebind`, eventTypes: ["ticket.created"] },
        { resolve: fakeDns({ "rebind.test": "93.184.215.14" }) },
      );
      await makeTicket(deps(), customer);
      await worker(fakeDns({ "rebind.test": "127.0.0.1" })).runOnce();
      const [row] = await rowsOf(endpoint.id);
      assert.equal(row?.status, "failed");
      assert.equal(row?.responseStatus, null);
      assert.match(row?.lastError ?? "", /resolves to 127\.0\.0\.1, a loopback address/);
      assert.equal(hooksAt("/rebind").length, 0);
      await cleanUp();
    });

    test("the connection goes to the address that was checked: an allowed name is pinned to what it resolved to", async () => {
      // receiver.test exists only in this resolver: the request can only arrive through the pinned address.
      const dns = fakeDns({ "receiver.test": "127.0.0.1" });
      const { endpoint, secret } = await webhooks.createEndpoint(
        deps(),
        admin,
        { url: `http://receiver.test:${receiver.port}/pinned`, eventTypes: ["ticket.created"] },
        { resolve: dns },
      );
      await makeTicket(deps(), customer);
      await worker(dns).runOnce();
      const [hook] = hooksAt("/pinned");
      assert.ok(hook);
      assert.equal(hook.host, `receiver.test:${receiver.port}`);
      verified(secret, hook);
      assert.equal((await rowsOf(endpoint.id))[0]?.status, "delivered");
      await cleanUp();
    });

    test("after a rotation both secrets sign until the grace period ends, then only the new one", async () => {
      const { endpoint, secret: oldSecret } = await webhooks.createEndpoint(deps(), admin, {
        url: receiver.url("/rotate"),
        eventTypes: ["ticket.created"],
      });
      const rotated = await webhooks.rotateEndpointSecret(deps(), admin, endpoint.id);
      assert.notEqual(rotated.secret, oldSecret);
      const graceEnds = rotated.endpoint.previousSecretExpiresAt?.getTime() ?? 0;
      assert.ok(Math.abs(graceEnds - Date.now() - 24 * 3600_000) < 60_000);

      await makeTicket(deps(), customer);
      const w = worker();
      await w.runOnce();
      const [during] = hooksAt("/rotate");
      assert.ok(during);
      assert.equal(during.headers["webhook-signature"]?.split(" ").length, 2);
      verified(rotated.secret, during);
      verified(oldSecret, during);

      await deps()
        .db.update(webhookEndpoints)
        .set({ previousSecretExpiresAt: sql`now() - interval '1 second'` })
        .where(eq(webhookEndpoints.id, endpoint.id));
      await makeTicket(deps(), customer);
      await w.runOnce();
      const after = hooksAt("/rotate")[1];
      assert.ok(after);
      assert.equal(after.headers["webhook-signature"]?.split(" ").length, 1);
      verified(rotated.secret, after);
      assert.throws(() => verified(oldSecret, after));
      await cleanUp();
    });

    test("agents and customers cannot manage webhooks", async () => {
      for (const actor of [agent, customer]) {
        await assert.rejects(webhooks.listEndpoints(deps(), actor), { status: 403 });
        await assert.rejects(
          webhooks.createEndpoint(deps(), actor, {
            url: receiver.url("/x"),
            eventTypes: ["ticket.created"],
          }),
          { status: 403 },
        );
      }
    });

    test("housekeeping deletes finished deliveries after 30 days and keeps pending ones", async () => {
      const { endpoint } = await webhooks.createEndpoint(deps(), admin, {
        url: receiver.url("/old"),
        eventTypes: ["ticket.created"],
      });
      for (let i = 0; i < 3; i++) await makeTicket(deps(), customer);
      const rows = await rowsOf(endpoint.id);
      const [delivered, failed, pending] = rows;
      assert.ok(delivered && failed && pending);
      await deps()
        .db.update(webhookDeliveries)
        .set({ queuedAt: sql`now() - interval '31 days'` })
        .where(eq(webhookDeliveries.endpointId, endpoint.id));
      await deps()
        .db.update(webhookDeliveries)
        .set({ status: "delivered" })
        .where(eq(webhookDeliveries.id, delivered.id));
      await deps()
        .db.update(webhookDeliveries)
        .set({ status: "failed" })
        .where(eq(webhookDeliveries.id, failed.id));
      assert.equal(await webhooks.pruneDeliveries(deps()), 2);
      assert.deepEqual(
        (await rowsOf(endpoint.id)).map((r) => r.id),
        [pending.id],
      );
      await cleanUp();
    });

    test("a disabled endpoint gets no new deliveries", async () => {
      const { endpoint } = await webhooks.createEndpoint(deps(), admin, {
        url: receiver.url("/off"),
        eventTypes: ["ticket.created"],
        enabled: false,
      });
      await makeTicket(deps(), customer);
      assert.equal((await rowsOf(endpoint.id)).length, 0);
      await cleanUp();
    });

    test("a node that keeps the endpoints in memory queues for a new endpoint, stops for a disabled one, and reads none after a delete", async () => {
      const unwatch = await webhooks.enabledEndpoints.watch(deps().db, testDb.database.listen);
      try {
        await makeTicket(deps(), customer);
        assert.equal(webhooks.enabledEndpoints.isWarm(deps().db), true, "the copy is kept");
        const { endpoint } = await webhooks.createEndpoint(deps(), admin, {
          url: receiver.url("/kept"),
          eventTypes: ["ticket.created"],
        });
        await makeTicket(deps(), customer);
        assert.equal(
          (await rowsOf(endpoint.id)).length,
          1,
          "the new endpoint gets the next ticket",
        );
        await webhooks.updateEndpoint(deps(), admin, endpoint.id, { enabled: false });
        await makeTicket(deps(), customer);
        assert.equal((await rowsOf(endpoint.id)).length, 1, "a disabled endpoint gets no more");
        await webhooks.updateEndpoint(deps(), admin, endpoint.id, { enabled: true });
        await webhooks.deleteEndpoint(deps(), admin, endpoint.id);
        // A stale copy would queue for the deleted endpoint and fail the write on its foreign key.
        await makeTicket(deps(), customer);
        assert.equal(
          (await deps().db.select().from(webhookDeliveries)).filter(
            (d) => d.endpointId === endpoint.id,
          ).length,
          0,
        );
      } finally {
        await unwatch();
        await cleanUp();
      }
    });
  });
}
