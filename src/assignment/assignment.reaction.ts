import type { Deps } from "../deps.ts";
import type { Reaction } from "../events/bus.ts";
import { autoAssign } from "./assignment.service.ts";

/**
 * Automatic assignment as an in-transaction reaction (subscribed in
 * src/reactions.ts): a ticket created in a team, or moved into one, while
 * unassigned, is assigned by the team's method in the same transaction.
 */
export const autoAssignment: Reaction<Deps> = {
  name: "automatic assignment",
  types: ["ticket.created", "ticket.updated"],
  async inTransaction(deps, tx, events) {
    for (const event of events) {
      const routed =
        event.type === "ticket.created"
          ? event.ticket.teamId !== null
          : event.type === "ticket.updated" &&
            event.changes.teamId !== undefined &&
            event.changes.teamId.to !== null;
      // autoAssign reads the ticket again: earlier reactions (rules) may have assigned or moved it.
      if (routed && event.ticket.assigneeId === null) await autoAssign(deps, tx, event.ticket.id);
    }
  },
};
