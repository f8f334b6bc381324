import { type FieldError, fieldProblem } from "../lib/errors.ts";
import {
  CONDITION_FIELDS,
  CONDITIONS_MAX,
  type Condition,
  type ConditionField,
  type ConditionOp,
  MATCHES,
  type Match,
  type RuleForm,
  TEXT_VALUE_MAX,
} from "./rules.schemas.ts";

/**
 * Conditions as a form submits them, parsed and checked: a rule's, and an SLA
 * condition's (src/sla), which offers only some fields. Apart from
 * rules.service.ts so the SLA feature can use it without the rules' service.
 */

/** Resolves the values that name people or teams (the rules' form has them; an SLA condition does not). */
export interface NamedValues {
  /** A staff member by address (or "nobody"): a user id, null for nobody, undefined when refused. */
  staff(raw: string, field: string, errors: FieldError[]): Promise<number | null | undefined>;
  /** A team by name (or "none"): a team id, null for none, undefined when refused. */
  team(raw: string, field: string, errors: FieldError[]): Promise<number | null | undefined>;
  /** A tag by name: its id, undefined when refused (forms without tags leave it out). */
  tag?(raw: string, field: string, errors: FieldError[]): Promise<number | undefined>;
  /** A custom field condition (`name` or `name=value`) as stored, undefined when refused. */
  field?(raw: string, field: string, errors: FieldError[]): Promise<string | undefined>;
}

export const EMAIL = /^[^\s@\0]+@[^\s@\0]+\.[^\s@\0]+$/;
export const DOMAIN =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/;

const noNul = (s: string) => !s.includes("\0");

function oneOf<T extends string>(list: readonly T[], value: string): value is T {
  return (list as readonly string[]).includes(value);
}

/**
 * A value that is none of `choices`. The choices travel as the English joins
 * them (", "): a page splits them again to name each and join them in the
 * reader's language (views/rules.tsx).
 */
export function oneOfProblem(field: string, choices: readonly string[]): FieldError {
  const list = choices.join(", ");
  return fieldProblem(field, `must be one of: ${list}`, "error.field.oneOf", { choices: list });
}

async function parseCondition(
  row: RuleForm["conditions"][number],
  at: string,
  errors: FieldError[],
  fields: readonly ConditionField[],
  named: NamedValues | undefined,
): Promise<Condition | undefined> {
  const field = row.field as ConditionField;
  if (!Object.hasOwn(CONDITION_FIELDS, row.field) || !fields.includes(field)) {
    errors.push(
      fieldProblem(`${at}.field`, "is not a condition this can check", "error.rules.notACondition"),
    );
    return undefined;
  }
  const def = CONDITION_FIELDS[field];
  if (!oneOf(def.ops as readonly ConditionOp[], row.op)) {
    errors.push(oneOfProblem(`${at}.op`, def.ops));
    return undefined;
  }
  const op = row.op as ConditionOp;
  const raw = row.value.trim();
  const valueAt = `${at}.value`;
  switch (def.values) {
    case "email": {
      const email = raw.toLowerCase();
      if (!EMAIL.test(email) || email.length > 254) {
        errors.push(fieldProblem(valueAt, "must be an email address", "error.field.email"));
        return undefined;
      }
      return { field, op, value: email };
    }
    case "domain": {
      const domain = raw.replace(/^@/, "").toLowerCase();
      if (!DOMAIN.test(domain)) {
        errors.push(
          fieldProblem(valueAt, "must be a domain like example.com", "error.rules.domain"),
        );
        return undefined;
      }
      return { field, op, value: domain };
    }
    case "text":
      if (raw === "" || raw.length > TEXT_VALUE_MAX || !noNul(raw)) {
        errors.push(
          fieldProblem(
            valueAt,
            `needs text (at most ${TEXT_VALUE_MAX} characters)`,
            "error.rules.text",
            { max: TEXT_VALUE_MAX },
          ),
        );
        return undefined;
      }
      return { field, op, value: raw };
    case "tag": {
      if (!named?.tag) throw new Error(`no resolver for ${field} values`);
      const id = await named.tag(raw, valueAt, errors);
      return id === undefined ? undefined : { field, op, value: id };
    }
    case "field": {
      if (!named?.field) throw new Error(`no resolver for ${field} values`);
      const value = await named.field(raw, valueAt, errors);
      return value === undefined ? undefined : { field, op, value };
    }
    case "staff":
    case "team": {
      if (!named) throw new Error(`no resolver for ${field} values`);
      const id = await named[def.values](raw, valueAt, errors);
      return id === undefined ? undefined : { field, op, value: id };
    }
    default:
      if (!oneOf(def.values as readonly string[], raw)) {
        errors.push(oneOfProblem(valueAt, def.values));
        return undefined;
      }
      return { field, op, value: raw };
  }
}

/**
 * The match and the conditions of a submitted form, with a problem per field
 * (`conditions.2.value`); rows with no field are skipped. `fields`: those the
 * form may use; `named` resolves staff and team values when it offers them.
 */
export async function parseConditions(
  form: Pick<RuleForm, "match" | "conditions">,
  fields: readonly ConditionField[],
  named?: NamedValues,
): Promise<{ match: Match; conditions: Condition[]; errors: FieldError[] }> {
  const errors: FieldError[] = [];
  const match: Match = oneOf(MATCHES, form.match) ? form.match : "all";
  const conditions: Condition[] = [];
  for (const [i, row] of form.conditions.slice(0, CONDITIONS_MAX).entries()) {
    if (row.field === "") continue;
    const c = await parseCondition(row, `conditions.${i}`, errors, fields, named);
    if (c) conditions.push(c);
  }
  return { match, conditions, errors };
}
