import { TypeBoxValidatorCompiler } from "@fastify/type-provider-typebox";
import type { FastifySchemaCompiler } from "fastify";
import type { TSchema } from "typebox";

/**
 * The API's validator: TypeBox's, except that a number in a path, query or
 * header is taken only as written in plain decimal digits. TypeBox converts
 * `21.9` to 21, `0x15`, `21e0` and ` 21` to 21 and `true` to 1 before it
 * checks, so `PATCH /tickets/21.9` changed ticket 21; here each is a 400 that
 * names the parameter. JSON bodies are not converted at all; the text fields
 * of a multipart form are, with the same checks.
 */
export const exactValidatorCompiler: FastifySchemaCompiler<TSchema> = (route) => {
  // A multipart form's fields are text, like a query: converted after the same checks.
  const form = route.httpPart === "body" && route.contentType === MULTIPART;
  const validate = TypeBoxValidatorCompiler(form ? { ...route, httpPart: "querystring" } : route);
  if (route.httpPart === "body" && !form) return validate;
  const numeric = numericProperties(route.schema);
  const flags = booleanProperties(route.schema);
  if (numeric.size === 0 && flags.size === 0) return validate;
  return (value) => {
    const fields = (value ?? {}) as Record<string, unknown>;
    const wrong: { name: string; message: string }[] = [];
    for (const [name, integer] of numeric) {
      const raw = fields[name];
      if (typeof raw !== "string") continue;
      if (!(integer ? INTEGER : DECIMAL).test(raw)) {
        wrong.push({
          name,
          message: integer
            ? "must be a whole number written in decimal digits"
            : "must be a number written in decimal digits",
        });
      }
    }
    for (const name of flags) {
      const raw = fields[name];
      if (typeof raw === "string" && raw !== "true" && raw !== "false") {
        wrong.push({ name, message: "must be true or false" });
      }
    }
    if (wrong.length === 0) return validate(value);
    return {
      error: wrong.map(({ name, message }) =>
        Object.assign(new Error(message), {
          instancePath: `/${name}`,
          schemaPath: `#/properties/${name}`,
          keyword: "type",
          params: {},
          message,
        }),
      ),
    };
  };
};

const MULTIPART = "multipart/form-data";

/** Canonical decimal integers: no sign but minus, no leading zeros, no exponent, no spaces. */
const INTEGER = /^(0|-?[1-9][0-9]*)$/;
const DECIMAL = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;

type SchemaLike = { type?: unknown; properties?: Record<string, SchemaLike> };

/** Top-level properties typed integer (true) or number (false). */
function numericProperties(schema: unknown): Map<string, boolean> {
  const found = new Map<string, boolean>();
  for (const [name, property] of Object.entries((schema as SchemaLike)?.properties ?? {})) {
    if (property.type === "integer") found.set(name, true);
    else if (property.type === "number") found.set(name, false);
  }
  return found;
}

function booleanProperties(schema: unknown): Set<string> {
  return new Set(
    Object.entries((schema as SchemaLike)?.properties ?? {})
      .filter(([, property]) => property.type === "boolean")
      .map(([name]) => name),
  );
}
