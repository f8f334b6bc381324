import assert from "node:assert/strict";
import { test } from "node:test";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { CATALOGS, type MessageKey } from "./i18n.ts";
import { asksForPseudoLocale, pseudoText, pseudoTranslator } from "./pseudo.ts";

const pseudo = pseudoTranslator("UTC");

test("pseudo text: every letter accented, vowels doubled, the rest kept", () => {
  assert.equal(pseudoText("Sign in"), "Šîîĝñ îîñ");
  assert.equal(pseudoText("Error 404: /path"), "ÉÉŕŕööŕ 404: /þááţĥ");
});

test("a pseudo message is bracketed; arguments, plural counts and tags stay as they are", () => {
  assert.equal(pseudo.t("layout.signIn"), "⟦Šîîĝñ îîñ⟧");
  assert.equal(
    pseudo.t("layout.visitorName", { name: "Zoë Example" }),
    "⟦Zoë Example (ţĥîîš ţîîçķééţ ööñĺý)⟧",
  );
  const parts = pseudo.rich<string>("signIn.noAccount", {
    link: (c: string[]) => `<a>${c.join("")}</a>`,
  });
  assert.equal(parts.join(""), "⟦Ñöö ááççööûûñţ ýééţ? <a>Šîîĝñ ûûþ</a>⟧");
});

test("every English message has a pseudo form with no plain English letters outside its arguments", () => {
  for (const key of Object.keys(CATALOGS.en) as MessageKey[]) {
    const values = new Proxy({}, { get: () => 7, has: () => true, ownKeys: () => [] });
    let text: string;
    try {
      text = pseudo.t(key, values as never);
    } catch {
      // Messages with tags need functions for them; rich() is checked above.
      continue;
    }
    assert.ok(text.startsWith("⟦") && text.endsWith("⟧"), key);
    assert.doesNotMatch(text, /[A-Za-z]{2,}/, `${key}: ${text}`);
  }
});

test("only a browser's first choice asks for the pseudo-locale", () => {
  assert.equal(asksForPseudoLocale("en-XA"), true);
  assert.equal(asksForPseudoLocale("en-xa;q=1, en;q=0.5"), true);
  assert.equal(asksForPseudoLocale("de, en-XA;q=0.5"), false);
  assert.equal(asksForPseudoLocale(undefined), false);
});

describeEachDatabase(
  "the pseudo-locale on a server that offers it",
  (world) => {
    test("a browser asking for en-XA reads the pseudo-locale", async () => {
      const page = await world().browser().get("/login", { "accept-language": "en-XA" });
      assert.match(page.body, /<h1>⟦Šîîĝñ îîñ⟧<\/h1>/);
    });
  },
  { env: { PSEUDO_LOCALE: "1" } },
);

describeEachDatabase("the pseudo-locale on a server that does not offer it", (world) => {
  test("en-XA reads plain English", async () => {
    const page = await world().browser().get("/login", { "accept-language": "en-XA" });
    assert.match(page.body, /<h1>Sign in<\/h1>/);
    assert.doesNotMatch(page.body, /⟦/);
  });
});
