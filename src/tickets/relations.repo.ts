import { and, eq, inArray, or, sql } from "drizzle-orm";
import { type Executor, rowsOf } from "../db/client.ts";
import { ticketRelations, tickets } from "../db/schema/index.ts";
import type { Status } from "./lifecycle.ts";

export type RelationRow = typeof ticketRelations.$inferSelect;

/** The relations `ticketId` is in, each with the other ticket's requester and team (for canSee) and what the page shows. */
export async function listRelations(db: Executor, ticketId: number) {
  const other = sql<number>`case when ${ticketRelations.ticketId} = ${ticketId}
    then ${ticketRelations.otherId} else ${ticketRelations.ticketId} end`;
  return db
    .select({
      id: ticketRelations.id,
      kind: ticketRelations.kind,
      ticketId: ticketRelations.ticketId,
      otherId: ticketRelations.otherId,
      other: {
        id: tickets.id,
        title: tickets.title,
        status: tickets.status,
        requesterId: tickets.requesterId,
        teamId: tickets.teamId,
      },
    })
    .from(ticketRelations)
    .innerJoin(tickets, eq(tickets.id, other))
    .where(or(eq(ticketRelations.ticketId, ticketId), eq(ticketRelations.otherId, ticketId)))
    .orderBy(ticketRelations.id);
}

/** The relation between two tickets, whichever way round, if any. */
export async function findRelationBetween(db: Executor, a: number, b: number) {
  const [row] = await db
    .select()
    .from(ticketRelations)
    .where(
      or(
        and(eq(ticketRelations.ticketId, a), eq(ticketRelations.otherId, b)),
        and(eq(ticketRelations.ticketId, b), eq(ticketRelations.otherId, a)),
      ),
    );
  return row;
}

export async function findParentId(db: Executor, childId: number): Promise<number | undefined> {
  const [row] = await db
    .select({ id: ticketRelations.otherId })
    .from(ticketRelations)
    .where(and(eq(ticketRelations.ticketId, childId), eq(ticketRelations.kind, "child_of")));
  return row?.id;
}

/** Whether `ancestor` is `ticketId` or above it: its parent, its parent's parent... */
export async function isAncestorOrSelf(
  db: Executor,
  ancestor: number,
  ticketId: number,
): Promise<boolean> {
  const result = await db.execute(sql`
    with recursive up(id) as (
      select ${ticketId}::int
      union
      select r.other_id from ${ticketRelations} r join up on r.ticket_id = up.id
      where r.kind = 'child_of'
    )
    select exists (select 1 from up where id = ${ancestor}) as found`);
  return rowsOf<{ found: boolean }>(result)[0]?.found === true;
}

/** Children of `parentId` that are new, open or pending. */
export async function openChildren(db: Executor, parentId: number) {
  return db
    .select({ id: tickets.id, status: tickets.status })
    .from(ticketRelations)
    .innerJoin(tickets, eq(tickets.id, ticketRelations.ticketId))
    .where(
      and(
        eq(ticketRelations.otherId, parentId),
        eq(ticketRelations.kind, "child_of"),
        inArray(tickets.status, ["new", "open", "pending"] satisfies Status[]),
      ),
    )
    .orderBy(tickets.id);
}

export async function insertRelation(
  db: Executor,
  values: typeof ticketRelations.$inferInsert,
): Promise<RelationRow | undefined> {
  const [row] = await db.insert(ticketRelations).values(values).onConflictDoNothing().returning();
  return row;
}

export async function deleteRelation(db: Executor, id: number): Promise<RelationRow | undefined> {
  const [row] = await db.delete(ticketRelations).where(eq(ticketRelations.id, id)).returning();
  return row;
}

/**
 * Takes the transaction-wide lock every parent link is made under, so two
 * links made at once cannot close a loop neither would alone.
 */
export async function lockParentLinks(db: Executor): Promise<void> {
  await db.execute(sql`select pg_advisory_xact_lock(hashtext('tessera.ticket_relations'))`);
}
