import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { PGlite } from "@electric-sql/pglite";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { migrate as migratePg } from "drizzle-orm/node-postgres/migrator";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import pg from "pg";
import { databaseKinds } from "../../test/helpers/db.ts";
import { createScratchDatabase } from "../../test/helpers/postgres.ts";
import { MIGRATIONS_DIR, PGLITE_EXTENSIONS } from "./client.ts";

/**
 * Migrations that move data are tested on data: the database is migrated up to
 * the one before, filled the old way, then migrated to the end.
 */

/** A copy of the migrations folder that stops before `tag`. */
function migrationsBefore(tag: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tessera-migrations-"));
  fs.cpSync(MIGRATIONS_DIR, dir, { recursive: true });
  const journalPath = path.join(dir, "meta", "_journal.json");
  const journal = JSON.parse(fs.readFileSync(journalPath, "utf8")) as {
    entries: { tag: string }[];
  };
  const at = journal.entries.findIndex((e) => e.tag === tag);
  assert.ok(at > 0, `migration ${tag} exists`);
  journal.entries = journal.entries.slice(0, at);
  fs.writeFileSync(journalPath, JSON.stringify(journal));
  return dir;
}

type Run = (query: string) => Promise<Record<string, unknown>[]>;

interface Target {
  run: Run;
  /** Several statements at once. */
  exec(statements: string): Promise<void>;
  migrate(folder: string): Promise<void>;
  close(): Promise<void>;
}

async function openTarget(kind: "pglite" | "postgres"): Promise<Target> {
  if (kind === "pglite") {
    const client = await PGlite.create({ extensions: PGLITE_EXTENSIONS });
    const db = drizzlePglite({ client, casing: "snake_case" });
    return {
      run: async (query) => (await client.query<Record<string, unknown>>(query)).rows,
      exec: async (statements) => {
        await client.exec(statements);
      },
      migrate: (folder) => migratePglite(db, { migrationsFolder: folder }),
      close: () => client.close(),
    };
  }
  const scratch = await createScratchDatabase();
  const pool = new pg.Pool({ connectionString: scratch.url, max: 1 });
  const db = drizzlePg({ client: pool, casing: "snake_case" });
  return {
    run: async (query) => (await pool.query(query)).rows,
    exec: async (statements) => {
      await pool.query(statements);
    },
    migrate: (folder) => migratePg(db, { migrationsFolder: folder }),
    close: async () => {
      await pool.end();
      await scratch.drop();
    },
  };
}

for (const kind of databaseKinds()) {
  describe(`migration 0004 backfills channel and clocks from history [${kind}]`, () => {
    let target: Target;
    let folder: string;
    before(async () => {
      target = await openTarget(kind);
      folder = migrationsBefore("0004_ticket_channel_and_clocks");
      await target.migrate(folder);
      // The world as 0003 knew it: a web ticket answered by an agent and solved,
      // and a ticket that came by mail with only its first message.
      await target.exec(`
        INSERT INTO users (id, email, name, role) OVERRIDING SYSTEM VALUE VALUES
          (1, 'ann@example.test', 'Ann', 'customer'),
          (2, 'bo@example.test', 'Bo', 'agent');
        INSERT INTO tickets (id, title, description, status, requester_id, created_at, updated_at)
          OVERRIDING SYSTEM VALUE VALUES
          (10, 'Web', 'd', 'solved', 1, '2026-01-01T10:00:00Z', '2026-01-03T10:00:00Z'),
          (11, 'Mail', 'd', 'new', 1, '2026-02-01T10:00:00Z', '2026-02-01T10:00:00Z');
        INSERT INTO messages (ticket_id, author_id, content, internal, created_at) VALUES
          (10, 1, 'help', false, '2026-01-01T10:00:00Z'),
          (10, 2, 'answer', false, '2026-01-02T10:00:00Z'),
          (10, 2, 'a note after', true, '2026-01-02T12:00:00Z'),
          (10, 1, 'thanks', false, '2026-01-02T11:00:00Z'),
          (11, 1, 'by mail', false, '2026-02-01T10:00:00Z');
        INSERT INTO ticket_events (ticket_id, actor_id, kind, from_value, to_value, created_at) VALUES
          (10, 1, 'created', NULL, 'new', '2026-01-01T10:00:00Z'),
          (10, 2, 'status', 'new', 'open', '2026-01-02T10:00:00Z'),
          (10, 2, 'priority', 'normal', 'high', '2026-01-02T23:00:00Z'),
          (10, 2, 'status', 'open', 'solved', '2026-01-03T10:00:00Z'),
          (11, 1, 'created', NULL, 'new', '2026-02-01T10:00:00Z');
        INSERT INTO inbound_emails (raw, envelope_to, status, ticket_id) VALUES
          ('\\x00', '[]', 'ticket', 11),
          ('\\x00', '[]', 'reply', 10);
      `);
      await target.migrate(MIGRATIONS_DIR);
    });
    after(async () => {
      await target?.close();
      if (folder) fs.rmSync(folder, { recursive: true, force: true });
    });

    test("mail-born tickets are 'email', the rest 'web'; clocks come from the last status change and the last public messages", async () => {
      const rows = await target.run(`
        SELECT id, channel,
          to_char(status_changed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS status_at,
          to_char(last_customer_reply_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS customer_at,
          to_char(last_agent_reply_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS agent_at
        FROM tickets ORDER BY id`);
      assert.deepEqual(rows, [
        {
          id: 10,
          channel: "web",
          status_at: "2026-01-03 10:00",
          customer_at: "2026-01-02 11:00",
          agent_at: "2026-01-02 10:00",
        },
        {
          id: 11,
          channel: "email",
          status_at: "2026-02-01 10:00",
          customer_at: "2026-02-01 10:00",
          agent_at: null,
        },
      ]);
    });

    test("the migrated database takes new rows with the new columns' defaults", async () => {
      await target.run(
        `INSERT INTO tickets (title, description, requester_id) VALUES ('New', 'd', 1)`,
      );
      const [row] = await target.run(
        `SELECT channel, status_changed_at IS NOT NULL AS clock FROM tickets WHERE title = 'New'`,
      );
      assert.deepEqual(row, { channel: "web", clock: true });
    });
  });

  describe(`migration 0023 keeps existing tickets English [${kind}]`, () => {
    let target: Target;
    let folder: string;
    before(async () => {
      target = await openTarget(kind);
      folder = migrationsBefore("0023_ticket_search_config");
      await target.migrate(folder);
      // Indexed as every ticket was before: in English.
      await target.exec(`
        INSERT INTO users (id, email, name, role, locale) OVERRIDING SYSTEM VALUE VALUES
          (1, 'ute@example.test', 'Ute', 'customer', 'de');
        INSERT INTO tickets (id, title, description, requester_id, search)
          OVERRIDING SYSTEM VALUE VALUES
          (10, 'Invoices', 'd', 1, to_tsvector('english', 'The invoices were not paid'));
      `);
      await target.migrate(MIGRATIONS_DIR);
    });
    after(async () => {
      await target?.close();
      if (folder) fs.rmSync(folder, { recursive: true, force: true });
    });

    test("tickets from before are 'english', as their documents were made, and still found", async () => {
      const rows = await target.run(`
        SELECT id, search_config,
          search @@ websearch_to_tsquery(search_config::regconfig, 'invoice') AS found
        FROM tickets ORDER BY id`);
      assert.deepEqual(rows, [{ id: 10, search_config: "english", found: true }]);
    });

    test("a configuration no query is parsed in is refused", async () => {
      await assert.rejects(
        target.run(`UPDATE tickets SET search_config = 'danish' WHERE id = 10`),
        /tickets_search_config_known/,
      );
    });
  });

  describe(`migration 0024 counts each agent's open tickets [${kind}]`, () => {
    let target: Target;
    let folder: string;
    before(async () => {
      target = await openTarget(kind);
      folder = migrationsBefore("0024_agent_open_tickets");
      await target.migrate(folder);
      await target.exec(`
        INSERT INTO users (id, email, name, role) OVERRIDING SYSTEM VALUE VALUES
          (1, 'c@example.test', 'C', 'customer'), (2, 'a@example.test', 'A', 'agent'),
          (3, 'b@example.test', 'B', 'agent'), (4, 'z@example.test', 'Z', 'agent');
        INSERT INTO tickets (id, title, description, requester_id, assignee_id, status)
          OVERRIDING SYSTEM VALUE VALUES
          (10, 't', 'd', 1, 2, 'new'), (11, 't', 'd', 1, 2, 'pending'), (12, 't', 'd', 1, 2, 'solved'),
          (13, 't', 'd', 1, 3, 'open'), (14, 't', 'd', 1, 3, 'closed'), (15, 't', 'd', 1, NULL, 'open');
      `);
      await target.migrate(MIGRATIONS_DIR);
    });
    after(async () => {
      await target?.close();
      if (folder) fs.rmSync(folder, { recursive: true, force: true });
    });

    test("existing tickets are counted: new, open and pending ones, per assignee", async () => {
      const rows = await target.run("SELECT id, open_tickets FROM users ORDER BY id");
      assert.deepEqual(rows, [
        { id: 1, open_tickets: 0 },
        { id: 2, open_tickets: 2 },
        { id: 3, open_tickets: 1 },
        { id: 4, open_tickets: 0 },
      ]);
    });

    test("later changes keep the counts: solving, reopening, handing over", async () => {
      await target.exec(`
        UPDATE tickets SET status = 'solved' WHERE id = 10;
        UPDATE tickets SET status = 'open' WHERE id = 14;
        UPDATE tickets SET assignee_id = 4 WHERE id IN (11, 13, 15);
      `);
      const rows = await target.run("SELECT id, open_tickets FROM users ORDER BY id");
      assert.deepEqual(rows, [
        { id: 1, open_tickets: 0 },
        { id: 2, open_tickets: 0 },
        { id: 3, open_tickets: 1 },
        { id: 4, open_tickets: 3 },
      ]);
    });
  });
}
