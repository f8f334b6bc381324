import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_TRANSLATOR, translator } from "../i18n/i18n.ts";
import { IdempotencyMismatch } from "../idempotency/idempotency.service.ts";
import { Conflict, Invalid } from "../lib/errors.ts";
import { CalendarNotDeleted } from "../sla/sla.service.ts";
import { RepliedMeanwhile } from "../tickets/tickets.service.ts";
import { errorText } from "./views/forms.tsx";

const de = translator("de", "Europe/Berlin").t;
const fr = translator("fr", "Europe/Paris").t;
const en = DEFAULT_TRANSLATOR.t;

test("a reply written meanwhile is said in German, its authors joined as German joins them; English reads as the API's detail", () => {
  const two = new RepliedMeanwhile(["Ada Agent", "Bo Berger"], 7);
  assert.equal(
    errorText(two, de),
    "Ada Agent und Bo Berger haben geantwortet, während Sie geschrieben haben.",
  );
  assert.equal(errorText(two, en), two.message);
  assert.equal(two.message, "Ada Agent and Bo Berger replied while you were writing.");
  const one = new RepliedMeanwhile(["Ada Agent"], 7);
  assert.equal(errorText(one, de), "Ada Agent hat geantwortet, während Sie geschrieben haben.");
  assert.equal(errorText(one, en), one.message);
});

test("a calendar that cannot be deleted is said in French; the default one's English is the API's detail", () => {
  const isDefault = new CalendarNotDeleted("calendar_default", "Bureau");
  assert.equal(
    errorText(isDefault, fr),
    "« Bureau » est le calendrier par défaut : choisissez d’abord un autre calendrier par défaut.",
  );
  assert.equal(errorText(isDefault, en), isDefault.message);
  const used = new CalendarNotDeleted("calendar_in_use", "Bureau", [{ team: "Billing" }]);
  assert.equal(
    used.message,
    '"Bureau" is in use by team Billing: choose another calendar there first.',
  );
  assert.equal(
    errorText(used, de),
    "„Bureau“ wird von einem Team oder einer Richtlinie verwendet: Wählen Sie dort zuerst einen anderen Kalender.",
  );
});

test("a reused Idempotency-Key is said in German and in the API's English", () => {
  const reused = new IdempotencyMismatch();
  assert.equal(errorText(reused, en), reused.message);
  assert.match(errorText(reused, de), /^Dieser Idempotency-Key wurde bereits/);
});

test("an error without a catalog key is said by its status in the reader's language, never in its English", () => {
  const bare = new Conflict("odd", "Something odd happened.");
  assert.equal(
    errorText(bare, de),
    "Das ist jetzt nicht möglich; laden Sie die Seite neu, um den aktuellen Stand zu sehen.",
  );
  assert.equal(
    errorText(bare, en),
    "That cannot be done now; reload the page to see the latest state.",
  );
  assert.equal(errorText(new Invalid([]), en), "Some fields need attention.");
});

test("the API's body that is not UTF-8 reads by its key in English as the API says it", () => {
  // api.ts keeps the sentence in a constant, out of reach of errors.test.ts's scan.
  assert.equal(en("error.form.bodyNotUtf8"), "The request body is not valid UTF-8 text.");
});
