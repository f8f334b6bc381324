import assert from "node:assert/strict";
import { after, test } from "node:test";
import { eq } from "drizzle-orm";
import { Webhook } from "standardwebhooks";
import { anonymousApi, apiAs } from "../../test/helpers/api.ts";
import { makeAdmin, makeAgent, makeCustomer, makeTicket } from "../../test/helpers/factories.ts";
import { startWebhookReceiver } from "../../test/helpers/webhook-receiver.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { webhookDeliveries } from "../db/schema/index.ts";
import { startWebhookWorker } from "./webhooks.worker.ts";

const receiver = await startWebhookReceiver();
after(() => receiver.close());

describeEachDatabase(
  "webhooks API and admin pages",
  (world) => {
    // One receiver serves the suite of each database: each asks for paths of its own.
    const at = (path: string) => `/${world().kind}${path}`;
    const runWorker = () => startWebhookWorker(world().deps, { start: false }).runOnce();

    test("an admin's token registers, reads, changes and deletes an endpoint; the secret is shown once", async () => {
      const api = await apiAs(world(), await makeAdmin(world().deps));
      const created = await api.post("/webhooks", {
        url: receiver.url(at("/crud")),
        description: "CRM sync",
        eventTypes: ["ticket.created", "ticket.solved"],
      });
      assert.equal(created.status, 201);
      assert.match(created.body.secret, /^whsec_/);
      const id = created.body.record.id;
      assert.equal(created.headers.location, `/api/v1/webhooks/${id}`);

      const got = await api.get(`/webhooks/${id}`);
      assert.equal(got.status, 200);
      assert.equal(got.body.description, "CRM sync");
      assert.ok(!JSON.stringify(got.body).includes(created.body.secret));
      assert.ok((await api.get("/webhooks")).body.data.some((w: { id: number }) => w.id === id));

      const changed = await api.patch(`/webhooks/${id}`, {
        enabled: false,
        eventTypes: ["message.created"],
      });
      assert.equal(changed.status, 200);
      assert.deepEqual(
        [changed.body.enabled, changed.body.eventTypes],
        [false, ["message.created"]],
      );
      const toMetadata = await api.patch(`/webhooks/${id}`, { url: "http://169.254.169.254/" });
      assert.equal(toMetadata.status, 400);
      assert.equal(toMetadata.body.errors[0].field, "url");
      const unknownType = await api.patch(`/webhooks/${id}`, { eventTypes: ["ticket.deleted"] });
      assert.equal(unknownType.status, 400);

      assert.equal((await api.request("DELETE", `/webhooks/${id}`)).status, 204);
      assert.equal((await api.get(`/webhooks/${id}`)).status, 404);
    });

    test("a private address is refused when registered", async () => {
      const api = await apiAs(world(), await makeAdmin(world().deps));
      for (const url of [
        "http://10.0.0.1/hook",
        "http://[::ffff:127.0.0.1]/",
        "http://localhost/",
      ]) {
        const res = await api.post("/webhooks", { url, eventTypes: ["ticket.created"] });
        assert.equal(res.status, 400, url);
        assert.equal(res.body.errors[0].field, "url");
      }
    });

    test("deliveries are listed with status, time and excerpt, resent with the same id, and signed with both secrets after a rotation", async () => {
      const api = await apiAs(world(), await makeAdmin(world().deps));
      const created = await api.post("/webhooks", {
        url: receiver.url(at("/api-deliveries")),
        eventTypes: ["ticket.created"],
      });
      const id = created.body.record.id;
      const ticket = await makeTicket(world().deps, await makeCustomer(world().deps));
      await runWorker();
      const hooks = () => receiver.received.filter((r) => r.path === at("/api-deliveries"));
      const first = hooks()[0];
      assert.ok(first);
      new Webhook(created.body.secret).verify(first.body, first.headers);

      const list = await api.get(`/webhooks/${id}/deliveries?limit=10`);
      assert.equal(list.status, 200);
      const [delivery] = list.body.data;
      assert.equal(delivery.status, "delivered");
      assert.equal(delivery.ticketId, ticket.id);
      assert.equal(delivery.responseStatus, 200);
      assert.equal(delivery.responseExcerpt, "ok");
      assert.ok(delivery.lastAttemptAt && delivery.responseMs >= 0);
      assert.equal(delivery.webhookId, first.headers["webhook-id"]);

      const rotated = await api.post(`/webhooks/${id}/rotate-secret`, undefined);
      assert.equal(rotated.status, 200);
      assert.notEqual(rotated.body.secret, created.body.secret);
      assert.ok(rotated.body.record.previousSecretExpiresAt);

      const resent = await api.post(`/webhooks/${id}/deliveries/${delivery.id}/resend`, undefined);
      assert.equal(resent.status, 202);
      assert.equal(resent.body.status, "pending");
      const again = await api.post(`/webhooks/${id}/deliveries/${delivery.id}/resend`, undefined);
      assert.equal(again.status, 409, "still pending");
      await runWorker();
      const second = hooks()[1];
      assert.ok(second);
      assert.equal(second.headers["webhook-id"], first.headers["webhook-id"]);
      new Webhook(rotated.body.secret).verify(second.body, second.headers);
      new Webhook(created.body.secret).verify(second.body, second.headers);
      assert.equal((await api.get(`/webhooks/${id}/deliveries/${delivery.id}`)).body.attempts, 1);
      assert.equal((await api.get(`/webhooks/${id}/deliveries/999999`)).status, 404);
      await api.request("DELETE", `/webhooks/${id}`);
    });

    test("agents and customers get 403 from the webhooks API; without a token it is 401", async () => {
      const admin = await apiAs(world(), await makeAdmin(world().deps));
      const { body } = await admin.post("/webhooks", {
        url: receiver.url(at("/access")),
        eventTypes: ["ticket.created"],
      });
      const id = body.record.id;
      for (const user of [await makeAgent(world().deps), await makeCustomer(world().deps)]) {
        const api = await apiAs(world(), user);
        assert.equal((await api.get("/webhooks")).status, 403, user.role);
        assert.equal((await api.get(`/webhooks/${id}`)).status, 403, user.role);
        assert.equal((await api.get(`/webhooks/${id}/deliveries`)).status, 403, user.role);
        const create = await api.post("/webhooks", {
          url: receiver.url(at("/x")),
          eventTypes: ["ticket.created"],
        });
        assert.equal(create.status, 403, user.role);
        assert.equal((await api.patch(`/webhooks/${id}`, { enabled: false })).status, 403);
        assert.equal((await api.post(`/webhooks/${id}/rotate-secret`, undefined)).status, 403);
        assert.equal((await api.request("DELETE", `/webhooks/${id}`)).status, 403);
      }
      assert.equal((await anonymousApi(world()).get("/webhooks")).status, 401);
      assert.equal((await admin.get(`/webhooks/${id}`)).body.enabled, true, "unchanged");
      await admin.request("DELETE", `/webhooks/${id}`);
    });

    test("agents and customers get 403 on the webhooks admin pages", async () => {
      for (const user of [await makeAgent(world().deps), await makeCustomer(world().deps)]) {
        const browser = await world().signedIn(user);
        assert.equal((await browser.get("/admin/webhooks")).statusCode, 403, user.role);
        const post = await browser.post("/admin/webhooks", {
          url: receiver.url(at("/x")),
          eventTypes: "ticket.created",
        });
        assert.equal(post.statusCode, 403, user.role);
      }
      const anonymous = await world().browser().get("/admin/webhooks");
      assert.equal(anonymous.statusCode, 303);
    });

    test("on the admin page an endpoint is added with its secret shown once, and an answer is shown escaped, with a resend button", async () => {
      const browser = await world().signedIn(await makeAdmin(world().deps));
      const refused = await browser.post("/admin/webhooks", {
        url: "http://192.168.0.1/",
        eventTypes: "ticket.created",
        enabled: "true",
      });
      assert.equal(refused.statusCode, 422);
      assert.match(refused.body, /a private address/);

      const added = await browser.post("/admin/webhooks", {
        url: receiver.url(at("/page")),
        eventTypes: "ticket.created",
        enabled: "true",
      });
      assert.equal(added.statusCode, 201);
      const secret = /value="(whsec_[^"]+)"/.exec(added.body)?.[1];
      assert.ok(secret);
      const id = Number(/href="\/admin\/webhooks\/(\d+)"/.exec(added.body)?.[1]);
      const page = await browser.get(`/admin/webhooks/${id}`);
      assert.equal(page.statusCode, 200);
      assert.ok(!page.body.includes(secret), "the secret is not shown again");

      receiver.answer({ status: 500, body: "<script>alert(1)</script>" });
      await makeTicket(world().deps, await makeCustomer(world().deps));
      await runWorker();
      const withAnswer = await browser.get(`/admin/webhooks/${id}`);
      // Preact escapes < and & in text: the answer is text, never markup.
      assert.ok(withAnswer.body.includes("&lt;script>alert(1)&lt;/script>"));
      assert.ok(!withAnswer.body.includes("<script>alert(1)"));
      assert.match(withAnswer.body, /500 in \d+ ms/);

      // Give up on it, then resend from the page.
      await world()
        .deps.db.update(webhookDeliveries)
        .set({ status: "failed" })
        .where(eq(webhookDeliveries.endpointId, id));
      const [row] = await world()
        .deps.db.select()
        .from(webhookDeliveries)
        .where(eq(webhookDeliveries.endpointId, id));
      assert.ok(row);
      const resend = await browser.post(
        `/admin/webhooks/${id}/deliveries/${row.id}/resend`,
        {},
        { csrfFrom: `/admin/webhooks/${id}` },
      );
      assert.equal(resend.statusCode, 303);
      await runWorker();
      const [after] = await world()
        .deps.db.select()
        .from(webhookDeliveries)
        .where(eq(webhookDeliveries.id, row.id));
      assert.equal(after?.status, "delivered");
      const last = receiver.received.filter((r) => r.path === at("/page")).at(-1);
      assert.ok(last);
      new Webhook(secret).verify(last.body, last.headers);

      const rotated = await browser.post(
        `/admin/webhooks/${id}/rotate`,
        {},
        {
          csrfFrom: `/admin/webhooks/${id}`,
        },
      );
      assert.equal(rotated.statusCode, 200);
      const newSecret = /value="(whsec_[^"]+)"/.exec(rotated.body)?.[1];
      assert.ok(newSecret && newSecret !== secret);

      const deleted = await browser.post(
        `/admin/webhooks/${id}/delete`,
        {},
        {
          csrfFrom: `/admin/webhooks/${id}`,
        },
      );
      assert.equal(deleted.statusCode, 303);
      assert.equal((await browser.get(`/admin/webhooks/${id}`)).statusCode, 404);
    });
  },
  { env: { WEBHOOK_ALLOW_HOSTS: `127.0.0.1:${receiver.port}` } },
);
