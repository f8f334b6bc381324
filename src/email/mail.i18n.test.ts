import assert from "node:assert/strict";
import { test } from "node:test";
import { and, desc, eq, sql } from "drizzle-orm";
import type { Browser } from "../../test/helpers/browser.ts";
import { makeAdmin, makeAgent, makeCustomer, makeTicket } from "../../test/helpers/factories.ts";
import { describeEachDatabase, type World } from "../../test/helpers/world.ts";
import { outbox, rateLimits, users } from "../db/schema/index.ts";
import type { Locale } from "../i18n/i18n.ts";
import { getLanguageDefaults, setLanguageDefaults } from "../settings/settings.service.ts";
import { runSlaNotifications } from "../sla/scheduler.ts";
import { defaultCalendar, recomputationsSettled, savePolicy } from "../sla/sla.service.ts";
import { addCc, addReply, createTicket, updateTicket } from "../tickets/tickets.service.ts";
import { trimQuoted } from "./quotes.ts";

/** The newest mail of `kind` queued to `address`. */
async function lastMail(world: World, address: string, kind: string) {
  const [row] = await world.deps.db
    .select()
    .from(outbox)
    .where(and(sql`lower(${outbox.toAddress}) = lower(${address})`, eq(outbox.kind, kind)))
    .orderBy(desc(outbox.id))
    .limit(1);
  assert.ok(row, `a ${kind} mail to ${address}`);
  return row;
}

/** Posts a form as a browser whose language is `acceptLanguage` (Browser.post sends none). */
async function postIn(
  b: Browser,
  acceptLanguage: string,
  url: string,
  fields: Record<string, string>,
  csrfFrom: string,
) {
  const csrf = await b.csrf(csrfFrom);
  return b.app.inject({
    method: "POST",
    url,
    headers: {
      cookie: b.cookieHeader(),
      "content-type": "application/x-www-form-urlencoded",
      "accept-language": acceptLanguage,
    },
    payload: new URLSearchParams({ _csrf: csrf, ...fields }).toString(),
  });
}

/** The path and query of the sign-up confirmation link in a mail's text. */
function confirmLink(text: string): string {
  const match = /https?:\/\/[^\s/]+(\/signup\/confirm\?token=[A-Za-z0-9_-]+)/.exec(text);
  assert.ok(match?.[1], "a confirmation link in the mail");
  return match[1];
}

async function setLocale(world: World, userId: number, locale: Locale, timeZone?: string) {
  await world.deps.db
    .update(users)
    .set({ locale, timeZone: timeZone ?? null })
    .where(eq(users.id, userId));
}

describeEachDatabase("mail in the recipient's language", (world) => {
  test("a customer who signed up with a German browser gets German mail about the ticket they open", async () => {
    const { deps } = world();
    await deps.db.delete(rateLimits);
    const email = `kunde-${Date.now()}@example.test`;
    const signUp = await postIn(
      world().browser(),
      "de-DE,de;q=0.9,en;q=0.5",
      "/signup",
      { email, name: "Karla Kunde", password: "ein sicheres Passwort" },
      "/signup",
    );
    assert.equal(signUp.statusCode, 200);
    const confirmation = await lastMail(world(), email, "account.signup_confirm");
    assert.equal(confirmation.subject, "Bestätigen Sie Ihre E-Mail-Adresse");
    assert.equal(confirmation.headers["Content-Language"], "de");

    // Confirmed and used without any Accept-Language: the account keeps the page's German.
    const b = world().browser();
    const link = confirmLink(confirmation.textBody);
    assert.equal((await b.post(link, {}, { csrfFrom: link })).statusCode, 303);
    const [account] = await deps.db.select().from(users).where(eq(users.email, email));
    assert.equal(account?.locale, "de");

    const opened = await b.post(
      "/tickets",
      { title: "Drucker brennt", description: "Er brennt schon wieder.", priority: "normal" },
      { csrfFrom: "/tickets/new" },
    );
    assert.equal(opened.statusCode, 303);
    const ack = await lastMail(world(), email, "ticket.received");
    assert.match(ack.subject, /^\[#\d+\] Drucker brennt$/, "the [#id] token threading needs");
    assert.equal(ack.headers["Content-Language"], "de");
    assert.ok(
      ack.textBody.startsWith("##- Bitte schreiben Sie Ihre Antwort über dieser Zeile -##"),
    );
    assert.match(ack.textBody, /Hallo Karla Kunde,/);
    assert.match(ack.textBody, /Wir haben Ihre Anfrage erhalten und melden uns bald bei Ihnen\./);
    assert.match(ack.textBody, /Dieser Link öffnet das Ticket 30 Tage lang ohne Passwort/);
    assert.match(ack.htmlBody, /<html lang="de" dir="ltr">/);
    assert.match(ack.htmlBody, />Ticket #\d+<\/a>/);
    for (const body of [ack.textBody, ack.htmlBody]) {
      assert.doesNotMatch(body, /We received your request|Please type your reply|Hello /);
    }
  });

  test("the sign-up confirmation is in Spanish for a Spanish browser", async () => {
    await world().deps.db.delete(rateLimits);
    const email = `cliente-${Date.now()}@example.test`;
    await postIn(
      world().browser(),
      "es-MX,es;q=0.8",
      "/signup",
      { email, name: "Carla Cliente", password: "una contraseña segura" },
      "/signup",
    );
    const mail = await lastMail(world(), email, "account.signup_confirm");
    assert.equal(mail.subject, "Confirme su dirección de correo electrónico");
    assert.equal(mail.headers["Content-Language"], "es");
    assert.match(mail.textBody, /^Hola, Carla Cliente:/);
    assert.match(mail.textBody, /Confirmar e iniciar sesión \(este enlace funciona una sola vez/);
    assert.match(mail.textBody, /Si no lo solicitó usted, ignore este correo/);
    assert.match(mail.htmlBody, /<html lang="es" dir="ltr">/);
    assert.doesNotMatch(mail.textBody, /Confirm your email|Hello|If you did not ask/);
  });

  test("an agent whose language is French gets the assignment in French", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    const agent = await makeAgent(deps, { name: "Agathe" });
    const admin = await makeAgent(deps, { name: "Chef" });
    await setLocale(world(), agent.id, "fr", "Europe/Paris");
    const ticket = await makeTicket(deps, customer, { title: "Imprimante en feu" });
    await updateTicket(deps, admin, ticket.id, { assigneeId: agent.id });
    const mail = await lastMail(world(), agent.email, "ticket.assigned");
    assert.equal(mail.subject, `[#${ticket.id}] Assigné à vous : Imprimante en feu`);
    assert.equal(mail.headers["Content-Language"], "fr");
    assert.match(mail.textBody, /Bonjour Agathe,/);
    assert.match(mail.textBody, /Chef vous a assigné ce ticket\./);
    assert.match(mail.textBody, /Répondez à ce message pour répondre au client/);
    assert.match(mail.textBody, new RegExp(`Ticket #${ticket.id} : http`));
    assert.doesNotMatch(mail.textBody, /assigned this ticket to you|Assigned to you|Hello/);
  });

  test("a CC without an account gets the instance's language; the requester their own; Arabic reads right to left", async () => {
    const { deps } = world();
    const before = await getLanguageDefaults(deps.db);
    await setLanguageDefaults(deps.db, { locale: "pt-BR", timeZone: "America/Sao_Paulo" });
    try {
      const customer = await makeCustomer(deps, { name: "Amal" });
      await setLocale(world(), customer.id, "ar");
      const agent = await makeAgent(deps, { name: "Sam" });
      const ticket = await makeTicket(deps, customer, { title: "Printer" });
      const cc = `cc-${Date.now()}@example.test`;
      await addCc(deps, agent, ticket.id, { address: cc, name: "Colega" });
      await addReply(deps, agent, ticket.id, { content: "We are on it." });

      const toCc = await lastMail(world(), cc, "reply.public");
      assert.equal(toCc.headers["Content-Language"], "pt-BR");
      assert.match(toCc.textBody, /Olá, Colega,/);
      assert.match(toCc.textBody, /Sam respondeu:\n\nWe are on it\./, "the reply as written");
      assert.match(toCc.textBody, /Para responder, basta responder a este e-mail\./);
      assert.doesNotMatch(toCc.textBody, /Hello|replied:|Reply to this mail/);

      const toRequester = await lastMail(world(), customer.email, "reply.public");
      assert.equal(toRequester.subject, `[#${ticket.id}] Printer`);
      assert.equal(toRequester.headers["Content-Language"], "ar");
      assert.match(toRequester.htmlBody, /<html lang="ar" dir="rtl">/);
      assert.match(toRequester.textBody, /مرحبًا Amal،/);
      assert.match(toRequester.textBody, /ردّ Sam:/);
      assert.doesNotMatch(toRequester.textBody, /Hello|replied:|Olá/);
    } finally {
      await setLanguageDefaults(deps.db, before);
    }
  });

  test("an SLA notice is in the assignee's language, with the due time in their own zone too", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const agent = await makeAgent(deps, { name: "Kenji" });
    await setLocale(world(), agent.id, "de", "Asia/Tokyo");
    const calendar = await defaultCalendar(deps);
    await savePolicy(deps, admin, "urgent", {
      calendarId: String(calendar.id),
      firstResponse: "60",
      nextResponse: "",
      resolution: "",
      warnPercent: "75",
    });
    await recomputationsSettled(deps);
    const customer = await makeCustomer(deps);
    const ticket = await createTicket(deps, customer, {
      title: "Server steht",
      description: "x",
      priority: "urgent",
    });
    await updateTicket(deps, admin, ticket.id, { assigneeId: agent.id });
    await runSlaNotifications(deps, { now: new Date(+ticket.createdAt + 50 * 60_000) });

    const mail = await lastMail(world(), agent.email, "rule");
    assert.equal(
      mail.subject,
      `[#${ticket.id}] SLA bald fällig: Erste Antwort bei #${ticket.id} Server steht`,
    );
    assert.equal(mail.headers["Content-Language"], "de");
    const due = /ist fällig am (\d{4}-\d\d-\d\d) (\d\d:\d\d) UTC, also (.+) in Asia\/Tokyo\./.exec(
      mail.textBody,
    );
    assert.ok(due, mail.textBody);
    const tokyo = new Intl.DateTimeFormat("de", {
      dateStyle: "medium",
      timeStyle: "short",
      timeZone: "Asia/Tokyo",
    }).format(new Date(`${due[1]}T${due[2]}Z`));
    assert.equal(due[3], tokyo, "the same moment, told in Tokyo");
    assert.doesNotMatch(mail.textBody, /SLA due soon|target of ticket|is due at/);
  });

  test("without a language of their own or an instance default, mail stays English", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps, { name: "Pat" });
    const ticket = await makeTicket(deps, customer, { title: "Printer" });
    const mail = await lastMail(world(), customer.email, "ticket.received");
    assert.equal(mail.subject, `[#${ticket.id}] Printer`);
    assert.equal(mail.headers["Content-Language"], "en");
    assert.ok(mail.textBody.startsWith("##- Please type your reply above this line -##"));
    assert.match(mail.textBody, /Hello Pat,\n\nWe received your request/);
  });
});

test("a reply is cut at the reply line of any language we write mail in", () => {
  for (const line of [
    "##- Please type your reply above this line -##",
    "##- Bitte schreiben Sie Ihre Antwort über dieser Zeile -##",
    "##- يُرجى كتابة ردك فوق هذا السطر -##",
  ]) {
    assert.equal(trimQuoted(`Danke, erledigt.\n${line}\nHallo Karla,`), "Danke, erledigt.", line);
  }
});
