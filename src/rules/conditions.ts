import { type SQL, sql } from "drizzle-orm";
import { ticketTags, users } from "../db/schema/index.ts";
import type { Channel } from "../events/events.ts";
import type { Priority, Status } from "../tickets/lifecycle.ts";
import type { Condition, Match } from "./rules.schemas.ts";

/**
 * Conditions, evaluated two ways that must agree (conditions.test.ts checks
 * both on the same tickets): in JavaScript against the ticket an event carries
 * (triggers, no query), and compiled to SQL over `tickets` (time rules and the
 * preview, which look at many tickets at once).
 */

/** What conditions look at. `body`: the message the event is about, else the description. */
export interface TicketFacts {
  readonly status: Status;
  readonly priority: Priority;
  readonly channel: Channel;
  readonly assigneeId: number | null;
  readonly teamId: number | null;
  readonly title: string;
  readonly body: string;
  /** Lower case. */
  readonly requesterEmail: string;
  /** The ids of the ticket's tags (loaded only when a condition asks: needsTags). */
  readonly tagIds?: readonly number[] | undefined;
  /** Custom field values by field id (`tickets.fields`). */
  readonly fields?: Readonly<Record<string, unknown>> | undefined;
}

/**
 * A custom field condition's value: the field's id, and the value it must
 * have (absent: "is set"). Matching is JSONB containment, in JavaScript as in
 * SQL (`@>`): a scalar equals, a one-element array is a choice among several.
 */
export function fieldCondition(value: Condition["value"]): { id: string; wanted?: unknown } {
  const text = String(value);
  const eq = text.indexOf("=");
  if (eq < 0) return { id: text };
  return { id: text.slice(0, eq), wanted: JSON.parse(text.slice(eq + 1)) as unknown };
}

function contains(stored: unknown, wanted: unknown): boolean {
  if (Array.isArray(wanted))
    return Array.isArray(stored) && wanted.every((w) => stored.includes(w));
  return stored === wanted;
}

/** Whether any condition looks at the ticket's tags (loaded only then). */
export function needsTags(conditions: readonly Condition[]): boolean {
  return conditions.some((c) => c.field === "tag");
}

/** Whether any condition needs the requester's address (loaded only then). */
export function needsRequester(conditions: readonly Condition[]): boolean {
  return conditions.some((c) => c.field === "requester_email" || c.field === "requester_domain");
}

function domainOf(email: string): string {
  return email.slice(email.lastIndexOf("@") + 1);
}

function holds(c: Condition, t: TicketFacts): boolean {
  const text = (s: string) => s.toLowerCase().includes(String(c.value).toLowerCase());
  let is: boolean;
  switch (c.field) {
    case "status":
      is = t.status === c.value;
      break;
    case "priority":
      is = t.priority === c.value;
      break;
    case "channel":
      is = t.channel === c.value;
      break;
    case "requester_email":
      is = t.requesterEmail === c.value;
      break;
    case "requester_domain":
      is = domainOf(t.requesterEmail) === c.value;
      break;
    case "assignee":
      is = t.assigneeId === c.value;
      break;
    case "team":
      is = t.teamId === c.value;
      break;
    case "subject":
      is = text(t.title);
      break;
    case "body":
      is = text(t.body);
      break;
    case "tag":
      is = (t.tagIds ?? []).includes(Number(c.value));
      break;
    case "field": {
      const { id, wanted } = fieldCondition(c.value);
      const stored = t.fields?.[id];
      is =
        wanted === undefined
          ? stored !== undefined && stored !== null
          : stored !== undefined && contains(stored, wanted);
      break;
    }
  }
  return c.op === "is" || c.op === "contains" ? is : !is;
}

/** Whether a ticket meets the conditions: all of them, or any (no conditions: always). */
export function matches(match: Match, conditions: readonly Condition[], t: TicketFacts): boolean {
  if (conditions.length === 0) return true;
  return match === "all"
    ? conditions.every((c) => holds(c, t))
    : conditions.some((c) => holds(c, t));
}

/**
 * A column of `tickets`, always qualified: Drizzle leaves the table name out
 * of columns in a select list, where inside a subquery it could name another table's.
 */
export function ticketColumn(name: string): SQL {
  return sql.raw(`"tickets"."${name}"`);
}

const requesterEmail = sql`(select lower(u.email) from ${users} u where u.id = ${ticketColumn("requester_id")})`;

function toSql(c: Condition): SQL {
  const contains = (column: SQL) => sql`strpos(lower(${column}), lower(${String(c.value)})) > 0`;
  let is: SQL;
  switch (c.field) {
    case "status":
      is = sql`${ticketColumn("status")} = ${c.value}::ticket_status`;
      break;
    case "priority":
      is = sql`${ticketColumn("priority")} = ${c.value}::ticket_priority`;
      break;
    case "channel":
      is = sql`${ticketColumn("channel")} = ${c.value}::ticket_channel`;
      break;
    case "requester_email":
      is = sql`${requesterEmail} = ${c.value}`;
      break;
    case "requester_domain":
      is = sql`split_part(${requesterEmail}, '@', 2) = ${c.value}`;
      break;
    case "assignee":
      is =
        c.value === null
          ? sql`${ticketColumn("assignee_id")} is null`
          : sql`${ticketColumn("assignee_id")} is not distinct from ${c.value}::integer`;
      break;
    case "team":
      is =
        c.value === null
          ? sql`${ticketColumn("team_id")} is null`
          : sql`${ticketColumn("team_id")} is not distinct from ${c.value}::integer`;
      break;
    case "subject":
      is = contains(ticketColumn("title"));
      break;
    case "body":
      is = contains(ticketColumn("description"));
      break;
    case "tag":
      is = sql`exists (select 1 from ${ticketTags} tt where tt.ticket_id = ${ticketColumn("id")} and tt.tag_id = ${Number(c.value)}::integer)`;
      break;
    case "field": {
      const { id, wanted } = fieldCondition(c.value);
      is =
        wanted === undefined
          ? sql`(${ticketColumn("fields")} -> ${id}::text) is not null and (${ticketColumn("fields")} -> ${id}::text) <> 'null'::jsonb`
          : sql`${ticketColumn("fields")} @> ${JSON.stringify({ [id]: wanted })}::jsonb`;
      break;
    }
  }
  return c.op === "is" || c.op === "contains" ? sql`(${is})` : sql`(not (${is}))`;
}

/** The conditions as one SQL predicate over `tickets` (no conditions: true). */
export function conditionsSql(match: Match, conditions: readonly Condition[]): SQL {
  if (conditions.length === 0) return sql`true`;
  return sql`(${sql.join(conditions.map(toSql), match === "all" ? sql` and ` : sql` or `)})`;
}
