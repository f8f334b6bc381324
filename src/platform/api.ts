import fastifyRateLimit from "@fastify/rate-limit";
import fastifySwagger, { type FastifyDynamicSwaggerOptions } from "@fastify/swagger";
import fastifySwaggerUi from "@fastify/swagger-ui";
import { errorCodes, type FastifyInstance, type FastifyPluginAsync } from "fastify";
import fp from "fastify-plugin";
import Type, { type TSchema } from "typebox";
import type { Deps } from "../deps.ts";
import { Invalid, TooManyRequests, Unauthorized } from "../lib/errors.ts";
import { resolveToken } from "../tokens/index.ts";
import { Problem } from "./api.schemas.ts";
import { exactValidatorCompiler } from "./exact-numbers.ts";
import { polishDocument } from "./openapi.ts";

export const API_PREFIX = "/api/v1";

const NO_QUERY = Type.Object({}, { additionalProperties: false });

/** Largest JSON body the API reads: the biggest input is a 64 KiB message. */
export const API_BODY_LIMIT = 256 * 1024;

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });
const NOT_UTF8 = "The request body is not valid UTF-8 text.";

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether every string and key in a parsed JSON value is well-formed Unicode (a loop: nesting may be deep). */
function wellFormed(root: unknown): boolean {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value === "string") {
      if (LONE_SURROGATE.test(value)) return false;
    } else if (value && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) {
        if (LONE_SURROGATE.test(k)) return false;
        stack.push(v);
      }
    }
  }
  return true;
}

/** Whether a route's body schema takes multipart/form-data (`{ content: { "multipart/form-data": ... } }`). */
function acceptsMultipart(body: unknown): boolean {
  const content = (body as { content?: Record<string, unknown> } | undefined)?.content;
  return content !== undefined && Object.hasOwn(content, "multipart/form-data");
}

/**
 * The OpenAPI document's skeleton; paths come from the routes' own schemas,
 * so what is documented is what is validated.
 */
function openApiDocument(): FastifyDynamicSwaggerOptions {
  return {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Tessera REST API",
        version: "1.0.0",
        license: { name: "AGPL-3.0-or-later", identifier: "AGPL-3.0-or-later" },
        description:
          "Tickets, messages and users of a Tessera helpdesk. JSON in camelCase, times in ISO 8601 UTC, " +
          "errors as RFC 9457 problem details. Authenticate with `Authorization: Bearer <token>` " +
          "(create tokens on your account page or with `tessera token create`).",
      },
      // Relative: the instance that serves this document, whatever name it is reached by
      // (PUBLIC_URL's default, localhost, would be wrong for every other reader).
      servers: [{ url: "/", description: "The Tessera instance serving this document" }],
      components: {
        securitySchemes: {
          bearerAuth: { type: "http", scheme: "bearer" },
          sessionCookie: {
            type: "apiKey",
            in: "cookie",
            name: "tessera_session",
            description:
              "Same-origin browser calls; state-changing ones need the X-CSRF-Token header.",
          },
        },
      },
      security: [{ bearerAuth: [] }, { sessionCookie: [] }],
    },
    // Pages are not part of the API; every API route has a tag.
    hideUntagged: true,
    transformObject: (document) =>
      "openapiObject" in document ? polishDocument(document.openapiObject) : document.swaggerObject,
    // Shared schemas keep their own names ("Ticket", "Problem") in the document.
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) =>
        typeof json.$id === "string" ? json.$id : `def-${i}`,
    },
  };
}

/**
 * The OpenAPI generator. Registered on the root before any route so it sees
 * every API route; pages carry no tags and stay out of the document.
 */
export const openApiPlugin = fp(async (app: FastifyInstance) => {
  await app.register(fastifySwagger, openApiDocument());
});

/**
 * The `/api/v1` context: JSON bodies (and multipart forms where a route's
 * schema lists them; anything else is 415), TypeBox
 * validation that names every wrong or unknown field, bearer tokens, a
 * per-node rate limit, the OpenAPI document and its interactive reference.
 */
/** A feature's part of the API: its routes and the named schemas they refer to. */
export interface ApiModule {
  schemas: TSchema[];
  routes: FastifyPluginAsync<Deps>;
}

export function apiPlugin(deps: Deps, modules: ApiModule[]) {
  return async (app: FastifyInstance) => {
    // JSON, and multipart/form-data (the uploads plugin's parser, kept from the root)
    // only on routes whose body schema lists it; anything else is 415.
    app.removeContentTypeParser(["application/x-www-form-urlencoded"]);
    app.addHook("preParsing", async (req) => {
      const multipart = req.headers["content-type"]?.toLowerCase().startsWith("multipart/");
      if (multipart && !acceptsMultipart(req.routeOptions.schema?.body)) {
        throw new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE(req.headers["content-type"]);
      }
    });
    const parseJson = app.getDefaultJsonParser("error", "error");
    app.addContentTypeParser(
      "application/json",
      { parseAs: "buffer", bodyLimit: API_BODY_LIMIT },
      (req, body, done) => {
        // Invalid UTF-8 (raw bytes, or an escaped lone surrogate) is refused rather
        // than stored as U+FFFD replacement characters.
        let text: string;
        try {
          text = strictUtf8.decode(body as Buffer);
        } catch {
          return done(new Invalid([], NOT_UTF8, "invalid", "error.form.bodyNotUtf8"), undefined);
        }
        void parseJson(req, text, (error, value) => {
          if (!error && !wellFormed(value))
            return done(new Invalid([], NOT_UTF8, "invalid", "error.form.bodyNotUtf8"), undefined);
          done(error, value);
        });
      },
    );
    app.setValidatorCompiler(exactValidatorCompiler);
    // Shared schemas are added here, not in the features' own contexts: a child
    // context that adds schemas rebuilds its validator from the root's (ajv) factory.
    app.addSchema(Problem);
    for (const schema of modules.flatMap((m) => m.schemas)) app.addSchema(schema);

    // A bearer token, when sent, is the only credential looked at: a bad one is
    // 401 even if a session cookie rides along.
    app.addHook("onRequest", async (req) => {
      const header = req.headers.authorization;
      if (header === undefined) return;
      req.actor = undefined;
      req.authVia = undefined;
      const match = /^Bearer +(\S+)$/i.exec(header);
      const actor = match?.[1] ? await resolveToken(deps, match[1]) : undefined;
      if (!actor)
        throw new Unauthorized(
          "The API token is missing, malformed, revoked or disabled.",
          "error.apiToken",
        );
      req.actor = actor;
      req.authVia = "token";
    });

    // API answers are private to their caller: no shared cache may keep them.
    app.addHook("onSend", async (_req, reply) => {
      reply.header("cache-control", "no-store");
    });

    if (deps.config.apiRateLimitPerMinute > 0) {
      await app.register(fastifyRateLimit, {
        max: deps.config.apiRateLimitPerMinute,
        timeWindow: 60_000,
        hook: "preHandler",
        keyGenerator: (req) => (req.actor ? `user:${req.actor.id}` : `ip:${req.ip}`),
        errorResponseBuilder: (_req, context) =>
          new TooManyRequests(
            Math.max(1, Math.ceil(context.ttl / 1000)),
            `More than ${context.max} API requests a minute; slow down.`,
            "error.apiRateLimit",
            { max: context.max },
          ),
      });
    }

    // A query parameter no route knows is refused (400 naming it), on every route: a
    // typo such as `?limt=5` must not be silently ignored.
    app.addHook("onRoute", (route) => {
      if (route.schema?.querystring) return;
      route.schema = { ...route.schema, querystring: NO_QUERY };
    });

    app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
    for (const module of modules) await app.register(module.routes, deps);
  };
}

// Swagger UI sets one inline style; this is its hash, allowed on /api/docs only
// (a new Swagger UI version that changes it shows up in the browser suite).
const SWAGGER_UI_STYLE_HASH = "'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='";

/** The interactive reference at /api/docs, reading the same document. */
export const apiDocsPlugin = async (app: FastifyInstance) => {
  app.addHook("onSend", async (_req, reply) => {
    const csp = reply.getHeader("content-security-policy");
    if (typeof csp === "string") {
      reply.header(
        "content-security-policy",
        csp.replace("style-src 'self'", `style-src 'self' ${SWAGGER_UI_STYLE_HASH}`),
      );
    }
  });
  await app.register(fastifySwaggerUi, {
    routePrefix: "/api/docs",
    theme: { title: "Tessera API reference" },
    uiConfig: { deepLinking: true, defaultModelsExpandDepth: 0 },
  });
};
