import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type ComponentChildren, h } from "preact";
import { renderToString } from "preact-render-to-string";
import { formatAbsolute, formatRelative } from "../platform/views/time.tsx";
import { checkCatalogs } from "./catalog-check.ts";
import {
  CATALOGS,
  fromAcceptLanguage,
  isTimeZone,
  type MessageKey,
  negotiateLocale,
  translator,
} from "./i18n.ts";

describe("language negotiation", () => {
  test("the user's own setting wins over the cookie, the header and the instance default", () => {
    assert.equal(
      negotiateLocale({
        userLocale: "fr",
        cookie: "es",
        acceptLanguage: "de",
        instanceDefault: "pt-BR",
      }),
      "fr",
    );
  });

  test("without a setting the cookie wins, then Accept-Language, then the instance default", () => {
    const base = { instanceDefault: "pt-BR" as const };
    assert.equal(negotiateLocale({ ...base, cookie: "es", acceptLanguage: "de" }), "es");
    assert.equal(negotiateLocale({ ...base, cookie: "xx", acceptLanguage: "de" }), "de");
    assert.equal(negotiateLocale({ ...base, userLocale: null, acceptLanguage: "ja" }), "pt-BR");
    assert.equal(negotiateLocale(base), "pt-BR");
  });

  test("Accept-Language is read by weight, exact tags first, else the same primary language", () => {
    assert.equal(fromAcceptLanguage("ja, fr;q=0.4, de;q=0.8"), "de");
    assert.equal(fromAcceptLanguage("de-AT,de;q=0.9"), "de");
    assert.equal(fromAcceptLanguage("pt-PT"), "pt-BR");
    assert.equal(fromAcceptLanguage("PT-br"), "pt-BR");
    assert.equal(fromAcceptLanguage("ar-EG;q=0.5, en;q=0"), "ar");
    assert.equal(fromAcceptLanguage("*, ja"), undefined);
    assert.equal(fromAcceptLanguage("de;q=abc"), undefined);
    assert.equal(fromAcceptLanguage(undefined), undefined);
  });
});

describe("messages", () => {
  test("plurals follow each language's rules and variables are filled in", () => {
    assert.equal(
      translator("en", "UTC").t("field.passwordHint", { min: 1 }),
      "At least 1 character.",
    );
    assert.equal(
      translator("en", "UTC").t("field.passwordHint", { min: 8 }),
      "At least 8 characters.",
    );
    assert.equal(
      translator("fr", "UTC").t("field.passwordHint", { min: 1 }),
      "Au moins 1 caractère.",
    );
    assert.equal(translator("ar", "UTC").t("field.passwordHint", { min: 2 }), "حرفان على الأقل.");
    assert.equal(
      translator("de", "UTC").t("signIn.withProvider", { provider: "Okta" }),
      "Mit Okta anmelden",
    );
  });

  test("Arabic reads right to left, the others left to right", () => {
    assert.equal(translator("ar", "UTC").dir, "rtl");
    assert.equal(translator("de", "UTC").dir, "ltr");
  });

  test("a value interpolated into a message is escaped when rendered, tags included", () => {
    const reader = translator("en", "UTC");
    const html = renderToString(
      h(
        "p",
        null,
        reader.t("layout.visitorName", { name: "<script>x</script>" }),
        ...reader.rich<ComponentChildren>("signIn.noAccount", {
          link: (chunks: ComponentChildren) => h("a", { href: "/signup" }, chunks),
        }),
      ),
    );
    assert.ok(!html.includes("<script>"), html);
    assert.match(html, /&lt;script>x&lt;\/script> \(this ticket only\)/);
    assert.match(html, /No account yet\? <a href="\/signup">Sign up<\/a>/);
  });

  test("every catalog has every key of the English one", () => {
    for (const [language, catalog] of Object.entries(CATALOGS)) {
      for (const key of Object.keys(CATALOGS.en) as MessageKey[]) {
        assert.ok(Object.hasOwn(catalog, key), `${language} has ${key}`);
      }
    }
  });
});

describe("times", () => {
  const at = new Date("2025-03-12T14:05:00Z");

  test("absolute times are in the reader's zone and language, with the zone named", () => {
    assert.equal(formatAbsolute(at), "12 Mar 2025, 14:05 UTC");
    assert.equal(formatAbsolute(at, translator("fr", "Europe/Paris")), "12 mars 2025, 15:05 UTC+1");
    assert.equal(formatAbsolute(at, translator("en", "Asia/Tokyo")), "12 Mar 2025, 23:05 GMT+9");
    assert.equal(formatAbsolute(at, translator("de", "Europe/Berlin")), "12.03.2025, 15:05 MEZ");
  });

  test("relative times are in the reader's language", () => {
    const earlier = new Date(at.getTime() - 3 * 3600_000);
    assert.equal(formatRelative(earlier, at), "3 hours ago");
    assert.equal(formatRelative(earlier, at, translator("de", "UTC")), "vor 3 Stunden");
    assert.equal(formatRelative(at, at, translator("fr", "UTC")), "à l’instant");
  });

  test("time zones are IANA names the runtime knows", () => {
    assert.ok(isTimeZone("Europe/Paris"));
    assert.ok(isTimeZone("UTC"));
    assert.ok(!isTimeZone("Mars/Olympus"));
    assert.ok(!isTimeZone("+02:00"));
  });
});

describe("catalog check", () => {
  const en = {
    "a.plain": "Hello",
    "a.count": "{n, plural, one {# item} other {# items}} for {name}",
  };
  const sources = ['t("a.plain")', 't("a.count")'];

  test("complete catalogs with the same arguments pass", () => {
    const de = {
      "a.plain": "Hallo",
      "a.count": "{n, plural, one {# Eintrag} other {# Einträge}} für {name}",
    };
    assert.deepEqual(checkCatalogs({ source: "en", catalogs: { en, de }, sources }), []);
  });

  test("a missing key, a changed argument, bad syntax, an extra key and an unused key are each reported", () => {
    const problems = checkCatalogs({
      source: "en",
      catalogs: {
        en: { ...en, "a.unused": "Never shown" },
        de: {
          "a.plain": "Hallo {oops",
          "a.count": "{n, plural, other {# Einträge}} für {nom}",
          extra: "x",
        },
        fr: { "a.count": "{n, plural, other {# éléments}} pour {name}", "a.unused": "Jamais" },
      },
      sources,
    });
    const has = (text: string) =>
      assert.ok(
        problems.some((p) => p.includes(text)),
        `${text} in ${problems.join("; ")}`,
      );
    has("de: a.plain is not valid ICU MessageFormat");
    has("de: a.count uses {n, nom}, the source {n, name}");
    has("de: extra is not in en");
    has("de: a.unused is missing");
    has("fr: a.plain is missing");
    has("en: a.unused is used nowhere in src/");
  });
});

test("a list of names in a message is joined as the reader's language joins one", () => {
  const values = { authors: ["Ada", "Bo", "Cy"], count: 3 };
  assert.equal(
    translator("de", "UTC").t("ticket.conflict.replied", values),
    "Ada, Bo und Cy haben geantwortet, während Sie geschrieben haben.",
  );
  assert.equal(
    translator("en", "UTC").t("ticket.conflict.replied", values),
    "Ada, Bo, and Cy replied while you were writing.",
  );
});

test("the open tickets that chose an agent are counted as a number in the reader's language", () => {
  const values = { actor: "Tessera", team: "Billing", open: 1234 };
  assert.equal(
    translator("de", "UTC").t("ticket.event.autoAssignFewestOpen", values),
    "Tessera hat automatisch zugewiesen: wenigste offene Tickets im Team Billing (1.234 offen)",
  );
  assert.equal(
    translator("en", "UTC").t("ticket.event.autoAssignFewestOpen", values),
    "Tessera assigned automatically: fewest open tickets in team Billing (1,234 open)",
  );
  assert.equal(
    translator("en", "UTC").t("ticket.event.autoAssignFewestOpen", { ...values, open: 3 }),
    "Tessera assigned automatically: fewest open tickets in team Billing (3 open)",
  );
});
