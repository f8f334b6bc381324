import { and, asc, eq, inArray, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import type { Executor } from "../db/client.ts";
import {
  organisationDomains,
  organisationMembers,
  organisations,
  users,
} from "../db/schema/index.ts";

export type OrganisationRow = typeof organisations.$inferSelect;

export async function listOrganisations(db: Executor): Promise<OrganisationRow[]> {
  return db
    .select()
    .from(organisations)
    .orderBy(sql`lower(${organisations.name})`, asc(organisations.id));
}

export async function findOrganisation(
  db: Executor,
  id: number,
): Promise<OrganisationRow | undefined> {
  const [row] = await db.select().from(organisations).where(eq(organisations.id, id));
  return row;
}

/** Inserts; undefined when the name is taken (any case). */
export async function insertOrganisation(
  db: Executor,
  values: { name: string; shareTickets: boolean },
): Promise<OrganisationRow | undefined> {
  const [row] = await db.insert(organisations).values(values).onConflictDoNothing().returning();
  return row;
}

export async function findOrganisationByName(db: Executor, name: string) {
  const [row] = await db
    .select()
    .from(organisations)
    .where(sql`lower(${organisations.name}) = lower(${name})`);
  return row;
}

export async function updateOrganisation(
  db: Executor,
  id: number,
  values: { name: string; shareTickets: boolean },
): Promise<OrganisationRow | undefined> {
  const [row] = await db
    .update(organisations)
    .set({ ...values, updatedAt: sql`now()` })
    .where(eq(organisations.id, id))
    .returning();
  return row;
}

export async function deleteOrganisation(db: Executor, id: number): Promise<boolean> {
  const rows = await db
    .delete(organisations)
    .where(eq(organisations.id, id))
    .returning({ id: organisations.id });
  return rows.length > 0;
}

export async function listDomains(db: Executor) {
  return db.select().from(organisationDomains).orderBy(asc(organisationDomains.domain));
}

/** The domains among `domains` that another organisation than `exceptId` has. */
export async function domainsTaken(db: Executor, domains: string[], exceptId: number | undefined) {
  if (domains.length === 0) return [];
  return db
    .select({
      domain: organisationDomains.domain,
      organisationId: organisationDomains.organisationId,
    })
    .from(organisationDomains)
    .where(
      and(
        inArray(organisationDomains.domain, domains),
        exceptId === undefined
          ? undefined
          : sql`${organisationDomains.organisationId} <> ${exceptId}`,
      ),
    );
}

/** Replaces an organisation's domains. */
export async function setDomains(db: Executor, organisationId: number, domains: string[]) {
  await db
    .delete(organisationDomains)
    .where(eq(organisationDomains.organisationId, organisationId));
  if (domains.length > 0) {
    await db
      .insert(organisationDomains)
      .values(domains.map((domain) => ({ domain, organisationId })));
  }
}

export async function findOrganisationOfDomain(db: Executor, domain: string) {
  const [row] = await db
    .select({ organisationId: organisationDomains.organisationId })
    .from(organisationDomains)
    .where(eq(organisationDomains.domain, domain));
  return row?.organisationId;
}

export async function listMembers(db: Executor) {
  return db
    .select({
      organisationId: organisationMembers.organisationId,
      userId: users.id,
      name: users.name,
      email: users.email,
      disabled: users.disabled,
    })
    .from(organisationMembers)
    .innerJoin(users, eq(users.id, organisationMembers.userId))
    .orderBy(sql`lower(${users.name})`, asc(users.id));
}

/** Makes `userId` a member of `organisationId` (moving them from any other). */
export async function setMembership(db: Executor, userId: number, organisationId: number) {
  await db
    .insert(organisationMembers)
    .values({ userId, organisationId })
    .onConflictDoUpdate({
      target: organisationMembers.userId,
      set: { organisationId, createdAt: sql`now()` },
    });
}

/** Joins, unless the user is in an organisation already; returns whether they joined. */
export async function joinIfNone(
  db: Executor,
  userId: number,
  organisationId: number,
): Promise<boolean> {
  const rows = await db
    .insert(organisationMembers)
    .values({ userId, organisationId })
    .onConflictDoNothing()
    .returning({ userId: organisationMembers.userId });
  return rows.length > 0;
}

export async function removeMember(
  db: Executor,
  organisationId: number,
  userId: number,
): Promise<boolean> {
  const rows = await db
    .delete(organisationMembers)
    .where(
      and(
        eq(organisationMembers.organisationId, organisationId),
        eq(organisationMembers.userId, userId),
      ),
    )
    .returning({ userId: organisationMembers.userId });
  return rows.length > 0;
}

const mine = alias(organisationMembers, "mine");
const theirs = alias(organisationMembers, "theirs");

/**
 * The users whose tickets `userId` sees as a colleague: the members of their
 * organisation when it shares tickets (themselves included). A subquery, for
 * the list statements.
 */
export function colleaguesQuery(db: Executor, userId: number) {
  return db
    .select({ userId: theirs.userId })
    .from(mine)
    .innerJoin(
      organisations,
      and(eq(organisations.id, mine.organisationId), eq(organisations.shareTickets, true)),
    )
    .innerJoin(theirs, eq(theirs.organisationId, mine.organisationId))
    .where(eq(mine.userId, userId));
}

/** Whether `userId` and `otherId` are in one organisation that shares tickets. */
export async function sharesTickets(
  db: Executor,
  userId: number,
  otherId: number,
): Promise<boolean> {
  const [row] = await db
    .select({ one: sql<number>`1` })
    .from(mine)
    .innerJoin(
      organisations,
      and(eq(organisations.id, mine.organisationId), eq(organisations.shareTickets, true)),
    )
    .innerJoin(
      theirs,
      and(eq(theirs.organisationId, mine.organisationId), eq(theirs.userId, otherId)),
    )
    .where(eq(mine.userId, userId));
  return row !== undefined;
}

/** The members of an organisation, as a subquery of user ids (the staff filter). */
export function membersQuery(db: Executor, organisationId: number) {
  return db
    .select({ userId: organisationMembers.userId })
    .from(organisationMembers)
    .where(eq(organisationMembers.organisationId, organisationId));
}
