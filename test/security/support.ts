// Shared by the security suite: the app's own route list, a raw HTTP client that
// keeps cookies but lets a test choose every header and byte, and an HTML
// checker that says whether a page holds anything a browser would run.
import { eq } from "drizzle-orm";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
// htmlparser2 is what sanitize-html parses with (a dependency already): the same
// tokenizer rules a browser uses for tags and attributes.
import { Parser } from "htmlparser2";
import { tickets, users } from "../../src/db/schema/index.ts";
import type { Deps } from "../../src/deps.ts";
import type { Browser } from "../helpers/browser.ts";

/** Every "METHOD /path" the app serves, read from Fastify's route tree. */
export function registeredRoutes(app: FastifyInstance): string[] {
  const routes: string[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split("\n")) {
    const match = /^([\s│├└─]*)(\S.*?) \(([^)]+)\)$/.exec(line);
    if (!match?.[2] || match[3] === undefined) continue;
    const depth = Math.round((match[1] ?? "").length / 4);
    const segment = match[2];
    const parent = stack[depth - 1] ?? "";
    const path =
      depth === 0
        ? segment
        : segment.startsWith("/")
          ? parent + segment
          : `${parent.replace(/\/$/, "")}/${segment}`;
    stack[depth] = path;
    stack.length = depth + 1;
    for (const method of match[3].split(", ")) {
      if (method !== "HEAD" && path !== "/*") routes.push(`${method} ${path}`);
    }
  }
  return [...new Set(routes)].sort();
}

export const UNSAFE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** The cookie header a Browser would send. */
export function cookieHeader(browser: Browser): string {
  return [...browser.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
}

/** The CSRF token on a page's form, without going through Browser.csrf's defaults. */
export function tokenIn(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match?.[1]) throw new Error("no CSRF token on this page");
  return match[1];
}

/** A raw request with a browser's cookies (and whatever else the test says). */
export function rawRequest(
  browser: Browser,
  options: {
    method: string;
    url: string;
    headers?: Record<string, string>;
    payload?: string | Buffer;
    remoteAddress?: string;
  },
): Promise<LightMyRequestResponse> {
  return browser.app.inject({
    method: options.method as "POST",
    url: options.url,
    headers: { cookie: cookieHeader(browser), ...options.headers },
    ...(options.payload !== undefined ? { payload: options.payload } : {}),
    ...(options.remoteAddress ? { remoteAddress: options.remoteAddress } : {}),
  });
}

/** Posts a urlencoded body as it is given (token included or not) with the browser's cookies. */
export function postForm(
  browser: Browser,
  url: string,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  return rawRequest(browser, {
    method: "POST",
    url,
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    payload: new URLSearchParams(fields).toString(),
  });
}

export interface SetCookie {
  name: string;
  value: string;
  httpOnly?: boolean;
  secure?: boolean;
  sameSite?: string;
  path?: string;
  domain?: string;
  maxAge?: number;
}

export function setCookies(response: LightMyRequestResponse): SetCookie[] {
  return response.cookies as SetCookie[];
}

export function sessionCookieOf(response: LightMyRequestResponse): SetCookie | undefined {
  return setCookies(response).find((c) => c.name.endsWith("tessera_session"));
}

// --- live HTML ---------------------------------------------------------------

/** Elements that run script, load active content or change how the page resolves URLs. */
const ACTIVE_ELEMENTS = new Set([
  "script",
  "iframe",
  "frame",
  "frameset",
  "object",
  "embed",
  "applet",
  "svg",
  "math",
  "base",
  "link",
  "meta",
  "style",
  "template",
  "portal",
]);

/** Attributes holding a URL a browser may navigate to, load or submit to. */
const URL_ATTRIBUTES = new Set([
  "href",
  "src",
  "action",
  "formaction",
  "data",
  "poster",
  "background",
  "xlink:href",
  "srcdoc",
  "ping",
  "manifest",
  "codebase",
  "cite",
]);

/** The only scripts, stylesheets and meta tags our own layout writes. */
function isOurOwn(tag: string, attrs: Record<string, string>): boolean {
  if (tag === "script") {
    const keys = Object.keys(attrs).sort().join(",");
    return (
      (keys === "defer,src" || keys === "src") &&
      /^\/static\/(vendor\/htmx\.min|script)\.js$/.test(attrs.src ?? "")
    );
  }
  if (tag === "link") return attrs.rel === "stylesheet" && attrs.href === "/static/style.css";
  if (tag === "meta") {
    return (
      attrs.charset === "utf-8" ||
      attrs.name === "viewport" ||
      (attrs.name === "htmx-config" && !("http-equiv" in attrs))
    );
  }
  return false;
}

/**
 * Everything in `html` that a browser would execute or that an attacker could
 * use to: script and other active elements beyond our layout's own, `on*`
 * handlers, `style` attributes, URLs with a scheme other than http(s)/mailto,
 * `hx-*` / `data-hx-*` attributes carrying `marker` (htmx would act on them),
 * and a `marker` that made it into a tag or attribute name at all.
 * Returns one line per finding; an empty list means the page is inert.
 */
export function liveContent(html: string, marker: string): string[] {
  const findings: string[] = [];
  const parser = new Parser(
    {
      onopentag(name, attrs) {
        const tag = name.toLowerCase();
        if (tag.includes(marker.toLowerCase())) findings.push(`element <${tag}>`);
        if (ACTIVE_ELEMENTS.has(tag) && !isOurOwn(tag, attrs)) {
          findings.push(`element <${tag} ${JSON.stringify(attrs)}>`);
        }
        for (const [rawName, value] of Object.entries(attrs)) {
          const attr = rawName.toLowerCase();
          const where = `<${tag} ${attr}="${value.slice(0, 80)}">`;
          if (attr.startsWith("on")) findings.push(`event handler ${where}`);
          if (attr === "style") findings.push(`style attribute ${where}`);
          if (attr.includes(marker.toLowerCase())) findings.push(`attribute name ${where}`);
          if (/^(data-)?hx-/.test(attr) && value.includes(marker)) {
            findings.push(`htmx attribute from user data ${where}`);
          }
          if (URL_ATTRIBUTES.has(attr)) {
            // As a browser reads it: control characters and spaces inside a scheme are ignored.
            // biome-ignore lint/suspicious/noControlCharactersInRegex: that is the point
            const squeezed = value.replace(/[\u0000-\u0020]/g, "").toLowerCase();
            const scheme = /^([a-z][a-z0-9+.-]*):/.exec(squeezed)?.[1];
            if (scheme && !["http", "https", "mailto"].includes(scheme)) {
              findings.push(`${scheme}: URL ${where}`);
            }
          }
        }
      },
    },
    { lowerCaseTags: true, lowerCaseAttributeNames: true, decodeEntities: true },
  );
  parser.write(html);
  parser.end();
  return findings;
}

/** The page's text as a reader sees it (entities decoded, tags gone). */
export function visibleText(html: string): string {
  let text = "";
  let skip = 0;
  const parser = new Parser(
    {
      onopentag(name) {
        if (name === "script" || name === "style") skip += 1;
      },
      onclosetag(name) {
        if (name === "script" || name === "style") skip -= 1;
      },
      ontext(data) {
        if (skip === 0) text += data;
      },
    },
    { decodeEntities: true },
  );
  parser.write(html);
  parser.end();
  return text;
}

/** The value of one header, as a string ("" when absent). */
export function header(response: LightMyRequestResponse, name: string): string {
  const value = response.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(", ") : String(value ?? "");
}

// --- the API's own description -------------------------------------------------

/** A JSON Schema node, as far as the generators below read it. */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  $ref?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  additionalProperties?: boolean | JsonSchema;
}

export interface ApiOperation {
  method: string;
  /** OpenAPI path with `{param}` placeholders. */
  path: string;
  body: JsonSchema | undefined;
  query: { name: string; schema: JsonSchema; required: boolean }[];
}

/** Every documented operation of GET /api/v1/openapi.json, or [] when there is no API yet. */
export async function apiOperations(
  app: FastifyInstance,
): Promise<{ operations: ApiOperation[]; resolve: (s: JsonSchema) => JsonSchema }> {
  const response = await app.inject({ method: "GET", url: "/api/v1/openapi.json" });
  if (response.statusCode !== 200) return { operations: [], resolve: (s) => s };
  const doc = response.json() as {
    paths: Record<string, Record<string, unknown>>;
    components?: { schemas?: Record<string, JsonSchema> };
  };
  const resolve = (schema: JsonSchema): JsonSchema => {
    if (!schema.$ref) return schema;
    const name = schema.$ref.split("/").pop() ?? "";
    return resolve(doc.components?.schemas?.[name] ?? {});
  };
  const operations: ApiOperation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, raw] of Object.entries(methods)) {
      const op = raw as {
        requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
        parameters?: { in: string; name: string; schema: JsonSchema; required?: boolean }[];
      };
      if (typeof op !== "object" || !["get", "post", "put", "patch", "delete"].includes(method))
        continue;
      operations.push({
        method: method.toUpperCase(),
        path,
        body: op.requestBody?.content?.["application/json"]?.schema,
        query: (op.parameters ?? [])
          .filter((p) => p.in === "query")
          .map((p) => ({ name: p.name, schema: p.schema, required: p.required ?? false })),
      });
    }
  }
  return { operations, resolve };
}

/** A small value the schema accepts: required properties only, the first enum value. */
export function exampleFor(
  schema: JsonSchema,
  resolve: (s: JsonSchema) => JsonSchema = (s) => s,
): unknown {
  const s = resolve(schema);
  if (s.const !== undefined) return s.const;
  if (s.enum) return s.enum[0];
  const options = s.anyOf ?? s.oneOf;
  if (options?.[0]) return exampleFor(options[0], resolve);
  if (s.allOf) return Object.assign({}, ...s.allOf.map((p) => exampleFor(p, resolve)));
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== "null") : s.type;
  switch (type) {
    case "object": {
      const out: Record<string, unknown> = {};
      for (const name of s.required ?? []) {
        const property = s.properties?.[name];
        if (property) out[name] = exampleFor(property, resolve);
      }
      return out;
    }
    case "array":
      return s.items && (s.minItems ?? 0) > 0 ? [exampleFor(s.items, resolve)] : [];
    case "integer":
    case "number":
      return Math.max(1, s.minimum ?? 1);
    case "boolean":
      return false;
    case "null":
      return null;
    default:
      if (s.format === "email" || s.pattern?.includes("@"))
        return `example-${Math.random().toString(36).slice(2)}@example.test`;
      if (s.format === "date-time") return new Date().toISOString();
      return "x".repeat(Math.max(1, s.minLength ?? 1));
  }
}

/** A ticket's row as stored, to compare before and after an attack. */
export async function getTicketRow(deps: Deps, id: number) {
  const [row] = await deps.db.select().from(tickets).where(eq(tickets.id, id));
  return row;
}

/** A user's row as stored. */
export async function getUserRow(deps: Deps, id: number) {
  const [row] = await deps.db.select().from(users).where(eq(users.id, id));
  return row;
}
