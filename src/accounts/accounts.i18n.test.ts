import assert from "node:assert/strict";
import { test } from "node:test";
import { Secret, TOTP } from "otpauth";
import type { Browser } from "../../test/helpers/browser.ts";
import {
  makeAdmin,
  makeAgent,
  makeCustomer,
  makeTicket,
  type TestUser,
} from "../../test/helpers/factories.ts";
import { describeEachDatabase, type World } from "../../test/helpers/world.ts";
import { issueTicketLinks } from "./links.service.ts";

const lang = (body: string) => /<html lang="([^"]+)"/.exec(body)?.[1];

/** A browser signed in as `user`, whose account is saved in `locale` (so form posts answer in it too). */
async function speaking(world: World, user: TestUser, locale: string): Promise<Browser> {
  const b = await world.signedIn(user);
  const saved = await b.post(
    "/account/language",
    { locale, timeZone: "" },
    { csrfFrom: "/account" },
  );
  assert.equal(saved.statusCode, 303);
  return b;
}

describeEachDatabase("account and user administration pages in the reader's language", (world) => {
  test("a French reader gets the account page in French; their name stays as written", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps, { name: "Zoë <Client>" });
    const b = await world().signedIn(customer);
    const page = await b.get("/account", { "accept-language": "fr-FR,fr;q=0.9" });
    assert.equal(page.statusCode, 200);
    assert.equal(lang(page.body), "fr");
    assert.match(page.body, /<title>Votre compte/);
    assert.match(page.body, /<h1>Votre compte<\/h1>/);
    assert.match(page.body, /<dt>Rôle<\/dt><dd>client<\/dd>/);
    assert.match(page.body, /<h2>Sécurité de la connexion<\/h2>/);
    assert.match(
      page.body,
      /La connexion à deux facteurs est désactivée : un mot de passe suffit pour se connecter à votre compte\. <a href="\/account\/two-factor">Configurer la connexion à deux facteurs<\/a>/,
    );
    assert.match(page.body, /<a href="\/account\/tokens">Gérer vos jetons d’API<\/a>/);
    assert.match(page.body, /Mot de passe actuel/);
    assert.match(page.body, /Au moins \d+ caractères\./);
    assert.match(
      page.body,
      /<button type="submit" class="primary">Changer le mot de passe<\/button>/,
    );
    assert.match(page.body, /Zoë &lt;Client(&gt;|>)/);
    assert.doesNotMatch(
      page.body,
      /Your account|Sign-in security|Change password|Current password|Manage your API tokens|Set up two-factor/,
    );
  });

  test("a French reader sets up two-factor sign-in in French, refusals and recovery codes included", async () => {
    const { deps } = world();
    const agent = await makeAgent(deps);
    const b = await speaking(world(), agent, "fr");
    const page = await b.get("/account/two-factor");
    assert.equal(page.statusCode, 200);
    assert.equal(lang(page.body), "fr");
    assert.match(page.body, /<h1>Connexion à deux facteurs<\/h1>/);
    assert.match(page.body, /La connexion à deux facteurs est <strong>désactivée<\/strong>\./);
    assert.match(page.body, /Scannez ce code QR avec votre application d’authentification\./);
    assert.match(page.body, /alt="Code QR pour votre application d’authentification/);
    assert.match(
      page.body,
      /Ou saisissez cette clé dans l’application : <code class="secret">[A-Z2-7]+<\/code>/,
    );
    assert.match(page.body, /Activer la connexion à deux facteurs<\/button>/);
    assert.doesNotMatch(
      page.body,
      /Scan this QR code|Or type this key|Code from the app|Turn on two-factor|Your account/,
    );

    const wrong = await b.post(
      "/account/two-factor",
      { code: "000000" },
      { csrfFrom: "/account/two-factor" },
    );
    assert.equal(wrong.statusCode, 422);
    assert.match(wrong.body, /Veuillez corriger les champs signalés ci-dessous\./);
    assert.match(wrong.body, /<label for="field-code">Code de l’application<\/label>/);

    const secret = /<code class="secret">([A-Z2-7]+)<\/code>/.exec(page.body)?.[1] ?? "";
    const code = new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30 }).generate();
    const on = await b.post("/account/two-factor", { code }, { csrfFrom: "/account/two-factor" });
    assert.equal(on.statusCode, 200, on.body.slice(0, 300));
    assert.match(on.body, /<strong>Vos codes de récupération\.<\/strong> Conservez-les/);
    assert.match(on.body, /La connexion à deux facteurs est <strong>activée<\/strong>/);
    assert.match(on.body, /10 codes de récupération restants sur 10\./);
    assert.match(on.body, /<h2>Nouveaux codes de récupération<\/h2>/);
    assert.match(on.body, /<label for="proof-recovery-codes">Code actuel ou mot de passe<\/label>/);
    assert.match(on.body, /<a href="\/" class="button primary">Continuer<\/a>/);
    assert.doesNotMatch(on.body, /Your recovery codes|recovery codes left|Turn off|Continue</);
  });

  test("an admin reading Spanish gets Admin → Users, a new user and all tokens in Spanish", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps, { name: "Ana Admin" });
    await makeCustomer(deps, { name: "Carla Cliente" });
    const b = await world().signedIn(admin);
    const es = { "accept-language": "es-ES,es;q=0.9" };
    const list = await b.get("/admin/users", es);
    assert.equal(list.statusCode, 200);
    assert.equal(lang(list.body), "es");
    assert.match(list.body, /<h1>Usuarios<\/h1>/);
    assert.match(
      list.body,
      /<a href="\/admin\/users\/new" class="button primary">Crear usuario<\/a>/,
    );
    assert.match(list.body, /aria-label="Filtrar usuarios"/);
    assert.match(list.body, /<option value selected>Todos los roles<\/option>/);
    assert.match(list.body, /<option value="agent">Agente<\/option>/);
    assert.match(list.body, /Ana Admin<span class="muted"> \(usted\)<\/span>/);
    assert.match(list.body, /Rol de Carla Cliente/);
    assert.match(
      list.body,
      /Guardar<span class="visually-hidden"> el rol de Carla Cliente<\/span><\/button>/,
    );
    assert.match(list.body, /Desactivar<span class="visually-hidden"> a Carla Cliente<\/span>/);
    assert.match(list.body, /<td>Activo<\/td>/);
    assert.match(list.body, /Los clientes pueden registrarse/);
    assert.match(list.body, /Abre solo ese ticket, sin contraseña \(durante 30 días\)/);
    assert.match(list.body, /Zona horaria predeterminada/);
    assert.match(list.body, /<button type="submit">Guardar la configuración<\/button>/);
    assert.doesNotMatch(
      list.body,
      /Create user|All roles|Customers may sign up|Save settings|Sign out everywhere|Default time zone|\(you\)/,
    );

    const form = await b.get("/admin/users/new", es);
    assert.match(form.body, /<h1>Crear usuario<\/h1>/);
    assert.match(form.body, /<option value="customer" selected>Cliente<\/option>/);
    assert.match(form.body, /<label for="field-password">Contraseña<\/label>/);
    assert.match(form.body, /<a href="\/admin\/users">Volver a los usuarios<\/a>/);
    assert.doesNotMatch(form.body, /Back to users|Create user|>Password</);

    const tokens = await b.get("/admin/tokens", es);
    assert.match(tokens.body, /<h1>Tokens de API de todos los usuarios<\/h1>/);
    assert.match(tokens.body, /Nadie tiene un token de API\./);
    assert.doesNotMatch(tokens.body, /API tokens of all users|No one has/);
  });

  test("a Spanish admin's refused change is explained in Spanish", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const customer = await makeCustomer(deps);
    const b = await speaking(world(), admin, "es");
    const refused = await b.post(
      `/admin/users/${customer.id}`,
      { disabled: "perhaps", back: "" },
      { csrfFrom: "/admin/users" },
    );
    assert.equal(refused.statusCode, 422);
    assert.match(
      refused.body,
      /Ese cambio no se ha guardado: El campo Estado debe ser uno de estos valores: true, false\./,
    );
    assert.doesNotMatch(refused.body, /must be/);
  });

  test("the single sign-on settings read in German", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const b = await world().signedIn(admin);
    const page = await b.get("/admin/sso", { "accept-language": "de" });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<h1>Einmalanmeldung<\/h1>/);
    assert.match(page.body, /Noch keine Anbieter\./);
    assert.match(
      page.body,
      /mit dieser Redirect-URI: <code>http[^<]+\/login\/sso\/callback<\/code>/,
    );
    assert.match(page.body, /<label for="new-issuer">Aussteller-URL \(Issuer\)<\/label>/);
    assert.match(page.body, /z\. B\. https:\/\/login\.example\.com\/realms\/staff/);
    assert.match(page.body, /<button type="submit">Anbieter hinzufügen<\/button>/);
    assert.doesNotMatch(page.body, /No providers yet|Add provider|Name on the button|Issuer URL/);
  });

  test("the sessions page reads right to left in Arabic, with the count of other sessions", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    await world().signedIn(customer);
    const b = await world().signedIn(customer);
    const page = await b.get("/account/sessions", { "accept-language": "ar" });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<html lang="ar" dir="rtl">/);
    assert.match(page.body, /<h1>جلساتك<\/h1>/);
    assert.match(page.body, /<th scope="col">آخر استخدام<\/th>/);
    assert.match(page.body, /<span class="badge">هذا المتصفح<\/span>/);
    assert.match(page.body, /تسجيل الخروج من كل الأماكن الأخرى \(جلسة أخرى واحدة\)/);
    assert.doesNotMatch(page.body, /Your sessions|This browser|Sign out everywhere else|Last used/);

    const ended = await b.post("/account/sessions/others", {}, { csrfFrom: "/account/sessions" });
    assert.equal(ended.statusCode, 303);
    const alone = await b.get("/account/sessions", { "accept-language": "ar" });
    assert.match(alone.body, /لم تسجّل الدخول في أي مكان آخر\./);
  });

  test("a German reader creates an API token in German; its name stays as typed", async () => {
    const { deps } = world();
    const agent = await makeAgent(deps);
    const b = await speaking(world(), agent, "de");
    const empty = await b.get("/account/tokens");
    assert.match(empty.body, /<h1>API-Tokens<\/h1>/);
    assert.match(empty.body, /Sie haben keine API-Tokens\./);
    assert.match(
      empty.body,
      /die <a href="\/api\/docs">REST-API<\/a> in Ihrem Namen nutzen.*Senden Sie es als <code>Authorization: Bearer &lt;token(&gt;|>)<\/code>\./s,
    );
    const created = await b.post(
      "/account/tokens",
      { name: "CRM <sync>" },
      { csrfFrom: "/account/tokens" },
    );
    assert.equal(created.statusCode, 201);
    assert.match(
      created.body,
      /Ihr neues Token <strong>CRM &lt;sync(&gt;|>)<\/strong>\. Kopieren Sie es jetzt/,
    );
    assert.match(created.body, /<th scope="col">Beginnt mit<\/th>/);
    assert.match(created.body, /<td>Nie<\/td>/);
    assert.match(created.body, /aria-label="CRM &lt;sync(&gt;|>) widerrufen">Widerrufen<\/button>/);
    assert.doesNotMatch(created.body, /Your new token|Starts with|Never|Revoke|Create token/);
  });

  test("a ticket link's page speaks the reader's Brazilian Portuguese", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps, { name: "Joana" });
    const ticket = await makeTicket(deps, customer, { title: "Impressora" });
    const [token] = await issueTicketLinks(deps.db, [
      { userId: customer.id, email: customer.email, ticketId: ticket.id },
    ]);
    const page = await world()
      .browser()
      .get(`/tickets/${ticket.id}/open?token=${token}`, { "accept-language": "pt-BR" });
    assert.equal(page.statusCode, 200, page.body.slice(0, 300));
    assert.equal(lang(page.body), "pt-BR");
    assert.match(page.body, new RegExp(`<h1>Chamado nº ${ticket.id}</h1>`));
    assert.match(
      page.body,
      new RegExp(`Olá, Joana, este link do seu e-mail abre o chamado nº ${ticket.id}`),
    );
    assert.match(page.body, /<button type="submit" class="primary">Abrir o chamado<\/button>/);
    assert.match(page.body, /Para ver todos os seus chamados, <a href="\/login">entre<\/a>\./);
    assert.doesNotMatch(page.body, /Open the ticket|To see all your tickets|Hello/);
  });
});
