import { and, asc, eq, sql } from "drizzle-orm";
import type { Executor } from "../db/client.ts";
import { ssoIdentities, ssoProviders } from "../db/schema/index.ts";

export type SsoProviderRow = typeof ssoProviders.$inferSelect;
type ProviderValues = Omit<typeof ssoProviders.$inferInsert, "id" | "createdAt" | "updatedAt">;

export async function listProviders(db: Executor): Promise<SsoProviderRow[]> {
  return db
    .select()
    .from(ssoProviders)
    .orderBy(sql`lower(${ssoProviders.name})`, asc(ssoProviders.id));
}

export async function findProvider(db: Executor, id: number): Promise<SsoProviderRow | undefined> {
  const [row] = await db.select().from(ssoProviders).where(eq(ssoProviders.id, id));
  return row;
}

/** Inserts; undefined when the name is taken (any case). */
export async function insertProvider(
  db: Executor,
  values: ProviderValues,
): Promise<SsoProviderRow | undefined> {
  const [row] = await db.insert(ssoProviders).values(values).onConflictDoNothing().returning();
  return row;
}

export async function findProviderByName(
  db: Executor,
  name: string,
): Promise<SsoProviderRow | undefined> {
  const [row] = await db
    .select()
    .from(ssoProviders)
    .where(sql`lower(${ssoProviders.name}) = lower(${name})`);
  return row;
}

export async function updateProvider(
  db: Executor,
  id: number,
  values: Partial<ProviderValues>,
): Promise<SsoProviderRow | undefined> {
  const [row] = await db
    .update(ssoProviders)
    .set({ ...values, updatedAt: sql`now()` })
    .where(eq(ssoProviders.id, id))
    .returning();
  return row;
}

export async function deleteProvider(db: Executor, id: number): Promise<boolean> {
  const rows = await db
    .delete(ssoProviders)
    .where(eq(ssoProviders.id, id))
    .returning({ id: ssoProviders.id });
  return rows.length > 0;
}

/** The account a provider's subject signed in to before, noting that it is used again. */
export async function useIdentity(
  db: Executor,
  providerId: number,
  subject: string,
): Promise<number | undefined> {
  const [row] = await db
    .update(ssoIdentities)
    .set({ lastUsedAt: sql`now()` })
    .where(and(eq(ssoIdentities.providerId, providerId), eq(ssoIdentities.subject, subject)))
    .returning({ userId: ssoIdentities.userId });
  return row?.userId;
}

/** Links a subject to an account; a subject linked meanwhile keeps its first account. */
export async function linkIdentity(
  db: Executor,
  values: { providerId: number; subject: string; userId: number },
): Promise<void> {
  await db.insert(ssoIdentities).values(values).onConflictDoNothing();
}
