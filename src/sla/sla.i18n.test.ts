import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { and, desc, eq, sql } from "drizzle-orm";
import type { Browser } from "../../test/helpers/browser.ts";
import { makeAdmin, makeAgent, makeCustomer } from "../../test/helpers/factories.ts";
import { decodeEntities } from "../../test/helpers/html.ts";
import { describeEachDatabase, type World } from "../../test/helpers/world.ts";
import { outbox, users } from "../db/schema/index.ts";
import { queueRuleMail } from "../email/outbox.service.ts";
import type { Locale } from "../i18n/i18n.ts";
import { getLanguageDefaults, setLanguageDefaults } from "../settings/settings.service.ts";
import * as teams from "../teams/teams.service.ts";
import * as tickets from "../tickets/tickets.service.ts";
import { runSlaNotifications } from "./scheduler.ts";
import * as sla from "./sla.service.ts";

const unique = () => randomBytes(4).toString("hex");

/** An admin whose saved language is `locale` (French unless told). */
async function frenchAdmin(world: World, locale: Locale = "fr") {
  const user = await makeAdmin(world.deps);
  const browser: Browser = await world.signedIn(user);
  await browser.post("/language", { locale, back: "/admin/sla" }, { csrfFrom: "/account" });
  return { user, browser };
}

async function setLocale(world: World, userId: number, locale: Locale, timeZone?: string) {
  await world.deps.db
    .update(users)
    .set({ locale, timeZone: timeZone ?? null })
    .where(eq(users.id, userId));
}

/** The newest rule mail (SLA notices are ones) about `ticketId` queued to `address`. */
async function lastMail(world: World, ticketId: number, address: string) {
  const [row] = await world.deps.db
    .select()
    .from(outbox)
    .where(
      and(
        sql`lower(${outbox.toAddress}) = lower(${address})`,
        eq(outbox.kind, "rule"),
        eq(outbox.ticketId, ticketId),
      ),
    )
    .orderBy(desc(outbox.id))
    .limit(1);
  assert.ok(row, `a mail to ${address}`);
  return row;
}

/** Whether the page shows `html` exactly (entities decoded). */
function shows(body: string, html: string): void {
  assert.ok(decodeEntities(body).includes(html), `the page shows ${html}`);
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
      holidays: "24.12.",
    });
    assert.equal(refused.statusCode, 422);
    const shown = decodeEntities(refused.body);
    assert.match(shown, /Veuillez corriger les champs signalés ci-dessous\./);
    assert.ok(
      shown.includes(
        '<p class="error" id="field-hours1-error">Le champ lundi contient « 9 to 5 » : écrivez les plages ainsi : 09:00-12:00, 13:00-17:30</p>',
      ),
    );
    assert.ok(
      shown.includes(
        '<p class="error" id="field-timeZone-error">Le champ Fuseau horaire n’est pas un fuseau horaire IANA (comme Europe/Paris)</p>',
      ),
    );
    assert.ok(
      shown.includes(
        '<p class="error" id="field-holidays-error">Le champ Jours fériés contient « 24.12. » : écrivez 2026-12-24 pour un seul jour ou 12-25 pour chaque année</p>',
      ),
    );
    assert.match(shown, /value="Mars\/Base"/, "what was typed stays");
    assert.doesNotMatch(shown, /write periods|is not a time zone|has "/);

    const admin = await world().signedIn(await makeAdmin(world().deps));
    const englishForm = decodeEntities((await admin.get("/admin/sla/calendars/new")).body);
    assert.match(englishForm, /<label for="field-hours1">Monday<\/label>/);
  });

  test("a German admin's refused calendar names each problem in a whole German sentence", async () => {
    const { browser } = await frenchAdmin(world(), "de");
    const overlapping = await browser.post("/admin/sla/calendars", {
      name: "x".repeat(101),
      timeZone: "Europe/Berlin",
      hours2: "09:00-12:00, 11:00-13:00",
    });
    assert.equal(overlapping.statusCode, 422);
    shows(
      overlapping.body,
      '<p class="error" id="field-name-error">Name darf höchstens 100 Zeichen lang sein</p>',
    );
    shows(
      overlapping.body,
      '<p class="error" id="field-hours2-error">Dienstag hat Zeiträume, die sich überschneiden</p>',
    );

    const empty = await browser.post("/admin/sla/calendars", {
      name: `Berlin ${unique()}`,
      timeZone: "Europe/Berlin",
      holidays: "2027-02-29",
    });
    assert.equal(empty.statusCode, 422);
    shows(
      empty.body,
      '<p class="error" id="field-hours-error">Arbeitszeiten sind leer: Ein Kalender braucht mindestens einen Arbeitszeitraum</p>',
    );
    shows(
      empty.body,
      '<p class="error" id="field-holidays-error">Feiertage enthalten ein Datum, das es nicht gibt</p>',
    );
    for (const body of [overlapping.body, empty.body]) {
      assert.doesNotMatch(decodeEntities(body), /must be|has periods|are empty|does not exist/);
    }
  });

  test("a German admin's refused policy says why in German, its numbers as German writes them", async () => {
    const { browser } = await frenchAdmin(world(), "de");
    const refused = await browser.post("/admin/sla/policies/high", {
      calendarId: "0",
      firstResponse: "-3",
      firstResponseUnit: "minutes",
      warnPercent: "120",
    });
    assert.equal(refused.statusCode, 422);
    shows(
      refused.body,
      '<p class="error" id="field-high-firstResponse-error">Erste Antwort muss eine ganze Zahl von Minuten ab 1 sein (oder von Stunden, bis zu einem Jahr)</p>',
    );
    shows(
      refused.body,
      '<p class="error" id="field-high-calendarId-error">Geschäftszeiten muss ausgewählt werden</p>',
    );
    shows(
      refused.body,
      '<p class="error" id="field-high-warnPercent-error">Warnen bei (% des Ziels verstrichen) muss eine ganze Zahl von 1 bis 99 sein</p>',
    );
    assert.doesNotMatch(decodeEntities(refused.body), /must be/);
  });

  test("a French admin is told in French why a calendar stays and why a move was refused; the service keeps the API's English", async () => {
    const { deps } = world();
    const { user, browser } = await frenchAdmin(world());
    const calendar = await sla.saveCalendar(deps, user, {
      name: `Paris ${unique()}`,
      timeZone: "Europe/Paris",
      hours1: "09:00-17:00",
    });
    const team = await teams.createTeam(deps, user, {
      name: `Lyon ${unique()}`,
      calendarId: calendar.id,
    });
    await sla.savePolicy(
      deps,
      user,
      "high",
      { calendarId: String(calendar.id), firstResponse: "2", firstResponseUnit: "hours" },
      { teamId: team.id, conditionId: null },
    );
    await sla.recomputationsSettled(deps);

    const inUse = await browser.post(`/admin/sla/calendars/${calendar.id}/delete`, {});
    assert.equal(inUse.statusCode, 409);
    shows(
      inUse.body,
      `<p>« ${calendar.name} » est utilisé par l’équipe ${team.name} et la politique haute de l’équipe ${team.name} : choisissez d’abord un autre calendrier à cet endroit.</p>`,
    );
    await assert.rejects(sla.deleteCalendar(deps, user, calendar.id), {
      message: `"${calendar.name}" is in use by team ${team.name}, team ${team.name}'s high policy: choose another calendar there first.`,
    });

    const standard = await sla.defaultCalendar(deps);
    const isDefault = await browser.post(`/admin/sla/calendars/${standard.id}/delete`, {});
    assert.equal(isDefault.statusCode, 409);
    shows(
      isDefault.body,
      `<p>« ${standard.name} » est le calendrier par défaut : choisissez d’abord un autre calendrier par défaut.</p>`,
    );

    const condition = await sla.saveCondition(deps, user, {
      name: `VIP ${unique()}`,
      match: "all",
      conditions: [{ field: "subject", op: "contains", value: "vip" }],
    });
    const move = await browser.post(`/admin/sla/conditions/${condition.id}/move`, {
      direction: "sideways",
    });
    assert.equal(move.statusCode, 400);
    shows(move.body, "Le champ Sens doit valoir l’une de ces valeurs : up, down.");
    for (const body of [inUse.body, isDefault.body, move.body]) {
      assert.doesNotMatch(decodeEntities(body), /is in use|default calendar|must be up/);
    }
  });

  test("an SLA notice reaches each team member and admin in their own language and zone; a bare address gets the instance's", async () => {
    const { deps } = world();
    const before = await getLanguageDefaults(deps.db);
    await setLanguageDefaults(deps.db, { locale: "pt-BR", timeZone: "America/Sao_Paulo" });
    try {
      const admin = await makeAdmin(deps);
      await setLocale(world(), admin.id, "fr", "Europe/Paris");
      const kenji = await makeAgent(deps, { name: "Kenji" });
      await setLocale(world(), kenji.id, "de", "Asia/Tokyo");
      const bia = await makeAgent(deps, { name: "Bia" });
      const team = await teams.createTeam(deps, admin, { name: `Tokio ${unique()}` });
      await teams.addMember(deps, admin, team.id, kenji.email);
      await teams.addMember(deps, admin, team.id, bia.email);
      const calendar = await sla.defaultCalendar(deps);
      const policy = { calendarId: String(calendar.id), firstResponse: "60", warnPercent: "75" };
      await sla.savePolicy(deps, admin, "urgent", policy, { teamId: team.id, conditionId: null });
      // The general low policy: the unassigned ticket without a team goes to the admins.
      await sla.savePolicy(deps, admin, "low", policy);
      await sla.recomputationsSettled(deps);
      const customer = await makeCustomer(deps);
      const forTeam = await tickets.createTicket(deps, admin, {
        title: "Server steht",
        description: "x",
        priority: "urgent",
        teamId: team.id,
      });
      const forAdmins = await tickets.createTicket(deps, customer, {
        title: "Imprimante",
        description: "x",
        priority: "low",
      });
      const now = new Date(Math.max(+forTeam.createdAt, +forAdmins.createdAt) + 50 * 60_000);
      await runSlaNotifications(deps, { now });

      const toKenji = await lastMail(world(), forTeam.id, kenji.email);
      assert.equal(toKenji.headers["Content-Language"], "de");
      assert.equal(
        toKenji.subject,
        `[#${forTeam.id}] SLA bald fällig: Erste Antwort bei #${forTeam.id} Server steht`,
      );
      assert.match(toKenji.textBody, /ist fällig am .+ UTC, also .+ in Asia\/Tokyo\./);

      // No language of her own: the instance's, in its zone.
      const toBia = await lastMail(world(), forTeam.id, bia.email);
      assert.equal(toBia.headers["Content-Language"], "pt-BR");
      assert.equal(
        toBia.subject,
        `[#${forTeam.id}] SLA prestes a vencer: primeira resposta em #${forTeam.id} Server steht`,
      );
      assert.match(toBia.textBody, /, ou seja, .+ em America\/Sao_Paulo\./);

      const toAdmin = await lastMail(world(), forAdmins.id, admin.email);
      assert.equal(toAdmin.headers["Content-Language"], "fr");
      assert.equal(
        toAdmin.subject,
        `[#${forAdmins.id}] Échéance SLA proche : première réponse sur #${forAdmins.id} Imprimante`,
      );
      assert.match(toAdmin.textBody, /Europe\/Paris/);

      // An address written by hand: an account's (in any case) is read in its owner's language.
      const bare = `liste-${unique()}@example.test`;
      await deps.db.transaction(async (tx) => {
        const body = { subject: "Hinweis", text: "x", html: "<p>x</p>" };
        for (const address of [bare, kenji.email.toUpperCase()]) {
          await queueRuleMail(deps, tx, forTeam, { kind: "address", address }, body);
        }
      });
      assert.equal(
        (await lastMail(world(), forTeam.id, bare)).headers["Content-Language"],
        "pt-BR",
      );
      const toKenjiByHand = await lastMail(world(), forTeam.id, kenji.email);
      assert.equal(toKenjiByHand.subject, `[#${forTeam.id}] Hinweis`);
      assert.equal(toKenjiByHand.headers["Content-Language"], "de");
    } finally {
      await setLanguageDefaults(deps.db, before);
    }
  });
});
