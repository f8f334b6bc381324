import { eq } from "drizzle-orm";
import { tags, ticketTags } from "../db/schema/index.ts";
import type { Deps } from "../deps.ts";

/** A ticket's tag names as stored, sorted: what tests compare against. */
export async function tagsOf(deps: Deps, ticketId: number): Promise<string[]> {
  const rows = await deps.db
    .select({ name: tags.name })
    .from(ticketTags)
    .innerJoin(tags, eq(tags.id, ticketTags.tagId))
    .where(eq(ticketTags.ticketId, ticketId));
  return rows.map((r) => r.name).sort();
}
