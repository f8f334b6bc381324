import fastifyCookie from "@fastify/cookie";
import fastifyCsrf from "@fastify/csrf-protection";
import fastifyHelmet from "@fastify/helmet";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { Deps } from "../deps.ts";
import * as settings from "../settings/settings.service.ts";
import { csrfUserInfo } from "./auth.ts";

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
  app.addHook("preHandler", (req, reply, done) => {
    if (!UNSAFE_METHODS.has(req.method)) return done();
    app.csrfProtection(req, reply, done);
  });
});
