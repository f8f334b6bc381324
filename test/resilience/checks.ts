// Direct looks at a stopped (PGlite) or running (PostgreSQL) server's database:
// what it holds, whether anything is half-written, and PostgreSQL's own
// structural checks (amcheck) on every B-tree index and table.
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { amcheck } from "@electric-sql/pglite/contrib/amcheck";
import pg from "pg";
import { PGLITE_EXTENSIONS } from "../../src/db/client.ts";
import { lockDataDir } from "../../src/db/lock.ts";
import type { Store } from "./server.ts";

export type Query = <T>(sql: string) => Promise<T[]>;

/** Runs `work` with raw SQL on the store's database (PGlite: under its data-directory lock). */
export async function withSql<T>(store: Store, work: (query: Query) => Promise<T>): Promise<T> {
  if (store.databaseUrl) {
    const client = new pg.Client({ connectionString: store.databaseUrl });
    await client.connect();
    try {
      return await work(async <R>(sql: string) => (await client.query(sql)).rows as R[]);
    } finally {
      await client.end();
    }
  }
  const lock = await lockDataDir(store.dataDir);
  try {
    const client = await PGlite.create(path.join(store.dataDir, "pg"), {
      extensions: { ...PGLITE_EXTENSIONS, amcheck },
    });
    try {
      return await work(async <R>(sql: string) => (await client.query<R>(sql)).rows);
    } finally {
      await client.close();
    }
  } finally {
    await lock.release();
  }
}

/** Half-written data: a ticket without its first message or `created` event, or orphans. */
export async function halfWritten(query: Query): Promise<Record<string, number[]>> {
  const ids = async (sql: string) => (await query<{ id: number }>(sql)).map((r) => r.id);
  return {
    ticketWithoutFirstMessage: await ids(`
      SELECT t.id FROM tickets t
      LEFT JOIN LATERAL (
        SELECT content, author_id FROM messages m WHERE m.ticket_id = t.id ORDER BY m.id LIMIT 1
      ) first ON true
      WHERE first.content IS DISTINCT FROM t.description`),
    ticketWithoutCreatedEvent: await ids(`
      SELECT t.id FROM tickets t
      WHERE NOT EXISTS (SELECT 1 FROM ticket_events e WHERE e.ticket_id = t.id AND e.kind = 'created')`),
    messageWithoutTicket: await ids(`
      SELECT m.id FROM messages m LEFT JOIN tickets t ON t.id = m.ticket_id WHERE t.id IS NULL`),
    eventWithoutTicket: await ids(`
      SELECT e.id FROM ticket_events e LEFT JOIN tickets t ON t.id = e.ticket_id WHERE t.id IS NULL`),
  };
}

/**
 * amcheck: every B-tree index in the schema is structurally sound and holds
 * every heap tuple (`bt_index_check(index, heapallindexed => true)`), and every
 * table's heap pages verify (`verify_heapam`). Returns how many indexes and
 * tables were checked, and the problems found (none expected).
 */
export async function amcheckAll(
  query: Query,
): Promise<{ indexes: number; tables: number; problems: string[] }> {
  await query("CREATE EXTENSION IF NOT EXISTS amcheck");
  const indexes = await query<{ name: string }>(`
    SELECT c.relname AS name, bt_index_check(c.oid, true)::text AS ok
    FROM pg_index i
    JOIN pg_class c ON c.oid = i.indexrelid
    JOIN pg_am a ON a.oid = c.relam
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE a.amname = 'btree' AND n.nspname = 'public' AND i.indisvalid AND i.indisready`);
  const tables = await query<{ name: string }>(`
    SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind = 'r'`);
  const problems = await query<{ name: string; msg: string }>(`
    SELECT c.relname AS name, v.msg
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace,
    LATERAL verify_heapam(c.oid) v
    WHERE n.nspname = 'public' AND c.relkind = 'r'`);
  return {
    indexes: indexes.length,
    tables: tables.length,
    problems: problems.map((p) => `${p.name}: ${p.msg}`),
  };
}
