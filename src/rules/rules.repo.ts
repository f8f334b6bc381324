import { and, asc, desc, eq, inArray, type SQL, sql } from "drizzle-orm";
import { type Executor, rowsOf } from "../db/client.ts";
import { moveRow } from "../db/position.ts";
import { ruleFailures, ruleFirings, rules, tickets, users } from "../db/schema/index.ts";
import type { MessageArgs } from "../lib/errors.ts";
import { conditionsSql, ticketColumn } from "./conditions.ts";
import type { Clock, Condition, Match, Rule, RuleKind } from "./rules.schemas.ts";

export type RuleRow = typeof rules.$inferSelect;
export type NewRuleRow = Omit<typeof rules.$inferInsert, "id" | "position" | "kind">;

const ruleColumns = {
  id: rules.id,
  kind: rules.kind,
  name: rules.name,
  enabled: rules.enabled,
  position: rules.position,
  event: rules.event,
  clock: rules.clock,
  hours: rules.hours,
  match: rules.match,
  conditions: rules.conditions,
  actions: rules.actions,
};

// The columns are validated on the way in (rules.service.ts): read back as the shapes they hold.
function toRule(row: Pick<RuleRow, keyof typeof ruleColumns>): Rule {
  return row as unknown as Rule;
}

export async function listRules(db: Executor, kind: RuleKind): Promise<Rule[]> {
  const rows = await db
    .select(ruleColumns)
    .from(rules)
    .where(eq(rules.kind, kind))
    .orderBy(asc(rules.position), asc(rules.id));
  return rows.map(toRule);
}

export async function findRule(db: Executor, id: number): Promise<Rule | undefined> {
  const [row] = await db.select(ruleColumns).from(rules).where(eq(rules.id, id));
  return row && toRule(row);
}

/**
 * Enabled triggers for these events, in the order they run, with the
 * requester's address (lower case) in the same round trip: the one query a
 * write pays for triggers.
 */
export async function enabledTriggers(
  db: Executor,
  events: string[],
  requesterId: number,
): Promise<{ rules: Rule[]; requesterEmail: string }> {
  const rows = await db
    .select({
      ...ruleColumns,
      requesterEmail: sql<
        string | null
      >`(select lower(u.email) from ${users} u where u.id = ${requesterId})`,
    })
    .from(rules)
    .where(and(eq(rules.kind, "trigger"), eq(rules.enabled, true), inArray(rules.event, events)))
    .orderBy(asc(rules.position), asc(rules.id));
  return { rules: rows.map(toRule), requesterEmail: rows[0]?.requesterEmail ?? "" };
}

/** Every enabled trigger, in the order they run (what a listening node keeps in memory). */
export async function allEnabledTriggers(db: Executor): Promise<Rule[]> {
  const rows = await db
    .select(ruleColumns)
    .from(rules)
    .where(and(eq(rules.kind, "trigger"), eq(rules.enabled, true)))
    .orderBy(asc(rules.position), asc(rules.id));
  return rows.map(toRule);
}

/** The requester's address, lower case (for conditions on it). */
export async function requesterEmail(db: Executor, requesterId: number): Promise<string> {
  const [row] = await db
    .select({ email: sql<string>`lower(${users.email})` })
    .from(users)
    .where(eq(users.id, requesterId));
  return row?.email ?? "";
}

/** A new rule, last in its kind's order. */
export async function insertRule(db: Executor, kind: RuleKind, values: NewRuleRow): Promise<Rule> {
  const [row] = await db
    .insert(rules)
    .values({
      ...values,
      kind,
      position: sql`(select coalesce(max(${rules.position}), 0) + 1 from ${rules} where ${rules.kind} = ${kind})`,
    })
    .returning(ruleColumns);
  if (!row) throw new Error("insert returned no rule");
  return toRule(row);
}

export async function updateRule(
  db: Executor,
  id: number,
  values: Partial<NewRuleRow>,
): Promise<Rule | undefined> {
  const [row] = await db
    .update(rules)
    .set({ ...values, updatedAt: sql`now()` })
    .where(eq(rules.id, id))
    .returning(ruleColumns);
  return row && toRule(row);
}

export async function deleteRule(db: Executor, id: number): Promise<boolean> {
  const rows = await db.delete(rules).where(eq(rules.id, id)).returning({ id: rules.id });
  return rows.length > 0;
}

/** Swaps a rule with its neighbour before (`up`) or after it in its kind's order; false at an end. */
export async function moveRule(
  db: Executor,
  id: number,
  direction: "up" | "down",
): Promise<boolean> {
  return moveRow(
    db,
    { table: rules, id: rules.id, position: rules.position, group: rules.kind },
    id,
    direction,
  );
}

export async function insertFailure(
  db: Executor,
  values: {
    ruleId: number;
    ticketId: number | null;
    reason: string;
    reasonKey: string | null;
    reasonValues: MessageArgs | null;
  },
): Promise<void> {
  await db.insert(ruleFailures).values(values);
}

export async function listFailures(db: Executor, limit: number) {
  return db
    .select({
      id: ruleFailures.id,
      ruleId: ruleFailures.ruleId,
      ruleName: rules.name,
      ticketId: ruleFailures.ticketId,
      reason: ruleFailures.reason,
      reasonKey: ruleFailures.reasonKey,
      reasonValues: ruleFailures.reasonValues,
      createdAt: ruleFailures.createdAt,
    })
    .from(ruleFailures)
    .innerJoin(rules, eq(rules.id, ruleFailures.ruleId))
    .orderBy(desc(ruleFailures.id))
    .limit(limit);
}

// Read-only lookups of people in the caller's transaction (names and addresses
// for conditions and templates); the accounts service reads outside it.
export async function findPeople(
  db: Executor,
  ids: number[],
): Promise<Map<number, { name: string; email: string }>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .select({ id: users.id, name: users.name, email: users.email })
    .from(users)
    .where(inArray(users.id, ids));
  return new Map(rows.map((r) => [r.id, { name: r.name, email: r.email }]));
}

/** A ticket as rules see it, read in the caller's transaction (after a rule's actions). */
export async function findTicket(db: Executor, id: number) {
  const [row] = await db
    .select({
      id: tickets.id,
      title: tickets.title,
      description: tickets.description,
      status: tickets.status,
      priority: tickets.priority,
      channel: tickets.channel,
      requesterId: tickets.requesterId,
      assigneeId: tickets.assigneeId,
      teamId: tickets.teamId,
      externalId: tickets.externalId,
      followUpOf: tickets.followUpOf,
      createdAt: tickets.createdAt,
      updatedAt: tickets.updatedAt,
      statusChangedAt: tickets.statusChangedAt,
      lastCustomerReplyAt: tickets.lastCustomerReplyAt,
      lastAgentReplyAt: tickets.lastAgentReplyAt,
      changeXid: tickets.changeXid,
      version: tickets.version,
      fields: tickets.fields,
    })
    .from(tickets)
    .where(eq(tickets.id, id));
  return row;
}

/** The last `limit` tickets, newest first, each with whether it meets the conditions. */
export async function previewMatches(
  db: Executor,
  match: Match,
  conditions: readonly Condition[],
  limit: number,
) {
  const recent = db.select({ id: tickets.id }).from(tickets).orderBy(desc(tickets.id)).limit(limit);
  return db
    .select({
      id: tickets.id,
      title: tickets.title,
      status: tickets.status,
      createdAt: tickets.createdAt,
      matched: sql<boolean>`${conditionsSql(match, conditions)}`,
    })
    .from(tickets)
    .where(inArray(tickets.id, recent))
    .orderBy(desc(tickets.id));
}

// --- the scheduler ---

/** The column a clock reads, and the status it implies ("hours since solved" needs a solved ticket). */
export function clockColumn(clock: Clock): { column: SQL; status?: "solved" | "pending" } {
  switch (clock) {
    case "created":
      return { column: ticketColumn("created_at") };
    case "updated":
      return { column: ticketColumn("updated_at") };
    case "solved":
      return { column: ticketColumn("status_changed_at"), status: "solved" };
    case "pending":
      return { column: ticketColumn("status_changed_at"), status: "pending" };
    case "customer_reply":
      return { column: ticketColumn("last_customer_reply_at") };
    case "agent_reply":
      return { column: ticketColumn("last_agent_reply_at") };
  }
}

/**
 * Whether a ticket is due for a time rule at `now` (null: the database's
 * clock): not closed, its clock started at least `hours` ago, the conditions
 * hold, and the rule has not fired for this start of the clock.
 */
function dueSql(rule: Rule & { clock: Clock; hours: number }, now: Date | null): SQL {
  const { column, status } = clockColumn(rule.clock);
  const at = now ? sql`${now.toISOString()}::timestamptz` : sql`now()`;
  const ticketStatus = ticketColumn("status");
  return sql`${ticketStatus} <> 'closed'
    ${status ? sql`and ${ticketStatus} = ${status}::ticket_status` : sql``}
    and ${column} <= ${at} - ${rule.hours} * interval '1 hour'
    and ${conditionsSql(rule.match, rule.conditions)}
    and not exists (select 1 from ${ruleFirings} f where f.rule_id = ${rule.id}
      and f.ticket_id = ${ticketColumn("id")} and f.occurrence = ${column})`;
}

/** Up to `limit` tickets due for the rule, longest due first. */
export async function findDue(
  db: Executor,
  rule: Rule & { clock: Clock; hours: number },
  now: Date | null,
  limit: number,
): Promise<number[]> {
  const { column } = clockColumn(rule.clock);
  const rows = await db
    .select({ id: tickets.id })
    .from(tickets)
    .where(dueSql(rule, now))
    .orderBy(column, tickets.id)
    .limit(limit);
  return rows.map((r) => r.id);
}

/** How many tickets are due for the rule (the benchmark and the admin page). */
export async function countDue(
  db: Executor,
  rule: Rule & { clock: Clock; hours: number },
  now: Date | null,
): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(tickets)
    .where(dueSql(rule, now));
  return row?.n ?? 0;
}

/** Locks the ticket for this transaction unless another transaction holds it (then false). */
export async function lockTicketSkipLocked(db: Executor, id: number): Promise<boolean> {
  const rows = await db
    .select({ id: tickets.id })
    .from(tickets)
    .where(eq(tickets.id, id))
    .for("update", { skipLocked: true });
  return rows.length > 0;
}

/**
 * Writes the firing of a time rule on a ticket when it is still due (checked
 * again under the ticket lock); false when it is not, or has fired already.
 */
export async function insertFiring(
  db: Executor,
  rule: Rule & { clock: Clock; hours: number },
  ticketId: number,
  now: Date | null,
): Promise<boolean> {
  const { column } = clockColumn(rule.clock);
  const result = await db.execute(sql`insert into ${ruleFirings} (rule_id, ticket_id, occurrence)
    select ${rule.id}, ${ticketColumn("id")}, ${column} from ${tickets}
    where ${ticketColumn("id")} = ${ticketId} and ${dueSql(rule, now)}
    on conflict do nothing returning rule_id`);
  return rowsOf(result).length > 0;
}

/**
 * Claims the next enabled time rule not yet checked in this pass (`since`: the
 * pass's start) and not leased by another node: `FOR UPDATE SKIP LOCKED` lets
 * nodes claim different rules at once, and the lease (committed before any
 * work) lets another node take the rule over when this one dies.
 */
export async function claimRule(
  db: Executor,
  token: string,
  leaseMs: number,
  since: Date,
): Promise<Rule | undefined> {
  const next = db
    .select({ id: rules.id })
    .from(rules)
    .where(
      and(
        eq(rules.kind, "automation"),
        eq(rules.enabled, true),
        sql`(${rules.leaseUntil} is null or ${rules.leaseUntil} < now())`,
        sql`(${rules.checkedAt} is null or ${rules.checkedAt} < ${since.toISOString()}::timestamptz)`,
      ),
    )
    .orderBy(asc(rules.position), asc(rules.id))
    .limit(1)
    .for("update", { skipLocked: true });
  const [row] = await db
    .update(rules)
    .set({ leaseUntil: sql`now() + ${leaseMs} * interval '1 millisecond'`, leaseToken: token })
    .where(inArray(rules.id, next))
    .returning(ruleColumns);
  return row && toRule(row);
}

/** Extends a held lease; false when this claim lost it (it ran out and another node took the rule). */
export async function renewLease(
  db: Executor,
  id: number,
  token: string,
  leaseMs: number,
): Promise<boolean> {
  const rows = await db
    .update(rules)
    .set({ leaseUntil: sql`now() + ${leaseMs} * interval '1 millisecond'` })
    .where(and(eq(rules.id, id), eq(rules.leaseToken, token)))
    .returning({ id: rules.id });
  return rows.length > 0;
}

/** Gives the rule back, marked checked (finished) or not (stopped early). */
export async function releaseRule(
  db: Executor,
  id: number,
  token: string,
  checked: boolean,
): Promise<void> {
  await db
    .update(rules)
    .set({
      leaseUntil: null,
      leaseToken: null,
      ...(checked ? { checkedAt: sql`now()` } : {}),
    })
    .where(and(eq(rules.id, id), eq(rules.leaseToken, token)));
}

/** The database's clock (passes are timed by it, so nodes' clocks need not agree). */
export async function databaseNow(db: Executor): Promise<Date> {
  const result = await db.execute(sql`select now() as now`);
  const value = (rowsOf(result)[0] as { now: Date | string } | undefined)?.now;
  return new Date(value ?? Date.now());
}
