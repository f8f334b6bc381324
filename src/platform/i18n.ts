import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { getInstanceLanguageDefaults } from "../accounts/accounts.service.ts";
import type { Deps } from "../deps.ts";
import {
  DEFAULT_TRANSLATOR,
  isTimeZone,
  type Locale,
  negotiateLocale,
  translator,
} from "../i18n/i18n.ts";
import { asksForPseudoLocale, pseudoTranslator } from "../i18n/pseudo.ts";
import { BUILT_IN_LANGUAGE_DEFAULTS } from "../settings/settings.service.ts";

/** The switcher's choice for someone not signed in (a signed-in user's is saved on their account). */
export const LANGUAGE_COOKIE = "tessera_lang";

/** Remembers an anonymous visitor's language for a year: not a secret, so readable over plain http too. */
export function setLanguageCookie(deps: Deps, reply: FastifyReply, locale: Locale): void {
  reply.setCookie(LANGUAGE_COOKIE, locale, {
    path: "/",
    httpOnly: true,
    sameSite: "lax",
    secure: deps.config.secureCookies,
    maxAge: 365 * 24 * 3600,
  });
}

// Not pages: the API speaks codes and UTC; static files, the probes and the metrics have
// no words, and the probes must answer for themselves while the database is down.
const NOT_PAGES = /^\/(?:api|static)\/|^\/(?:healthz|readyz|metrics)(?:[?/]|$)/;

/**
 * Gives every page request its reader (`req.i18n`): language by the user's
 * own setting, the switcher's cookie, `Accept-Language`, then the instance
 * default; time zone by the user's own, then the instance's. The API, static
 * files, the probes and the metrics skip it.
 */
export const i18nPlugin = fp(async (app: FastifyInstance, deps: Deps) => {
  app.decorateRequest("i18n", undefined);
  app.addHook("onRequest", async (req) => {
    if (NOT_PAGES.test(req.url)) return;
    const actor = req.actor ?? req.ticketVisitor;
    const cookie = req.cookies[LANGUAGE_COOKIE];
    const acceptLanguage = req.headers["accept-language"];
    // The user's own language and zone came with the session's user row; the
    // instance's defaults come from memory on a server (no query once read). A
    // database that cannot be read leaves the answer to the route (a 503, not this hook's 500).
    const defaults = await getInstanceLanguageDefaults(deps).catch((error: unknown) => {
      req.log.warn({ err: error }, "instance language defaults unreadable; English in UTC");
      return BUILT_IN_LANGUAGE_DEFAULTS;
    });
    const locale = negotiateLocale({
      userLocale: actor?.locale,
      cookie,
      acceptLanguage,
      instanceDefault: defaults.locale,
    });
    const timeZone = isTimeZone(actor?.timeZone) ? actor.timeZone : defaults.timeZone;
    // The pseudo-locale, when offered, is asked for by a browser's first choice, and
    // then wins over a saved language: checking pages is the whole point of asking.
    req.i18n =
      deps.config.pseudoLocale && asksForPseudoLocale(acceptLanguage)
        ? pseudoTranslator(timeZone)
        : translator(locale, timeZone);
  });
});

/** The request's reader; English in UTC where the hook did not run (an error before it). */
export function readerOf(req: FastifyRequest) {
  return req.i18n ?? DEFAULT_TRANSLATOR;
}
