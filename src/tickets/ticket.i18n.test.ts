import assert from "node:assert/strict";
import { test } from "node:test";
import { h } from "preact";
import { renderToString } from "preact-render-to-string";
import { apiAs } from "../../test/helpers/api.ts";
import { makeAdmin, makeAgent, makeCustomer, makeTicket } from "../../test/helpers/factories.ts";
import { decodeEntities } from "../../test/helpers/html.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { setAway } from "../assignment/assignment.service.ts";
import { translator } from "../i18n/i18n.ts";
import { fieldProblem } from "../lib/errors.ts";
import { defaultCalendar, recomputationsSettled, savePolicy } from "../sla/sla.service.ts";
import { addMember, createTeam } from "../teams/teams.service.ts";
import { CONTENT_MAX } from "./tickets.schemas.ts";
import * as tickets from "./tickets.service.ts";
import { AttachmentsField } from "./views/new-ticket.tsx";

/** The sentence an error page says (its first paragraph), entities decoded. */
const errorPageText = (body: string) =>
  decodeEntities(
    /<section class="error-page"><h1>[^<]*<\/h1><p>([^<]*)<\/p>/.exec(body)?.[1] ?? "",
  );

/** The text of a field's error, by the input's id. */
const fieldErrorOf = (body: string, id: string) =>
  decodeEntities(new RegExp(`<p class="error" id="${id}-error">([^<]*)</p>`).exec(body)?.[1] ?? "");

const lang = (body: string) => /<html lang="([^"]+)" dir="([^"]+)"/.exec(body)?.slice(1, 3);

/** The page's text, tags dropped and spaces collapsed, for sentences that hold markup. */
const text = (html: string) =>
  decodeEntities(html.replace(/<[^>]+>/g, " "))
    .replace(/\s+/g, " ")
    .trim();

describeEachDatabase("the ticket page in the reader's language", (world) => {
  test("an agent whose saved language is German gets the whole ticket page in German, times in their zone; what people wrote stays as written", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const agent = await makeAgent(deps, { name: "Avery Agent" });
    const colleague = await makeAgent(deps, { name: "Cole Colleague" });
    const customer = await makeCustomer(deps, { name: "Cora <Customer>" });
    const calendar = await defaultCalendar(deps);
    await savePolicy(deps, admin, "high", {
      calendarId: String(calendar.id),
      firstResponse: "60",
      firstResponseUnit: "minutes",
      resolution: "",
      resolutionUnit: "minutes",
    });
    await recomputationsSettled(deps);
    const ticket = await makeTicket(deps, customer, {
      title: "Drucker <b>brennt</b>",
      priority: "high",
    });
    await tickets.updateTicket(deps, colleague, ticket.id, {
      status: "open",
      assigneeId: colleague.id,
    });
    await tickets.addCc(deps, colleague, ticket.id, { address: "gina@client.example.org" });
    await tickets.addReply(deps, colleague, ticket.id, {
      content: "Only for us",
      internal: true,
    });

    const b = await world().signedIn(agent);
    await b.post(
      "/account/language",
      { locale: "de", timeZone: "Europe/Berlin" },
      { csrfFrom: "/account" },
    );
    const page = await b.get(`/tickets/${ticket.id}`, { "accept-language": "en" });
    assert.equal(page.statusCode, 200);
    assert.deepEqual(lang(page.body), ["de", "ltr"], "the saved language wins over the header");
    const body = page.body;
    const words = text(body);

    // The head: status, priority, who opened it, who has it.
    assert.match(body, /<span class="badge status-open">Offen<\/span>/);
    assert.match(body, /<span class="badge priority-high">Hoch<\/span>/);
    assert.match(words, /Eröffnet von Cora <Customer> <customer-[^>]+>/);
    assert.match(words, /Zugewiesen an Cole Colleague/);
    assert.match(body, /Drucker &lt;b(&gt;|>)brennt/, "the title is escaped, as written");
    // The conversation and the reply form.
    assert.match(body, /aria-label="Interne Notiz von Cole Colleague"/);
    assert.match(
      body,
      /<span class="tag internal-tag">Interne Notiz, für den Kunden nicht sichtbar<\/span>/,
    );
    assert.match(body, /<h2>Antworten oder Notiz hinzufügen<\/h2>/);
    assert.match(body, /<legend>Senden als<\/legend>/);
    assert.match(words, /Interne Notiz \(nur für das Support-Team, der Kunde sieht sie nie\)/);
    assert.match(
      body,
      /Bis zu \d+ Dateien, je \d+ MB\./,
      "the attachments field gets the page's language",
    );
    assert.match(body, /<button type="submit" class="primary">Senden<\/button>/);
    // The controls.
    assert.match(body, /<label for="control-assignee">Zuständig<\/label>/);
    assert.match(body, /<option value selected>Kein Team<\/option>/);
    assert.match(body, /<option value="pending">Wartend<\/option>/);
    assert.match(body, /<button type="submit">Änderungen speichern<\/button>/);
    assert.match(body, /data-shortcut="assign-me">Mir zuweisen<\/button>/);
    // CCs.
    assert.match(body, /aria-label="gina@client\.example\.org entfernen"/);
    assert.match(body, /<button type="submit">CC hinzufügen<\/button>/);
    // The service level, its due time in the reader's language.
    assert.match(
      words,
      /Servicelevel Erste Antwort Im Plan fällig in (einer Stunde|1 Stunde|\d+ Minuten)/,
    );
    // The trail: whole sentences, names and values inside them.
    assert.match(body, /<h2 id="timeline-heading">Verlauf<\/h2>/);
    assert.match(words, /Cora <Customer> hat das Ticket eröffnet/);
    assert.match(words, /Cole Colleague hat den Status von Neu auf Offen geändert/);
    assert.match(words, /Cole Colleague hat es Cole Colleague zugewiesen/);
    assert.match(words, /Cole Colleague hat gina@client\.example\.org in CC gesetzt/);
    assert.match(body, /<strong>Cole Colleague<\/strong> hat den Status/, "the actor in bold");
    // Times in the agent's zone.
    assert.match(body, /<time datetime="[^"]+" title="[^"]+ MES?Z">/);

    assert.doesNotMatch(
      words,
      /Reply or add a note|Save changes|Assign to me|History|Opened by|changed status|Service level|First response|Internal note|Add CC|Unassigned|No team/,
    );
  });

  test("a German agent whose change crossed a colleague's is told so in German; a desk address it does not know is refused in German", async () => {
    const { deps } = world();
    const agent = await makeAgent(deps);
    const ticket = await makeTicket(deps, await makeCustomer(deps));
    const b = await world().signedIn(agent);
    await b.post("/account/language", { locale: "de", timeZone: "" }, { csrfFrom: "/account" });
    const refused = await b.post(
      `/tickets/${ticket.id}`,
      { status: "pending", statusWas: "new", version: String(ticket.version + 5) },
      { csrfFrom: `/tickets/${ticket.id}` },
    );
    assert.equal(refused.statusCode, 409);
    assert.match(
      refused.body,
      /<strong>Dieses Ticket wurde von jemand anderem geändert<\/strong>, während Sie es geöffnet hatten/,
    );
    assert.match(refused.body, /Ticket neu laden/);
    assert.doesNotMatch(refused.body, /changed by someone else|Reload the ticket/);

    const desk = await b.get("/desk?queue=nowhere&sort=sideways");
    assert.equal(desk.statusCode, 400);
    assert.match(
      decodeEntities(desk.body),
      /Der Arbeitsplatz kann diese Liste nicht anzeigen: Die Adresse enthält einen unbekannten Filter\. queue muss einer dieser Werte sein: [a-zA-Z, ]+\. sort muss einer dieser Werte sein: /,
    );
    assert.doesNotMatch(desk.body, /must be one of|cannot show this list/);
  });

  test("in French, the trail says why automatic assignment moved a ticket, and team moves, as whole sentences", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const lee = await makeAgent(deps, { name: "Lee Leaving" });
    const team = await createTeam(deps, admin, {
      name: "Facturation",
      assignment: "round_robin",
      handBackWhenAway: true,
      offeredOnForm: true,
    });
    await addMember(deps, admin, team.id, lee.email);
    const customer = await makeCustomer(deps);
    const ticket = await tickets.createTicket(deps, customer, {
      title: "Facture",
      description: "x",
      teamId: team.id,
    });
    await setAway(deps, lee, true);
    await tickets.updateTicket(deps, admin, ticket.id, { teamId: null });

    const b = await world().signedIn(admin);
    const page = await b.get(`/tickets/${ticket.id}`, { "accept-language": "fr" });
    assert.equal(page.statusCode, 200);
    const words = text(page.body);
    assert.match(words, /a assigné automatiquement : à tour de rôle dans l’équipe Facturation/);
    assert.match(words, /l’a assigné à Lee Leaving/);
    assert.match(
      words,
      /a assigné automatiquement : rendu à l’équipe Facturation, car Lee Leaving est indisponible/,
    );
    assert.match(words, /a retiré l’assignation \(auparavant : Lee Leaving\)/);
    assert.match(words, /l’a déplacé de l’équipe Facturation vers aucune équipe/);
    assert.doesNotMatch(words, /assigned automatically|round-robin|handed back|moved it/);
  });

  test("a customer reading Arabic gets their ticket right to left, with the reply form, CCs and the solve button in Arabic", async () => {
    const { deps } = world();
    const agent = await makeAgent(deps, { name: "Avery Agent" });
    const customer = await makeCustomer(deps, { name: "Cora Customer" });
    const ticket = await makeTicket(deps, customer, { title: "Printer on fire" });
    await tickets.addCc(deps, agent, ticket.id, { address: "gina@client.example.org" });
    await tickets.addReply(deps, agent, ticket.id, { content: "We are on it." });
    await tickets.addReply(deps, agent, ticket.id, { content: "Internal only", internal: true });

    const b = await world().signedIn(customer);
    const page = await b.get(`/tickets/${ticket.id}`, { "accept-language": "ar" });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<html lang="ar" dir="rtl">/);
    const body = page.body;
    const words = text(body);
    assert.match(body, /<span class="badge status-open">مفتوحة<\/span>/);
    assert.match(words, /فتحها Cora Customer/);
    assert.match(words, /مُسندة إلى Avery Agent|غير مُسندة/);
    assert.match(body, /aria-label="رسالة من Avery Agent"/);
    assert.match(body, /<span class="tag">فريق الدعم<\/span>/);
    assert.match(body, /<h2>الرد<\/h2>/);
    assert.match(body, /<label for="field-content">ردك<\/label>/);
    assert.match(body, /يمكنك استخدام Markdown\./);
    assert.match(body, /<button type="submit" class="primary">إرسال الرد<\/button>/);
    assert.match(body, /<button type="submit">تحديدها كمحلولة<\/button>/);
    assert.match(body, /<h2 id="ccs-heading">النسخ \(CC\)<\/h2>/);
    assert.match(body, /gina@client\.example\.org/);
    assert.match(body, /We are on it\./, "what the agent wrote stays as written");
    assert.doesNotMatch(body, /Internal only|ملاحظة داخلية/, "no internal notes for customers");
    assert.doesNotMatch(body, /timeline-heading|السجل/, "no audit trail for customers");
    assert.doesNotMatch(
      words,
      /Your reply|Send reply|Mark as solved|Opened by|Markdown works|They get a copy|Staff/,
    );
  });

  test("a German agent is told in whole German sentences what the desk's address, the requester filter, a closed ticket and a wrong id are", async () => {
    const { deps } = world();
    const agent = await makeAgent(deps);
    const ticket = await makeTicket(deps, await makeCustomer(deps));
    await tickets.updateTicket(deps, agent, ticket.id, { status: "closed" });
    const b = await world().signedIn(agent);
    await b.post("/account/language", { locale: "de", timeZone: "" }, { csrfFrom: "/account" });

    const desk = await b.get("/desk?status=open&status=new&assignee=someone");
    assert.equal(desk.statusCode, 400);
    assert.equal(
      errorPageText(desk.body),
      "Der Arbeitsplatz kann diese Liste nicht anzeigen: Die Adresse enthält einen unbekannten Filter. Status wurde mehrfach angegeben. Zuständig muss me, none oder eine Benutzer-ID sein.",
    );

    const nobody = await b.get("/desk?requester=nobody%40example.test");
    assert.equal(nobody.statusCode, 200);
    assert.equal(
      fieldErrorOf(nobody.body, "field-requester"),
      "E-Mail der anfragenden Person passt zu keinem Konto",
    );

    const closed = await b.post(
      `/tickets/${ticket.id}/replies`,
      { content: "Too late?" },
      { csrfFrom: "/desk" },
    );
    assert.equal(closed.statusCode, 409);
    assert.match(closed.body, /<h1>Das lässt sich jetzt nicht ändern<\/h1>/);
    assert.equal(
      errorPageText(closed.body),
      "Dieses Ticket ist geschlossen; antworten Sie darauf, um ein Folgeticket zu eröffnen.",
    );

    const open = await makeTicket(deps, await makeCustomer(deps));
    const wrongId = await b.post(
      `/tickets/${open.id}`,
      { assigneeId: "nobody", assigneeIdWas: "" },
      { csrfFrom: `/tickets/${open.id}` },
    );
    assert.equal(wrongId.statusCode, 400);
    assert.equal(
      errorPageText(wrongId.body),
      "Einige Felder müssen korrigiert werden. Zuständig ist keine gültige Auswahl.",
    );

    const live = await b.get("/live?ticket=abc");
    assert.equal(live.statusCode, 400);
    assert.equal(
      errorPageText(live.body),
      "Einige Felder müssen korrigiert werden. Ticket muss eine Ticket-ID sein.",
    );
    for (const page of [desk, nobody, closed, wrongId, live]) {
      assert.doesNotMatch(
        page.body,
        /given more than once|must be|matches no account|is closed|not a valid choice/,
      );
    }
  });

  test("a French customer is refused a status and a too long reply in French, the length grouped as in French; the API says it in English", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    const ticket = await makeTicket(deps, customer);
    const b = await world().signedIn(customer);
    await b.post("/account/language", { locale: "fr", timeZone: "" }, { csrfFrom: "/account" });

    const status = await b.post(
      `/tickets/${ticket.id}`,
      { status: "pending", statusWas: ticket.status },
      { csrfFrom: `/tickets/${ticket.id}` },
    );
    assert.equal(status.statusCode, 403);
    assert.match(status.body, /<h1>Non autorisé<\/h1>/);
    assert.equal(
      errorPageText(status.body),
      "Vous pouvez seulement marquer votre propre ticket comme résolu.",
    );

    const long = "x".repeat(CONTENT_MAX + 1);
    const reply = await b.post(
      `/tickets/${ticket.id}/replies`,
      { content: long },
      { csrfFrom: `/tickets/${ticket.id}` },
    );
    assert.equal(reply.statusCode, 422);
    assert.equal(
      fieldErrorOf(reply.body, "field-content"),
      "Le champ Votre réponse doit comporter au plus 65\u202f536 caractères",
    );
    assert.ok(reply.body.includes(long), "what was typed is kept");
    assert.doesNotMatch(status.body + reply.body, /only mark your own|must be at most/);

    const api = await apiAs(world(), customer);
    const refused = await api.patch(
      `/tickets/${ticket.id}`,
      { status: "pending" },
      { "accept-language": "fr" },
    );
    assert.equal(refused.status, 403);
    assert.equal(refused.body.detail, "You can only mark your own ticket as solved.");
    await tickets.updateTicket(deps, await makeAgent(deps), ticket.id, { status: "closed" });
    const staffApi = await apiAs(world(), await makeAgent(deps));
    const closed = await staffApi.post(
      `/tickets/${ticket.id}/messages`,
      { content: "Too late?" },
      { "accept-language": "fr" },
    );
    assert.equal(closed.status, 409);
    assert.equal(closed.body.detail, "This ticket is closed; reply to it to open a follow-up.");
  });
});

test("the attachments field says its problem as one sentence in the page's language, sizes grouped as the language does", () => {
  const form = {
    values: {},
    errors: [
      fieldProblem("attachments", "at most 10 files at once", "error.field.maxFiles", { max: 10 }),
    ],
  };
  const html = (locale: "en" | "de") =>
    renderToString(h(AttachmentsField, { form, maxMb: 2048, t: translator(locale, "UTC").t }));
  const de = html("de");
  assert.equal(fieldErrorOf(de, "field-attachments"), "Anhänge: höchstens 10 Dateien auf einmal");
  assert.match(de, /Bis zu 10 Dateien, je 2\.048 MB\./);
  assert.equal(
    fieldErrorOf(html("en"), "field-attachments"),
    "Attachments: at most 10 files at once",
  );
  assert.match(html("en"), /Up to 10 files, 2,048 MB each\./);
});
