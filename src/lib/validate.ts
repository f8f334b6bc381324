import Type, { type Static, type TSchema } from "typebox";
import { Value } from "typebox/value";
import { type FieldError, fieldProblem, Invalid } from "./errors.ts";

/**
 * A text field: trimmed by the caller, no NUL bytes (PostgreSQL refuses them),
 * with explicit length limits.
 */
export function Text(options: { min?: number; max: number }) {
  return Type.String({
    minLength: options.min ?? 0,
    maxLength: options.max,
    pattern: "^[^\\u0000]*$",
  });
}

/** An email address as people type them; kept simple on purpose (RFC 5322 is not). */
export const Email = Type.String({
  maxLength: 254,
  pattern: "^[^\\s@\\u0000]+@[^\\s@\\u0000]+\\.[^\\s@\\u0000]+$",
});

/** A copy of `input` with the named string fields trimmed (people paste stray spaces). */
export function trimFields<T extends object>(input: T, keys: readonly (keyof T)[]): T {
  const out = { ...input };
  for (const key of keys) {
    const value = out[key];
    if (typeof value === "string") out[key] = value.trim() as T[keyof T];
  }
  return out;
}

/**
 * Checks `input` against `schema` and returns it typed, or throws Invalid with
 * one readable message per field. Services validate every input this way, so
 * the rules hold whether the call comes from a page, the API, mail or the CLI.
 */
export function parse<T extends TSchema>(schema: T, input: unknown): Static<T> {
  if (Value.Check(schema, input)) return input as Static<T>;
  const byField = new Map<string, FieldError>();
  for (const error of Value.Errors(schema, input)) {
    for (const fieldError of describe(error)) {
      if (!byField.has(fieldError.field)) byField.set(fieldError.field, fieldError);
    }
  }
  const errors = [...byField.values()];
  throw new Invalid(
    errors.length > 0 ? errors : [fieldProblem("", "is not valid", "error.field.notValid")],
  );
}

interface TypeBoxError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message: string;
}

// Each message in English (the API's) and as a catalog sentence with the field's label (pages').
function describe(error: TypeBoxError): FieldError[] {
  const field = error.instancePath.replace(/^\//, "").replaceAll("/", ".");
  const p = error.params;
  const named = (names: unknown) =>
    ((names as string[] | undefined) ?? []).map((name) => (field ? `${field}.${name}` : name));
  switch (error.keyword) {
    case "required":
      return named(p.requiredProperties).map((name) =>
        fieldProblem(name, "is required", "error.field.required"),
      );
    case "additionalProperties":
      return named(p.additionalProperties).map((name) =>
        fieldProblem(name, "is not a known field", "error.field.unknown"),
      );
    case "boolean":
      // The per-property echo of additionalProperties; reported above.
      return [];
    case "minLength": {
      const min = Number(p.limit);
      return [
        min === 1
          ? fieldProblem(field, "is required", "error.field.required")
          : fieldProblem(field, `must be at least ${min} characters`, "error.field.minLength", {
              min,
            }),
      ];
    }
    case "maxLength": {
      const max = Number(p.limit);
      return [
        fieldProblem(field, `must be at most ${max} characters`, "error.field.maxLength", { max }),
      ];
    }
    case "enum": {
      const choices = (p.allowedValues as unknown[]).join(", ");
      return [fieldProblem(field, `must be one of: ${choices}`, "error.field.oneOf", { choices })];
    }
    case "pattern":
      return [
        field.toLowerCase().includes("email")
          ? fieldProblem(field, "must be an email address", "error.field.email")
          : fieldProblem(
              field,
              "contains characters that are not allowed",
              "error.field.characters",
            ),
      ];
    case "type": {
      const type = String(p.type);
      const message = `must be ${article(type)}`;
      return [
        TYPES.has(type)
          ? fieldProblem(field, message, "error.field.type", { type })
          : { field, message },
      ];
    }
    case "minimum":
      return [
        fieldProblem(field, `must be at least ${p.limit}`, "error.field.atLeast", {
          min: Number(p.limit),
        }),
      ];
    case "maximum":
      return [
        fieldProblem(field, `must be at most ${p.limit}`, "error.field.atMost", {
          max: Number(p.limit),
        }),
      ];
    default:
      return [{ field, message: error.message }];
  }
}

/** The JSON types `error.field.type` names (its `select`); others keep the English. */
const TYPES: ReadonlySet<string> = new Set([
  "string",
  "number",
  "integer",
  "boolean",
  "object",
  "array",
]);

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}
