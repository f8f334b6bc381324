import {
  and,
  asc,
  desc,
  eq,
  getTableColumns,
  gt,
  inArray,
  isNull,
  ne,
  notInArray,
  or,
  type SQL,
  type SQLWrapper,
  sql,
  type WithSubquery,
} from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { type Executor, rowsOf } from "../db/client.ts";
import {
  attachments,
  messages,
  organisationMembers,
  organisations,
  SEARCH_CONFIGS,
  type SearchConfig,
  searchConfigs,
  teams,
  ticketCcs,
  ticketEvents,
  ticketSlaDue,
  ticketSlaTargets,
  tickets,
  users,
} from "../db/schema/index.ts";
import type { Locale } from "../i18n/i18n.ts";
import type { Priority, Status } from "./lifecycle.ts";

// Rows without their search documents: those are for the database's eyes only.
export const {
  search: _search,
  internalSearch: _internalSearch,
  searchConfig: _searchConfig,
  ...ticketColumns
} = getTableColumns(tickets);

export type TicketRow = Omit<
  typeof tickets.$inferSelect,
  "search" | "internalSearch" | "searchConfig"
>;
export type MessageRow = typeof messages.$inferSelect;

// Text beyond this is left out of a search document: it keeps every document far
// below PostgreSQL's 1 MB tsvector limit (a 64 KiB message adds at most 64 KiB).
export const SEARCH_DOCUMENT_MAX_BYTES = 512 * 1024;

/** `text`'s words, stemmed with `config` (a configuration's name, or SQL yielding one). */
function toSearchable(config: SQLWrapper | SearchConfig, text: SQL | string): SQL {
  return sql`to_tsvector(${config}::regconfig, ${text})`;
}

/**
 * The configuration of the requester's own language, read in the statement that
 * needs it (no round trip of its own); `fallback`'s when they chose none.
 */
function requesterConfig(requesterId: number, fallback: Locale): SQL {
  const byLocale = Object.entries(SEARCH_CONFIGS).map(
    ([locale, config]) => sql`when ${locale} then ${config}`,
  );
  return sql`coalesce((select case ${users.locale} ${sql.join(byLocale, sql` `)} end
    from ${users} where ${users.id} = ${requesterId}), ${SEARCH_CONFIGS[fallback]})`;
}

/**
 * A new ticket; `requesterWrote`: its first message is the requester's (starts
 * the customer-reply clock). Its words are stemmed in its requester's language,
 * else in `fallbackLocale` (the instance's), for good (`tickets.search_config`).
 */
export async function insertTicket(
  db: Executor,
  values: Omit<typeof tickets.$inferInsert, "searchConfig" | "search" | "internalSearch">,
  options: { requesterWrote: boolean; fallbackLocale: Locale },
): Promise<{ ticket: TicketRow; searchConfig: SearchConfig }> {
  // The same small subquery three times rather than a statement of its own first.
  const config = requesterConfig(values.requesterId, options.fallbackLocale);
  const [row] = await db
    .insert(tickets)
    .values({
      ...values,
      ...(options.requesterWrote ? { lastCustomerReplyAt: sql`now()` } : {}),
      searchConfig: config,
      search: sql`${toSearchable(config, values.title)} || ${toSearchable(config, values.description)}`,
    })
    .returning({ ...ticketColumns, searchConfig: tickets.searchConfig });
  if (!row) throw new Error("insert returned no ticket");
  const { searchConfig, ...ticket } = row;
  return { ticket, searchConfig };
}

/** The configurations tickets are stemmed with (`search_configs`), in a fixed order. */
export async function listSearchConfigs(db: Executor): Promise<SearchConfig[]> {
  const rows = await db.select().from(searchConfigs).orderBy(searchConfigs.config);
  return rows.map((r) => r.config);
}

/** Records that tickets are stemmed with `config` (nothing when it is known already). */
export async function addSearchConfig(db: Executor, config: SearchConfig): Promise<void> {
  await db.insert(searchConfigs).values({ config }).onConflictDoNothing();
}

export async function findTicket(db: Executor, id: number): Promise<TicketRow | undefined> {
  const [row] = await db.select(ticketColumns).from(tickets).where(eq(tickets.id, id));
  return row;
}

/** The ticket, locked until the transaction ends, so concurrent changes queue up. */
export async function lockTicket(db: Executor, id: number): Promise<TicketRow | undefined> {
  const [row] = await db
    .select(ticketColumns)
    .from(tickets)
    .where(eq(tickets.id, id))
    .for("update");
  return row;
}

/**
 * What every change the API can see does to a ticket: it moves to this
 * transaction's place in the change feed, and its version (ETag) counts up.
 */
export const CHANGED = {
  changeXid: sql`pg_current_xact_id()`,
  version: sql`${tickets.version} + 1`,
} as const;

/**
 * Changes a ticket and marks it active (a status change restarts its status
 * clock); `reply` is a public message: its words join the search document and
 * it restarts the customer's or the agent's reply clock.
 */
export async function updateTicket(
  db: Executor,
  id: number,
  change: Partial<Pick<TicketRow, "status" | "priority" | "assigneeId" | "teamId" | "fields">>,
  reply?: { content: string; by: "customer" | "agent" },
): Promise<TicketRow> {
  const [row] = await db
    .update(tickets)
    .set({
      ...change,
      ...CHANGED,
      updatedAt: sql`now()`,
      ...(change.status ? { statusChangedAt: sql`now()` } : {}),
      ...(reply
        ? {
            search: appendedDocument(tickets.search, reply.content),
            [reply.by === "customer" ? "lastCustomerReplyAt" : "lastAgentReplyAt"]: sql`now()`,
          }
        : {}),
    })
    .where(eq(tickets.id, id))
    .returning(ticketColumns);
  if (!row) throw new Error(`ticket ${id} vanished inside its transaction`);
  return row;
}

/** The ticket with this external id, if any (its id). */
export async function findTicketIdByExternalId(
  db: Executor,
  externalId: string,
): Promise<number | undefined> {
  const [row] = await db
    .select({ id: tickets.id })
    .from(tickets)
    .where(eq(tickets.externalId, externalId));
  return row?.id;
}

/** Marks a change the API shows without activity (tags): version and feed position move. */
export async function markChanged(db: Executor, id: number): Promise<TicketRow> {
  const [row] = await db
    .update(tickets)
    .set(CHANGED)
    .where(eq(tickets.id, id))
    .returning(ticketColumns);
  if (!row) throw new Error(`ticket ${id} vanished inside its transaction`);
  return row;
}

/**
 * Sets a ticket's external id: a change the API shows (version and feed
 * position move), not activity (`updated_at` stays).
 */
export async function setExternalId(
  db: Executor,
  id: number,
  externalId: string | null,
): Promise<TicketRow> {
  const [row] = await db
    .update(tickets)
    .set({ externalId, ...CHANGED })
    .where(eq(tickets.id, id))
    .returning(ticketColumns);
  if (!row) throw new Error(`ticket ${id} vanished inside its transaction`);
  return row;
}

/**
 * Sets the assignee when it is still `change.from` and the ticket is not
 * closed, and writes `audit` (the trail's rows for it) only when it did, in
 * one statement. The updated ticket, or undefined when it had moved on.
 */
export async function reassignIf(
  db: Executor,
  id: number,
  change: { from: number | null; to: number | null },
  audit: readonly (typeof ticketEvents.$inferInsert)[],
): Promise<TicketRow | undefined> {
  const updated = db.$with("updated").as(
    db
      .update(tickets)
      .set({ assigneeId: change.to, ...CHANGED, updatedAt: sql`now()` })
      .where(
        and(
          eq(tickets.id, id),
          change.from === null ? isNull(tickets.assigneeId) : eq(tickets.assigneeId, change.from),
          sql`${tickets.status} <> 'closed'`,
        ),
      )
      .returning(ticketColumns),
  );
  const rows = audit.map((r) => ({
    actor_id: r.actorId ?? null,
    kind: r.kind,
    from_value: r.fromValue ?? null,
    to_value: r.toValue ?? null,
  }));
  const audited = db.$with("audited", {}).as(
    sql`insert into ${ticketEvents} (ticket_id, actor_id, kind, from_value, to_value)
      select ${updated.id}, r.actor_id, r.kind, r.from_value, r.to_value from ${updated}
      cross join jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
        as r(actor_id int, kind text, from_value text, to_value text)`,
  );
  const [row] = await db.with(updated, audited).select().from(updated);
  return row;
}

/**
 * An assignee chosen inside the statement that assigns, by another feature
 * (automatic assignment's pick, which also moves its team's cursor): `with`
 * are the CTEs the choice needs, in order; `chosen`, the CTE after them, yields
 * its one row (none when nobody can take the ticket), with the user's `id` and the
 * audit trail's `reason`.
 */
export interface AssigneePick {
  with: WithSubquery[];
  chosen: WithSubquery<string, { id: unknown; reason: unknown }>;
}

/**
 * Assigns an unassigned ticket that is not closed to `pick`'s choice and
 * writes the trail's rows for it (`auto_assign` with the reason, then the
 * assignee change), in one statement with the choice itself. The updated
 * ticket, or undefined when nobody was chosen or the ticket had moved on.
 */
export async function assignPickedIf(
  db: Executor,
  id: number,
  pick: AssigneePick,
  actorId: number,
): Promise<TicketRow | undefined> {
  const { chosen } = pick;
  const updated = db.$with("updated").as(
    db
      .update(tickets)
      .set({ assigneeId: sql`${chosen}.id`, ...CHANGED, updatedAt: sql`now()` })
      .from(chosen)
      .where(
        and(eq(tickets.id, id), isNull(tickets.assigneeId), sql`${tickets.status} <> 'closed'`),
      )
      .returning({ ...ticketColumns, reason: sql<string>`${chosen}.reason`.as("reason") }),
  );
  const audited = db.$with("audited", {}).as(
    sql`insert into ${ticketEvents} (ticket_id, actor_id, kind, from_value, to_value)
      select ${updated.id}, ${actorId}::int, 'auto_assign', null, ${updated}.reason from ${updated}
      union all
      select ${updated.id}, ${actorId}::int, 'assignee', null, ${updated}.assignee_id::text from ${updated}`,
  );
  const [row] = await db
    .with(...pick.with, chosen, updated, audited)
    .select()
    .from(updated);
  if (!row) return undefined;
  const { reason: _, ...ticket } = row;
  return ticket;
}

export async function insertMessage(
  db: Executor,
  values: typeof messages.$inferInsert,
): Promise<MessageRow> {
  const [row] = await db.insert(messages).values(values).returning();
  if (!row) throw new Error("insert returned no message");
  return row;
}

/** A search document with `content`'s words added; one that has reached its size cap stays as it is. */
function appendedDocument(
  column: typeof tickets.search | typeof tickets.internalSearch,
  content: string,
): SQL {
  return sql`case when pg_column_size(${column}) < ${SEARCH_DOCUMENT_MAX_BYTES}
    then ${column} || ${toSearchable(tickets.searchConfig, content)} else ${column} end`;
}

/** Adds an internal note's words to its ticket's staff-only search document (not activity). */
export async function appendNoteToSearch(
  db: Executor,
  ticketId: number,
  content: string,
): Promise<void> {
  await db
    .update(tickets)
    .set({ internalSearch: appendedDocument(tickets.internalSearch, content) })
    .where(eq(tickets.id, ticketId));
}

export async function insertEvents(
  db: Executor,
  values: (typeof ticketEvents.$inferInsert)[],
): Promise<void> {
  if (values.length > 0) await db.insert(ticketEvents).values(values);
}

export type AttachmentRow = typeof attachments.$inferSelect;

export async function insertAttachments(
  db: Executor,
  values: (typeof attachments.$inferInsert)[],
): Promise<AttachmentRow[]> {
  if (values.length === 0) return [];
  return db.insert(attachments).values(values).returning();
}

const authors = alias(users, "authors");

/**
 * The one filter that keeps internal notes, and files attached to them, from
 * anyone without staff rights. An attachment without a message (one the ticket
 * was opened with) is public.
 */
function visibility(includeInternal: boolean): SQL | undefined {
  return includeInternal ? undefined : sql`coalesce(${messages.internal}, false) = false`;
}

/** A slice of an oldest-first list: rows after `afterId`, at most `limit` of them. */
export interface IdPage {
  afterId?: number | undefined;
  limit: number;
}

export async function listMessages(
  db: Executor,
  ticketId: number,
  includeInternal: boolean,
  page?: IdPage,
) {
  const query = db
    .select({
      id: messages.id,
      ticketId: messages.ticketId,
      authorId: messages.authorId,
      authorName: authors.name,
      authorRole: authors.role,
      content: messages.content,
      quoted: messages.quoted,
      html: messages.html,
      viaEmail: messages.viaEmail,
      internal: messages.internal,
      createdAt: messages.createdAt,
    })
    .from(messages)
    .innerJoin(authors, eq(authors.id, messages.authorId))
    .where(
      and(
        eq(messages.ticketId, ticketId),
        visibility(includeInternal),
        page?.afterId ? gt(messages.id, page.afterId) : undefined,
      ),
    )
    .orderBy(asc(messages.id));
  return page ? query.limit(page.limit) : query;
}

const actors = alias(users, "actors");

/** A ticket's SLA targets (written by src/sla), oldest first. */
export async function listSlaTargets(db: Executor, ticketId: number) {
  return db
    .select({
      id: ticketSlaTargets.id,
      kind: ticketSlaTargets.kind,
      targetMinutes: ticketSlaTargets.targetMinutes,
      startedAt: ticketSlaTargets.startedAt,
      dueAt: ticketSlaTargets.dueAt,
      warnAt: ticketSlaTargets.warnAt,
      pausedAt: ticketSlaTargets.pausedAt,
      metAt: ticketSlaTargets.metAt,
      breachedAt: ticketSlaTargets.breachedAt,
      nearBreachNotified: ticketSlaTargets.nearBreachNotified,
    })
    .from(ticketSlaTargets)
    .where(eq(ticketSlaTargets.ticketId, ticketId))
    .orderBy(asc(ticketSlaTargets.id));
}

export async function listEvents(db: Executor, ticketId: number, page?: IdPage) {
  const query = db
    .select({
      id: ticketEvents.id,
      ticketId: ticketEvents.ticketId,
      actorId: ticketEvents.actorId,
      actorName: actors.name,
      kind: ticketEvents.kind,
      field: ticketEvents.field,
      fromValue: ticketEvents.fromValue,
      toValue: ticketEvents.toValue,
      viaMacro: ticketEvents.viaMacro,
      createdAt: ticketEvents.createdAt,
    })
    .from(ticketEvents)
    .leftJoin(actors, eq(actors.id, ticketEvents.actorId))
    .where(
      and(
        eq(ticketEvents.ticketId, ticketId),
        page?.afterId ? gt(ticketEvents.id, page.afterId) : undefined,
      ),
    )
    .orderBy(asc(ticketEvents.id));
  return page ? query.limit(page.limit) : query;
}

const attachmentColumns = {
  id: attachments.id,
  ticketId: attachments.ticketId,
  messageId: attachments.messageId,
  filename: attachments.filename,
  contentType: attachments.contentType,
  size: attachments.size,
  createdAt: attachments.createdAt,
};

/** A ticket's attachments, oldest first; without internal ones unless asked. */
export async function listAttachments(
  db: Executor,
  ticketId: number,
  includeInternal: boolean,
  page?: IdPage,
) {
  const query = db
    .select(attachmentColumns)
    .from(attachments)
    .leftJoin(messages, eq(messages.id, attachments.messageId))
    .where(
      and(
        eq(attachments.ticketId, ticketId),
        visibility(includeInternal),
        page?.afterId ? gt(attachments.id, page.afterId) : undefined,
      ),
    )
    .orderBy(asc(attachments.id));
  return page ? query.limit(page.limit) : query;
}

/**
 * The attachments of these messages of one ticket (messages the caller may
 * see), oldest first; by ticket, so the ticket's index finds them.
 */
export async function listMessageAttachments(
  db: Executor,
  ticketId: number,
  messageIds: readonly number[],
) {
  if (messageIds.length === 0) return [];
  return db
    .select(attachmentColumns)
    .from(attachments)
    .where(and(eq(attachments.ticketId, ticketId), inArray(attachments.messageId, [...messageIds])))
    .orderBy(asc(attachments.id));
}

/** An attachment with what decides who may see it: its ticket's requester and its message's visibility. */
export async function findAttachment(db: Executor, id: number) {
  const [row] = await db
    .select({
      attachment: attachments,
      ticketId: tickets.id,
      requesterId: tickets.requesterId,
      teamId: tickets.teamId,
      internal: sql<boolean>`coalesce(${messages.internal}, false)`,
    })
    .from(attachments)
    .innerJoin(tickets, eq(tickets.id, attachments.ticketId))
    .leftJoin(messages, eq(messages.id, attachments.messageId))
    .where(eq(attachments.id, id));
  return row;
}

/**
 * A ticket's requester as its page shows them, with their organisation (scalar
 * subqueries: one statement, as the page's round-trip budget wants).
 */
export async function findRequester(db: Executor, id: number) {
  const [row] = await db
    .select({
      id: users.id,
      name: users.name,
      email: users.email,
      // "users"."id" spelled out: inside the subquery a bare "id" would be the organisation's.
      organisationId: sql<
        number | null
      >`(select "m"."organisation_id" from ${organisationMembers} "m" where "m"."user_id" = "users"."id")`,
      organisationName: sql<string | null>`(select "o"."name" from ${organisationMembers} "m"
        join ${organisations} "o" on "o"."id" = "m"."organisation_id" where "m"."user_id" = "users"."id")`,
    })
    .from(users)
    .where(eq(users.id, id));
  return row;
}

// --- lists and queues ---

/** `relevance`: best match first (ts_rank of the words searched); only with `search`. */
export type SortKey = "updatedAt" | "createdAt" | "priority" | "dueAt" | "relevance";

export interface TicketFilter {
  statuses?: readonly Status[] | undefined;
  priority?: Priority | undefined;
  /** A user id, or null for unassigned. */
  assigneeId?: number | null | undefined;
  requesterId?: number | undefined;
  /** With `requesterId`: also the tickets of these users (a customer's colleagues, a subquery). */
  colleaguesOf?: SQLWrapper | undefined;
  /** Only tickets whose requester this subquery yields (an organisation's members). */
  requesterIn?: SQLWrapper | undefined;
  /** Only these teams' tickets; null: only tickets without a team. */
  teamIds?: readonly number[] | null | undefined;
  /** Leave out the tickets of the teams this subquery yields (restricted teams the viewer is not in). */
  hiddenTeams?: SQLWrapper | undefined;
  /** Only the tickets this subquery yields (a tag's: tags.taggedTicketIds). */
  idIn?: SQLWrapper | undefined;
  /** Only the ticket with this external id. */
  externalId?: string | undefined;
  /** Words to find in titles and messages (web-search syntax: "phrase", -not, or). */
  search?:
    | {
        text: string;
        includeInternal: boolean;
        /** The configurations tickets are stemmed with (`search_configs`): the query is parsed in each. */
        configs: readonly SearchConfig[];
        /**
         * Words also found as parts of a title, a requester's name or address
         * (`printe`, `jdoe@exa`; pg_trgm's indexes): each must be in one of them.
         */
        partial?: readonly string[] | undefined;
      }
    | undefined;
  /** Conditions from the search box's filters (`status:open`, `created:>2026-01-01`...), all must hold. */
  query?: readonly QueryCondition[] | undefined;
  sort: SortKey;
  descending: boolean;
  /** The sort value and id of the last row of the previous page. */
  after?: { value: string; id: number } | undefined;
  limit: number;
  /** Also read each ticket's description (the API returns it; queue pages do not need it). */
  withDescription?: boolean | undefined;
  /** Also read each ticket's tags (staff's lists): the subquery `tags` gives. */
  withTags?: SQL | undefined;
}

/** A moment a time filter compares with: an instant, or so many hours before now (the database's). */
export type TimeBound = Date | { hoursAgo: number };

/** One filter of a search query, as the list statement applies it; `negated`: tickets it does not hold for. */
export type QueryCondition = { negated: boolean } & (
  | { kind: "status"; values: readonly Status[] }
  | { kind: "priority"; values: readonly Priority[] }
  /** A user id, or null for unassigned. */
  | { kind: "assignee"; id: number | null }
  | { kind: "assigneeEmail"; email: string }
  | { kind: "requesterEmail"; email: string }
  /** Lower-cased, without the `@`. */
  | { kind: "requesterDomain"; domain: string }
  /** These teams' tickets; null: tickets without a team. */
  | { kind: "team"; ids: readonly number[] | null }
  | { kind: "teamName"; name: string }
  /** Tickets whose id the subquery yields (a tag's tickets). */
  | { kind: "idIn"; ids: SQLWrapper }
  /** Tickets whose custom field values contain these (`@>`: the GIN index answers it). */
  | { kind: "fields"; contains: Record<string, unknown> }
  /** From `from` (inclusive) until `until` (exclusive). */
  | {
      kind: "time";
      column: "createdAt" | "updatedAt";
      from?: TimeBound | undefined;
      until?: TimeBound | undefined;
    }
);

export type TicketConditions = Omit<
  TicketFilter,
  "sort" | "descending" | "limit" | "after" | "withDescription" | "withTags"
>;

const requesters = alias(users, "requesters");

const SORT_COLUMNS = {
  updatedAt: tickets.updatedAt,
  createdAt: tickets.createdAt,
  priority: tickets.priority,
  // Due first: only tickets with a running SLA clock (ticket_sla_due), earliest first.
  dueAt: ticketSlaDue.dueAt,
} as const;

function filterConditions(filter: TicketConditions): SQL[] {
  const conditions: SQL[] = [];
  if (filter.statuses && filter.statuses.length > 0) {
    conditions.push(
      filter.statuses.length === 1
        ? eq(tickets.status, filter.statuses[0] as Status)
        : inArray(tickets.status, [...filter.statuses]),
    );
  }
  if (filter.priority) conditions.push(eq(tickets.priority, filter.priority));
  if (filter.assigneeId === null) conditions.push(isNull(tickets.assigneeId));
  else if (filter.assigneeId !== undefined)
    conditions.push(eq(tickets.assigneeId, filter.assigneeId));
  if (filter.requesterId !== undefined) {
    // One IN over a UNION ALL, not `= own OR IN (colleagues)`: PostgreSQL cannot walk
    // the requester index for an OR with a subquery, and read every ticket instead
    // (2 s at a million tickets, where this takes a millisecond).
    conditions.push(
      filter.colleaguesOf
        ? sql`${tickets.requesterId} in (select ${filter.requesterId}::integer union all ${filter.colleaguesOf})`
        : eq(tickets.requesterId, filter.requesterId),
    );
  }
  if (filter.requesterIn) conditions.push(inArray(tickets.requesterId, filter.requesterIn));
  if (filter.teamIds === null) conditions.push(isNull(tickets.teamId));
  else if (filter.teamIds !== undefined)
    conditions.push(
      filter.teamIds.length === 1
        ? eq(tickets.teamId, filter.teamIds[0] as number)
        : inArray(tickets.teamId, [...filter.teamIds]),
    );
  if (filter.hiddenTeams) {
    const visible = or(isNull(tickets.teamId), notInArray(tickets.teamId, filter.hiddenTeams));
    if (visible) conditions.push(visible);
  }
  if (filter.idIn) conditions.push(inArray(tickets.id, filter.idIn));
  if (filter.externalId !== undefined) conditions.push(eq(tickets.externalId, filter.externalId));
  if (filter.search) conditions.push(matchesSearch(filter.search));
  for (const condition of filter.query ?? []) conditions.push(queryCondition(condition));
  return conditions;
}

function timeBound(bound: TimeBound): SQL {
  return bound instanceof Date
    ? sql`${bound.toISOString()}::timestamptz`
    : sql`now() - ${bound.hoursAgo}::int * interval '1 hour'`;
}

/** Users whose address is `email` (any case: the `users_email_lower_key` index). */
function usersWithEmail(email: string): SQL {
  return sql`(select ${users.id} from ${users} where lower(${users.email}) = lower(${email}))`;
}

/** A search filter as SQL; a negated one also keeps the tickets where the column is null. */
function queryCondition(c: QueryCondition): SQL {
  let condition: SQL;
  switch (c.kind) {
    case "status":
      condition = inArray(tickets.status, [...c.values]);
      break;
    case "priority":
      condition = inArray(tickets.priority, [...c.values]);
      break;
    case "assignee":
      condition = c.id === null ? isNull(tickets.assigneeId) : eq(tickets.assigneeId, c.id);
      break;
    case "assigneeEmail":
      condition = sql`${tickets.assigneeId} in ${usersWithEmail(c.email)}`;
      break;
    case "requesterEmail":
      condition = sql`${tickets.requesterId} in ${usersWithEmail(c.email)}`;
      break;
    case "requesterDomain":
      condition = sql`${tickets.requesterId} in (select ${users.id} from ${users}
        where split_part(lower(${users.email}), '@', 2) = ${c.domain})`;
      break;
    case "team":
      condition =
        c.ids === null
          ? isNull(tickets.teamId)
          : c.ids.length === 0
            ? sql`false`
            : inArray(tickets.teamId, [...c.ids]);
      break;
    case "teamName":
      condition = sql`${tickets.teamId} in (select ${teams.id} from ${teams}
        where lower(${teams.name}) = lower(${c.name}))`;
      break;
    case "idIn":
      condition = inArray(tickets.id, c.ids);
      break;
    case "fields":
      condition = sql`${tickets.fields} @> ${JSON.stringify(c.contains)}::jsonb`;
      break;
    default: {
      const column = c.column === "createdAt" ? tickets.createdAt : tickets.updatedAt;
      const parts = [
        c.from ? sql`${column} >= ${timeBound(c.from)}` : undefined,
        c.until ? sql`${column} < ${timeBound(c.until)}` : undefined,
      ];
      condition = and(...parts) ?? sql`true`;
    }
  }
  return c.negated ? sql`not coalesce(${condition}, false)` : condition;
}

/**
 * Tickets whose search document matches (title and public messages; for staff
 * also internal notes), the words parsed in each ticket's own configuration.
 * One document per ticket lets the planner use the GIN index for rare words and
 * walk the queue's own index for common ones. The query is parsed in each
 * configuration in use (`configs`, never empty once migrated), one arm per
 * configuration: a constant query per arm is what the GIN index can answer (a
 * per-row `websearch_to_tsquery(search_config, ...)` is not), and the arm's
 * `search_config` test keeps a German ticket from matching the words as
 * English stems them. With one configuration in use every ticket has it: the
 * one arm is the plain match, the plan of a single-language instance.
 */
function matchesSearch(search: NonNullable<TicketFilter["search"]>): SQL {
  const words = matchesWords(search);
  if (!search.partial || search.partial.length === 0) return words;
  return sql`(${words} or ${matchesParts(search.partial)})`;
}

/** `text` as a LIKE pattern matching it anywhere: its wildcards and escape taken literally. */
function containing(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * Tickets where each word is part of the title, or of the requester's name or
 * address: ILIKE '%word%', which pg_trgm's GIN indexes answer for words of three
 * characters or more. The requesters are an array read once (an InitPlan of
 * `users_matching`), so `requester_id = ANY(...)` is one more index condition
 * beside the title's, not a subquery per ticket.
 */
function matchesParts(words: readonly string[]): SQL {
  const each = words.map((word) => {
    const pattern = containing(word);
    // Through the trigram indexes always (migration 0033 says why); a subquery, so an
    // InitPlan run once, not a call per row the bitmap rechecks.
    const requesters = sql`(select users_matching(${pattern}))::integer[]`;
    return sql`(${tickets.title} ilike ${pattern} or ${tickets.requesterId} = any(${requesters}))`;
  });
  return sql`(${sql.join(each, sql` and `)})`;
}

function matchesWords(search: NonNullable<TicketFilter["search"]>): SQL {
  const found = (config: SearchConfig) => {
    const query = sql`websearch_to_tsquery(${config}::regconfig, ${search.text})`;
    return search.includeInternal
      ? sql`(${tickets.search} @@ ${query} or ${tickets.internalSearch} @@ ${query})`
      : sql`${tickets.search} @@ ${query}`;
  };
  const [only, ...others] = search.configs;
  if (only === undefined) return sql`false`;
  if (others.length === 0) return found(only);
  const arms = search.configs.map(
    (config) => sql`(${tickets.searchConfig} = ${config} and ${found(config)})`,
  );
  return sql`(${sql.join(arms, sql` or `)})`;
}

/** Marks ts_headline puts around each match: private-use characters, taken out of the text first. */
export const MATCH_START = "\uE000";
export const MATCH_END = "\uE001";
// Two fragments of up to 30 words: enough to see why a ticket matched, small to read.
const HEADLINE_OPTIONS = `StartSel=${MATCH_START}, StopSel=${MATCH_END}, MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=" … "`;
// How much of a ticket a snippet looks at: its newest messages, each cut at this length,
// so the cost of a page's snippets is bounded however long its tickets are.
const SNIPPET_MESSAGES = 20;
const SNIPPET_CHARS = 20_000;

/**
 * For each of these tickets (a page of search results), the newest message the
 * reader may see that matches `text` (web-search syntax, parsed in the ticket's
 * own configuration), as ts_headline shows it: the words found between
 * MATCH_START and MATCH_END. Those two characters are replaced in the message
 * first, so a mark always comes from the database, never from the message.
 * One statement for the page; tickets matched by their title only have none.
 */
export async function searchSnippets(
  db: Executor,
  input: { ticketIds: readonly number[]; text: string; includeInternal: boolean },
): Promise<Map<number, string>> {
  if (input.ticketIds.length === 0) return new Map();
  const config = sql`${tickets.searchConfig}::regconfig`;
  const result = await db.execute(sql`
    select ${tickets.id} as id, s.snippet from ${tickets}
    cross join lateral (
      select ts_headline(${config}, m.body, q.query, ${HEADLINE_OPTIONS}) as snippet
      from (
        select ${messages.id} as id,
          translate(left(${messages.content}, ${SNIPPET_CHARS}), ${MATCH_START + MATCH_END}, ${"��"}) as body
        from ${messages}
        where ${messages.ticketId} = ${tickets.id}
          ${input.includeInternal ? sql`` : sql`and ${messages.internal} = false`}
        order by ${messages.id} desc
        limit ${SNIPPET_MESSAGES}
      ) m
      cross join websearch_to_tsquery(${config}, ${input.text}) as q(query)
      where to_tsvector(${config}, m.body) @@ q.query
      order by m.id desc
      limit 1
    ) s
    where ${inArray(tickets.id, [...input.ticketIds])}`);
  return new Map(rowsOf<{ id: number; snippet: string }>(result).map((r) => [r.id, r.snippet]));
}

/** A list row: the ticket with the names and SLA state lists show (and, for staff, its tags). */
function listFields(withDescription: boolean | undefined, withTags: SQL | undefined) {
  return {
    // In the page's statement (no round trip of its own): one index probe per row.
    tags: withTags ? sql<string[]>`${withTags}` : sql<string[] | null>`null`,
    id: tickets.id,
    title: tickets.title,
    description: withDescription ? tickets.description : sql<string>`''`,
    status: tickets.status,
    priority: tickets.priority,
    requesterId: tickets.requesterId,
    requesterName: requesters.name,
    requesterEmail: requesters.email,
    assigneeId: tickets.assigneeId,
    // Names as scalar subqueries, not joins: PostgreSQL plans every statement anew, and
    // two more joins cost 0.35 ms of planning (more than running it) on every list.
    assigneeName: sql<
      string | null
    >`(select "a"."name" from ${users} "a" where "a"."id" = ${tickets.assigneeId})`,
    teamId: tickets.teamId,
    externalId: tickets.externalId,
    fields: tickets.fields,
    teamName: sql<
      string | null
    >`(select "t"."name" from ${teams} "t" where "t"."id" = ${tickets.teamId})`,
    createdAt: tickets.createdAt,
    updatedAt: tickets.updatedAt,
    changeXid: tickets.changeXid,
    version: tickets.version,
    slaDueAt: ticketSlaDue.dueAt,
    slaWarnAt: ticketSlaDue.warnAt,
    slaNearBreach: ticketSlaDue.nearBreach,
    slaBreached: ticketSlaDue.breached,
  };
}

/**
 * How well a ticket matches the words searched, in its own configuration (a
 * per-row parse: this only orders rows the conditions already matched).
 * Staff's rank counts internal notes too.
 */
function rankOf(search: NonNullable<TicketFilter["search"]>): SQL<number> {
  const query = sql`websearch_to_tsquery(${tickets.searchConfig}::regconfig, ${search.text})`;
  return search.includeInternal
    ? sql<number>`(ts_rank(${tickets.search}, ${query}) + ts_rank(${tickets.internalSearch}, ${query}))`
    : sql<number>`ts_rank(${tickets.search}, ${query})`;
}

type ListFields = ReturnType<typeof listFields> & { rank?: SQL<number> };

function selectListRows(
  db: Executor,
  withDescription: boolean | undefined,
  withTags: SQL | undefined,
  rank?: SQL<number>,
) {
  // The rank is read only when the list is ordered by it (its cursor needs it).
  const fields: ListFields = rank
    ? { ...listFields(withDescription, withTags), rank }
    : listFields(withDescription, withTags);
  return db
    .select(fields)
    .from(tickets)
    .innerJoin(requesters, eq(requesters.id, tickets.requesterId));
}

/**
 * "Due first" reads running clocks in due order (the `(due_at, ticket_id)` index)
 * and looks each ticket up by id, stopping at the page's end. As a plain join the
 * planner, which takes open tickets and running clocks for unrelated, expects a
 * few dozen rows, so it joins every running clock and sorts them (24 ms at a
 * million tickets with 8,000 clocks); a LATERAL subquery with a LIMIT (1: the id is
 * the key) cannot be turned back into that join (0.6 ms). Its alias is `tickets`, so every filter
 * applies to each ticket as it is looked up.
 */
function selectDueFirstRows(
  db: Executor,
  withDescription: boolean | undefined,
  withTags: SQL | undefined,
) {
  const ticket = db
    .select()
    .from(tickets)
    .where(eq(tickets.id, ticketSlaDue.ticketId))
    .limit(1)
    .as("tickets");
  return db
    .select(listFields(withDescription, withTags))
    .from(ticketSlaDue)
    .innerJoinLateral(ticket, sql`true`)
    .innerJoin(requesters, eq(requesters.id, tickets.requesterId));
}

/**
 * One page of tickets in a stable order (sort key, then id), continuing after
 * a keyset cursor: never OFFSET, so page 1,000 costs what page 1 does.
 */
export async function listTickets(db: Executor, filter: TicketFilter) {
  const rank = filter.sort === "relevance" && filter.search ? rankOf(filter.search) : undefined;
  const column = rank ?? SORT_COLUMNS[filter.sort === "relevance" ? "updatedAt" : filter.sort];
  const byDue = filter.sort === "dueAt";
  const idColumn = byDue ? ticketSlaDue.ticketId : tickets.id;
  const conditions = filterConditions(filter);
  if (filter.after) {
    const cast =
      filter.sort === "priority" ? sql`::ticket_priority` : rank ? sql`::real` : sql`::timestamptz`;
    const value = sql`${filter.after.value}${cast}`;
    conditions.push(
      filter.descending
        ? sql`(${column}, ${idColumn}) < (${value}, ${filter.after.id})`
        : sql`(${column}, ${idColumn}) > (${value}, ${filter.after.id})`,
    );
  }
  const order = filter.descending ? [desc(column), desc(idColumn)] : [asc(column), asc(idColumn)];
  if (filter.search && !byDue) {
    // A search's matches come from the text indexes in no useful order, so all of them
    // are sorted. Joined first, each match would join its requester and SLA row (the
    // planner hashes all users and all clocks for a few hundred matches: 3 ms at
    // 100,000 tickets, growing with them); the page's ids are picked on tickets alone,
    // then only its rows are joined.
    const page = db
      .select({ id: tickets.id })
      .from(tickets)
      .where(and(...conditions))
      .orderBy(...order)
      .limit(filter.limit);
    return selectListRows(db, filter.withDescription, filter.withTags, rank)
      .leftJoin(ticketSlaDue, eq(ticketSlaDue.ticketId, tickets.id))
      .where(inArray(tickets.id, page))
      .orderBy(...order)
      .limit(filter.limit);
  }
  const joined = byDue
    ? selectDueFirstRows(db, filter.withDescription, filter.withTags)
    : selectListRows(db, filter.withDescription, filter.withTags, rank).leftJoin(
        ticketSlaDue,
        eq(ticketSlaDue.ticketId, tickets.id),
      );
  return joined
    .where(and(...conditions))
    .orderBy(...order)
    .limit(filter.limit);
}

/**
 * The other tickets of the requester of ticket `ticketId`, most recently
 * active first, leaving out the teams `hiddenTeams` yields. The requester is a
 * subquery, so this runs beside the ticket's own read (the requester's index).
 */
export async function listRequesterOthers(
  db: Executor,
  ticketId: number,
  hiddenTeams: SQLWrapper | undefined,
  limit: number,
) {
  const other = alias(tickets, "other");
  const requester = db.select({ id: other.requesterId }).from(other).where(eq(other.id, ticketId));
  return db
    .select({
      id: tickets.id,
      title: tickets.title,
      status: tickets.status,
      updatedAt: tickets.updatedAt,
    })
    .from(tickets)
    .where(
      and(
        eq(tickets.requesterId, sql`(${requester})`),
        ne(tickets.id, ticketId),
        hiddenTeams
          ? or(isNull(tickets.teamId), notInArray(tickets.teamId, hiddenTeams))
          : undefined,
      ),
    )
    .orderBy(desc(tickets.updatedAt), desc(tickets.id))
    .limit(limit);
}

/** A place in the change feed: the transaction of a change, then the ticket id. */
export interface FeedPosition {
  /** A transaction id (xid8) in decimal digits. */
  xid: string;
  id: number;
}

/**
 * The oldest transaction still running, as the current snapshot sees it: every
 * transaction below it has ended, and any that writes later gets a larger id.
 * Read it in the same snapshot as the rows (a repeatable-read transaction).
 */
export async function feedHorizon(db: Executor): Promise<string> {
  const result = await db.execute(
    sql`select pg_snapshot_xmin(pg_current_snapshot())::text as xmin`,
  );
  const row = rowsOf<{ xmin: string }>(result)[0];
  if (!row) throw new Error("no snapshot horizon");
  return row.xmin;
}

/**
 * Tickets changed after `after`, in feed order (change transaction, then id),
 * only those written by transactions below `horizon` (ended, so final): an
 * index walk on (change_xid, id).
 */
export async function listChanges(
  db: Executor,
  filter: TicketConditions & {
    after: FeedPosition;
    horizon: string;
    limit: number;
    withTags?: SQL | undefined;
  },
) {
  return selectListRows(db, true, filter.withTags)
    .leftJoin(ticketSlaDue, eq(ticketSlaDue.ticketId, tickets.id))
    .where(
      and(
        ...filterConditions(filter),
        sql`(${tickets.changeXid}, ${tickets.id}) > (${filter.after.xid}::xid8, ${filter.after.id})`,
        sql`${tickets.changeXid} < ${filter.horizon}::xid8`,
      ),
    )
    .orderBy(asc(tickets.changeXid), asc(tickets.id))
    .limit(filter.limit);
}

/**
 * How many tickets match each filter, each count stopping at `upTo`: all of
 * them in one statement (the desk counts a queue per line of its sidebar).
 */
export async function countTicketsEach<K extends string>(
  db: Executor,
  filters: Record<K, TicketConditions>,
  upTo: number,
): Promise<Record<K, number>> {
  const entries = Object.entries(filters) as [K, TicketConditions][];
  if (entries.length === 0) return {} as Record<K, number>;
  const counts = Object.fromEntries(
    // Plain SQL rather than nested query builders: the desk builds this on every view.
    entries.map(([name, filter]) => [
      name,
      sql<number>`(select count(*)::int from (select 1 from ${tickets}
        where ${and(...filterConditions(filter)) ?? sql`true`} limit ${upTo}) as "matching")`,
    ]),
  ) as Record<K, SQL<number>>;
  const [row] = await db.select(counts).from(sql`(values (1)) as "one"`);
  return row as unknown as Record<K, number>;
}

// --- CCs ---

export type CcRow = typeof ticketCcs.$inferSelect;

/** A ticket's CCs, in the order they were added. */
export async function listCcs(db: Executor, ticketId: number): Promise<CcRow[]> {
  return db
    .select()
    .from(ticketCcs)
    .where(eq(ticketCcs.ticketId, ticketId))
    .orderBy(asc(ticketCcs.id));
}

/** Adds CCs not there yet (addresses lower-cased by the caller); returns the rows added. */
export async function insertCcs(
  db: Executor,
  rows: (typeof ticketCcs.$inferInsert)[],
): Promise<CcRow[]> {
  if (rows.length === 0) return [];
  return db.insert(ticketCcs).values(rows).onConflictDoNothing().returning();
}

export async function deleteCc(
  db: Executor,
  ticketId: number,
  address: string,
): Promise<CcRow | undefined> {
  const [row] = await db
    .delete(ticketCcs)
    .where(and(eq(ticketCcs.ticketId, ticketId), eq(ticketCcs.address, address)))
    .returning();
  return row;
}

/** A user's address (the requester's, to keep it out of the CCs). */
export async function findUserEmail(db: Executor, userId: number): Promise<string | undefined> {
  const [row] = await db.select({ email: users.email }).from(users).where(eq(users.id, userId));
  return row?.email;
}

/** Which of these (lower-cased) addresses belong to staff accounts. */
export async function findStaffEmails(db: Executor, addresses: string[]): Promise<string[]> {
  if (addresses.length === 0) return [];
  const rows = await db
    .select({ email: sql<string>`lower(${users.email})` })
    .from(users)
    .where(
      and(inArray(sql`lower(${users.email})`, addresses), inArray(users.role, ["agent", "admin"])),
    );
  return rows.map((r) => r.email);
}
