import { DEFAULT_TRANSLATOR, type MessageKey, type Translator } from "./i18n.ts";

/**
 * The rules Tessera ships (seeded by migration 0005 with English names, once
 * per database) are shown under their catalog name in the reader's language
 * until an admin renames them. The stored name stays the key: a built-in rule
 * is one whose name is still its catalog name in English, the words the
 * migration stored (checked by rules.i18n.test.ts), so no column marks them
 * and a renamed rule shows as the admin typed it.
 */
const BUILT_IN_RULES: readonly MessageKey[] = [
  "rules.builtIn.closeSolved",
  "rules.builtIn.remindPending",
  "rules.builtIn.solvePending",
];

const BY_STORED_NAME: ReadonlyMap<string, MessageKey> = new Map(
  BUILT_IN_RULES.map((key) => [DEFAULT_TRANSLATOR.t(key), key]),
);

/** The English names migration 0005 gives the built-in rules. */
export const BUILT_IN_RULE_NAMES: readonly string[] = [...BY_STORED_NAME.keys()];

/** A rule's name for the reader: a built-in one not renamed in their language, else as stored. */
export function ruleName(stored: string, t: Translator["t"]): string {
  const key = BY_STORED_NAME.get(stored);
  return key ? t(key) : stored;
}

/**
 * The name to store for a name typed on the rule form: a built-in rule's name
 * in the reader's language (as the form showed it) is stored as its English,
 * so saving the rule unrenamed keeps it built-in; anything else as typed.
 */
export function storedRuleName(typed: string, t: Translator["t"]): string {
  const name = typed.trim();
  for (const [stored, key] of BY_STORED_NAME) if (t(key) === name) return stored;
  return typed;
}
