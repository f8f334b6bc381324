import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { CATALOGS, DEFAULT_TRANSLATOR, type MessageKey } from "../i18n/i18n.ts";
import {
  BadGateway,
  Conflict,
  Forbidden,
  Invalid,
  NotFound,
  Taken,
  TooManyRequests,
  Unauthorized,
} from "./errors.ts";

const sources = fs
  .readdirSync("src", { recursive: true, encoding: "utf8" })
  .filter((f) => /\.tsx?$/.test(f) && !/\.test\.tsx?$/.test(f))
  .map((f) => ({ file: f, text: fs.readFileSync(path.join("src", f), "utf8") }));

// lib/ knows no catalog, so an error's key is a plain string there: this is its type check.
test("every catalog key given to an error is in the catalogs", () => {
  const missing: string[] = [];
  for (const { file, text } of sources) {
    for (const [, key] of text.matchAll(/"(error\.(?:field|form)\.[A-Za-z0-9]+)"/g)) {
      if (key && !Object.hasOwn(CATALOGS.en, key)) missing.push(`${file}: ${key}`);
    }
  }
  assert.deepEqual(missing, []);
});

test("a field's English sentence is its label and the API's message, as pages always read", () => {
  const checked: string[] = [];
  // The message and key, and a literal argument when one follows (`{ choices: "a, b" }`).
  const literal =
    /(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'),\s*"(error\.field\.[A-Za-z0-9]+)"(?:,\s*\{\s*(\w+):\s*"([^"]*)",?\s*\})?\s*[,)]/g;
  for (const { file, text } of sources) {
    for (const [, double, single, key, name, value] of text.matchAll(literal)) {
      const message = (double ?? single ?? "").replaceAll("\\'", "'");
      const values = name ? { label: "Label", [name]: value ?? "" } : { label: "Label" };
      const sentence = DEFAULT_TRANSLATOR.t(key as MessageKey, values);
      assert.equal(sentence, `Label ${message}`, `${file}: ${key}`);
      checked.push(key as string);
    }
  }
  assert.ok(checked.length > 40, `only ${checked.length} found: is the pattern still right?`);
});

test("a form-level key reads in English as the message the API sends", () => {
  const messages: [string, string][] = [];
  for (const { text } of sources) {
    const site = /"((?:[^"\\]|\\.)+)",\s*"invalid",\s*"(error\.form\.[A-Za-z0-9]+)"/g;
    for (const [, message, key] of text.matchAll(site)) messages.push([message ?? "", key ?? ""]);
  }
  assert.ok(messages.length >= 2, "the literal sites (sign-in, internal note)");
  for (const [message, key] of messages) {
    assert.equal(DEFAULT_TRANSLATOR.t(key as MessageKey), message, key);
  }
  const invalid = new Invalid([]);
  assert.equal(invalid.messageKey, "error.form.someFields");
  assert.equal(DEFAULT_TRANSLATOR.t("error.form.someFields"), invalid.message);
  const taken = new Taken("email", "already has an account", "error.field.emailTaken");
  assert.equal(DEFAULT_TRANSLATOR.t("error.form.taken"), taken.message);
  assert.deepEqual(taken.errors, [
    { field: "email", message: "already has an account", key: "error.field.emailTaken" },
  ]);
});

test("an error without a key stays as it was", () => {
  const error = Invalid.field("x", "is odd");
  assert.deepEqual(error.errors, [{ field: "x", message: "is odd" }]);
  assert.equal(new Invalid([], "Something else.").messageKey, undefined);
});

test("an error thrown with a fixed message reads in English, by its key, as the API's detail", () => {
  const checked: string[] = [];
  const site =
    /new (?:Forbidden|Unauthorized|Conflict|PreconditionFailed|BadGateway)\(\s*(?:"[a-z_]+",\s*)?"((?:[^"\\]|\\.)*)",\s*"([a-z][A-Za-z0-9.]+)",?\s*\)/g;
  for (const { file, text } of sources) {
    for (const [, message, key] of text.matchAll(site)) {
      assert.ok(Object.hasOwn(CATALOGS.en, key ?? ""), `${file}: ${key} is not in the catalogs`);
      assert.equal(DEFAULT_TRANSLATOR.t(key as MessageKey), message, `${file}: ${key}`);
      checked.push(key as string);
    }
  }
  assert.ok(checked.length > 25, `only ${checked.length} found: is the pattern still right?`);
});

test("each error's default message comes with its key; a custom message keeps its own", () => {
  const t = DEFAULT_TRANSLATOR.t;
  const forbidden = new Forbidden();
  assert.equal(forbidden.messageKey, "error.forbidden");
  assert.equal(t("error.forbidden"), forbidden.message);
  const unauthorized = new Unauthorized();
  assert.equal(unauthorized.messageKey, "error.signIn");
  assert.equal(t("error.signIn"), unauthorized.message);

  const custom = new Forbidden("Only admins manage rules.", "error.onlyAdmins.rules");
  assert.equal(custom.message, "Only admins manage rules.");
  assert.equal(custom.messageKey, "error.onlyAdmins.rules");
  assert.equal(new Forbidden("Something else.").messageKey, undefined);

  // The resource's name is English: pages say a generic sentence, the API names it.
  const missing = new NotFound("ticket", 42);
  assert.equal(missing.message, "No ticket 42.");
  assert.equal(missing.messageKey, "error.notFound");

  const limited = new TooManyRequests(61);
  assert.equal(limited.message, "Too many attempts; try again later.");
  assert.equal(limited.messageKey, "error.tooManyAttempts");
  assert.deepEqual(limited.messageValues, { minutes: 2 });
  assert.equal(
    t("error.tooManyAttempts", limited.messageValues),
    "Too many attempts; try again in 2 minutes.",
  );

  const gateway = new BadGateway(
    "Okta did not complete the sign-in. Please try again.",
    "error.sso.incomplete",
    {
      name: "Okta",
    },
  );
  assert.equal(t("error.sso.incomplete", gateway.messageValues), gateway.message);
  const conflict = new Conflict(
    "setup_done",
    "Setup has already been completed.",
    "error.setupDone",
  );
  assert.equal(conflict.code, "setup_done");
  assert.equal(conflict.messageKey, "error.setupDone");
});
