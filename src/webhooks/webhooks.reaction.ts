import type { Deps } from "../deps.ts";
import type { Reaction } from "../events/bus.ts";
import { SOURCE_EVENT_TYPES } from "./webhooks.events.ts";
import { queueDeliveries } from "./webhooks.service.ts";

/**
 * Webhook deliveries as a reaction to ticket events: the rows are written in
 * the transaction of the change (DESIGN.md section 8), and the worker
 * (webhooks.worker.ts) sends them after it commits.
 */
export const webhookDeliveries: Reaction<Deps> = {
  name: "webhooks",
  types: SOURCE_EVENT_TYPES,
  inTransaction: queueDeliveries,
};
