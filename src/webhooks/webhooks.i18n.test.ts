import assert from "node:assert/strict";
import { test } from "node:test";
import { inArray } from "drizzle-orm";
import { apiAs } from "../../test/helpers/api.ts";
import { makeAdmin, makeCustomer, makeTicket } from "../../test/helpers/factories.ts";
import { decodeEntities } from "../../test/helpers/html.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { webhookDeliveries, webhookEndpoints } from "../db/schema/index.ts";
import { ENDPOINTS_MAX } from "./webhooks.schemas.ts";
import { createEndpoint } from "./webhooks.service.ts";

const lang = (body: string) => /<html lang="([^"]+)"/.exec(body)?.[1];
const HOOK = "http://127.0.0.1:9/hook";

describeEachDatabase(
  "the webhook pages in the reader's language",
  (world) => {
    test("an admin whose saved language is German manages webhooks in German; URLs and event names stay as they are", async () => {
      const { deps } = world();
      const admin = await world().signedIn(await makeAdmin(deps));
      await admin.post(
        "/account/language",
        { locale: "de", timeZone: "Europe/Berlin" },
        { csrfFrom: "/account" },
      );

      const list = await admin.get("/admin/webhooks", { "accept-language": "en" });
      assert.equal(list.statusCode, 200);
      assert.equal(lang(list.body), "de");
      assert.match(list.body, /<h2>Neuer Endpunkt<\/h2>/);
      assert.match(list.body, /<legend>Ereignisse<\/legend>/);
      assert.match(
        list.body,
        /<code>ticket\.solved<\/code> Ein Ticket wurde als gelöst markiert\./,
      );
      assert.match(
        list.body,
        /<button type="submit" class="primary">Endpunkt hinzufügen<\/button>/,
      );
      assert.match(
        list.body,
        /signiertes JSON \(<a href="https:\/\/www\.standardwebhooks\.com\/">Standard Webhooks<\/a>\)/,
      );
      assert.doesNotMatch(
        list.body,
        /New endpoint|Add endpoint|Description|A ticket was marked solved/,
      );

      const refused = await admin.post(
        "/admin/webhooks",
        { url: HOOK, enabled: "true" },
        { csrfFrom: "/admin/webhooks" },
      );
      assert.equal(refused.statusCode, 422);
      assert.match(
        refused.body,
        /<p class="error" id="field-eventTypes-error">Ereignisse: Wählen Sie mindestens eines aus<\/p>/,
      );
      const badUrl = await admin.post(
        "/admin/webhooks",
        { url: "ftp://example.com/hook", eventTypes: "ticket.created", enabled: "true" },
        { csrfFrom: "/admin/webhooks" },
      );
      assert.equal(badUrl.statusCode, 422);
      assert.match(
        badUrl.body,
        /<p class="error" id="field-url-error">URL muss mit https:\/\/ oder http:\/\/ beginnen<\/p>/,
      );
      assert.doesNotMatch(`${refused.body}${badUrl.body}`, /must |choose at least/);

      const added = await admin.post(
        "/admin/webhooks",
        { url: HOOK, eventTypes: "ticket.created", enabled: "true" },
        { csrfFrom: "/admin/webhooks" },
      );
      assert.equal(added.statusCode, 201);
      const id = Number(/href="\/admin\/webhooks\/(\d+)"/.exec(added.body)?.[1]);
      assert.ok(id > 0);
      assert.match(
        added.body,
        new RegExp(
          `Endpunkt <a href="/admin/webhooks/${id}">http://127\\.0\\.0\\.1:9/hook</a> hinzugefügt\\.`,
        ),
      );
      assert.match(added.body, /Kopieren Sie es jetzt: Es wird nicht erneut angezeigt\./);
      assert.match(added.body, /<td>Aktiviert<\/td>/);
      const api = await apiAs(world(), await makeAdmin(deps));
      await api.patch(`/webhooks/${id}`, { eventTypes: ["ticket.created", "ticket.solved"] });
      assert.match(
        (await admin.get("/admin/webhooks")).body,
        /<td>ticket\.created und ticket\.solved<\/td>/,
        "event names as they are, listed the German way",
      );

      await makeTicket(deps, await makeCustomer(deps));
      const page = await admin.get(`/admin/webhooks/${id}`);
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /<title>Webhook http:\/\/127\.0\.0\.1:9\/hook/);
      assert.match(page.body, /<h2>Signaturgeheimnis<\/h2>/);
      assert.match(page.body, /Ein einziges Geheimnis signiert jede Zustellung\./);
      assert.match(page.body, /<button type="submit">Geheimnis erneuern<\/button>/);
      assert.match(
        page.body,
        /<caption class="visually-hidden">Zustellungen, neueste zuerst<\/caption>/,
      );
      assert.match(page.body, /<th scope="col">Letzter Versuch<\/th>/);
      assert.match(page.body, /Ausstehend/);
      assert.match(page.body, /<code>ticket\.created<\/code>/);
      assert.doesNotMatch(
        page.body,
        /Signing secret|Rotate secret|Deliveries|Last attempt|Pending|Not yet/,
      );
    });

    test("the API answers a German admin's bad input in English, as before: no catalog words in its JSON", async () => {
      const api = await apiAs(world(), await makeAdmin(world().deps));
      const noEvents = await api.post(
        "/webhooks",
        { url: HOOK, eventTypes: [] },
        { "accept-language": "de" },
      );
      assert.equal(noEvents.status, 400);
      assert.deepEqual(noEvents.body.errors, [
        { field: "eventTypes", message: "must not have fewer than 1 items" },
      ]);
      const badUrl = await api.post(
        "/webhooks",
        { url: "ftp://example.com/hook", eventTypes: ["ticket.created"] },
        { "accept-language": "de" },
      );
      assert.deepEqual(badUrl.body.errors, [
        { field: "url", message: "must start with https:// or http://" },
      ]);
    });

    test("a German admin adding one endpoint too many is told so in German on the form, the URL kept", async () => {
      const { deps } = world();
      const admin = await world().signedIn(await makeAdmin(deps));
      await admin.post(
        "/language",
        { locale: "de", back: "/admin/webhooks" },
        { csrfFrom: "/account" },
      );
      const existing = (await deps.db.select().from(webhookEndpoints)).length;
      const filler = await deps.db
        .insert(webhookEndpoints)
        .values(
          Array.from({ length: ENDPOINTS_MAX - existing }, (_, i) => ({
            url: `http://127.0.0.1:9/filler-${i}`,
            eventTypes: ["ticket.created"],
            enabled: false,
            secret: `whsec_filler${i}`,
          })),
        )
        .returning({ id: webhookEndpoints.id });
      try {
        const refused = await admin.post(
          "/admin/webhooks",
          { url: `${HOOK}/one-more`, eventTypes: "ticket.created", enabled: "true" },
          { csrfFrom: "/admin/webhooks" },
        );
        assert.equal(refused.statusCode, 409);
        assert.match(
          refused.body,
          /<div class="form-errors" role="alert" tabindex="-1"><p>Höchstens 50 Webhook-Endpunkte; löschen Sie einen, den Sie nicht mehr verwenden\.<\/p><\/div>/,
        );
        assert.match(refused.body, /value="http:\/\/127\.0\.0\.1:9\/hook\/one-more"/);
        assert.doesNotMatch(refused.body, /At most|delete one/);

        const api = await apiAs(world(), await makeAdmin(deps));
        const viaApi = await api.post("/webhooks", { url: HOOK, eventTypes: ["ticket.created"] });
        assert.equal(viaApi.status, 409);
        assert.equal(
          viaApi.body.detail,
          "At most 50 webhook endpoints; delete one you no longer use.",
        );
      } finally {
        await deps.db.delete(webhookEndpoints).where(
          inArray(
            webhookEndpoints.id,
            filler.map((f) => f.id),
          ),
        );
      }
    });

    test("why a delivery failed is said in German in the worker's own words; the network's stay as they came; English as stored", async () => {
      const { deps } = world();
      const user = await makeAdmin(deps);
      const { endpoint } = await createEndpoint(deps, user, {
        url: `${HOOK}/failures`,
        eventTypes: ["ticket.created"],
      });
      const stored = [
        "answered 503",
        "no answer within 10 s",
        "gave up",
        "could not resolve hooks.example.test: getaddrinfo ENOTFOUND hooks.example.test",
        "connect ECONNREFUSED 127.0.0.1:9",
      ];
      await deps.db.insert(webhookDeliveries).values(
        stored.map((lastError, i) => ({
          endpointId: endpoint.id,
          webhookId: `msg_i18n_${endpoint.id}_${i}`,
          eventType: "ticket.created",
          body: "{}",
          status: "failed" as const,
          lastError,
        })),
      );
      const german = await world().signedIn(user);
      await german.post(
        "/account/language",
        { locale: "de", timeZone: "" },
        { csrfFrom: "/account" },
      );
      const page = decodeEntities((await german.get(`/admin/webhooks/${endpoint.id}`)).body);
      for (const sentence of [
        "<div>antwortete mit 503</div>",
        "<div>keine Antwort innerhalb von 10 s</div>",
        "<div>aufgegeben</div>",
        "<div>hooks.example.test ließ sich nicht auflösen: getaddrinfo ENOTFOUND hooks.example.test</div>",
        "<div>connect ECONNREFUSED 127.0.0.1:9</div>",
      ]) {
        assert.ok(page.includes(sentence), sentence);
      }
      const english = await world().signedIn(await makeAdmin(deps));
      const englishPage = decodeEntities(
        (await english.get(`/admin/webhooks/${endpoint.id}`)).body,
      );
      for (const lastError of stored)
        assert.ok(englishPage.includes(`<div>${lastError}</div>`), lastError);
      await deps.db.delete(webhookEndpoints).where(inArray(webhookEndpoints.id, [endpoint.id]));
    });
  },
  { env: { WEBHOOK_ALLOW_HOSTS: "127.0.0.1:9" } },
);
