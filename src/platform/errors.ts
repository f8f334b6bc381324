import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { h } from "preact";
import type { Deps } from "../deps.ts";
import type { MessageKey } from "../i18n/i18n.ts";
import {
  AppError,
  type FieldError,
  fieldProblem,
  Invalid,
  type MessageArgs,
  TooManyRequests,
  Unauthorized,
} from "../lib/errors.ts";
import { readerOf } from "./i18n.ts";
import { pageContext } from "./views/context.ts";
import { ErrorPage } from "./views/error-page.tsx";
import { fieldErrorText, GENERIC_DETAILS, isMessageKey } from "./views/forms.tsx";

const TITLES: Record<number, string> = {
  400: "That did not work",
  401: "Please sign in",
  403: "Not allowed",
  404: "Not found",
  405: "Not allowed",
  409: "That cannot be changed now",
  412: "Changed by someone else",
  413: "Too large",
  415: "Unsupported content type",
  422: "That request does not match",
  429: "Too many attempts",
  500: "Something went wrong",
};

/** Page titles by status, in the reader's language (the API keeps `TITLES`). */
const PAGE_TITLES: Record<number, MessageKey> = {
  400: "error.title400",
  401: "error.title401",
  403: "error.title403",
  404: "error.title404",
  405: "error.title403",
  409: "error.title409",
  412: "error.title412",
  413: "error.title413",
  415: "error.title415",
  422: "error.title422",
  429: "error.title429",
  500: "error.title500",
};

/**
 * The names pages give the fields a form sends, for an error page that is not
 * the form's own (a forged or stale post, a bad link): the field is named in
 * the reader's language where it is one of these, else as the form sends it.
 */
const FIELD_LABELS: Readonly<Record<string, MessageKey>> = {
  name: "field.name",
  email: "field.email",
  password: "field.password",
  role: "users.role",
  disabled: "users.status",
  status: "desk.status",
  priority: "desk.priority",
  assignee: "desk.assignee",
  assigneeId: "desk.assignee",
  teamId: "desk.team",
  ticket: "myTickets.ticket",
  away: "layout.away",
  locale: "account.language",
  timeZone: "account.timeZone",
  q: "desk.search",
  content: "ticket.field.message",
  enabled: "rules.enabled",
  after: "i18n2.field.pageLink",
  direction: "i18n2.field.direction",
};

interface Problem {
  status: number;
  code: string;
  detail: string;
  /** The detail as a catalog message, for pages, where it is one of our fixed texts. */
  pageDetail?: MessageKey | undefined;
  pageValues?: MessageArgs | undefined;
  /** An AppError's catalog key for its message (a string: lib/ knows no catalog). */
  detailKey?: string | undefined;
  detailValues?: MessageArgs | undefined;
  /** What a page says when `detailKey` is not a catalog key (our errors, never the framework's). */
  fallbackDetail?: MessageKey | undefined;
  errors?: FieldError[] | undefined;
  retryAfter?: number | undefined;
}

/** Turns any thrown error into what a client may be told; 5xx details stay in the log. */
function toProblem(error: FastifyError | Error, deps: Pick<Deps, "config">): Problem {
  if (error instanceof AppError) {
    return {
      status: error.status,
      code: error.code,
      detail: error.message,
      detailKey: error.messageKey,
      detailValues: error.messageValues,
      fallbackDetail: GENERIC_DETAILS[error.status] ?? "error.generic",
      errors: error instanceof Invalid ? error.errors : undefined,
      retryAfter: error instanceof TooManyRequests ? error.retryAfterSeconds : undefined,
    };
  }
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    return {
      status: 400,
      code: "invalid",
      detail: "The request is not valid.",
      pageDetail: "error.form.requestNotValid",
      errors: fieldErrors(fastifyError.validation, fastifyError.validationContext),
    };
  }
  const status = fastifyError.statusCode ?? (isMalformedBody(error) ? 400 : 500);
  if (status >= 400 && status < 500) {
    const friendly = friendlyMessage(fastifyError.code, deps);
    return {
      status,
      code: problemCode(fastifyError.code, status),
      detail: friendly?.text ?? fastifyError.message,
      // The framework's own English is the API's; a page says a sentence for the status.
      pageDetail: friendly?.key ?? GENERIC_DETAILS[status] ?? "error.generic",
      pageValues: friendly?.values,
    };
  }
  return {
    status: 500,
    code: "internal",
    detail: "An unexpected error occurred; it has been logged.",
    pageDetail: "error.internal",
  };
}

type ValidationIssue = NonNullable<FastifyError["validation"]>[number];

/**
 * One entry per wrong, missing or unknown field, named by its path (`title`,
 * `limit`), from the schema validator's issues. A field is named once, by its
 * most useful message.
 */
function fieldErrors(issues: ValidationIssue[], context: string | undefined): FieldError[] {
  const where = (path: string) =>
    path.replace(/^\//, "").replaceAll("/", ".") || (context === "body" ? "body" : (context ?? ""));
  const errors = new Map<string, FieldError>();
  const add = (field: string, message: string, key?: string) => {
    if (!errors.has(field))
      errors.set(field, key ? fieldProblem(field, message, key) : { field, message });
  };
  for (const issue of issues) {
    const params = (issue.params ?? {}) as Record<string, unknown>;
    const base = where(issue.instancePath);
    const prefix = base === "body" || base === context ? "" : `${base}.`;
    if (issue.keyword === "required" && Array.isArray(params.requiredProperties)) {
      for (const name of params.requiredProperties)
        add(`${prefix}${name}`, "is required", "error.field.required");
    } else if (
      issue.keyword === "additionalProperties" &&
      Array.isArray(params.additionalProperties)
    ) {
      for (const name of params.additionalProperties)
        add(`${prefix}${name}`, "is not a known field", "error.field.unknown");
    } else if (issue.keyword === "boolean") {
      // "schema is false": the same unknown field, reported above with a better message.
    } else {
      add(base, issue.message ?? "is not valid");
    }
  }
  return [...errors.values()];
}

/** Errors the multipart parser (busboy) throws for a body that is not what its headers say. */
function isMalformedBody(error: Error): boolean {
  return /^(Multipart: |Unexpected end of (form|multipart data)|Malformed part header|Part terminated early)/.test(
    error.message,
  );
}

/**
 * Our own name for a framework's 4xx error, for the problem `type`: clients may
 * match on it, so it must not change when Fastify or a plugin renames its codes.
 */
function problemCode(frameworkCode: string | undefined, status: number): string {
  if (frameworkCode?.startsWith("FST_CSRF_")) return "csrf";
  switch (frameworkCode) {
    case "FST_REQ_FILE_TOO_LARGE":
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return "too_large";
    case "FST_FILES_LIMIT":
    case "FST_PARTS_LIMIT":
    case "FST_FIELDS_LIMIT":
      return "too_many_parts";
  }
  return STATUS_CODES[status] ?? "bad_request";
}

const STATUS_CODES: Record<number, string> = {
  400: "bad_request",
  404: "not_found",
  405: "method_not_allowed",
  406: "not_acceptable",
  411: "length_required",
  413: "too_large",
  415: "unsupported_media_type",
  429: "rate_limited",
};

/**
 * Plain words for the framework's own 4xx errors that people actually meet:
 * the API's English, and the same as a catalog message for pages.
 */
function friendlyMessage(
  code: string | undefined,
  deps: Pick<Deps, "config">,
): { text: string; key: MessageKey; values?: MessageArgs } | undefined {
  const mb = Math.round(deps.config.maxAttachmentBytes / 1048576);
  switch (code) {
    case "FST_CSRF_INVALID_TOKEN":
    case "FST_CSRF_MISSING_SECRET":
      return {
        text: "This form has expired or did not come from Tessera. Go back, reload the page and try again.",
        key: "error.csrf",
      };
    case "FST_REQ_FILE_TOO_LARGE":
      return {
        text: `An attachment is larger than the ${mb} MB limit for attachments.`,
        key: "error.attachmentTooLarge",
        values: { mb },
      };
    case "FST_FILES_LIMIT":
    case "FST_PARTS_LIMIT":
    case "FST_FIELDS_LIMIT":
      return { text: "Too many files or fields in one form.", key: "error.tooManyParts" };
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return { text: "The request is larger than this server accepts.", key: "error.bodyTooLarge" };
    default:
      return undefined;
  }
}

/**
 * One error handler for everything: `application/problem+json` (RFC 9457)
 * under /api, a friendly page elsewhere; a page that needs sign-in redirects
 * to /login; unexpected errors are logged with the request id and answered 500.
 */
export const errorsPlugin = fp(async (app: FastifyInstance, deps: Deps) => {
  app.setErrorHandler(async (error: FastifyError, req, reply) => {
    const problem = toProblem(error, deps);
    if (problem.status >= 500) req.log.error({ err: error }, "request failed");
    else req.log.info({ code: problem.code, status: problem.status }, "request refused");
    return sendProblem(req, reply, problem, error);
  });

  app.setNotFoundHandler(async (req, reply) =>
    sendProblem(req, reply, {
      status: 404,
      code: "not_found",
      detail: "There is nothing at this address.",
      pageDetail: "error.nothingHere",
    }),
  );
});

async function sendProblem(
  req: FastifyRequest,
  reply: FastifyReply,
  problem: Problem,
  error?: Error,
) {
  if (problem.retryAfter) reply.header("retry-after", String(problem.retryAfter));
  if (req.url.startsWith("/api/")) {
    return reply
      .code(problem.status)
      .type("application/problem+json")
      .send({
        type: `about:blank#${problem.code}`,
        title: TITLES[problem.status] ?? "Error",
        status: problem.status,
        detail: problem.detail,
        // Only the field and its English: the catalog key is for pages.
        ...(problem.errors && problem.errors.length > 0
          ? {
              errors: problem.errors.map(({ field, message, position }) =>
                position === undefined ? { field, message } : { field, message, position },
              ),
            }
          : {}),
      });
  }
  if (error instanceof Unauthorized && req.method === "GET") {
    return reply.redirect(`/login?next=${encodeURIComponent(req.url)}`, 303);
  }
  const { t } = readerOf(req);
  let detail = problem.pageDetail
    ? t(problem.pageDetail, problem.pageValues)
    : isMessageKey(problem.detailKey)
      ? t(problem.detailKey, problem.detailValues)
      : problem.fallbackDetail
        ? t(problem.fallbackDetail)
        : problem.detail;
  if (problem.errors && problem.errors.length > 0) {
    const each = problem.errors.map((e) => {
      const label = Object.hasOwn(FIELD_LABELS, e.field)
        ? t(FIELD_LABELS[e.field] as MessageKey)
        : e.field;
      return `${fieldErrorText(e, label, t)}.`;
    });
    detail = `${detail} ${each.join(" ")}`;
  }
  return reply.render(
    h(ErrorPage, {
      // A notice confirms an action; above an error it would confirm one that did not happen.
      ctx: { ...pageContext(req, reply), notice: undefined },
      status: problem.status,
      title: t(PAGE_TITLES[problem.status] ?? "error.title"),
      message: detail,
    }),
    problem.status,
  );
}
