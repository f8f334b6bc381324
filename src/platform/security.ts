import fastifyCookie from "@fastify/cookie";
import fastifyCsrf from "@fastify/csrf-protection";
import fastifyHelmet from "@fastify/helmet";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { Deps } from "../deps.ts";
import { Invalid } from "../lib/errors.ts";
import * as settings from "../settings/settings.service.ts";
import { csrfUserInfo } from "./auth.ts";

/** The name of the first field (strings, or lists of them) that contains a NUL byte. */
function fieldWithNul(fields: unknown): string | undefined {
  if (typeof fields !== "object" || fields === null) return undefined;
  for (const [name, value] of Object.entries(fields)) {
    const values: unknown[] = Array.isArray(value) ? value : [value];
    if (values.some((v) => typeof v === "string" && v.includes("\u0000"))) return name;
  }
  return undefined;
}

const UNSAFE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * Security headers with a strict Content-Security-Policy (no inline scripts or
 * styles), cookies, and CSRF tokens checked on every state-changing request.
 */
export const securityPlugin = fp(async (app: FastifyInstance, deps: Deps) => {
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", "data:"],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        ...(deps.config.secureCookies ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    strictTransportSecurity: deps.config.secureCookies,
    referrerPolicy: { policy: "same-origin" },
  });
  await app.register(fastifyCookie);
  await app.register(fastifyCsrf, {
    sessionPlugin: "@fastify/cookie",
    cookieKey: deps.config.secureCookies ? "__Host-tessera_csrf" : "tessera_csrf",
    cookieOpts: { path: "/", sameSite: "lax", httpOnly: true, secure: deps.config.secureCookies },
    csrfOpts: { hmacKey: await settings.getOrCreateSecret(deps.db, "csrf") },
    getUserInfo: csrfUserInfo,
    getToken: (req) => {
      const body = req.body as Record<string, unknown> | undefined;
      const fromBody = typeof body?._csrf === "string" ? body._csrf : undefined;
      const header = req.headers["x-csrf-token"];
      return fromBody ?? (typeof header === "string" ? header : "");
    },
  });
  // In preHandler: the body (which carries the token) has been parsed by then.
  // The API's bearer tokens are not sent by browsers on their own, so only its
  // cookie-authenticated calls need the token (in the X-CSRF-Token header).
  app.addHook("preHandler", (req, reply, done) => {
    if (!UNSAFE_METHODS.has(req.method)) return done();
    if (req.url.startsWith("/api/") && req.authVia !== "session") return done();
    app.csrfProtection(req, reply, done);
  });
  // PostgreSQL text cannot hold NUL: refuse it in any query or form field here,
  // once, rather than as a database error in whichever query meets it first.
  app.addHook("preHandler", async (req) => {
    const field = fieldWithNul(req.query) ?? fieldWithNul(req.body);
    if (field !== undefined) {
      throw Invalid.field(
        field,
        "contains characters that are not allowed",
        "error.field.characters",
      );
    }
  });
});
