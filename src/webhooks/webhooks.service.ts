import { randomUUID } from "node:crypto";
import type { Static } from "typebox";
import { type Actor, isAdmin } from "../accounts/index.ts";
import type { Tx } from "../db/client.ts";
import { Watched } from "../db/watched.ts";
import type { Deps } from "../deps.ts";
import type { DomainEvent } from "../events/events.ts";
import { decodeCursor, encodeCursor } from "../lib/cursor.ts";
import { Conflict, Forbidden, fieldProblem, Invalid, NotFound } from "../lib/errors.ts";
import { parse, trimFields } from "../lib/validate.ts";
import { deliveryBody, type WebhookEventType, webhookEventsOf } from "./webhooks.events.ts";
import {
  BlockedAddress,
  type Resolver,
  resolveTarget,
  resolveWithin,
  systemResolver,
} from "./webhooks.guard.ts";
import * as repo from "./webhooks.repo.ts";
import { CreateEndpointInput, ENDPOINTS_MAX, UpdateEndpointInput } from "./webhooks.schemas.ts";
import { newSecret } from "./webhooks.signing.ts";

/**
 * The enabled endpoints and their event types, kept in memory on a listening
 * node (src/db/watched.ts): a ticket write asks for them every time. Every
 * change to what they subscribe to goes through `enabledEndpoints.change`.
 */
export const enabledEndpoints = new Watched("tessera_webhooks", repo.enabledEndpoints);

/** An endpoint as admins see it: never its secrets, which are shown once (create, rotate). */
export interface WebhookEndpoint {
  id: number;
  url: string;
  description: string;
  eventTypes: WebhookEventType[];
  enabled: boolean;
  /** Set while a rotated-out secret still signs alongside the current one. */
  previousSecretExpiresAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface WebhookDelivery {
  id: number;
  endpointId: number;
  webhookId: string;
  eventType: string;
  ticketId: number | null;
  body: string;
  status: repo.DeliveryRow["status"];
  attempts: number;
  nextAttemptAt: Date | null;
  lastAttemptAt: Date | null;
  responseStatus: number | null;
  responseMs: number | null;
  responseExcerpt: string | null;
  lastError: string | null;
  createdAt: Date;
  deliveredAt: Date | null;
}

// A save waits this long for DNS; a name without an answer is checked at each delivery instead.
const SAVE_DNS_MS = 3_000;

/** Delivered and failed deliveries are kept this long for admins to look at, then deleted. */
export const DELIVERY_RETENTION_MS = 30 * 24 * 3600_000;

/** How save-time checks resolve host names (tests pass their own). */
export interface ServiceOptions {
  resolve?: Resolver;
}

function toEndpoint(row: repo.EndpointRow, now = new Date()): WebhookEndpoint {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    eventTypes: row.eventTypes as WebhookEventType[],
    enabled: row.enabled,
    previousSecretExpiresAt:
      row.previousSecretExpiresAt && row.previousSecretExpiresAt > now
        ? row.previousSecretExpiresAt
        : null,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function toDelivery(row: repo.DeliveryRow): WebhookDelivery {
  return {
    id: row.id,
    endpointId: row.endpointId,
    webhookId: row.webhookId,
    eventType: row.eventType,
    ticketId: row.ticketId,
    body: row.body,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.status === "pending" ? row.nextAttemptAt : null,
    lastAttemptAt: row.lastAttemptAt,
    responseStatus: row.responseStatus,
    responseMs: row.responseMs,
    responseExcerpt: row.responseExcerpt,
    lastError: row.lastError,
    createdAt: row.createdAt,
    deliveredAt: row.deliveredAt,
  };
}

function requireAdminActor(actor: Actor): void {
  if (!isAdmin(actor))
    throw new Forbidden("Only admins manage webhooks.", "error.onlyAdmins.webhooks");
}

/**
 * An endpoint's input checked against its schema. lib/validate.ts has no
 * catalog sentence for an empty list (`minItems`): an empty `eventTypes` gets
 * one here, for pages; its English, the API's, is the schema's own.
 */
function parseEndpoint<T extends typeof CreateEndpointInput | typeof UpdateEndpointInput>(
  schema: T,
  input: CreateEndpointInput | UpdateEndpointInput,
): Static<T> {
  try {
    return parse(schema, trimFields(input, ["url", "description"]));
  } catch (error) {
    if (!(error instanceof Invalid) || input.eventTypes?.length !== 0) throw error;
    const errors = error.errors.map((e) =>
      e.field === "eventTypes" && e.key === undefined
        ? fieldProblem(e.field, e.message, "webhooks.error.noEvents")
        : e,
    );
    throw new Invalid(errors, error.message, error.code, error.messageKey);
  }
}

/** Too many endpoints to add another (409): the code pages recognise it by. */
export const TOO_MANY_WEBHOOKS = "too_many_webhooks";

/**
 * An endpoint URL admins may save: http or https, no credentials in it, and a
 * host that is not (and does not resolve to) an address webhooks may not reach
 * (webhooks.guard.ts). A name that does not resolve yet is accepted: every
 * delivery checks again, and pins the address it checked.
 */
async function checkUrl(deps: Deps, raw: string, resolve: Resolver): Promise<string> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw Invalid.field(
      "url",
      "must be a full URL like https://example.com/hooks",
      "error.field.urlFull",
    );
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw Invalid.field("url", "must start with https:// or http://", "error.field.urlScheme");
  }
  if (url.username || url.password) {
    throw Invalid.field(
      "url",
      "must not hold a user name or password",
      "error.field.urlCredentials",
    );
  }
  if (url.hash) throw Invalid.field("url", "must not have a #fragment", "error.field.urlFragment");
  try {
    await resolveTarget(url, deps.config.webhookAllowHosts, resolveWithin(resolve, SAVE_DNS_MS));
  } catch (error) {
    if (error instanceof BlockedAddress) {
      // The reason names hosts, addresses and WEBHOOK_ALLOW_HOSTS: kept as written.
      throw Invalid.field("url", `is refused: ${error.message}`, "error.field.urlRefused", {
        reason: error.message,
      });
    }
    // Not resolvable now: checked again at each delivery.
  }
  return url.href;
}

/** All endpoints, oldest first. Admins only. */
export async function listEndpoints(deps: Deps, actor: Actor): Promise<WebhookEndpoint[]> {
  requireAdminActor(actor);
  const now = new Date();
  return (await repo.listEndpoints(deps.db)).map((row) => toEndpoint(row, now));
}

export async function getEndpoint(deps: Deps, actor: Actor, id: number): Promise<WebhookEndpoint> {
  requireAdminActor(actor);
  const row = await repo.findEndpoint(deps.db, id);
  if (!row) throw new NotFound("webhook", id);
  return toEndpoint(row);
}

/**
 * Registers an endpoint (admins only). The URL is checked against the
 * address rules; the secret is returned this once.
 */
export async function createEndpoint(
  deps: Deps,
  actor: Actor,
  input: CreateEndpointInput,
  options: ServiceOptions = {},
): Promise<{ secret: string; endpoint: WebhookEndpoint }> {
  requireAdminActor(actor);
  const data = parseEndpoint(CreateEndpointInput, input);
  const url = await checkUrl(deps, data.url, options.resolve ?? systemResolver);
  if ((await repo.listEndpoints(deps.db)).length >= ENDPOINTS_MAX) {
    throw new Conflict(
      TOO_MANY_WEBHOOKS,
      `At most ${ENDPOINTS_MAX} webhook endpoints; delete one you no longer use.`,
      "webhooks.error.tooMany",
      { max: ENDPOINTS_MAX },
    );
  }
  const secret = newSecret();
  const row = await enabledEndpoints.change(deps.db, (tx) =>
    repo.insertEndpoint(tx, {
      url,
      description: data.description ?? "",
      eventTypes: [...data.eventTypes],
      enabled: data.enabled ?? true,
      secret,
    }),
  );
  return { secret, endpoint: toEndpoint(row) };
}

/** Changes an endpoint's URL, description, event types or enabled flag (admins only). */
export async function updateEndpoint(
  deps: Deps,
  actor: Actor,
  id: number,
  input: UpdateEndpointInput,
  options: ServiceOptions = {},
): Promise<WebhookEndpoint> {
  requireAdminActor(actor);
  const data = parseEndpoint(UpdateEndpointInput, input);
  if (!(await repo.findEndpoint(deps.db, id))) throw new NotFound("webhook", id);
  const url =
    data.url === undefined
      ? undefined
      : await checkUrl(deps, data.url, options.resolve ?? systemResolver);
  const row = await enabledEndpoints.change(deps.db, (tx) =>
    repo.updateEndpoint(tx, id, {
      ...(url !== undefined ? { url } : {}),
      ...(data.description !== undefined ? { description: data.description } : {}),
      ...(data.eventTypes !== undefined ? { eventTypes: [...data.eventTypes] } : {}),
      ...(data.enabled !== undefined ? { enabled: data.enabled } : {}),
    }),
  );
  if (!row) throw new NotFound("webhook", id);
  return toEndpoint(row);
}

/**
 * Gives an endpoint a new secret, returned this once. The old one keeps
 * signing alongside it for WEBHOOK_SECRET_GRACE_HOURS, so the receiver can
 * switch without losing a delivery (each carries both signatures meanwhile).
 */
export async function rotateEndpointSecret(
  deps: Deps,
  actor: Actor,
  id: number,
): Promise<{ secret: string; endpoint: WebhookEndpoint }> {
  requireAdminActor(actor);
  const secret = newSecret();
  const row = await repo.rotateSecret(deps.db, id, secret, deps.config.webhookSecretGraceMs);
  if (!row) throw new NotFound("webhook", id);
  return { secret, endpoint: toEndpoint(row) };
}

/** Deletes an endpoint and its deliveries (admins only). */
export async function deleteEndpoint(deps: Deps, actor: Actor, id: number): Promise<void> {
  requireAdminActor(actor);
  const deleted = await enabledEndpoints.change(deps.db, (tx) => repo.deleteEndpoint(tx, id));
  if (!deleted) throw new NotFound("webhook", id);
}

/** An endpoint's deliveries, newest first, a page at a time (admins only). */
export async function listDeliveries(
  deps: Deps,
  actor: Actor,
  endpointId: number,
  page: { limit?: number | undefined; cursor?: string | undefined } = {},
): Promise<{ deliveries: WebhookDelivery[]; nextCursor: string | null }> {
  requireAdminActor(actor);
  if (!(await repo.findEndpoint(deps.db, endpointId))) throw new NotFound("webhook", endpointId);
  const limit = page.limit ?? 25;
  let beforeId: number | undefined;
  if (page.cursor !== undefined) {
    const [id] = decodeCursor(page.cursor);
    if (typeof id !== "number" || !Number.isInteger(id) || id < 1) {
      throw Invalid.field(
        "cursor",
        "is not a cursor this server gave out",
        "error.field.notACursor",
      );
    }
    beforeId = id;
  }
  const rows = await repo.listDeliveries(deps.db, endpointId, limit + 1, beforeId);
  const more = rows.length > limit;
  const shown = rows.slice(0, limit);
  const last = shown.at(-1);
  return {
    deliveries: shown.map(toDelivery),
    nextCursor: more && last ? encodeCursor([last.id]) : null,
  };
}

export async function getDelivery(
  deps: Deps,
  actor: Actor,
  endpointId: number,
  id: number,
): Promise<WebhookDelivery> {
  requireAdminActor(actor);
  const row = await repo.findDelivery(deps.db, endpointId, id);
  if (!row) throw new NotFound("delivery", id);
  return toDelivery(row);
}

/**
 * Queues a delivered or failed delivery again, due now with a fresh set of
 * tries, the same `webhook-id` and body (admins only). A pending one is 409.
 */
export async function resendDelivery(
  deps: Deps,
  actor: Actor,
  endpointId: number,
  id: number,
): Promise<WebhookDelivery> {
  requireAdminActor(actor);
  const row = await repo.resend(deps.db, endpointId, id);
  if (row) return toDelivery(row);
  if (!(await repo.findDelivery(deps.db, endpointId, id))) throw new NotFound("delivery", id);
  throw new Conflict(
    "delivery_pending",
    "This delivery is still queued; it is sent soon.",
    "error.webhooks.deliveryPending",
  );
}

/**
 * Writes a delivery row for each enabled endpoint subscribed to each webhook
 * event of `events`, in the transaction that recorded them: a delivery exists
 * exactly when its change committed. The body is composed now, so later
 * changes to the ticket do not change what this event says.
 */
export async function queueDeliveries(
  deps: Deps,
  tx: Tx,
  events: readonly DomainEvent[],
): Promise<void> {
  const webhookEvents = events.flatMap(webhookEventsOf);
  if (webhookEvents.length === 0) return;
  const types = new Set<string>(webhookEvents.map((e) => e.type));
  const endpoints = (await enabledEndpoints.get(deps.db, tx)).filter((endpoint) =>
    endpoint.eventTypes.some((type) => types.has(type)),
  );
  if (endpoints.length === 0) return;
  const now = new Date();
  const rows: repo.NewDeliveryRow[] = [];
  for (const event of webhookEvents) {
    const body = deliveryBody(event, now);
    for (const endpoint of endpoints) {
      if (!endpoint.eventTypes.includes(event.type)) continue;
      rows.push({
        endpointId: endpoint.id,
        webhookId: `msg_${randomUUID().replaceAll("-", "")}`,
        eventType: event.type,
        ticketId: event.ticketId,
        body,
      });
    }
  }
  await repo.insertDeliveries(tx, rows);
}

/** Housekeeping: deletes finished deliveries older than DELIVERY_RETENTION_MS (every node; harmless twice). */
export async function pruneDeliveries(deps: Deps): Promise<number> {
  return repo.pruneFinished(deps.db, DELIVERY_RETENTION_MS);
}
