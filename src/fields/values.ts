import type { FieldType } from "../db/schema/fields.ts";
import { type FieldError, fieldProblem, Invalid } from "../lib/errors.ts";

/**
 * Custom field values, pure: checking what a person or a client sent against
 * the field's type, and reading what a ticket stores. A ticket stores
 * `{ "<field id>": value }` (tickets.fields): text, a choice and a date
 * (`YYYY-MM-DD`) as strings, a number as a number, several choices as an array
 * in the field's order, a checkbox as `true`. Unset (and an unticked checkbox)
 * is no key at all.
 */

export interface FieldDef {
  readonly id: number;
  readonly name: string;
  readonly label: string;
  readonly type: FieldType;
  readonly choices: readonly string[];
  readonly customerVisible: boolean;
  readonly requiredToSolve: boolean;
  readonly position: number;
  readonly disabled: boolean;
}

export type FieldValue = string | number | boolean | string[];

/** A text value's longest length. */
export const FIELD_TEXT_MAX = 1000;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

function isDate(s: string): boolean {
  const m = DATE.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === s;
}

/** The choice among `choices` that `raw` names (any case), if any. */
function choiceOf(def: FieldDef, raw: string): string | undefined {
  const key = raw.trim().toLowerCase();
  return def.choices.find((c) => c.toLowerCase() === key);
}

/**
 * One value as sent (JSON or a form's strings), checked against the field:
 * the value to store, or null to unset it; a problem names `path` (`fields.<name>`).
 */
export function checkValue(
  def: FieldDef,
  raw: unknown,
  path = `fields.${def.name}`,
): FieldValue | null {
  if (raw === null || raw === undefined || raw === "") return null;
  switch (def.type) {
    case "text": {
      if (typeof raw !== "string") throw Invalid.field(path, "must be text", "error.fields.text");
      const value = raw.trim();
      if ([...value].length > FIELD_TEXT_MAX)
        throw Invalid.field(
          path,
          `must be at most ${FIELD_TEXT_MAX} characters`,
          "error.field.maxLength",
          { max: FIELD_TEXT_MAX },
        );
      return value === "" ? null : value;
    }
    case "number": {
      const value =
        typeof raw === "number"
          ? raw
          : typeof raw === "string" && NUMBER.test(raw.trim())
            ? Number(raw.trim())
            : Number.NaN;
      if (!Number.isFinite(value))
        throw Invalid.field(path, "must be a number", "error.fields.number");
      return value;
    }
    case "date": {
      if (typeof raw !== "string" || !isDate(raw.trim()))
        throw Invalid.field(path, "must be a date (YYYY-MM-DD)", "error.fields.date");
      return raw.trim();
    }
    case "choice": {
      const choice = typeof raw === "string" ? choiceOf(def, raw) : undefined;
      if (choice === undefined)
        throw Invalid.field(
          path,
          `must be one of: ${def.choices.join(", ")}`,
          "error.fields.choice",
          {
            choices: def.choices.join(", "),
          },
        );
      return choice;
    }
    case "choices": {
      const list = Array.isArray(raw) ? raw : [raw];
      const picked = new Set<string>();
      for (const item of list) {
        if (item === "") continue;
        const choice = typeof item === "string" ? choiceOf(def, item) : undefined;
        if (choice === undefined)
          throw Invalid.field(
            path,
            `must be some of: ${def.choices.join(", ")}`,
            "error.fields.choices",
            { choices: def.choices.join(", ") },
          );
        picked.add(choice);
      }
      const value = def.choices.filter((c) => picked.has(c));
      return value.length === 0 ? null : value;
    }
    case "checkbox": {
      if (raw === true || raw === "true" || raw === "on" || raw === "1") return true;
      if (raw === false || raw === "false" || raw === "0") return null;
      throw Invalid.field(path, "must be true or false", "error.fields.checkbox");
    }
  }
}

/**
 * A value typed on one line (a rule's or a macro's "set field" action): as
 * `checkValue`, except that several choices are separated by commas (a whole
 * line that is one choice stays one, commas and all). An empty line unsets.
 */
export function typedValue(def: FieldDef, raw: string, path: string): FieldValue | null {
  const line = raw.trim();
  if (def.type !== "choices" || line === "" || choiceOf(def, line) !== undefined)
    return checkValue(def, line, path);
  return checkValue(
    def,
    line.split(",").map((c) => c.trim()),
    path,
  );
}

/**
 * Values sent by name (`{ product: "printer" }`), each checked against its
 * field among `defs` (the fields the sender may set): every problem at once,
 * each naming `fields.<name>`. Returns the changes by field id (null: unset).
 */
export function checkValues(
  defs: readonly FieldDef[],
  input: Readonly<Record<string, unknown>>,
): Map<number, FieldValue | null> {
  const byName = new Map(defs.map((d) => [d.name.toLowerCase(), d]));
  const changes = new Map<number, FieldValue | null>();
  const errors: FieldError[] = [];
  for (const [name, raw] of Object.entries(input)) {
    const def = byName.get(name.toLowerCase());
    if (!def) {
      errors.push(fieldProblem(`fields.${name}`, "is not a field", "error.fields.unknown"));
      continue;
    }
    try {
      changes.set(def.id, checkValue(def, raw));
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      errors.push(...error.errors);
    }
  }
  if (errors.length > 0) throw new Invalid(errors);
  return changes;
}

/** A stored value as it is (or undefined when unset / not of the field's shape). */
export function storedValue(
  def: FieldDef,
  stored: Readonly<Record<string, unknown>>,
): FieldValue | undefined {
  const value = stored[String(def.id)];
  if (value === undefined || value === null) return undefined;
  return value as FieldValue;
}

/** `{ name: value }` of these fields (unset: null; a checkbox: false). */
export function valuesByName(
  defs: readonly FieldDef[],
  stored: Readonly<Record<string, unknown>>,
): Record<string, FieldValue | null> {
  const out: Record<string, FieldValue | null> = {};
  for (const def of defs)
    out[def.name] = storedValue(def, stored) ?? (def.type === "checkbox" ? false : null);
  return out;
}

/** A value as one line of text: the audit trail, placeholders, pages. */
export function valueText(value: FieldValue | null | undefined): string {
  if (value === null || value === undefined) return "";
  if (Array.isArray(value)) return value.join(", ");
  return String(value);
}

/** The fields among `defs` a ticket must have before it is solved or closed, and does not. */
export function missingRequired(
  defs: readonly FieldDef[],
  stored: Readonly<Record<string, unknown>>,
): FieldDef[] {
  return defs.filter(
    (d) => d.requiredToSolve && !d.disabled && storedValue(d, stored) === undefined,
  );
}

/**
 * What a ticket's `fields` must contain for `field:<name>=<value>` (the GIN
 * index answers `@>`): one of several choices is a one-element array. A
 * checkbox's `false` is "not ticked": the caller negates containing `true`.
 */
export function containment(
  def: FieldDef,
  raw: string,
  path: string,
): { contains: Record<string, unknown>; negated: boolean } {
  const key = String(def.id);
  if (def.type === "checkbox") {
    const ticked = checkValue(def, raw, path) === true;
    return { contains: { [key]: true }, negated: !ticked };
  }
  if (def.type === "choices") {
    const choice = choiceOf(def, raw);
    if (choice === undefined)
      throw Invalid.field(
        path,
        `must be one of: ${def.choices.join(", ")}`,
        "error.fields.choice",
        {
          choices: def.choices.join(", "),
        },
      );
    return { contains: { [key]: [choice] }, negated: false };
  }
  const value = checkValue(def, raw, path);
  if (value === null) throw Invalid.field(path, "is required", "error.field.required");
  return { contains: { [key]: value }, negated: false };
}
