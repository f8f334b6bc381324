import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import type { Browser } from "../../test/helpers/browser.ts";
import { makeAdmin } from "../../test/helpers/factories.ts";
import { decodeEntities } from "../../test/helpers/html.ts";
import { describeEachDatabase, type World } from "../../test/helpers/world.ts";
import * as teams from "../teams/teams.service.ts";

const unique = () => randomBytes(4).toString("hex");

/** An admin whose saved language is French. */
async function frenchAdmin(world: World) {
  const user = await makeAdmin(world.deps);
  const browser: Browser = await world.signedIn(user);
  await browser.post("/language", { locale: "fr", back: "/admin/sla" }, { csrfFrom: "/account" });
  return { user, browser };
}

describeEachDatabase("the SLA pages in the reader's language", (world) => {
  test("a French admin gets the SLA page in French: calendars, targets, teams' and conditions' policies", async () => {
    const { deps } = world();
    const { user, browser } = await frenchAdmin(world());
    const team = await teams.createTeam(deps, user, { name: `Presse ${unique()}` });
    const name = `Press ${unique()}`;
    const saved = await browser.post("/admin/sla/conditions", {
      name,
      match: "any",
      "conditions.0.field": "requester_domain",
      "conditions.0.op": "is",
      "conditions.0.value": "press.example",
      "conditions.1.field": "subject",
      "conditions.1.op": "contains",
      "conditions.1.value": "interview",
    });
    assert.equal(saved.statusCode, 303);

    const page = await browser.get("/admin/sla");
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<html lang="fr" dir="ltr">/);
    const text = decodeEntities(page.body);
    assert.match(text, /<h1>Niveaux de service<\/h1>/);
    assert.match(text, /<th scope="col">Fuseau horaire<\/th>/);
    assert.match(text, /<td>Par défaut<\/td>/);
    assert.match(text, /<h2>Objectifs par priorité<\/h2>/);
    assert.match(text, /<h3>Haute<\/h3>/);
    assert.match(text, /<option value="minutes"[^>]*>minutes<\/option>/);
    assert.match(text, /<button type="submit">Enregistrer la politique haute<\/button>/);
    assert.match(text, new RegExp(`<h3 id="sla-team-${team.id}">${team.name}</h3>`));
    assert.match(
      text,
      /Elle n’a pas de politique propre : les politiques générales s’appliquent\./,
    );
    assert.match(
      text,
      /Tickets pour lesquels le domaine du demandeur est press\.example ou l’objet contient interview\./,
    );
    assert.match(text, new RegExp(`<summary>Ajouter une politique pour ${name}</summary>`));
    assert.doesNotMatch(
      text,
      /Service levels|Targets by priority|Save high policy|Business hours|Tickets where|Add a policy/,
    );
  });

  test("the French calendar form names the weekdays as French does, and a refusal keeps the French labels", async () => {
    const { browser } = await frenchAdmin(world());
    const form = await browser.get("/admin/sla/calendars/new");
    assert.equal(form.statusCode, 200);
    const text = decodeEntities(form.body);
    assert.match(text, /<h1>Nouveau calendrier<\/h1>/);
    assert.match(text, /<label for="field-hours1">lundi<\/label>/);
    assert.match(text, /<label for="field-hours7">dimanche<\/label>/);
    assert.match(text, /<legend>Heures de travail<\/legend>/);
    assert.match(text, /<label for="field-holidays">Jours fériés<\/label>/);
    assert.match(text, /list="field-timeZone-zones"/, "the shared time zone box");
    assert.match(text, /<option value="Europe\/Paris"/);
    assert.doesNotMatch(text, /Monday|Sunday|Working hours|Holidays|Save calendar/);

    const refused = await browser.post("/admin/sla/calendars", {
      name: `Paris ${unique()}`,
      timeZone: "Mars/Base",
      hours1: "9 to 5",
    });
    assert.equal(refused.statusCode, 422);
    const shown = decodeEntities(refused.body);
    assert.match(shown, /Veuillez corriger les champs signalés ci-dessous\./);
    assert.match(shown, /<p class="error" id="field-hours1-error">lundi /);
    assert.match(shown, /<p class="error" id="field-timeZone-error">Fuseau horaire /);
    assert.match(shown, /value="Mars\/Base"/, "what was typed stays");

    const admin = await world().signedIn(await makeAdmin(world().deps));
    const englishForm = decodeEntities((await admin.get("/admin/sla/calendars/new")).body);
    assert.match(englishForm, /<label for="field-hours1">Monday<\/label>/);
  });
});
