import assert from "node:assert/strict";
import { test } from "node:test";
import { apiAs } from "../../test/helpers/api.ts";
import type { Browser } from "../../test/helpers/browser.ts";
import { makeAdmin, makeCustomer } from "../../test/helpers/factories.ts";
import { describeEachDatabase, type World } from "../../test/helpers/world.ts";

/** A visitor who chose `locale` with the switcher (a cookie), as a browser would. */
async function visitorIn(world: World, locale: string): Promise<Browser> {
  const b = world.browser();
  const switched = await b.post("/language", { locale, back: "/signup" }, { csrfFrom: "/signup" });
  assert.equal(switched.statusCode, 303);
  return b;
}

/** The text of a field's error, by the field's name. */
function fieldErrorOf(body: string, name: string): string | undefined {
  return new RegExp(`<p class="error" id="field-${name}-error">([^<]*)</p>`).exec(body)?.[1];
}

/** The message in a form's error summary. */
function formMessage(body: string): string | undefined {
  return /<div class="form-errors"[^>]*><p>([^<]*)<\/p>/.exec(body)?.[1];
}

describeEachDatabase("errors on forms in the reader's language", (world) => {
  test("a German sign-up with a bad email and a short password shows German sentences at the fields", async () => {
    const b = await visitorIn(world(), "de");
    const page = await b.post("/signup", {
      email: "not-an-email",
      name: "Ada",
      password: "short77",
    });
    assert.equal(page.statusCode, 422);
    assert.match(page.body, /<html lang="de"/);
    assert.equal(fieldErrorOf(page.body, "email"), "E-Mail muss eine E-Mail-Adresse sein");
    assert.equal(
      fieldErrorOf(page.body, "password"),
      "Passwort muss mindestens 8 Zeichen lang sein",
    );
    assert.equal(formMessage(page.body), "Bitte korrigieren Sie die unten markierten Felder.");
    assert.doesNotMatch(page.body, /must be an email address|must be at least|characters/);

    const empty = await b.post("/signup", { email: "ada@example.test", name: "", password: "" });
    assert.equal(fieldErrorOf(empty.body, "name"), "Name ist erforderlich");
  });

  test("the same form in English reads as before", async () => {
    const page = await world().browser().post("/signup", {
      email: "not-an-email",
      name: "Ada",
      password: "short77",
    });
    assert.equal(fieldErrorOf(page.body, "email"), "Email must be an email address");
    assert.equal(fieldErrorOf(page.body, "password"), "Password must be at least 8 characters");
  });

  test("an Arabic page says a field's problem right to left, in Arabic", async () => {
    const b = await visitorIn(world(), "ar");
    const page = await b.post("/signup", { email: "ada@example.test", name: "", password: "x" });
    assert.equal(page.statusCode, 422);
    assert.match(page.body, /<html lang="ar" dir="rtl">/);
    assert.equal(fieldErrorOf(page.body, "name"), "حقل الاسم مطلوب");
    assert.equal(
      fieldErrorOf(page.body, "password"),
      "يجب أن يتكون حقل كلمة المرور من 8 أحرف على الأقل",
    );
    assert.doesNotMatch(page.body, /is required|must be at least/);
  });

  test("a form's own message from the service (wrong email or password) is in French", async () => {
    const { deps } = world();
    const user = await makeCustomer(deps);
    const b = await visitorIn(world(), "fr");
    const refused = await b.post(
      "/login",
      { email: user.email, password: "not the password" },
      { csrfFrom: "/login" },
    );
    assert.equal(refused.statusCode, 401);
    assert.equal(
      formMessage(refused.body),
      "Cette adresse e-mail et ce mot de passe ne correspondent à aucun compte actif.",
    );
    assert.doesNotMatch(refused.body, /do not match an active account/);
  });

  test("a form's own message reaches the page by its key: a sign-in this browser did not start is said in German", async () => {
    const b = await visitorIn(world(), "de");
    const refused = await b.get("/login/sso/callback?code=abc&state=xyz");
    assert.equal(refused.statusCode, 400);
    assert.equal(
      formMessage(refused.body),
      "Diese Anmeldung wurde nicht in diesem Browser begonnen oder hat länger als 10 Minuten gedauert. Bitte versuchen Sie es erneut.",
    );
    assert.doesNotMatch(refused.body, /was not started in this browser/);
  });

  test("a value already taken is said in Spanish at the field and above the form", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const customer = await makeCustomer(deps);
    const b = await world().signedIn(admin);
    await b.post("/account/language", { locale: "es", timeZone: "" }, { csrfFrom: "/account" });
    const page = await b.post(
      "/admin/users",
      { email: customer.email, name: "Dup", role: "agent", password: "long enough" },
      { csrfFrom: "/admin/users" },
    );
    assert.match(page.body, /<html lang="es"/);
    assert.match(page.body, /esta dirección ya tiene una cuenta/);
    assert.match(page.body, /Un valor que debe ser único ya está en uso\./);
    assert.doesNotMatch(page.body, /already has an account|must be unique/);
  });

  test("a service's own checks (a mailbox) are said in Brazilian Portuguese", async () => {
    const { deps } = world();
    const b = await world().signedIn(await makeAdmin(deps));
    await b.post("/account/language", { locale: "pt-BR", timeZone: "" }, { csrfFrom: "/account" });
    const refused = await b.post(
      "/admin/email/mailboxes",
      {
        address: "not an address",
        name: "Help",
        enabled: "true",
        imapHost: "",
        imapTls: "tls",
        imapPort: "99999",
        imapUser: "help",
        imapAuth: "password",
        imapSecret: "secret secret",
        folder: "",
        afterImport: "move",
        moveTo: "",
      },
      { csrfFrom: "/admin/email/mailboxes/new" },
    );
    assert.equal(refused.statusCode, 422);
    assert.match(refused.body, /<html lang="pt-BR"/);
    assert.equal(fieldErrorOf(refused.body, "imapHost"), "O campo Servidor IMAP é obrigatório");
    assert.equal(
      fieldErrorOf(refused.body, "imapPort"),
      "O campo Porta IMAP deve ser um número de 1 a 65535",
    );
    assert.match(refused.body, /O campo Endereço deve ser um endereço como support@example\.com/);
    assert.doesNotMatch(refused.body, /is required|must be a number|must be an address/);
  });

  test("the API answers the same in English, whatever the Accept-Language, with only field and message", async () => {
    const { deps } = world();
    const api = await apiAs(world(), await makeAdmin(deps));
    // The schema at the edge answers this one (its words, as before), a service the next.
    const refused = await api.post(
      "/users",
      { email: "not-an-email", role: "agent", password: "short77" },
      { "accept-language": "de" },
    );
    assert.equal(refused.status, 400);
    assert.equal(refused.body.detail, "The request is not valid.");
    const errors = refused.body.errors as Record<string, unknown>[];
    assert.deepEqual(
      errors.find((e) => e.field === "name"),
      { field: "name", message: "is required" },
    );
    assert.deepEqual(
      errors.find((e) => e.field === "password"),
      { field: "password", message: "must not have fewer than 8 characters" },
    );
    for (const e of errors) assert.deepEqual(Object.keys(e), ["field", "message"]);
    const customer = await makeCustomer(deps);
    const taken = await api.post(
      "/users",
      { email: customer.email, name: "Dup", role: "agent" },
      { "accept-language": "de" },
    );
    assert.equal(taken.status, 409);
    assert.equal(taken.body.detail, "A value that must be unique is already in use.");
    assert.deepEqual(taken.body.errors, [{ field: "email", message: "already has an account" }]);
  });
});
