import { sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import type { Deps } from "../deps.ts";
import { PRESENCE_CHANNEL } from "./presence.ts";

/** Sends a presence payload to every node listening on PRESENCE_CHANNEL (this one included). */
export async function notifyPresence(deps: Pick<Deps, "db">, payload: string): Promise<void> {
  await deps.db.execute(sql`select pg_notify(${PRESENCE_CHANNEL}, ${payload})`);
}

/** How the app listens on a NOTIFY channel (Database.listen). */
export type Listen = Database["listen"];
