import { and, asc, eq, inArray, notInArray, sql } from "drizzle-orm";
import type { Executor } from "../db/client.ts";
import { teamMembers, teams, ticketEvents, tickets, users } from "../db/schema/index.ts";

export type TeamRow = typeof teams.$inferSelect;
export type NewTeamRow = typeof teams.$inferInsert;

export async function listTeams(db: Executor): Promise<TeamRow[]> {
  return db
    .select()
    .from(teams)
    .orderBy(asc(sql`lower(${teams.name})`), asc(teams.id));
}

export async function findTeam(db: Executor, id: number): Promise<TeamRow | undefined> {
  const [row] = await db.select().from(teams).where(eq(teams.id, id));
  return row;
}

export async function findTeamByName(db: Executor, name: string): Promise<TeamRow | undefined> {
  const [row] = await db.select().from(teams).where(sql`lower(${teams.name}) = lower(${name})`);
  return row;
}

/** The team row, locked until the transaction ends: assignments in a team queue up behind it. */
export async function lockTeam(db: Executor, id: number): Promise<TeamRow | undefined> {
  const [row] = await db.select().from(teams).where(eq(teams.id, id)).for("update");
  return row;
}

/** Inserts a team; undefined when the name is taken (any case). */
export async function insertTeam(db: Executor, values: NewTeamRow): Promise<TeamRow | undefined> {
  const [row] = await db.insert(teams).values(values).onConflictDoNothing().returning();
  return row;
}

export async function updateTeam(
  db: Executor,
  id: number,
  change: Partial<Omit<NewTeamRow, "id" | "createdAt">>,
): Promise<TeamRow | undefined> {
  const [row] = await db
    .update(teams)
    .set({ ...change, updatedAt: sql`now()` })
    .where(eq(teams.id, id))
    .returning();
  return row;
}

/**
 * Deletes a team. Its tickets are taken out of it first, each with a "team"
 * row in its audit trail (by `actorId`) and a new place in the change feed
 * and version, as any team change; the foreign key's `set null` would do it
 * without a trace.
 */
export async function deleteTeam(db: Executor, id: number, actorId: number): Promise<boolean> {
  await db.execute(sql`
    with moved as (
      update ${tickets} set team_id = null, change_xid = pg_current_xact_id(), version = version + 1
      where team_id = ${id} returning id
    )
    insert into ${ticketEvents} (ticket_id, actor_id, kind, from_value, to_value)
    select id, ${actorId}, 'team', ${String(id)}, null from moved`);
  const rows = await db.delete(teams).where(eq(teams.id, id)).returning({ id: teams.id });
  return rows.length > 0;
}

/** Every membership, with the member's name and address (the admin page). */
export async function listMemberships(db: Executor) {
  return db
    .select({
      teamId: teamMembers.teamId,
      userId: users.id,
      name: users.name,
      email: users.email,
      away: users.away,
      disabled: users.disabled,
    })
    .from(teamMembers)
    .innerJoin(users, eq(users.id, teamMembers.userId))
    .orderBy(asc(users.name), asc(users.id));
}

export async function teamIdsOf(db: Executor, userId: number): Promise<number[]> {
  const rows = await memberOfQuery(db, userId);
  return rows.map((r) => r.teamId);
}

export async function addMember(db: Executor, teamId: number, userId: number): Promise<void> {
  await db.insert(teamMembers).values({ teamId, userId }).onConflictDoNothing();
}

export async function removeMember(db: Executor, teamId: number, userId: number): Promise<void> {
  await db
    .delete(teamMembers)
    .where(and(eq(teamMembers.teamId, teamId), eq(teamMembers.userId, userId)));
}

/** Restricted teams `userId` is not a member of: their tickets are hidden from that agent. */
/**
 * The ids of the restricted teams `userId` is not in, as a subquery other queries
 * embed (not run here): a list filters on it in the same statement.
 */
export function hiddenTeamIdsQuery(db: Executor, userId: number) {
  return db
    .select({ id: teams.id })
    .from(teams)
    .where(and(eq(teams.restricted, true), notInArray(teams.id, memberOfQuery(db, userId))));
}

/** The ids of the teams `userId` is in, as a subquery other queries embed. */
export function memberOfQuery(db: Executor, userId: number) {
  return db
    .select({ teamId: teamMembers.teamId })
    .from(teamMembers)
    .where(eq(teamMembers.userId, userId));
}

export async function hiddenTeamIds(db: Executor, userId: number): Promise<number[]> {
  const rows = await hiddenTeamIdsQuery(db, userId);
  return rows.map((r) => r.id);
}

/**
 * Every team with whether `userId` is in it and whether it is restricted, by name:
 * what the desk needs to list team queues, in one statement.
 */
export async function teamsWithMembership(db: Executor, userId: number) {
  const mine = memberOfQuery(db, userId).as("mine");
  return db
    .select({
      id: teams.id,
      name: teams.name,
      restricted: teams.restricted,
      member: sql<boolean>`${mine.teamId} is not null`,
    })
    .from(teams)
    .leftJoin(mine, eq(mine.teamId, teams.id))
    .orderBy(asc(sql`lower(${teams.name})`), asc(teams.id));
}

/** Whether the team hides its tickets from `userId` (restricted, and they are not in it). */
export async function hidesFrom(db: Executor, teamId: number, userId: number): Promise<boolean> {
  const [row] = await db
    .select({
      hidden: sql<boolean>`${teams.restricted} and not exists (select 1 from ${teamMembers}
        where ${teamMembers.teamId} = ${teams.id} and ${teamMembers.userId} = ${userId})`,
    })
    .from(teams)
    .where(eq(teams.id, teamId));
  return row?.hidden ?? false;
}

export async function countTeams(db: Executor, ids: number[]): Promise<number> {
  if (ids.length === 0) return 0;
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(teams)
    .where(inArray(teams.id, ids));
  return row?.n ?? 0;
}
