import assert from "node:assert/strict";
import { test } from "node:test";
import { makeAdmin, makeAgent, makeCustomer, makeTicket } from "../../test/helpers/factories.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { findUserByEmail } from "../accounts/accounts.repo.ts";

const lang = (body: string) => /<html lang="([^"]+)"/.exec(body)?.[1];

describeEachDatabase("pages in the reader's language and time zone", (world) => {
  test("a browser asking for German gets the German sign-in page", async () => {
    const page = await world()
      .browser()
      .get("/login", { "accept-language": "de-DE,de;q=0.9,en;q=0.5" });
    assert.equal(page.statusCode, 200);
    assert.equal(lang(page.body), "de");
    assert.match(page.body, /<h1>Anmelden<\/h1>/);
    assert.match(page.body, /Passwort vergessen\?/);
    assert.match(page.body, /Noch kein Konto\? <a href="\/signup">Registrieren<\/a>/);
  });

  test("without a match in Accept-Language, pages stay English", async () => {
    const page = await world().browser().get("/login", { "accept-language": "ja" });
    assert.equal(lang(page.body), "en");
    assert.match(page.body, /<h1>Sign in<\/h1>/);
  });

  test("the Arabic pages read right to left", async () => {
    const page = await world().browser().get("/signup", { "accept-language": "ar" });
    assert.match(page.body, /<html lang="ar" dir="rtl">/);
    assert.match(page.body, /أنشئ حسابك/);
    const english = await world().browser().get("/signup");
    assert.match(english.body, /<html lang="en" dir="ltr">/);
  });

  test("error pages are in the reader's language", async () => {
    const page = await world().browser().get("/no/such/page", { "accept-language": "fr" });
    assert.equal(page.statusCode, 404);
    assert.match(page.body, /<h1>Introuvable<\/h1>/);
    assert.match(page.body, /Il n’y a rien à cette adresse\./);
    assert.match(page.body, /Erreur 404/);
  });

  test("the switcher works without JavaScript: a form post, a cookie for a visitor, back to the page", async () => {
    const b = world().browser();
    const switched = await b.post(
      "/language",
      { locale: "es", back: "/password/forgot" },
      { csrfFrom: "/login" },
    );
    assert.equal(switched.statusCode, 303);
    assert.equal(switched.headers.location, "/password/forgot");
    const page = await b.get("/password/forgot", { "accept-language": "de" });
    assert.equal(lang(page.body), "es", "the visitor's choice wins over the header");
    assert.match(page.body, /Restablecer su contraseña/);
    assert.match(page.body, /<option value="es" lang="es" selected>Español<\/option>/);
  });

  test("the switcher sends nobody off the site and refuses a language it does not speak", async () => {
    const b = world().browser();
    const away = await b.post(
      "/language",
      { locale: "fr", back: "//evil.example/" },
      { csrfFrom: "/login" },
    );
    assert.equal(away.headers.location, "/");
    const bad = await b.post("/language", { locale: "xx", back: "/login" }, { csrfFrom: "/login" });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /Tessera ne parle pas cette langue/, "in French, chosen above");
    await b.post("/language", { locale: "de", back: "/login" }, { csrfFrom: "/login" });
    const german = await b.post(
      "/language",
      { locale: "xx", back: "/login" },
      { csrfFrom: "/login" },
    );
    assert.equal(german.statusCode, 400);
    assert.equal(lang(german.body), "de");
    assert.match(german.body, /Diese Sprache spricht Tessera nicht/, "in the reader's language");
  });

  test("a signed-in user's saved French wins over a German Accept-Language, and the switcher saves to the account", async () => {
    const { deps } = world();
    const user = await makeCustomer(deps);
    const b = await world().signedIn(user);
    const saved = await b.post(
      "/account/language",
      { locale: "fr", timeZone: "Europe/Paris" },
      { csrfFrom: "/account" },
    );
    assert.equal(saved.statusCode, 303);
    const page = await b.get("/account", { "accept-language": "de" });
    assert.equal(lang(page.body), "fr");
    assert.match(page.body, /Langue et fuseau horaire/);
    assert.match(page.body, /value="Europe\/Paris"/);

    await b.post("/language", { locale: "pt-BR", back: "/account" }, { csrfFrom: "/account" });
    assert.equal((await findUserByEmail(deps.db, user.email))?.locale, "pt-BR");
    assert.equal(lang((await b.get("/account", { "accept-language": "de" })).body), "pt-BR");
  });

  test("an unknown language or time zone is refused with 422 naming the field; what was typed stays and nothing is saved", async () => {
    const { deps } = world();
    const user = await makeCustomer(deps);
    const b = await world().signedIn(user);
    await b.post(
      "/account/language",
      { locale: "de", timeZone: "Europe/Berlin" },
      { csrfFrom: "/account" },
    );
    const refused = await b.post(
      "/account/language",
      { locale: "klingon", timeZone: "Mars/Olympus" },
      { csrfFrom: "/account" },
    );
    assert.equal(refused.statusCode, 422);
    assert.match(refused.body, /id="field-locale-error"/);
    // The page is in the German saved above, the field errors too.
    assert.match(refused.body, /Sprache: Diese Sprache spricht Tessera nicht/);
    assert.match(refused.body, /id="field-timeZone-error"/);
    assert.match(refused.body, /Zeitzone ist keine IANA-Zeitzone \(etwa Europe\/Paris\)/);
    assert.doesNotMatch(refused.body, /is not a language Tessera speaks|is not an IANA time zone/);
    assert.match(refused.body, /value="Mars\/Olympus"/, "the zone typed is shown again");
    const row = await findUserByEmail(deps.db, user.email);
    assert.equal(row?.locale, "de");
    assert.equal(row?.timeZone, "Europe/Berlin");
  });

  test("times are shown in the user's own time zone", async () => {
    const { deps } = world();
    const user = await makeCustomer(deps);
    const b = await world().signedIn(user);
    const utc = await b.get("/account/sessions");
    assert.match(utc.body, /<time datetime="[^"]+" title="[^"]+ UTC">/);
    await b.post(
      "/account/language",
      { locale: "", timeZone: "Asia/Tokyo" },
      { csrfFrom: "/account" },
    );
    const tokyo = await b.get("/account/sessions");
    assert.match(tokyo.body, /<time datetime="[^"]+" title="[^"]+ GMT\+9">/);
  });

  test("the instance default language and zone are an admin setting, validated, used for readers without their own", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const b = await world().signedIn(admin);
    const form = { signupEnabled: "on", ticketLinks: "open" };
    const refused = await b.post(
      "/admin/settings",
      { ...form, defaultLocale: "de", defaultTimeZone: "Nowhere/Land" },
      { csrfFrom: "/admin/users" },
    );
    assert.equal(refused.statusCode, 422);
    assert.match(
      refused.body,
      /<p class="error" id="field-defaultTimeZone-error">Default time zone is not an IANA time zone/,
      "at the field",
    );
    assert.match(
      refused.body,
      /aria-invalid="true" [^>]*value="Nowhere\/Land"/,
      "what was typed stays",
    );
    assert.match(refused.body, /<option value="de" lang="de" selected>/);
    const saved = await b.post(
      "/admin/settings",
      { ...form, defaultLocale: "de", defaultTimeZone: "Europe/Berlin" },
      { csrfFrom: "/admin/users" },
    );
    assert.equal(saved.statusCode, 303);
    const visitor = await world().browser().get("/login");
    assert.equal(lang(visitor.body), "de", "no Accept-Language: the instance default");
    const english = await world().browser().get("/login", { "accept-language": "en" });
    assert.equal(lang(english.body), "en", "the browser's language still comes first");
    await b.post(
      "/admin/settings",
      { ...form, defaultLocale: "en", defaultTimeZone: "UTC" },
      { csrfFrom: "/admin/users" },
    );
  });

  test("a German reader gets their tickets and the new-ticket form in German; the ticket's own words stay as written", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    await makeTicket(deps, customer, { title: "Printer on fire" });
    const b = await world().signedIn(customer);
    const de = { "accept-language": "de" };
    const mine = await b.get("/tickets", de);
    assert.equal(mine.statusCode, 200);
    assert.equal(lang(mine.body), "de");
    assert.match(mine.body, /<h1>Meine Tickets<\/h1>/);
    assert.match(mine.body, /Letzte Aktivität/);
    assert.match(mine.body, /<span class="badge status-new">Neu<\/span>/);
    assert.match(mine.body, /Printer on fire/);
    assert.doesNotMatch(mine.body, /My tickets|Last activity|New ticket/);

    const form = await b.get("/tickets/new", de);
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /<h1>Ticket eröffnen<\/h1>/);
    assert.match(form.body, /Betreff/);
    assert.match(form.body, /<option value="urgent">Dringend<\/option>/);
    assert.match(form.body, /Bis zu \d+ Dateien, je \d+ MB\./);
    assert.match(form.body, /Ticket absenden/);
    assert.doesNotMatch(form.body, /Subject|Description|Submit ticket|Attachments/);
  });

  test("what the script writes into a page, and its offer of the browser's zone, are in the reader's language", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    const b = await world().signedIn(customer);
    const page = await b.get("/account", { "accept-language": "de" });
    const messages = /<div id="client-messages" hidden data-messages="([^"]*)"/.exec(
      page.body,
    )?.[1];
    assert.ok(messages, "the page carries the script's words");
    const parsed = JSON.parse(messages.replace(/&quot;/g, '"').replace(/&amp;/g, "&"));
    assert.equal(parsed.newMessage, "Neue Nachricht.");
    assert.equal(parsed.typing, "(schreibt eine Antwort)");
    assert.match(
      page.body,
      /<p class="browser-zone" hidden><button type="button" class="link" data-browser-zone-for="field-timeZone">Die Zeitzone dieses Browsers verwenden: <span data-browser-zone="true"><\/span><\/button><\/p>/,
    );
  });

  test("notices after an action are in the reader's language; an unknown notice shows nothing", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    const b = await world().signedIn(customer);
    const created = await b.get("/tickets?notice=created", { "accept-language": "es" });
    assert.match(created.body, /Ticket creado\./);
    assert.doesNotMatch(created.body, /Ticket created\./);
    const english = await b.get("/tickets?notice=created");
    assert.match(english.body, /Ticket created\./);
    const unknown = await b.get("/tickets?notice=hasOwnProperty", { "accept-language": "es" });
    assert.equal(unknown.statusCode, 200);
    assert.doesNotMatch(unknown.body, /class="notice"/);
  });

  test("an agent whose saved language is French gets the desk in French; ticket titles stay as written, escaped", async () => {
    const { deps } = world();
    const agent = await makeAgent(deps);
    const customer = await makeCustomer(deps, { name: "Zoë <Client>" });
    await makeTicket(deps, customer, { title: "Imprimante <b>en feu</b>" });
    const b = await world().signedIn(agent);
    await b.post(
      "/account/language",
      { locale: "fr", timeZone: "Europe/Paris" },
      { csrfFrom: "/account" },
    );
    const page = await b.get("/desk", { "accept-language": "en" });
    assert.equal(page.statusCode, 200);
    assert.equal(lang(page.body), "fr");
    assert.match(page.body, /<h1 id="desk-heading">Non assignés<\/h1>/);
    assert.match(page.body, /<title>Non assignés · Bureau/);
    assert.match(page.body, /<span class="queue-label">Résolus et fermés<\/span>/);
    assert.match(page.body, /<th scope="col">Demandeur<\/th>/);
    assert.match(page.body, /<option value="-priority">Plus urgents d’abord<\/option>/);
    assert.match(page.body, /<button type="submit">Appliquer les filtres<\/button>/);
    assert.match(page.body, /<span class="badge status-new">Nouveau<\/span>/);
    assert.match(page.body, /Imprimante &lt;b(&gt;|>)en feu/);
    assert.doesNotMatch(page.body, /<b>en feu/);
    assert.match(page.body, /Zoë &lt;Client(&gt;|>)/);
    assert.doesNotMatch(page.body, /Apply filters|Requester|Unassigned|Most urgent first/);

    const empty = await b.get("/desk?queue=pending&q=nothing-like-this");
    assert.match(empty.body, /Aucun ticket ne correspond à ces filtres\./);
  });
});
