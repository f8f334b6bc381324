import { and, eq, inArray, type SQL, type SQLWrapper, sql } from "drizzle-orm";
import { type Executor, rowsOf } from "../db/client.ts";
import {
  attachments,
  messages,
  ticketCcs,
  ticketRelations,
  tickets,
  users,
} from "../db/schema/index.ts";
import {
  CHANGED,
  SEARCH_DOCUMENT_MAX_BYTES,
  type TicketRow,
  ticketColumns,
} from "./tickets.repo.ts";

/**
 * Tickets `ids`, locked in id order in one statement (the rows are locked as the
 * sort hands them out), so two merges of the same two tickets, either way round,
 * queue up instead of deadlocking.
 */
export async function lockTickets(db: Executor, ids: readonly number[]): Promise<TicketRow[]> {
  return db
    .select(ticketColumns)
    .from(tickets)
    .where(inArray(tickets.id, [...ids]))
    .orderBy(tickets.id)
    .for("update");
}

/** Each of these people's address and name (requesters, for a merge). */
export async function findPeople(db: Executor, ids: readonly number[]) {
  return db
    .select({ id: users.id, email: users.email, name: users.name })
    .from(users)
    .where(inArray(users.id, [...ids]));
}

// The words of a ticket's messages, public or internal, as one text: what its
// documents are rebuilt from (capped as appended documents are).
function messagesText(internal: boolean): SQL {
  return sql`coalesce((select left(string_agg(m.content, E'\\n' order by m.id), ${SEARCH_DOCUMENT_MAX_BYTES})
    from ${messages} m where m.ticket_id = ${tickets.id} and m.internal = ${internal}), '')`;
}

/**
 * Both search documents made again from what the ticket holds now: its title
 * and public messages (the first is the description), and its internal notes,
 * stemmed in the ticket's own configuration.
 */
const REBUILT = {
  search: sql`to_tsvector(${tickets.searchConfig}::regconfig, ${tickets.title})
    || to_tsvector(${tickets.searchConfig}::regconfig, ${messagesText(false)})`,
  internalSearch: sql`to_tsvector(${tickets.searchConfig}::regconfig, ${messagesText(true)})`,
} as const;

/**
 * Moves every message, attachment and CC of `sourceId` to `targetId` in one
 * statement. CCs the target has already, and the target's requester's own
 * address, are not copied; `addCc` (the source's requester, when the two
 * differ) joins the target's CCs. Returns how many messages and attachments
 * moved, and the addresses that became the target's CCs.
 */
export async function moveContent(
  db: Executor,
  sourceId: number,
  targetId: number,
  options: {
    /** Lower-cased: never a CC of its own ticket. */
    targetRequester: string;
    addCc?: { address: string; name: string; addedBy: number } | undefined;
  },
): Promise<{ messages: number; attachments: number; ccs: string[] }> {
  const extra = options.addCc;
  const result = await db.execute(sql`
    with moved as (
      update ${messages} set ticket_id = ${targetId} where ticket_id = ${sourceId} returning id
    ), files as (
      update ${attachments} set ticket_id = ${targetId} where ticket_id = ${sourceId} returning id
    ), old_ccs as (
      delete from ${ticketCcs} where ticket_id = ${sourceId}
      returning address, name, added_by, added_at
    ), wanted as (
      select address, name, added_by, added_at from old_ccs
      ${
        extra
          ? sql`union all select ${extra.address.toLowerCase()}, ${extra.name}, ${extra.addedBy}::int, now()`
          : sql``
      }
    ), added as (
      insert into ${ticketCcs} (ticket_id, address, name, added_by, added_at)
      select distinct on (address) ${targetId}::int, address, name, added_by, added_at from wanted
      where address <> ${options.targetRequester.toLowerCase()}
      order by address, added_at
      on conflict do nothing
      returning address
    )
    select (select count(*) from moved)::int as messages,
      (select count(*) from files)::int as attachments,
      coalesce((select array_agg(address order by address) from added), '{}') as ccs`);
  const [row] = rowsOf<{ messages: number; attachments: number; ccs: string[] }>(result);
  if (!row) throw new Error("the move returned no row");
  return row;
}

/**
 * Closes a merged source: closed (its status clock restarts), active now, a
 * change the API sees, and its documents rebuilt from what it has left (its title).
 */
export async function closeMerged(db: Executor, id: number): Promise<TicketRow> {
  const [row] = await db
    .update(tickets)
    .set({
      status: "closed",
      statusChangedAt: sql`now()`,
      updatedAt: sql`now()`,
      ...CHANGED,
      ...REBUILT,
    })
    .where(eq(tickets.id, id))
    .returning(ticketColumns);
  if (!row) throw new Error(`ticket ${id} vanished inside its transaction`);
  return row;
}

/**
 * The target after a merge: active now, a change the API sees, its reply clocks
 * the later of its own and the source's, its documents rebuilt with the
 * messages it took in.
 */
export async function absorbMerged(
  db: Executor,
  targetId: number,
  source: Pick<TicketRow, "lastCustomerReplyAt" | "lastAgentReplyAt">,
): Promise<TicketRow> {
  const later = (column: SQLWrapper, other: Date | null) =>
    other === null ? sql`${column}` : sql`greatest(${column}, ${other.toISOString()}::timestamptz)`;
  const [row] = await db
    .update(tickets)
    .set({
      updatedAt: sql`now()`,
      lastCustomerReplyAt: later(tickets.lastCustomerReplyAt, source.lastCustomerReplyAt),
      lastAgentReplyAt: later(tickets.lastAgentReplyAt, source.lastAgentReplyAt),
      ...CHANGED,
      ...REBUILT,
    })
    .where(eq(tickets.id, targetId))
    .returning(ticketColumns);
  if (!row) throw new Error(`ticket ${targetId} vanished inside its transaction`);
  return row;
}

/** A message of `ticketId`, and whether it is the ticket's first (its description). */
export async function findMessageOf(db: Executor, ticketId: number, messageId: number) {
  const [row] = await db
    .select({
      id: messages.id,
      ticketId: messages.ticketId,
      authorId: messages.authorId,
      content: messages.content,
      internal: messages.internal,
      first: sql<boolean>`${messages.id} = (select min(f.id) from ${messages} f
        where f.ticket_id = ${ticketId})`,
    })
    .from(messages)
    .where(and(eq(messages.id, messageId), eq(messages.ticketId, ticketId)));
  return row;
}

/** Moves one message and its attachments to `ticketId` (a ticket split from its old one). */
export async function moveMessage(
  db: Executor,
  messageId: number,
  ticketId: number,
): Promise<void> {
  await db.execute(sql`
    with moved as (
      update ${messages} set ticket_id = ${ticketId} where id = ${messageId} returning id
    )
    update ${attachments} set ticket_id = ${ticketId}
    where message_id in (select id from moved)`);
}

/**
 * A ticket a message was split from: its documents rebuilt without the
 * message's words, and a change the API sees (not activity: nothing was said).
 */
export async function rebuildAfterSplit(db: Executor, id: number): Promise<TicketRow> {
  const [row] = await db
    .update(tickets)
    .set({ ...CHANGED, ...REBUILT })
    .where(eq(tickets.id, id))
    .returning(ticketColumns);
  if (!row) throw new Error(`ticket ${id} vanished inside its transaction`);
  return row;
}

/** The ticket `id` was merged into, with what decides who may see it. */
export async function findMergedInto(db: Executor, id: number) {
  const [row] = await db
    .select({ id: tickets.id, requesterId: tickets.requesterId, teamId: tickets.teamId })
    .from(ticketRelations)
    .innerJoin(tickets, eq(tickets.id, ticketRelations.otherId))
    .where(and(eq(ticketRelations.ticketId, id), eq(ticketRelations.kind, "merged_into")));
  return row;
}

/**
 * The ticket `id`'s conversation continues in: itself, or the end of its chain
 * of merges (a target may have been merged on in turn).
 */
export async function followMerges(db: Executor, id: number): Promise<number> {
  const result = await db.execute(sql`
    with recursive chain(id, depth) as (
      select ${id}::int, 0
      union all
      select r.other_id, chain.depth + 1 from ${ticketRelations} r
      join chain on r.ticket_id = chain.id
      where r.kind = 'merged_into' and chain.depth < 20
    )
    select id from chain order by depth desc limit 1`);
  return rowsOf<{ id: number }>(result)[0]?.id ?? id;
}
