import { AsyncLocalStorage } from "node:async_hooks";
import type { FastifyInstance, FastifyRequest } from "fastify";
import fp from "fastify-plugin";

/** The request id of the request being served, for log lines written through the app logger. */
const requestIds = new AsyncLocalStorage<string>();

/**
 * Runs every request inside an async context carrying its id, so a line that
 * a service logs through `deps.log` (the app logger, not `req.log`) while
 * serving that request still carries `reqId`.
 */
export const requestContextPlugin = fp(
  async (app: FastifyInstance) => {
    app.addHook("onRequest", (req, _reply, done) => {
      requestIds.run(String(req.id), done);
    });
  },
  { name: "tessera-request-context" },
);

// Query parameters whose values are credentials (the first-run link's `token`, say).
const SECRET_PARAM = /token|secret|password|key|code|sig|auth/i;

/** The URL as logged: path and query, with credential-like parameter values replaced. */
export function loggableUrl(url: string): string {
  const q = url.indexOf("?");
  if (q === -1) return url;
  const query = url
    .slice(q + 1)
    .split("&")
    .map((pair) => {
      const name = pair.split("=", 1)[0] ?? "";
      return SECRET_PARAM.test(safeDecode(name)) ? `${name}=[redacted]` : pair;
    });
  return `${url.slice(0, q)}?${query.join("&")}`;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll("+", " "));
  } catch {
    return text;
  }
}

/**
 * PostgreSQL quotes the offending input in some messages (`invalid input syntax
 * for type integer: "what the user typed"`); names of constraints, columns and
 * types are quoted the same way and are worth keeping, so only quoted text that
 * is not a plain SQL name is replaced.
 */
function withoutQuotedValues(message: string): string {
  return message.replace(/"((?:[^"]|"")*)"/g, (quoted, inner: string) =>
    /^[A-Za-z_][A-Za-z0-9_$.]*$/.test(inner) ? quoted : '"[redacted]"',
  );
}

/**
 * A driver error's message carries the failed query's parameters, which are
 * whatever the user typed (message bodies, emails): log the SQL, not the values.
 */
function loggableError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const message = error.message.replace(/\nparams: [\s\S]*$/, "\nparams: [redacted]");
  const cause = error.cause instanceof Error ? error.cause : undefined;
  return {
    type: error.name,
    message,
    stack: error.stack?.replace(error.message, message),
    ...("code" in error && error.code !== undefined ? { code: error.code } : {}),
    ...(cause
      ? {
          cause: {
            type: cause.name,
            message: withoutQuotedValues(cause.message),
            ...("code" in cause && cause.code !== undefined ? { code: cause.code } : {}),
          },
        }
      : {}),
  };
}

/**
 * pino options for every Tessera process: JSON lines, a request id on every
 * line written while serving a request, and no credentials or bodies. Fastify
 * logs only method, URL and status for a request (never headers or bodies);
 * the URL's credential-like query values and driver errors' parameters are
 * redacted, and the header paths are listed in case anyone logs a whole request.
 */
export function logOptions(level: string): object {
  return {
    level,
    redact: {
      paths: [
        "req.headers.authorization",
        "req.headers.cookie",
        'req.headers["x-csrf-token"]',
        'res.headers["set-cookie"]',
        "password",
        "*.password",
        "token",
        "*.token",
      ],
      censor: "[redacted]",
    },
    serializers: {
      req: (req: FastifyRequest) => ({
        method: req.method,
        url: loggableUrl(req.url),
        host: req.host,
        remoteAddress: req.ip,
      }),
      err: loggableError,
    },
    mixin(_merge: object, _level: number, logger: { bindings(): Record<string, unknown> }) {
      const reqId = requestIds.getStore();
      return reqId === undefined || "reqId" in logger.bindings() ? {} : { reqId };
    },
  };
}
