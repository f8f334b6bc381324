import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "node:test";
import { eq } from "drizzle-orm";
import type { Browser } from "../../test/helpers/browser.ts";
import { makeAdmin, makeCustomer, makeTicket } from "../../test/helpers/factories.ts";
import { decodeEntities } from "../../test/helpers/html.ts";
import { describeEachDatabase, type World } from "../../test/helpers/world.ts";
import { rules } from "../db/schema/index.ts";
import { BUILT_IN_RULE_NAMES } from "../i18n/built-in-rules.ts";
import { translator } from "../i18n/i18n.ts";
import { Invalid } from "../lib/errors.ts";
import { oneOfProblem } from "./condition-form.ts";
import { createRule } from "./rules.service.ts";
import { action, ruleForm, tag } from "./test-support.ts";
import { problemText } from "./views/rules.tsx";

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

  test("a refused rule comes back in German: every problem a whole German sentence, lists joined the German way", async () => {
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
      "conditions.1.field": "status",
      "conditions.1.op": "contains",
      "conditions.1.value": "open",
      "conditions.2.field": "priority",
      "conditions.2.op": "is",
      "conditions.2.value": "urgentish",
      "conditions.3.field": "colour",
      "conditions.3.op": "is",
      "conditions.3.value": "red",
      "conditions.4.field": "subject",
      "conditions.4.op": "contains",
      "conditions.4.value": "",
      "actions.0.type": "explode",
      "actions.1.type": "set_status",
      "actions.1.value": "new",
      "actions.2.type": "add_note",
      "actions.2.body": "Hi {{customer.name}}, see {{ticket.colour}}",
      "actions.3.type": "send_mail",
      "actions.3.to": "address",
      "actions.3.address": "nobody@",
      "actions.3.subject": "Hi",
      "actions.3.body": "Hello",
      "actions.4.type": "send_mail",
      "actions.4.subject": "Hi",
      "actions.4.body": "Hello",
    });
    assert.equal(refused.statusCode, 422);
    const body = decodeEntities(refused.body);
    const errorOf = (field: string) =>
      new RegExp(
        `<p class="error" id="field-${field.replaceAll(".", "\\.")}-error">([^<]*)</p>`,
      ).exec(body)?.[1];
    assert.match(body, /Bitte korrigieren Sie die unten markierten Felder\./);
    assert.equal(errorOf("conditions.0.value"), "Wert muss eine Domain wie example.com sein");
    assert.equal(
      errorOf("conditions.1.op"),
      "Operator muss einer dieser Werte sein: ist oder ist nicht",
      "the operators by the names the select offers, joined with „oder“",
    );
    assert.equal(
      errorOf("conditions.2.value"),
      "Wert muss einer dieser Werte sein: low, normal, high oder urgent",
      "typed values as they are typed",
    );
    assert.equal(
      errorOf("conditions.3.field"),
      "Feld ist keine Bedingung, die hier geprüft werden kann",
    );
    assert.equal(errorOf("conditions.4.value"), "Wert braucht Text (höchstens 500 Zeichen)");
    assert.equal(
      errorOf("actions.0.type"),
      "Aktion muss einer dieser Werte sein: Status setzen, Priorität setzen, Bearbeiter setzen, Team setzen, Interne Notiz hinzufügen, E-Mail senden, Tag hinzufügen, Tag entfernen oder Eigenes Feld setzen",
    );
    assert.equal(
      errorOf("actions.1.value"),
      "Status, Priorität, Bearbeiter oder Team muss einer dieser Werte sein: open, pending, solved oder closed",
    );
    assert.equal(
      errorOf("actions.2.body"),
      "Text der Notiz oder E-Mail verwendet unbekannte Platzhalter: {{customer.name}} und {{ticket.colour}} (bekannt: {{ticket.id}}, {{ticket.title}}, {{ticket.status}}, {{ticket.priority}}, {{ticket.url}}, {{requester.name}}, {{requester.email}} und {{agent.name}})",
    );
    assert.equal(errorOf("actions.3.address"), "Adresse muss eine E-Mail-Adresse sein");
    assert.equal(errorOf("actions.4.to"), "E-Mail an muss angeben, wer die E-Mail erhält");
    assert.doesNotMatch(
      body,
      /Please correct|must be|one of:|needs text|is not a condition|unknown placeholders|who gets the mail/,
    );
    assert.match(body, /<input id="field-conditions\.0\.value" [^>]*value="not a domain"/);
    assert.deepEqual(await world().deps.db.select().from(rules).where(eq(rules.name, name)), []);
  });

  test("the service's problems keep the English words, for everything that is not a page", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const form = {
      kind: "trigger",
      name: `English ${tag()}`,
      enabled: true,
      event: "ticket_created",
      clock: "",
      hours: "",
      match: "all",
      conditions: [{ field: "status", op: "contains", value: "open" }],
      actions: [{ type: "explode", value: "", to: "", address: "", subject: "", body: "" }],
    };
    const refused = await createRule(deps, admin, form).catch((error: unknown) => error);
    assert.ok(refused instanceof Invalid);
    assert.deepEqual(
      refused.errors.map(({ field, message }) => ({ field, message })),
      [
        { field: "conditions.0.op", message: "must be one of: is, is_not" },
        {
          field: "actions.0.type",
          message:
            "must be one of: set_status, set_priority, set_assignee, set_team, add_note, send_mail, add_tag, remove_tag, set_field",
        },
      ],
    );
  });

  test("a forged enable or move button gets a German error page, the field named as the page names it", async () => {
    const { deps } = world();
    const admin = await germanAdmin(world());
    const saved = await createRule(
      deps,
      await makeAdmin(deps),
      ruleForm({
        name: `Forged ${tag()}`,
        actions: [action({ type: "set_priority", value: "high" })],
      }),
    );
    const enabled = await admin.post(
      `/admin/rules/${saved.id}/enabled`,
      { enabled: "maybe" },
      { csrfFrom: "/admin/rules" },
    );
    assert.equal(enabled.statusCode, 400);
    assert.match(
      decodeEntities(enabled.body),
      /<p>Einige Felder müssen korrigiert werden\. Aktiv muss einer dieser Werte sein: true, false\.<\/p>/,
    );
    const moved = await admin.post(
      `/admin/rules/${saved.id}/move`,
      { direction: "sideways" },
      { csrfFrom: "/admin/rules" },
    );
    assert.equal(moved.statusCode, 400);
    assert.match(
      decodeEntities(moved.body),
      /<p>Einige Felder müssen korrigiert werden\. Richtung muss einer dieser Werte sein: up, down\.<\/p>/,
    );
  });

  test("the built-in rules show in the reader's language until renamed; saving one unrenamed keeps it built-in", async () => {
    const { deps } = world();
    const german = await germanAdmin(world());
    const english = await world().signedIn(await makeAdmin(deps));
    const builtIn = "Close solved tickets after 4 days without activity";
    const [rule] = await deps.db.select().from(rules).where(eq(rules.name, builtIn));
    assert.ok(rule, "migration 0005 seeds it");

    const list = decodeEntities((await german.get("/admin/rules")).body);
    assert.match(
      list,
      new RegExp(
        `<a href="/admin/rules/${rule.id}">Gelöste Tickets nach 4 Tagen ohne Aktivität schließen</a>`,
      ),
    );
    assert.match(list, /Kunden nach 3 Tagen an ein wartendes Ticket erinnern/);
    assert.match(list, /Wartende Tickets 7 Tage nach der Erinnerung lösen/);
    assert.doesNotMatch(list, /Close solved tickets|Remind the customer|Solve pending tickets/);
    assert.match(
      decodeEntities((await english.get("/admin/rules")).body),
      new RegExp(`<a href="/admin/rules/${rule.id}">${builtIn}</a>`),
    );

    const edit = decodeEntities((await german.get(`/admin/rules/${rule.id}`)).body);
    assert.match(
      edit,
      /<input id="field-name" name="name" value="Gelöste Tickets nach 4 Tagen ohne Aktivität schließen"/,
    );
    const fields = {
      name: "Gelöste Tickets nach 4 Tagen ohne Aktivität schließen",
      enabled: "true",
      clock: "updated",
      hours: "96",
      match: "all",
      "conditions.0.field": "status",
      "conditions.0.op": "is",
      "conditions.0.value": "solved",
      "actions.0.type": "set_status",
      "actions.0.value": "closed",
    };
    const saved = await german.post(`/admin/rules/${rule.id}`, fields);
    assert.equal(saved.statusCode, 303);
    const stored = async () =>
      (await deps.db.select().from(rules).where(eq(rules.id, rule.id)))[0]?.name;
    assert.equal(await stored(), builtIn, "saved unrenamed: still the built-in");

    const renamed = await german.post(`/admin/rules/${rule.id}`, {
      ...fields,
      name: "Gelöste Tickets schließen",
    });
    assert.equal(renamed.statusCode, 303);
    assert.equal(await stored(), "Gelöste Tickets schließen");
    assert.match(
      decodeEntities((await english.get("/admin/rules")).body),
      new RegExp(`<a href="/admin/rules/${rule.id}">Gelöste Tickets schließen</a>`),
      "a renamed rule shows as the admin typed it, to everyone",
    );

    // Named as built in again (in English): built-in again, German to a German reader.
    await english.post(`/admin/rules/${rule.id}`, { ...fields, name: builtIn });
    assert.equal(await stored(), builtIn);
    assert.match(
      decodeEntities((await german.get("/admin/rules")).body),
      /Gelöste Tickets nach 4 Tagen ohne Aktivität schließen/,
    );
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

test("the built-in rules' English catalog names are the names migration 0005 stores", async () => {
  const sql = await readFile(new URL("../../migrations/0005_rules.sql", import.meta.url), "utf8");
  const seeded = [...sql.matchAll(/\('automation', '([^']+)'/g)].map((m) => m[1]);
  assert.deepEqual(seeded, BUILT_IN_RULE_NAMES);
});

test("in French, a select's choices are named as the select offers them and joined the French way", () => {
  const error = oneOfProblem("conditions.0.op", ["is", "is_not"]);
  assert.equal(error.message, "must be one of: is, is_not");
  const fr = translator("fr", "Europe/Paris");
  assert.equal(
    problemText(error, "Opérateur", fr, {
      is: fr.t("rules.op.is"),
      is_not: fr.t("rules.op.isNot"),
    }),
    "Le champ Opérateur doit valoir l’une de ces valeurs : est ou n’est pas",
  );
  assert.equal(
    problemText(oneOfProblem("conditions.0.value", ["low", "high", "urgent"]), "Valeur", fr),
    "Le champ Valeur doit valoir l’une de ces valeurs : low, high ou urgent",
  );
});
