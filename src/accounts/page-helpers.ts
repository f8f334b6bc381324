import type { FastifyReply, FastifyRequest } from "fastify";
import type { MessageKey } from "../i18n/i18n.ts";
import type { TooManyRequests } from "../lib/errors.ts";
import { readerOf } from "../platform/i18n.ts";
import { type Actor, isStaff } from "./actor.ts";

/** Where a person lands when signed in: the desk for staff, their tickets for customers. */
export function home(actor: Actor): string {
  return isStaff(actor) ? "/desk" : "/tickets";
}

/**
 * The message of a request refused by a rate limit, in the reader's language,
 * with its Retry-After header set; `key` says what there were too many of.
 */
export function tooMany(
  req: FastifyRequest,
  reply: FastifyReply,
  error: TooManyRequests,
  key: MessageKey,
): string {
  reply.header("retry-after", String(error.retryAfterSeconds));
  const minutes = Math.ceil(error.retryAfterSeconds / 60);
  return readerOf(req).t(key, { minutes });
}
