import fastifyFormbody from "@fastify/formbody";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import Fastify, { type FastifyInstance } from "fastify";
import { accountsPages } from "./accounts/accounts.pages.tsx";
import { accountsApi } from "./accounts/accounts.routes.ts";
import { adminPages } from "./accounts/admin.pages.tsx";
import { ssoPages } from "./accounts/sso.pages.tsx";
import { ticketLinksPages } from "./accounts/ticket-links.pages.tsx";
import { twoFactorPages } from "./accounts/two-factor.pages.tsx";
import { assignmentPages } from "./assignment/assignment.pages.ts";
import { assignmentApi } from "./assignment/assignment.routes.ts";
import { bulkPages } from "./bulk/bulk.pages.tsx";
import { bulkApi } from "./bulk/bulk.routes.ts";
import { cannedPages, cannedReplyBox } from "./canned/canned.pages.tsx";
import { cannedApi } from "./canned/canned.routes.ts";
import type { Database } from "./db/client.ts";
import type { Deps } from "./deps.ts";
import { emailPages } from "./email/email.pages.tsx";
import { emailApi } from "./email/email.routes.ts";
import { countPendingOutbox } from "./email/index.ts";
import { EVENTS_CHANNEL, type EventBus } from "./events/bus.ts";
import { fieldsPages } from "./fields/fields.pages.tsx";
import { fieldsApi } from "./fields/fields.routes.ts";
import { type LiveOptions, livePages } from "./live/live.pages.ts";
import { macrosPages } from "./macros/macros.pages.tsx";
import { macrosApi } from "./macros/macros.routes.ts";
import { organisationsPages } from "./organisations/organisations.pages.tsx";
import { organisationsApi } from "./organisations/organisations.routes.ts";
import { API_PREFIX, apiDocsPlugin, apiPlugin, openApiPlugin } from "./platform/api.ts";
import { authPlugin } from "./platform/auth.ts";
import { errorsPlugin } from "./platform/errors.ts";
import { parseUrlencoded } from "./platform/forms.ts";
import { frameworkErrors } from "./platform/framework-errors.ts";
import { healthRoutes } from "./platform/health.ts";
import { i18nPlugin } from "./platform/i18n.ts";
import { requestContextPlugin } from "./platform/logging.ts";
import { metricsPlugin } from "./platform/metrics.ts";
import { securityPlugin } from "./platform/security.ts";
import { staticPlugin } from "./platform/static.ts";
import { uploadsPlugin } from "./platform/uploads.ts";
import { viewsPlugin } from "./platform/views.ts";
import { composeReactions } from "./reactions.ts";
import { rulesPages } from "./rules/rules.pages.tsx";
import { savedViewsDesk, savedViewsPages } from "./saved-views/saved-views.pages.tsx";
import { savedViewsApi } from "./saved-views/saved-views.routes.ts";
import { slaPages } from "./sla/sla.pages.tsx";
import { tagsPages } from "./tags/tags.pages.tsx";
import { teamsPages } from "./teams/teams.pages.tsx";
import { teamsApi } from "./teams/teams.routes.ts";
import { deskPages } from "./tickets/desk.pages.tsx";
import { ticketsPages } from "./tickets/tickets.pages.tsx";
import { ticketsApi } from "./tickets/tickets.routes.ts";
import { tokensPages } from "./tokens/tokens.pages.tsx";
import { tokensApi } from "./tokens/tokens.routes.ts";
import { webhooksPages } from "./webhooks/webhooks.pages.tsx";
import { webhooksApi } from "./webhooks/webhooks.routes.ts";
import "./platform/types.ts";

/** What buildApp needs: the services' deps (the logger is the app's own), and optionally
 * the event bus (composed here when absent) and how to listen for committed events. */
export type AppDeps = Omit<Deps, "log" | "events"> & {
  events?: EventBus<Deps> | undefined;
  /** When given, committed events from every node reach the bus's after-commit reactions. */
  listen?: Database["listen"] | undefined;
};

export interface AppOptions {
  /** Logger settings for Fastify (false in tests). */
  logger?: boolean | object;
  /** Live pages' limits and timings (tests make them small). */
  live?: LiveOptions;
}

/** Largest accepted non-file request body: the biggest form is a 64 KiB message. */
export const BODY_LIMIT = 1024 * 1024;

/** Builds the web app: platform plugins first, then each feature. Does not listen. */
export async function buildApp(
  { listen, ...deps }: AppDeps,
  options: AppOptions = {},
): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: BODY_LIMIT,
    // One hop: the address is the one our own proxy saw (the last X-Forwarded-For
    // entry). `true` would trust every entry, so a client could write its own
    // first address and slip past the per-IP sign-in limit.
    trustProxy: deps.config.trustProxy ? (_address: string, hop: number) => hop === 0 : false,
    requestIdHeader: false,
    genReqId: () => crypto.randomUUID(),
    // A malformed URL is refused before any hook runs: answered with the security headers.
    frameworkErrors: frameworkErrors(deps.config),
  }).withTypeProvider<TypeBoxTypeProvider>();
  const fullDeps: Deps = { ...deps, events: deps.events ?? composeReactions(), log: app.log };
  if (listen) {
    let unlisten: (() => Promise<void>) | undefined;
    app.addHook("onReady", async () => {
      unlisten = await listen(EVENTS_CHANNEL, {
        onPayload: (payload) => fullDeps.events.deliver(payload, app.log),
        onReconnect: () => app.log.warn("listening for events again after a lost connection"),
        onError: (error) => app.log.error({ err: error }, "event listener connection failed"),
      });
    });
    app.addHook("onClose", async () => {
      await unlisten?.();
    });
  }

  await app.register(requestContextPlugin);
  await app.register(metricsPlugin, { ...fullDeps, outboxCounter: countPendingOutbox });
  await app.register(errorsPlugin, fullDeps);
  await app.register(openApiPlugin, fullDeps);
  // Pages take HTML forms only (urlencoded and multipart, registered below):
  // anything else is 415, which keeps JSON-shaped input away from form handlers.
  app.removeAllContentTypeParsers();
  await app.register(securityPlugin, fullDeps);
  await app.register(fastifyFormbody, { bodyLimit: BODY_LIMIT, parser: parseUrlencoded });
  await app.register(uploadsPlugin, fullDeps);
  await app.register(viewsPlugin);
  await app.register(staticPlugin);
  await app.register(authPlugin, fullDeps);
  await app.register(i18nPlugin, fullDeps);

  await app.register(healthRoutes, fullDeps);
  await app.register(accountsPages, fullDeps);
  await app.register(ssoPages, fullDeps);
  await app.register(twoFactorPages, fullDeps);
  await app.register(adminPages, fullDeps);
  await app.register(ticketsPages, { ...fullDeps, replyBox: cannedReplyBox(fullDeps) });
  await app.register(ticketLinksPages, fullDeps);
  await app.register(deskPages, { ...fullDeps, views: savedViewsDesk(fullDeps) });
  await app.register(emailPages, fullDeps);
  await app.register(rulesPages, fullDeps);
  await app.register(slaPages, fullDeps);
  await app.register(tokensPages, fullDeps);
  await app.register(teamsPages, fullDeps);
  await app.register(tagsPages, fullDeps);
  await app.register(fieldsPages, fullDeps);
  await app.register(organisationsPages, fullDeps);
  await app.register(assignmentPages, fullDeps);
  await app.register(webhooksPages, fullDeps);
  await app.register(cannedPages, fullDeps);
  await app.register(macrosPages, fullDeps);
  await app.register(bulkPages, fullDeps);
  await app.register(savedViewsPages, fullDeps);
  await app.register(livePages, { ...fullDeps, listen, live: options.live });

  await app.register(
    apiPlugin(fullDeps, [
      accountsApi,
      ticketsApi,
      emailApi,
      tokensApi,
      teamsApi,
      organisationsApi,
      assignmentApi,
      webhooksApi,
      cannedApi,
      macrosApi,
      bulkApi,
      fieldsApi,
      savedViewsApi,
    ]),
    { prefix: API_PREFIX },
  );
  await app.register(apiDocsPlugin);
  return app;
}
