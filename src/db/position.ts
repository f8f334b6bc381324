import { and, asc, desc, eq, sql } from "drizzle-orm";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";
import type { Executor } from "./client.ts";

/**
 * Rows an admin orders by hand (rules, SLA conditions): their table, id and
 * position, and optionally a column whose equal values make one list each
 * (a rule's kind).
 */
export interface OrderedRows {
  table: PgTable;
  id: PgColumn;
  position: PgColumn;
  group?: PgColumn | undefined;
}

/**
 * Swaps row `id` with its neighbour above or below (by position, then id) in
 * its list, both rows locked. False when the row does not exist or is already
 * first (up) or last (down).
 */
export async function moveRow(
  db: Executor,
  { table, id: idColumn, position, group }: OrderedRows,
  id: number,
  direction: "up" | "down",
): Promise<boolean> {
  const [row] = (await db
    .select({ id: idColumn, position, group: group ?? sql`null` })
    .from(table)
    .where(eq(idColumn, id))
    .for("update")) as { id: number; position: number; group: unknown }[];
  if (!row) return false;
  const up = direction === "up";
  const [other] = (await db
    .select({ id: idColumn, position })
    .from(table)
    .where(
      and(
        group ? eq(group, row.group) : undefined,
        up
          ? sql`(${position}, ${idColumn}) < (${row.position}, ${row.id})`
          : sql`(${position}, ${idColumn}) > (${row.position}, ${row.id})`,
      ),
    )
    .orderBy(up ? desc(position) : asc(position), up ? desc(idColumn) : asc(idColumn))
    .limit(1)
    .for("update")) as { id: number; position: number }[];
  if (!other) return false;
  // Equal positions (never written by this code, but possible by hand) still end up ordered.
  const [mine, theirs] =
    other.position === row.position
      ? up
        ? [row.position, row.position + 1]
        : [row.position + 1, row.position]
      : [other.position, row.position];
  await db.execute(sql`
    update ${table} set ${sql.identifier(position.name)} =
      case when ${sql.identifier(idColumn.name)} = ${row.id} then ${mine}::int else ${theirs}::int end
    where ${sql.identifier(idColumn.name)} in (${row.id}, ${other.id})`);
  return true;
}
