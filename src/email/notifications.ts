import type { Deps } from "../deps.ts";
import type { Reaction } from "../events/bus.ts";
import {
  notifyAssigned,
  notifyMerged,
  notifyReply,
  notifyTicketCreated,
} from "./outbox.service.ts";

/**
 * Mail notifications as a reaction to ticket events: the outbox rows are
 * written in the transaction of the change, so a mail exists exactly when its
 * change does. Who gets what is decided in outbox.service.ts.
 */
export const mailNotifications: Reaction<Deps> = {
  name: "mail notifications",
  types: ["ticket.created", "message.created", "ticket.assigned", "ticket.merged"],
  async inTransaction(deps, tx, events) {
    for (const event of events) {
      switch (event.type) {
        case "ticket.created":
          await notifyTicketCreated(deps, tx, event.actor, event.ticket, event.message);
          break;
        case "message.created":
          await notifyReply(deps, tx, event.actor, event.ticket, event.message);
          break;
        case "ticket.assigned":
          if (event.change.to !== null) await notifyAssigned(deps, tx, event.actor, event.ticket);
          break;
        case "ticket.merged":
          // Recorded on both tickets; the source's requester is told once.
          if (event.side === "source")
            await notifyMerged(deps, tx, event.actor, event.source, event.target);
          break;
      }
    }
  },
};
