import type { Deps } from "../deps.ts";
import type { Reaction } from "../events/bus.ts";
import { applyTicketEvents } from "./sla.service.ts";

/** SLA clocks as an in-transaction reaction (subscribed in src/reactions.ts). */
export const slaClocks: Reaction<Deps> = {
  name: "sla clocks",
  types: ["ticket.created", "ticket.updated", "ticket.status_changed", "message.created"],
  inTransaction: applyTicketEvents,
};
