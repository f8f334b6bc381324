import { asc, eq, sql } from "drizzle-orm";
import type { Executor } from "../db/client.ts";
import { ticketFields, tickets } from "../db/schema/index.ts";
import type { FieldDef } from "./values.ts";

const columns = {
  id: ticketFields.id,
  name: ticketFields.name,
  label: ticketFields.label,
  type: ticketFields.type,
  choices: ticketFields.choices,
  customerVisible: ticketFields.customerVisible,
  requiredToSolve: ticketFields.requiredToSolve,
  position: ticketFields.position,
  disabled: ticketFields.disabled,
};

/** Every field, disabled ones too, in page order. */
export function listFields(db: Executor): Promise<FieldDef[]> {
  return db
    .select(columns)
    .from(ticketFields)
    .orderBy(asc(ticketFields.position), asc(ticketFields.id));
}

export async function findFieldByName(db: Executor, name: string): Promise<FieldDef | undefined> {
  const [row] = await db
    .select(columns)
    .from(ticketFields)
    .where(eq(sql`lower(${ticketFields.name})`, name.toLowerCase()));
  return row;
}

export type FieldInsert = Omit<FieldDef, "id">;

export async function insertField(db: Executor, field: FieldInsert): Promise<FieldDef> {
  const [row] = await db
    .insert(ticketFields)
    .values({ ...field, choices: [...field.choices] })
    .returning(columns);
  if (!row) throw new Error("insert returned no row");
  return row;
}

export async function updateField(
  db: Executor,
  id: number,
  change: Partial<Omit<FieldInsert, "name" | "type">>,
): Promise<FieldDef | undefined> {
  const [row] = await db
    .update(ticketFields)
    .set({ ...change, choices: change.choices ? [...change.choices] : undefined })
    .where(eq(ticketFields.id, id))
    .returning(columns);
  return row;
}

/**
 * Deletes a field and takes its values off every ticket that has one, each
 * such ticket moving in the change feed (one statement over the tickets: `?`
 * is not what the `jsonb_path_ops` index answers, so this reads the table; an
 * admin's rare act). False when it was gone.
 */
export async function deleteField(db: Executor, id: number): Promise<boolean> {
  const rows = await db
    .delete(ticketFields)
    .where(eq(ticketFields.id, id))
    .returning({ id: ticketFields.id });
  if (rows.length === 0) return false;
  await db
    .update(tickets)
    .set({
      fields: sql`${tickets.fields} - ${String(id)}::text`,
      // What the API shows of these tickets changed: the change feed and ETags move.
      changeXid: sql`pg_current_xact_id()`,
      version: sql`${tickets.version} + 1`,
    })
    .where(sql`${tickets.fields} ? ${String(id)}::text`);
  return true;
}
