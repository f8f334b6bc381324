/**
 * Finishing touches on the generated OpenAPI document that every operation
 * shares, so a client generator gets names, descriptions and headers without
 * each route repeating them: an `operationId` derived from the method and path
 * (a route may set its own), plain descriptions instead of "Default Response",
 * the rate-limit, `Retry-After`, `Location` and `Idempotent-Replayed` headers,
 * and a `type` on every enum.
 */

type Json = Record<string, unknown>;
interface Operation extends Json {
  operationId?: string;
  parameters?: { in: string; name: string; description?: string }[];
  responses?: Record<string, Json & { description?: string; headers?: Json }>;
}

const METHODS = ["get", "put", "post", "patch", "delete"] as const;

const integerHeader = (description: string) => ({ description, schema: { type: "integer" } });

const RATE_LIMIT_HEADERS = {
  "X-RateLimit-Limit": integerHeader("Requests allowed per minute for this token"),
  "X-RateLimit-Remaining": integerHeader("Requests left in the current minute"),
  "X-RateLimit-Reset": integerHeader("Seconds until the current minute ends"),
};

const IDEMPOTENCY_RULE =
  "Makes retries safe: the same key with the same request within 24 hours returns the first " +
  "response (with `Idempotent-Replayed: true`) and creates nothing; the same key with a " +
  "different request is refused with 422.";

/** Mutates and returns the document. */
export function polishDocument<T>(document: T): T {
  const doc = document as Json & { paths?: Record<string, Record<string, Operation>> };
  const used = new Set<string>();
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      operation.operationId ??= operationId(method, path);
      if (used.has(operation.operationId)) {
        throw new Error(
          `Two API operations are named ${operation.operationId}: name one in its schema`,
        );
      }
      used.add(operation.operationId);
      const idempotent = (operation.parameters ?? []).some(
        (p) => p.in === "header" && p.name.toLowerCase() === "idempotency-key",
      );
      for (const parameter of operation.parameters ?? []) {
        if (parameter.in === "header" && parameter.name.toLowerCase() === "idempotency-key") {
          parameter.description = IDEMPOTENCY_RULE;
        }
      }
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        const code = Number(status);
        if (response.description === "Default Response" || !response.description) {
          response.description = describe(method, code);
        }
        const headers: Json = { ...RATE_LIMIT_HEADERS, ...(response.headers ?? {}) };
        if (code === 429) headers["Retry-After"] = integerHeader("Seconds to wait before retrying");
        if (code === 201 && doc.paths?.[`${path}/{id}`]?.get) {
          headers.Location = {
            description: "Where the created resource can be read",
            schema: { type: "string" },
          };
        }
        if (code === 201 && idempotent) {
          headers["Idempotent-Replayed"] = {
            description:
              "`true` when this is the stored answer to an earlier request with the same Idempotency-Key",
            schema: { type: "string", enum: ["true"] },
          };
        }
        response.headers = headers;
      }
    }
  }
  typeEnums(doc);
  return document;
}

/**
 * `GET /tickets` → listTickets, `POST /tickets` → createTicket,
 * `GET /tickets/{id}` → getTicket, `PATCH /tickets/{id}` → updateTicket,
 * `GET /tickets/{id}/messages` → listTicketMessages, `GET /me` → getMe.
 */
function operationId(method: (typeof METHODS)[number], path: string): string {
  const segments = path.replace(/^\/api\/v\d+\//, "").split("/");
  const names = segments.filter((s) => !s.startsWith("{"));
  const single = segments.at(-1)?.startsWith("{") ?? false;
  const last = names.at(-1) ?? "root";
  const plural = last.endsWith("s");
  const parents = names.slice(0, -1).map(singular);
  let verb: string;
  let noun: string;
  if (single) {
    verb = { get: "get", put: "replace", post: "create", patch: "update", delete: "delete" }[
      method
    ];
    noun = singular(last);
  } else if (method === "get") {
    verb = plural ? "list" : "get";
    noun = last;
  } else {
    verb = { put: "set", post: "create", patch: "update", delete: "delete" }[method];
    noun = singular(last);
  }
  return verb + [...parents, noun].map(pascal).join("");
}

function singular(word: string): string {
  return word.endsWith("ies") ? `${word.slice(0, -3)}y` : word.replace(/s$/, "");
}

function pascal(word: string): string {
  return word
    .split(/[-_]/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("");
}

function describe(method: string, status: number): string {
  if (status === 201) return "Created";
  if (status === 202) return "Accepted";
  if (status === 204) return "Done; no content";
  if (status >= 200 && status < 300) {
    return method === "get" ? "What was asked for" : "Done; the resource as it is now";
  }
  return "Error";
}

/** Adds `type` to every `enum` whose values share one JSON type. */
function typeEnums(root: unknown): void {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (Array.isArray(node)) {
      stack.push(...node);
    } else if (node && typeof node === "object") {
      const schema = node as Json;
      if (Array.isArray(schema.enum) && schema.type === undefined) {
        const types = new Set(schema.enum.map((v) => (v === null ? "null" : typeof v)));
        const [only] = types;
        if (types.size === 1 && (only === "string" || only === "number" || only === "boolean")) {
          schema.type = only;
        }
      }
      stack.push(...Object.values(schema));
    }
  }
}
