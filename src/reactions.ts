import { autoAssignment } from "./assignment/assignment.reaction.ts";
import type { Deps } from "./deps.ts";
import { mailNotifications } from "./email/notifications.ts";
import { EventBus } from "./events/bus.ts";
import { LiveFanout } from "./live/live.reaction.ts";
import { ruleTriggers } from "./rules/engine.ts";
import { slaClocks } from "./sla/sla.reaction.ts";
import { webhookDeliveries } from "./webhooks/webhooks.reaction.ts";

/**
 * Who reacts to ticket events, in the order in-transaction reactions run
 * (DESIGN.md section 8). The one place features subscribe: `tickets/` records
 * events and knows none of them. Add a reaction here, with its feature's code
 * in its own folder (see docs/ARCHITECTURE.md, "Adding a reaction").
 */
export function composeReactions(): EventBus<Deps> {
  return (
    new EventBus<Deps>()
      .subscribe(mailNotifications)
      // Before the rules: the clocks see a change before the changes a rule makes in
      // reaction to it (those arrive as events of their own, nested in the rule's run).
      .subscribe(slaClocks)
      .subscribe(ruleTriggers)
      // After the rules, which may route the ticket to a team first.
      .subscribe(autoAssignment)
      .subscribe(webhookDeliveries)
      .subscribe(new LiveFanout())
  );
}

/** Deps with the composed reactions: what the server, the CLI and tests run services with. */
export function composeDeps(base: Omit<Deps, "events">): Deps {
  return { ...base, events: composeReactions() };
}
