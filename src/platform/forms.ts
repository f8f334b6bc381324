import type { FastifyRequest } from "fastify";
import { type FieldError, Invalid } from "../lib/errors.ts";

/** The text fields of a submitted form (urlencoded or multipart); files and arrays are left out. */
export function formFields(req: FastifyRequest): Record<string, string> {
  const body = (req.body ?? {}) as Record<string, unknown>;
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(body)) {
    if (typeof value === "string" && key !== "_csrf") out[key] = value;
  }
  return out;
}

export type Attempt<T> =
  | { ok: true; value: T }
  | { ok: false; errors: FieldError[]; message: string | undefined };

/**
 * Runs a service call for a form: Invalid becomes the errors to show next to
 * the fields (the page re-renders with what was typed); anything else propagates.
 */
export async function attempt<T>(run: () => Promise<T>): Promise<Attempt<T>> {
  try {
    return { ok: true, value: await run() };
  } catch (error) {
    if (error instanceof Invalid) {
      return {
        ok: false,
        errors: error.errors,
        message:
          error.errors.length === 0 || error.message !== "Some fields need attention."
            ? error.message
            : undefined,
      };
    }
    throw error;
  }
}
