import type { FastifyInstance } from "fastify";
import Type from "typebox";
import type { Deps } from "../deps.ts";
import { MAX_ID } from "../lib/ids.ts";
import {
  Cursor,
  IdParam,
  Instant,
  Limit,
  Nullable,
  Page,
  problems,
} from "../platform/api.schemas.ts";
import { API_PREFIX, type ApiModule } from "../platform/api.ts";
import { requireActor } from "../platform/auth.ts";
import { WEBHOOK_EVENT_DESCRIPTIONS, WEBHOOK_EVENT_TYPES } from "./webhooks.events.ts";
import { CreateEndpointInput, EventTypeSchema, UpdateEndpointInput } from "./webhooks.schemas.ts";
import { EXCERPT_BYTES } from "./webhooks.sender.ts";
import * as webhooks from "./webhooks.service.ts";

const EVENTS_DOC = WEBHOOK_EVENT_TYPES.map(
  (t) => `\`${t}\`: ${WEBHOOK_EVENT_DESCRIPTIONS[t]}`,
).join(" ");

const WebhookJson = Type.Object(
  {
    id: Type.Integer({ minimum: 1 }),
    url: Type.String(),
    description: Type.String(),
    eventTypes: Type.Array(EventTypeSchema),
    enabled: Type.Boolean(),
    previousSecretExpiresAt: Nullable(Instant, {
      description: "While a rotated-out secret still signs alongside the current one: until when",
    }),
    createdAt: Instant,
    updatedAt: Instant,
  },
  { $id: "Webhook", additionalProperties: false },
);

const DeliveryJson = Type.Object(
  {
    id: Type.Integer({ minimum: 1 }),
    webhookId: Type.String({ description: "The `webhook-id` header, the same on every attempt" }),
    eventType: EventTypeSchema,
    ticketId: Nullable(Type.Integer({ minimum: 1 })),
    status: Type.Enum(["pending", "delivered", "failed"]),
    attempts: Type.Integer({ minimum: 0 }),
    nextAttemptAt: Nullable(Instant, { description: "Pending only" }),
    lastAttemptAt: Nullable(Instant),
    responseStatus: Nullable(Type.Integer(), {
      description: "HTTP status of the last attempt; null when no answer came",
    }),
    responseMs: Nullable(Type.Integer()),
    responseExcerpt: Nullable(Type.String(), {
      description: `The first ${EXCERPT_BYTES} bytes of the last answer, as text`,
    }),
    lastError: Nullable(Type.String()),
    body: Type.String({ description: "The JSON body as signed and sent" }),
    createdAt: Instant,
    deliveredAt: Nullable(Instant),
  },
  { $id: "WebhookDelivery", additionalProperties: false },
);

const WithSecret = Type.Object(
  {
    secret: Type.String({
      description: "The signing secret (`whsec_...`): shown in this answer only, never again",
    }),
    record: Type.Ref("Webhook"),
  },
  { additionalProperties: false },
);

const DeliveryParams = Type.Object(
  {
    id: Type.Integer({ minimum: 1, maximum: MAX_ID }),
    deliveryId: Type.Integer({ minimum: 1, maximum: MAX_ID }),
  },
  { additionalProperties: false },
);

const DeliveriesQuery = Type.Object(
  { limit: Type.Optional(Limit), cursor: Type.Optional(Cursor) },
  { additionalProperties: false },
);

function webhookJson(e: webhooks.WebhookEndpoint) {
  return {
    id: e.id,
    url: e.url,
    description: e.description,
    eventTypes: e.eventTypes,
    enabled: e.enabled,
    previousSecretExpiresAt: e.previousSecretExpiresAt?.toISOString() ?? null,
    createdAt: e.createdAt.toISOString(),
    updatedAt: e.updatedAt.toISOString(),
  };
}

function deliveryJson(d: webhooks.WebhookDelivery) {
  return {
    id: d.id,
    webhookId: d.webhookId,
    eventType: d.eventType,
    ticketId: d.ticketId,
    status: d.status,
    attempts: d.attempts,
    nextAttemptAt: d.nextAttemptAt?.toISOString() ?? null,
    lastAttemptAt: d.lastAttemptAt?.toISOString() ?? null,
    responseStatus: d.responseStatus,
    responseMs: d.responseMs,
    responseExcerpt: d.responseExcerpt,
    lastError: d.lastError,
    body: d.body,
    createdAt: d.createdAt.toISOString(),
    deliveredAt: d.deliveredAt?.toISOString() ?? null,
  };
}

const tags = ["webhooks"];

/** Webhook endpoints and their deliveries: admins' tokens only (403 for anyone else). */
export const webhooksApi: ApiModule = {
  schemas: [WebhookJson, DeliveryJson],
  routes: webhooksRoutes,
};

async function webhooksRoutes(app: FastifyInstance, deps: Deps) {
  app.get(
    "/webhooks",
    {
      schema: {
        tags,
        summary: "Webhook endpoints, oldest first (admins)",
        response: { 200: Type.Object({ data: Type.Array(Type.Ref("Webhook")) }), ...problems(403) },
      },
    },
    async (req) => {
      const list = await webhooks.listEndpoints(deps, requireActor(req));
      return { data: list.map(webhookJson) };
    },
  );

  app.post(
    "/webhooks",
    {
      schema: {
        tags,
        summary: "Register a webhook endpoint (admins)",
        description:
          "Each event is POSTed as JSON `{type, timestamp, data}`, signed per Standard Webhooks " +
          "(`webhook-id`, `webhook-timestamp`, `webhook-signature`: `v1,` + base64 HMAC-SHA256 of " +
          "`id.timestamp.body` with the secret's base64 part). Retried with backoff on anything but " +
          `2xx; redirects are not followed. Event types: ${EVENTS_DOC} The URL may not be (or ` +
          "resolve to) a loopback, private, link-local or other special-purpose address unless its " +
          "host:port is in WEBHOOK_ALLOW_HOSTS. The answer holds the secret, once.",
        body: CreateEndpointInput,
        response: { 201: WithSecret, ...problems(403, 409, 413, 415) },
      },
    },
    async (req, reply) => {
      const created = await webhooks.createEndpoint(
        deps,
        requireActor(req),
        req.body as CreateEndpointInput,
      );
      return reply
        .code(201)
        .header("location", `${API_PREFIX}/webhooks/${created.endpoint.id}`)
        .send({ secret: created.secret, record: webhookJson(created.endpoint) });
    },
  );

  app.get(
    "/webhooks/:id",
    {
      schema: {
        tags,
        summary: "One webhook endpoint (admins)",
        params: IdParam,
        response: { 200: Type.Ref("Webhook"), ...problems(403, 404) },
      },
    },
    async (req) => {
      const { id } = req.params as { id: number };
      return webhookJson(await webhooks.getEndpoint(deps, requireActor(req), id));
    },
  );

  app.patch(
    "/webhooks/:id",
    {
      schema: {
        tags,
        summary:
          "Change a webhook endpoint's URL, description, event types or enabled flag (admins)",
        params: IdParam,
        body: UpdateEndpointInput,
        response: { 200: Type.Ref("Webhook"), ...problems(403, 404, 413, 415) },
      },
    },
    async (req) => {
      const { id } = req.params as { id: number };
      const updated = await webhooks.updateEndpoint(
        deps,
        requireActor(req),
        id,
        req.body as UpdateEndpointInput,
      );
      return webhookJson(updated);
    },
  );

  app.delete(
    "/webhooks/:id",
    {
      schema: {
        tags,
        summary: "Delete a webhook endpoint and its deliveries (admins)",
        params: IdParam,
        response: { 204: Type.Null({ description: "Deleted" }), ...problems(403, 404) },
      },
    },
    async (req, reply) => {
      const { id } = req.params as { id: number };
      await webhooks.deleteEndpoint(deps, requireActor(req), id);
      return reply.code(204).send();
    },
  );

  app.post(
    "/webhooks/:id/rotate-secret",
    {
      schema: {
        tags,
        operationId: "rotateWebhookSecret",
        summary: "Give a webhook endpoint a new secret (admins)",
        description:
          "The answer holds the new secret, once. The previous secret keeps signing alongside it " +
          "(two `v1,` signatures in `webhook-signature`) for WEBHOOK_SECRET_GRACE_HOURS, so the " +
          "receiver can switch without missing a delivery.",
        params: IdParam,
        response: { 200: WithSecret, ...problems(403, 404) },
      },
    },
    async (req) => {
      const { id } = req.params as { id: number };
      const rotated = await webhooks.rotateEndpointSecret(deps, requireActor(req), id);
      return { secret: rotated.secret, record: webhookJson(rotated.endpoint) };
    },
  );

  app.get(
    "/webhooks/:id/deliveries",
    {
      schema: {
        tags,
        summary: "A webhook endpoint's deliveries, newest first (admins)",
        description: "Pass `nextCursor` back as `cursor` for the next page.",
        params: IdParam,
        querystring: DeliveriesQuery,
        response: { 200: Page(Type.Ref("WebhookDelivery")), ...problems(403, 404) },
      },
    },
    async (req) => {
      const { id } = req.params as { id: number };
      const query = req.query as { limit?: number; cursor?: string };
      const page = await webhooks.listDeliveries(deps, requireActor(req), id, query);
      return { data: page.deliveries.map(deliveryJson), nextCursor: page.nextCursor };
    },
  );

  app.get(
    "/webhooks/:id/deliveries/:deliveryId",
    {
      schema: {
        tags,
        summary: "One delivery of a webhook endpoint (admins)",
        params: DeliveryParams,
        response: { 200: Type.Ref("WebhookDelivery"), ...problems(403, 404) },
      },
    },
    async (req) => {
      const { id, deliveryId } = req.params as { id: number; deliveryId: number };
      return deliveryJson(await webhooks.getDelivery(deps, requireActor(req), id, deliveryId));
    },
  );

  app.post(
    "/webhooks/:id/deliveries/:deliveryId/resend",
    {
      schema: {
        tags,
        operationId: "resendWebhookDelivery",
        summary: "Send a delivered or failed delivery again (admins)",
        description:
          "Queued now with a fresh set of tries, the same `webhook-id` and body (signed anew). " +
          "A delivery still pending is 409.",
        params: DeliveryParams,
        response: {
          202: Type.Ref("WebhookDelivery"),
          ...problems(403, 404, 409),
        },
      },
    },
    async (req, reply) => {
      const { id, deliveryId } = req.params as { id: number; deliveryId: number };
      const queued = await webhooks.resendDelivery(deps, requireActor(req), id, deliveryId);
      return reply.code(202).send(deliveryJson(queued));
    },
  );
}
