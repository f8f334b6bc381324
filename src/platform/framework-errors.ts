import type { FastifyReply, FastifyRequest } from "fastify";
import type { Config } from "../config.ts";
import { fromAcceptLanguage, translator } from "../i18n/i18n.ts";

/**
 * Fastify's `frameworkErrors` option: the answer to a request it refuses before
 * any hook runs (a URL with broken percent-encoding, a path parameter over the
 * length limit). helmet's headers are set by a hook, so they are set here by
 * hand: a plain-text 400 that nothing can frame, sniff or run, and that does
 * not echo the URL back. No hook has run, so the reader is who the browser
 * says (`Accept-Language`), else English; the API keeps its English.
 */
export function frameworkErrors(config: Pick<Config, "secureCookies">) {
  return (_error: Error, req: FastifyRequest, reply: FastifyReply) => {
    reply
      .code(400)
      .header(
        "content-security-policy",
        "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
      )
      .header("x-content-type-options", "nosniff")
      .header("x-frame-options", "DENY")
      .header("referrer-policy", "same-origin")
      .header("cross-origin-opener-policy", "same-origin")
      .header("cross-origin-resource-policy", "same-origin")
      .header("x-permitted-cross-domain-policies", "none")
      .header("cache-control", "no-store");
    if (config.secureCookies) {
      reply.header("strict-transport-security", "max-age=31536000; includeSubDomains");
    }
    const locale = req.url.startsWith("/api/")
      ? "en"
      : (fromAcceptLanguage(req.headers["accept-language"]) ?? "en");
    const text = translator(locale, "UTC").t("error.badAddress");
    return reply.type("text/plain; charset=utf-8").send(`${text}\n`);
  };
}
