import { IntlMessageFormat } from "intl-messageformat";
import ar from "./locales/ar.json" with { type: "json" };
import de from "./locales/de.json" with { type: "json" };
import en from "./locales/en.json" with { type: "json" };
import es from "./locales/es.json" with { type: "json" };
import fr from "./locales/fr.json" with { type: "json" };
import ptBR from "./locales/pt-BR.json" with { type: "json" };

/** The languages Tessera speaks, as BCP 47 tags; English is the source catalog. */
export const LOCALES = ["en", "de", "fr", "es", "pt-BR", "ar"] as const;
export type Locale = (typeof LOCALES)[number];

/** A key of the catalogs; `en.json` is the source, so a mistyped key does not type-check. */
export type MessageKey = keyof typeof en;

/** Catalog files, one per language, as `scripts/check-catalogs.ts` reads them too. */
export const CATALOGS: Readonly<Record<Locale, Readonly<Record<string, string>>>> = {
  en,
  de,
  fr,
  es,
  "pt-BR": ptBR,
  ar,
};

/** Each language named in itself, for the switcher (never translated). */
export const LANGUAGE_NAMES: Readonly<Record<Locale, string>> = {
  en: "English",
  de: "Deutsch",
  fr: "Français",
  es: "Español",
  "pt-BR": "Português (Brasil)",
  ar: "العربية",
};

const RTL: ReadonlySet<Locale> = new Set(["ar"]);

export function isLocale(value: unknown): value is Locale {
  return typeof value === "string" && (LOCALES as readonly string[]).includes(value);
}

const ZONES = new Set([...Intl.supportedValuesOf("timeZone"), "UTC"]);

const SORTED_ZONES: readonly string[] = Object.freeze([...ZONES].sort());

/** The IANA zones a user may pick (the runtime's list, plus `UTC`), sorted once. */
export function timeZones(): readonly string[] {
  return SORTED_ZONES;
}

export function isTimeZone(value: unknown): value is string {
  return typeof value === "string" && ZONES.has(value);
}

/**
 * Values a message interpolates; strings stay text (the views escape them). A
 * list of strings is joined as the reader's language joins one ("A, B und C").
 */
export type MessageValues = Record<string, string | number | Date | readonly string[]>;

/** `values` with each list joined (`Intl.ListFormat`, conjunction) in `locale`. */
function joinLists(
  locale: Locale,
  values: MessageValues | undefined,
): Record<string, string | number | Date> | undefined {
  if (!values) return values;
  let out: Record<string, string | number | Date> | undefined;
  for (const [name, value] of Object.entries(values)) {
    if (typeof value !== "object" || value instanceof Date) continue;
    out ??= { ...(values as Record<string, string | number | Date>) };
    out[name] = new Intl.ListFormat(locale, { type: "conjunction" }).format(value);
  }
  return out ?? (values as Record<string, string | number | Date>);
}

// Each message is compiled on its first use in a language, then kept for the
// life of the process (compiling all six catalogs up front would cost every
// start, and every test file's app, for messages most processes never show).
const compiled = new Map<string, IntlMessageFormat>();

function compile(locale: Locale, key: MessageKey): IntlMessageFormat {
  const id = `${locale}\u0000${key}`;
  let format = compiled.get(id);
  if (!format) {
    // A key missing in a catalog falls back to English; the catalog check keeps that from shipping.
    const source = CATALOGS[locale][key] ?? en[key];
    format = new IntlMessageFormat(source, locale);
    compiled.set(id, format);
  }
  return format;
}

/** Formats messages, dates and relative times for one reader. */
export interface Translator {
  readonly locale: Locale;
  readonly timeZone: string;
  readonly dir: "ltr" | "rtl";
  /** A catalog message as plain text (interpolated values are text, escaped when rendered). */
  t(key: MessageKey, values?: MessageValues): string;
  /**
   * A message with tags (`<link>Sign up</link>`): each tag is a function of its
   * contents, so markup stays in the view and only words in the catalog.
   */
  rich<T>(key: MessageKey, values: Record<string, unknown>): (string | T)[];
}

/** The translator for a language and time zone. */
export function translator(locale: Locale, timeZone: string): Translator {
  return {
    locale,
    timeZone,
    dir: RTL.has(locale) ? "rtl" : "ltr",
    t(key, values) {
      const out = compile(locale, key).format(joinLists(locale, values));
      return Array.isArray(out) ? out.join("") : String(out);
    },
    rich<T>(key: MessageKey, values: Record<string, unknown>) {
      const out = compile(locale, key).format<T>(values as Record<string, T>);
      return Array.isArray(out) ? out : [out];
    },
  };
}

/** English in UTC: the CLI, jobs and anything rendered outside a request. */
export const DEFAULT_TRANSLATOR = translator("en", "UTC");

/**
 * The best supported language for an `Accept-Language` header: by the
 * client's weights, an exact tag first, else the same primary language
 * (`de-AT` reads German, `pt-PT` Brazilian Portuguese); undefined for none.
 */
export function fromAcceptLanguage(header: string | undefined): Locale | undefined {
  if (!header) return undefined;
  const ranges = header
    .split(",")
    .slice(0, 50)
    .map((part, index) => {
      const [tag = "", ...params] = part.trim().split(";");
      const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
      const weight = q ? Number(q.slice(2)) : 1;
      return { tag: tag.trim().toLowerCase(), weight: Number.isFinite(weight) ? weight : 0, index };
    })
    .filter((r) => r.tag && r.tag !== "*" && r.weight > 0)
    .sort((a, b) => b.weight - a.weight || a.index - b.index);
  for (const { tag } of ranges) {
    const exact = LOCALES.find((l) => l.toLowerCase() === tag);
    if (exact) return exact;
    const primary = tag.split("-")[0];
    const same = LOCALES.find((l) => l.split("-")[0]?.toLowerCase() === primary);
    if (same) return same;
  }
  return undefined;
}

/**
 * Which language a page is in: the signed-in user's own setting, else the
 * switcher's cookie, else `Accept-Language`, else the instance default.
 */
export function negotiateLocale(input: {
  userLocale?: string | null | undefined;
  cookie?: string | undefined;
  acceptLanguage?: string | undefined;
  instanceDefault: Locale;
}): Locale {
  if (isLocale(input.userLocale)) return input.userLocale;
  if (isLocale(input.cookie)) return input.cookie;
  return fromAcceptLanguage(input.acceptLanguage) ?? input.instanceDefault;
}
