import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import * as accounts from "../accounts/accounts.service.ts";
import { type Actor, isAdmin, isStaff } from "../accounts/index.ts";
import type { Deps } from "../deps.ts";
import { Forbidden, Unauthorized } from "../lib/errors.ts";
import { hashToken } from "../lib/tokens.ts";

export function sessionCookieName(deps: Pick<Deps, "config">): string {
  // The __Host- prefix pins the cookie to this origin over https.
  return deps.config.secureCookies ? "__Host-tessera_session" : "tessera_session";
}

/** Sets the session cookie: HttpOnly, SameSite=Lax, Secure behind https. */
export function setSessionCookie(deps: Deps, reply: FastifyReply, token: string): void {
  reply.setCookie(sessionCookieName(deps), token, {
    path: "/",
    httpOnly: true,
    sameSite: "lax",
    secure: deps.config.secureCookies,
    maxAge: Math.floor(deps.config.sessionMaxMs / 1000),
  });
}

export function clearSessionCookie(deps: Deps, reply: FastifyReply): void {
  reply.clearCookie(sessionCookieName(deps), { path: "/", secure: deps.config.secureCookies });
}

/**
 * A short-lived cookie carrying one step of a sign-in: HttpOnly, SameSite=Lax
 * (it must come back on the top-level redirect from an OpenID provider), Secure
 * and `__Host-` behind https.
 */
function stepCookie(base: string, maxAgeSeconds: number) {
  const name = (deps: Pick<Deps, "config">) =>
    deps.config.secureCookies ? `__Host-${base}` : base;
  return {
    set(deps: Deps, reply: FastifyReply, value: string): void {
      reply.setCookie(name(deps), value, {
        path: "/",
        httpOnly: true,
        sameSite: "lax",
        secure: deps.config.secureCookies,
        maxAge: maxAgeSeconds,
      });
    },
    clear(deps: Deps, reply: FastifyReply): void {
      reply.clearCookie(name(deps), { path: "/", secure: deps.config.secureCookies });
    },
    /** The cookie's value, or "" without one. */
    read(deps: Deps, req: FastifyRequest): string {
      return req.cookies[name(deps)] ?? "";
    },
  };
}

/** The pending two-factor step between the password and the code (5 minutes). */
export const secondStepCookie = stepCookie("tessera_2fa", 5 * 60);

/** A single sign-on begun at an OpenID provider: the sealed state, nonce and verifier. */
export const ssoStateCookie = stepCookie("tessera_sso", 10 * 60);

/** Where an enrolment-only session is sent, and the only pages it may open. */
export const ENROLMENT_PATH = "/account/two-factor";
const ENROLMENT_OPEN = new Set([ENROLMENT_PATH, "/logout"]);

/** What CSRF tokens are bound to: the session, or the anonymous visitor. */
export function csrfUserInfo(req: FastifyRequest): string {
  return req.sessionToken ? hashToken(req.sessionToken) : "anonymous";
}

/**
 * Resolves the session cookie on every request into `req.actor`. A session
 * opened from a ticket link goes to `req.ticketVisitor` instead, so every
 * route is closed to it unless it asks for it (`requireTicketReader`).
 */
export const authPlugin = fp(async (app: FastifyInstance, deps: Deps) => {
  app.decorateRequest("actor", undefined);
  app.decorateRequest("ticketVisitor", undefined);
  app.decorateRequest("sessionToken", undefined);
  app.decorateRequest("authVia", undefined);
  app.decorateRequest("enrollingActor", undefined);
  const cookieName = sessionCookieName(deps);
  app.addHook("onRequest", async (req, reply) => {
    if (req.url.startsWith("/static/")) return;
    const token = req.cookies[cookieName];
    if (!token) return;
    const state = await accounts.resolveSessionState(deps, token);
    if (!state) return;
    req.sessionToken = token;
    if (!state.enrolmentOnly) {
      if (state.actor.onlyTicketId === undefined) req.actor = state.actor;
      else req.ticketVisitor = state.actor;
      req.authVia = "session";
      return;
    }
    // Enrolment-only: no actor, so every route answers as to a stranger; pages lead to enrolment.
    req.enrollingActor = state.actor;
    const path = req.url.split("?")[0] ?? "";
    if (
      req.method === "GET" &&
      !ENROLMENT_OPEN.has(path) &&
      !path.startsWith("/api/") &&
      path !== "/live"
    ) {
      return reply.redirect(ENROLMENT_PATH, 303);
    }
  });
});

/** The signed-in actor, or Unauthorized (a page answers with a redirect to sign-in). */
export function requireActor(req: FastifyRequest): Actor {
  if (!req.actor) throw new Unauthorized();
  return req.actor;
}

/**
 * The signed-in actor, or the visitor of a ticket link: for the few pages
 * of one ticket such a session may reach. With `ticketId`, a visitor of
 * another ticket must sign in; without it, the service's `canSee` decides.
 */
export function requireTicketReader(req: FastifyRequest, ticketId?: number): Actor {
  if (req.actor) return req.actor;
  const visitor = req.ticketVisitor;
  if (!visitor || (ticketId !== undefined && visitor.onlyTicketId !== ticketId)) {
    throw new Unauthorized();
  }
  return visitor;
}

export function requireStaff(req: FastifyRequest): Actor {
  const actor = requireActor(req);
  if (!isStaff(actor)) throw new Forbidden("This page is for support staff.", "error.pageForStaff");
  return actor;
}

export function requireAdmin(req: FastifyRequest): Actor {
  const actor = requireActor(req);
  if (!isAdmin(actor))
    throw new Forbidden("This page is for administrators.", "error.pageForAdmins");
  return actor;
}
