import assert from "node:assert/strict";
import { test } from "node:test";
import { makeAdmin, makeCustomer, makeTicket } from "../../test/helpers/factories.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";

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
      assert.match(refused.body, /id="field-eventTypes-error">Ereignisse: /);

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
  },
  { env: { WEBHOOK_ALLOW_HOSTS: "127.0.0.1:9" } },
);
