import { type MessageFormatElement, parse, TYPE } from "@formatjs/icu-messageformat-parser";

/**
 * What `scripts/check-catalogs.ts` (run by `.ci/run`) refuses: a message that
 * is not valid ICU MessageFormat, a key missing from a catalog or found only
 * in a translation, a translation whose arguments or tags differ from the
 * source's, and a source key no file under src/ mentions.
 */
export function checkCatalogs(input: {
  /** The source catalog's language (its keys are the truth). */
  source: string;
  catalogs: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** The text of every source file, searched for each key as a quoted string. */
  sources: readonly string[];
}): string[] {
  const problems: string[] = [];
  const source = input.catalogs[input.source];
  if (!source) return [`no catalog for the source language ${input.source}`];
  const names = new Map<string, Map<string, string>>();
  for (const [language, catalog] of Object.entries(input.catalogs)) {
    const perKey = new Map<string, string>();
    names.set(language, perKey);
    for (const [key, message] of Object.entries(catalog)) {
      if (typeof message !== "string") {
        problems.push(`${language}: ${key} is not a string`);
        continue;
      }
      try {
        perKey.set(key, [...placeholders(parse(message))].sort().join(", "));
      } catch (error) {
        problems.push(`${language}: ${key} is not valid ICU MessageFormat (${String(error)})`);
      }
    }
  }
  const sourceNames = names.get(input.source) ?? new Map<string, string>();
  for (const [language, catalog] of Object.entries(input.catalogs)) {
    if (language === input.source) continue;
    const perKey = names.get(language) ?? new Map<string, string>();
    for (const key of Object.keys(source)) {
      if (!Object.hasOwn(catalog, key)) problems.push(`${language}: ${key} is missing`);
      else if (
        perKey.has(key) &&
        sourceNames.has(key) &&
        perKey.get(key) !== sourceNames.get(key)
      ) {
        problems.push(
          `${language}: ${key} uses {${perKey.get(key)}}, the source {${sourceNames.get(key)}}`,
        );
      }
    }
    for (const key of Object.keys(catalog)) {
      if (!Object.hasOwn(source, key))
        problems.push(`${language}: ${key} is not in ${input.source}`);
    }
  }
  for (const key of Object.keys(source)) {
    if (!input.sources.some((text) => text.includes(`"${key}"`))) {
      problems.push(`${input.source}: ${key} is used nowhere in src/`);
    }
  }
  return problems;
}

/** The argument and tag names of a parsed message ("<link>" for a tag), at any depth. */
function placeholders(elements: MessageFormatElement[], into = new Set<string>()): Set<string> {
  for (const element of elements) {
    switch (element.type) {
      case TYPE.literal:
      case TYPE.pound:
        break;
      case TYPE.tag:
        into.add(`<${element.value}>`);
        placeholders(element.children, into);
        break;
      case TYPE.plural:
      case TYPE.select:
        into.add(element.value);
        for (const option of Object.values(element.options)) placeholders(option.value, into);
        break;
      default:
        into.add(element.value);
    }
  }
  return into;
}
