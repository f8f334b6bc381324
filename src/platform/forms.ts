import type { FastifyRequest } from "fastify";
import { type FieldError, Invalid, type MessageArgs } from "../lib/errors.ts";
import type { FormState } from "./views/forms.tsx";

/** The text fields of a submitted form (urlencoded or multipart); files and arrays are left out. */
export function formFields(req: FastifyRequest): Record<string, string> {
  const body = (req.body ?? {}) as Record<string, unknown>;
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(body)) {
    if (typeof value === "string" && key !== "_csrf") out[key] = value;
  }
  return out;
}

/** Why a form's service call was refused (see `attempt`). */
export interface Refusal {
  ok: false;
  errors: FieldError[];
  /** The error's own message (English), when it is more than "some fields need attention". */
  message: string | undefined;
  /** `message` as a catalog key, when the error had one: what pages show. */
  messageKey: string | undefined;
  /** The key's arguments. */
  messageValues?: MessageArgs | undefined;
}

export type Attempt<T> = { ok: true; value: T } | Refusal;

/**
 * Runs a service call for a form: Invalid becomes the errors to show next to
 * the fields (the page re-renders with what was typed); anything else propagates.
 */
export async function attempt<T>(run: () => Promise<T>): Promise<Attempt<T>> {
  try {
    return { ok: true, value: await run() };
  } catch (error) {
    if (error instanceof Invalid) {
      const own = error.errors.length === 0 || error.message !== "Some fields need attention.";
      return {
        ok: false,
        errors: error.errors,
        message: own ? error.message : undefined,
        messageKey: own ? error.messageKey : undefined,
        messageValues: own ? error.messageValues : undefined,
      };
    }
    throw error;
  }
}

/**
 * A form shown again after a refused attempt: what was typed, the problems at
 * the fields and the form's own message with its catalog key (so the page says
 * it in the reader's language).
 */
export function refusedForm<V>(values: V, refusal: Refusal): FormState<V> & { values: V } {
  return {
    values,
    errors: refusal.errors,
    message: refusal.message,
    messageKey: refusal.messageKey,
    messageValues: refusal.messageValues,
  };
}

const NOT_UTF8 = "The form was not sent as valid UTF-8 text.";

/**
 * Parses an `application/x-www-form-urlencoded` body strictly: bytes or
 * percent-escapes that are not valid UTF-8 are refused (400) instead of being
 * stored as U+FFFD replacement characters. Browsers percent-encode everything
 * outside ASCII, so a raw U+FFFD here can only come from invalid bytes that
 * Node already replaced while decoding the body. Repeated names become lists.
 */
export function parseUrlencoded(raw: string): Record<string, string | string[]> {
  if (raw.includes("\uFFFD")) throw new Invalid([], NOT_UTF8, "invalid", "error.form.notUtf8");
  const out: Record<string, string | string[]> = Object.create(null);
  for (const pair of raw.split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    let key: string;
    let value: string;
    try {
      const decode = (s: string) => decodeURIComponent(s.replaceAll("+", " "));
      key = decode(eq === -1 ? pair : pair.slice(0, eq));
      value = eq === -1 ? "" : decode(pair.slice(eq + 1));
    } catch {
      throw new Invalid([], NOT_UTF8, "invalid", "error.form.notUtf8");
    }
    const existing = out[key];
    out[key] =
      existing === undefined
        ? value
        : Array.isArray(existing)
          ? [...existing, value]
          : [existing, value];
  }
  return out;
}
