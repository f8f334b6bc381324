// The pseudo-locale: English catalog messages with every letter accented, the
// vowels doubled (about a third longer, like German or French) and each message
// in ⟦ ⟧. A page read in it shows at a glance any text that is not from the
// catalogs (it stays plain English) and any layout that breaks on longer words.
// Only a server started with PSEUDO_LOCALE=1 offers it, to a browser asking for
// `en-XA` (the tag browsers and CLDR use for pseudo-accents).
import { type MessageFormatElement, parse, TYPE } from "@formatjs/icu-messageformat-parser";
import { IntlMessageFormat } from "intl-messageformat";
import type { MessageKey, MessageValues, Translator } from "./i18n.ts";
import en from "./locales/en.json" with { type: "json" };

export const PSEUDO_LOCALE_TAG = "en-XA";

/** True when an `Accept-Language` header asks for the pseudo-locale first. */
export function asksForPseudoLocale(acceptLanguage: string | undefined): boolean {
  const first = acceptLanguage?.split(",")[0]?.split(";")[0]?.trim().toLowerCase();
  return first === PSEUDO_LOCALE_TAG.toLowerCase();
}

const ACCENTED: Record<string, string> = Object.fromEntries(
  [..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"].map((c, i) => [
    c,
    [..."áƀçđéƒĝĥîĵķĺɱñöþǫŕšţûṽŵẋýžÅƁÇĐÉƑĜĤÎĴĶĹṀÑÖÞǪŔŠŢÛṼŴẊÝŽ"][i] as string,
  ]),
);

/** One piece of literal text, accented and lengthened. */
export function pseudoText(text: string): string {
  let out = "";
  for (const c of text) {
    const accented = ACCENTED[c] ?? c;
    out += "aeiouAEIOU".includes(c) ? accented + accented : accented;
  }
  return out;
}

/** The message's text transformed; arguments, plurals' `#` and tags stay as they are. */
function transform(elements: MessageFormatElement[]): MessageFormatElement[] {
  return elements.map((element) => {
    switch (element.type) {
      case TYPE.literal:
        return { ...element, value: pseudoText(element.value) };
      case TYPE.tag:
        return { ...element, children: transform(element.children) };
      case TYPE.plural:
      case TYPE.select:
        return {
          ...element,
          options: Object.fromEntries(
            Object.entries(element.options).map(([k, option]) => [
              k,
              { ...option, value: transform(option.value) },
            ]),
          ),
        };
      default:
        return element;
    }
  });
}

const compiled = new Map<MessageKey, IntlMessageFormat>();

function compile(key: MessageKey): IntlMessageFormat {
  let format = compiled.get(key);
  if (!format) {
    const ast = transform(parse(en[key]));
    format = new IntlMessageFormat(
      [{ type: TYPE.literal, value: "⟦" }, ...ast, { type: TYPE.literal, value: "⟧" }],
      "en",
    );
    compiled.set(key, format);
  }
  return format;
}

/** The pseudo-locale's translator: English numbers and dates, transformed messages. */
export function pseudoTranslator(timeZone: string): Translator {
  return {
    locale: "en",
    timeZone,
    dir: "ltr",
    t(key: MessageKey, values?: MessageValues) {
      const out = compile(key).format(values);
      return Array.isArray(out) ? out.join("") : String(out);
    },
    rich<T>(key: MessageKey, values: Record<string, unknown>) {
      const out = compile(key).format<T>(values as Record<string, T>);
      return Array.isArray(out) ? out : [out];
    },
  };
}
