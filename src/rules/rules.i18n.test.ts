import assert from "node:assert/strict";
import { test } from "node:test";
import { eq } from "drizzle-orm";
import type { Browser } from "../../test/helpers/browser.ts";
import { makeAdmin, makeCustomer, makeTicket } from "../../test/helpers/factories.ts";
import { decodeEntities } from "../../test/helpers/html.ts";
import { describeEachDatabase, type World } from "../../test/helpers/world.ts";
import { rules } from "../db/schema/index.ts";
import { tag } from "./test-support.ts";

/** An admin whose saved language is German. */
async function germanAdmin(world: World): Promise<Browser> {
  const admin = await world.signedIn(await makeAdmin(world.deps));
  await admin.post("/language", { locale: "de", back: "/admin/rules" }, { csrfFrom: "/account" });
  return admin;
}

describeEachDatabase("the rules pages in the reader's language", (world) => {
  test("a German admin gets the rule editor in German: events, fields, operators, actions and placeholders by name", async () => {
    const admin = await germanAdmin(world());
    const page = await admin.get("/admin/rules/new?kind=trigger");
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<html lang="de" dir="ltr">/);
    const body = decodeEntities(page.body);
    assert.match(body, /<h1>Neuer Auslöser<\/h1>/);
    assert.match(body, /<option value="customer_replied">Kunde antwortet<\/option>/);
    assert.match(body, /<option value="requester_domain">Domain des Anfragenden<\/option>/);
    assert.match(body, /<option value="not_contains">enthält nicht<\/option>/);
    assert.match(body, /<option value="add_note">Interne Notiz hinzufügen<\/option>/);
    assert.match(body, /<option value="all_agents">Alle Agenten<\/option>/);
    assert.match(body, /<option value="any">Eine dieser Bedingungen<\/option>/);
    assert.match(body, /<legend class="visually-hidden">Bedingung 1<\/legend>/);
    assert.match(
      body,
      /Platzhalter in Notizen und E-Mails: <code>\{\{ticket\.id\}\}<\/code> \(Die Ticketnummer\), /,
    );
    assert.match(body, /<button type="submit" class="primary">Regel speichern<\/button>/);
    assert.doesNotMatch(
      body,
      /New trigger|Customer replies|does not contain|Add internal note|All agents|Placeholders|Save rule|Choose\.\.\./,
    );

    const timeRule = decodeEntities((await admin.get("/admin/rules/new?kind=automation")).body);
    assert.match(timeRule, /<h1>Neue Zeitregel<\/h1>/);
    assert.match(timeRule, /<option value="customer_reply">Stunden seit der letzten Antwort/);
    assert.doesNotMatch(timeRule, /Hours since/);
  });

  test("a refused rule comes back in German, the field named in German before the check's own words", async () => {
    const admin = await germanAdmin(world());
    const name = `Refused ${tag()}`;
    const refused = await admin.post("/admin/rules", {
      kind: "trigger",
      name,
      event: "ticket_created",
      match: "all",
      "conditions.0.field": "requester_domain",
      "conditions.0.op": "is",
      "conditions.0.value": "not a domain",
      "actions.0.type": "set_priority",
      "actions.0.value": "urgent",
    });
    assert.equal(refused.statusCode, 422);
    const body = decodeEntities(refused.body);
    assert.match(body, /Bitte korrigieren Sie die unten markierten Felder\./);
    assert.match(body, /<p class="error">Wert /);
    assert.doesNotMatch(body, /Please correct|<p class="error">Value /);
    assert.deepEqual(await world().deps.db.select().from(rules).where(eq(rules.name, name)), []);
  });

  test("the German rules list and preview: kinds, states, clocks and counts in German", async () => {
    const { deps } = world();
    const admin = await germanAdmin(world());
    const customer = await makeCustomer(deps);
    await makeTicket(deps, customer, { title: `Refund ${tag()}` });
    await makeTicket(deps, customer, { title: `Printer ${tag()}` });
    const name = `Refunds ${tag()}`;
    const saved = await admin.post("/admin/rules", {
      kind: "trigger",
      name,
      enabled: "true",
      event: "customer_replied",
      match: "any",
      "conditions.0.field": "subject",
      "conditions.0.op": "contains",
      "conditions.0.value": "refund",
      "actions.0.type": "set_priority",
      "actions.0.value": "high",
    });
    assert.equal(saved.statusCode, 303);
    const list = decodeEntities((await admin.get("/admin/rules")).body);
    assert.match(list, /<h2>Auslöser<\/h2>/);
    assert.match(list, /<h2>Zeitregeln<\/h2>/);
    assert.match(list, /<th scope="col">Reihenfolge<\/th>/);
    assert.match(list, /<td>Wenn: Kunde antwortet<\/td><td>Aktiv<\/td>/);
    assert.match(list, /<td>Stunden seit der letzten Änderung: \d+<\/td>/);
    assert.match(list, new RegExp(`aria-label="${name} nach oben verschieben"`));
    assert.doesNotMatch(list, /Time rules|When: |Enabled|Hours since|Recent problems/);

    const [rule] = await deps.db.select().from(rules).where(eq(rules.name, name));
    assert.ok(rule);
    const preview = decodeEntities((await admin.get(`/admin/rules/${rule.id}/preview`)).body);
    assert.match(preview, new RegExp(`<h1>Vorschau: ${name}</h1>`));
    assert.match(preview, /Hätte auf \d+ der letzten \d+ Tickets zugetroffen\./);
    assert.match(preview, /\((Neu|Offen)\)/, "a matched ticket's status in German");
    assert.doesNotMatch(preview, /Would have matched|Edit rule|Back to rules/);
  });
});
