import { autoAssignment } from "./assignment/assignment.reaction.ts";
import type { Database } from "./db/client.ts";
import type { Deps } from "./deps.ts";
import { mailNotifications } from "./email/notifications.ts";
import { EventBus } from "./events/bus.ts";
import { fieldDefinitions } from "./fields/index.ts";
import { LiveFanout } from "./live/live.reaction.ts";
import { organisationNames } from "./organisations/index.ts";
import { enabledTriggers } from "./rules/cache.ts";
import { ruleTriggers } from "./rules/engine.ts";
import { languageDefaults } from "./settings/settings.service.ts";
import { slaClocks } from "./sla/sla.reaction.ts";
import { calendars } from "./sla/sla.service.ts";
import { searchConfigs } from "./tickets/tickets.service.ts";
import { webhookDeliveries } from "./webhooks/webhooks.reaction.ts";
import { enabledEndpoints } from "./webhooks/webhooks.service.ts";

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

/**
 * Keeps the small tables hot paths read (enabled triggers, webhook endpoints,
 * calendars, organisation names, the instance's default language and time
 * zone, the search configurations in use) in memory on this node, dropped
 * whenever any node changes them (db/watched.ts). The server does this at
 * start; the benchmarks too, to measure what the server does. Returns the stop.
 */
export async function watchCachedTables(
  database: Pick<Database, "db" | "listen">,
  log?: { error(obj: object, msg: string): void },
): Promise<() => Promise<void>> {
  const stops = await Promise.all(
    [
      enabledTriggers,
      enabledEndpoints,
      calendars,
      organisationNames,
      languageDefaults,
      searchConfigs,
      fieldDefinitions,
    ].map((cached) => cached.watch(database.db, database.listen, log)),
  );
  return async () => {
    await Promise.all(stops.map((stop) => stop()));
  };
}
