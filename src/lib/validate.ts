import Type, { type Static, type TSchema } from "typebox";
import { Value } from "typebox/value";
import { type FieldError, Invalid } from "./errors.ts";

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
  const byField = new Map<string, string>();
  for (const error of Value.Errors(schema, input)) {
    for (const fieldError of describe(error)) {
      if (!byField.has(fieldError.field)) byField.set(fieldError.field, fieldError.message);
    }
  }
  const errors: FieldError[] = [...byField].map(([field, message]) => ({ field, message }));
  throw new Invalid(errors.length > 0 ? errors : [{ field: "", message: "is not valid" }]);
}

interface TypeBoxError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message: string;
}

function describe(error: TypeBoxError): FieldError[] {
  const field = error.instancePath.replace(/^\//, "").replaceAll("/", ".");
  const p = error.params;
  switch (error.keyword) {
    case "required":
      return ((p.requiredProperties as string[] | undefined) ?? []).map((name) => ({
        field: field ? `${field}.${name}` : name,
        message: "is required",
      }));
    case "additionalProperties":
      return ((p.additionalProperties as string[] | undefined) ?? []).map((name) => ({
        field: field ? `${field}.${name}` : name,
        message: "is not a known field",
      }));
    case "boolean":
      // The per-property echo of additionalProperties; reported above.
      return [];
    case "minLength":
      return [
        {
          field,
          message: p.limit === 1 ? "is required" : `must be at least ${p.limit} characters`,
        },
      ];
    case "maxLength":
      return [{ field, message: `must be at most ${p.limit} characters` }];
    case "enum":
      return [{ field, message: `must be one of: ${(p.allowedValues as unknown[]).join(", ")}` }];
    case "pattern":
      return [
        {
          field,
          message: field.toLowerCase().includes("email")
            ? "must be an email address"
            : "contains characters that are not allowed",
        },
      ];
    case "type":
      return [{ field, message: `must be ${article(String(p.type))}` }];
    case "minimum":
      return [{ field, message: `must be at least ${p.limit}` }];
    case "maximum":
      return [{ field, message: `must be at most ${p.limit}` }];
    default:
      return [{ field, message: error.message }];
  }
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}
