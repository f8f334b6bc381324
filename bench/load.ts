// Generates and loads the bench data set inside the database: the text comes from a
// seeded corpus (bench_sentences, bench_titles) and every other choice from
// hashint8extended(key, seed), so rows are made where they are stored (no rows cross
// the wire) and the same seed always gives the same data set. PostgreSQL loads with
// two connections side by side; PGlite with its one.
import { corpus } from "./vocabulary.ts";

/** What the loader needs from a connection: node-postgres and PGlite both fit. */
export interface SqlClient {
  query(sql: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

export interface DataSetOptions {
  tickets: number;
  seed: number;
}

/** Bumped when the generator changes, so `--reuse` never reuses a different data set. */
export const GENERATOR_VERSION = 4;

/** Every timestamp is at or before this instant, so the data set is the same whenever it is made. */
export const ANCHOR = "2026-11-01T00:00:00Z";
const SPAN_SECONDS = 5 * 365 * 86_400;

export const AGENT_COUNT = 20;
/** User ids: 1 is the admin, 2..21 the agents, customers after. */
export const FIRST_AGENT_ID = 2;
export const FIRST_CUSTOMER_ID = FIRST_AGENT_ID + AGENT_COUNT;
/** Every this-many-th ticket has exactly 20 messages (the ticket-page scenario opens these). */
export const LONG_TICKET_EVERY = 500;
export const LONG_TICKET_MESSAGES = 20;

/**
 * Tags on tickets, each on its share of all tickets (chosen per ticket, so each
 * share holds among the open ones too): a common, a medium, a rare one.
 */
export const BENCH_TAGS = [
  { id: 1, name: "vip", share: 0.3 },
  { id: 2, name: "hardware", share: 0.05 },
  { id: 3, name: "escalated", share: 0.005 },
] as const;

/**
 * A custom field (src/fields) on tickets: "product", one choice, set on 61% of
 * tickets (Printer 50%, Scanner 10%, Laptop 1%), stored as the app stores it
 * (`tickets.fields`, keyed by the field's id).
 */
export const BENCH_FIELD = { id: 1, name: "product", choices: ["Printer", "Scanner", "Laptop"] };

export function customerCount(tickets: number): number {
  return Math.max(100, Math.min(100_000, Math.round(tickets / 10)));
}

/** The newest tickets; about 80% of these are new, open or pending, the rest solved. */
export function activeWindow(tickets: number): number {
  return Math.max(50, Math.round(tickets * 0.006));
}

export interface LoadReport {
  rows: Record<string, number>;
  phases: { name: string; seconds: number }[];
  seconds: number;
}

const FIRST_NAMES =
  `Ada Alan Alice Amir Ana Anders Aylin Bea Boris Carla Chen Chloe Dana Diego Elena Emeka
Eva Farah Felix Grace Hana Hugo Ines Ivan Jana Jonas Julia Kai Kenji Lara Leo Lina Luca Maya Mei Mila
Nadia Noah Nora Olga Omar Paula Priya Rafael Rosa Sam Sara Tariq Teo Uma Vera Wei Yara Yusuf Zoe`
    .split(/\s+/)
    .filter(Boolean);
const LAST_NAMES =
  `Abe Ahmed Alves Bauer Berg Costa Cruz Dahl Diaz Dubois Eriksen Fischer Garcia Gomez
Haas Hansen Ito Jensen Kaur Khan Kim Kowalski Lang Lee Lopez Moreau Meyer Mori Nagy Novak Okafor Olsen
Park Patel Perez Quinn Rossi Sato Schmidt Silva Singh Smith Tanaka Torres Vogel Wagner Walsh Wong Young Zhang`
    .split(/\s+/)
    .filter(Boolean);

const sqlArray = (items: readonly string[]) =>
  `ARRAY[${items.map((s) => `'${s.replaceAll("'", "''")}'`).join(",")}]`;

/** Runs jobs on the clients, each client taking the next job when it is free. */
async function inParallel(clients: readonly SqlClient[], jobs: readonly string[]): Promise<void> {
  let next = 0;
  await Promise.all(
    clients.map(async (client) => {
      while (next < jobs.length) {
        const job = jobs[next++] as string;
        await client.query(job);
      }
    }),
  );
}

function ranges(from: number, to: number, size: number): [number, number][] {
  const out: [number, number][] = [];
  for (let lo = from; lo <= to; lo += size) out.push([lo, Math.min(to, lo + size - 1)]);
  return out;
}

/** The tables the loader fills; their secondary indexes are dropped during the load and rebuilt after. */
const LOADED_TABLES = ["users", "tickets", "messages", "ticket_events", "ticket_tags"];

/**
 * Fills a freshly migrated, empty database. `passwordHash` is given to every
 * account (hashing 100,000 passwords would take longer than the rest of the load).
 */
export async function loadDataSet(
  clients: readonly SqlClient[],
  options: DataSetOptions,
  passwordHash: string,
  log: (line: string) => void,
  settings: { workMem: string; maintenanceWorkMem: string },
): Promise<LoadReport> {
  const { tickets: n, seed } = options;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error("seed must be a whole number");
  const customers = customerCount(n);
  const [main] = clients;
  if (!main) throw new Error("no database connection");
  const started = performance.now();
  const phases: LoadReport["phases"] = [];
  const phase = async (name: string, run: () => Promise<void>) => {
    const t0 = performance.now();
    await run();
    const seconds = (performance.now() - t0) / 1000;
    phases.push({ name, seconds });
    log(`  ${name}: ${seconds.toFixed(1)} s`);
  };

  for (const client of clients) {
    // Replica role skips foreign-key triggers (every row is consistent by
    // construction); an unsynced commit is fine for data we can regenerate.
    await client.query("SET session_replication_role = replica");
    await client.query("SET synchronous_commit = off");
    await client.query(`SET work_mem = '${settings.workMem}'`);
    await client.query(`SET maintenance_work_mem = '${settings.maintenanceWorkMem}'`);
  }

  const text = corpus(seed);
  const S = text.sentences.length;
  const T = text.titles.length;
  let indexDefs: { name: string; def: string; table: string }[] = [];

  await phase("corpus and helpers", async () => {
    await main.query(`
      CREATE OR REPLACE FUNCTION bench_u(k bigint, salt int) RETURNS float8
      LANGUAGE sql IMMUTABLE PARALLEL SAFE
      AS $$ SELECT (hashint8extended(k * 97 + salt, ${seed}) & 4503599627370495)::float8 / 4503599627370496.0 $$`);
    await main.query("DROP TABLE IF EXISTS bench_sentences, bench_titles");
    await main.query("CREATE TABLE bench_sentences (id int PRIMARY KEY, body text NOT NULL)");
    await main.query("CREATE TABLE bench_titles (id int PRIMARY KEY, body text NOT NULL)");
    await main.query("INSERT INTO bench_sentences SELECT * FROM unnest($1::int[], $2::text[])", [
      text.sentences.map((_, i) => i),
      text.sentences,
    ]);
    await main.query("INSERT INTO bench_titles SELECT * FROM unnest($1::int[], $2::text[])", [
      text.titles.map((_, i) => i),
      text.titles,
    ]);
    await main.query("ANALYZE bench_sentences");
    await main.query("ANALYZE bench_titles");
    const { rows } = await main.query(
      `SELECT i.relname AS name, t.relname AS "table", pg_get_indexdef(i.oid) AS def
       FROM pg_index x
       JOIN pg_class i ON i.oid = x.indexrelid
       JOIN pg_class t ON t.oid = x.indrelid
       JOIN pg_namespace ns ON ns.oid = t.relnamespace
       WHERE ns.nspname = 'public' AND t.relname = ANY($1::text[])
         AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)`,
      [LOADED_TABLES],
    );
    indexDefs = rows as typeof indexDefs;
    for (const { name } of indexDefs) await main.query(`DROP INDEX "${name}"`);
  });

  await phase(`users (${customers + FIRST_CUSTOMER_ID - 1})`, async () => {
    await main.query(
      `INSERT INTO users (id, email, name, role, password_hash, created_at, updated_at)
       OVERRIDING SYSTEM VALUE
       SELECT g,
         CASE WHEN g = 1 THEN 'admin@bench.test'
              WHEN g < ${FIRST_CUSTOMER_ID} THEN 'agent' || (g - 1) || '@bench.test'
              ELSE 'customer' || (g - ${FIRST_CUSTOMER_ID - 1}) || '@bench.test' END,
         (${sqlArray(FIRST_NAMES)})[1 + floor(bench_u(g, 20) * ${FIRST_NAMES.length})::int] || ' ' ||
         (${sqlArray(LAST_NAMES)})[1 + floor(bench_u(g, 21) * ${LAST_NAMES.length})::int],
         (CASE WHEN g = 1 THEN 'admin' WHEN g < ${FIRST_CUSTOMER_ID} THEN 'agent' ELSE 'customer' END)::user_role,
         $1,
         timestamptz '${ANCHOR}' - interval '6 years' + interval '1 day' * floor(bench_u(g, 22) * 300),
         timestamptz '${ANCHOR}' - interval '6 years' + interval '1 day' * floor(bench_u(g, 22) * 300)
       FROM generate_series(1, ${customers + FIRST_CUSTOMER_ID - 1}) g`,
      [passwordHash],
    );
  });

  const active = activeWindow(n);
  const agent = (key: string, salt: number) =>
    `(${FIRST_AGENT_ID} + floor(bench_u(${key}, ${salt}) * ${AGENT_COUNT})::int)`;
  // The text of message `seq` of ticket `id`: two or three corpus sentences.
  const messageText = (id: string, seq: string, alias: string) => ({
    select: `${alias}1.body || ' ' || ${alias}2.body || coalesce(' ' || ${alias}3.body, '')`,
    joins: `
      JOIN bench_sentences ${alias}1 ON ${alias}1.id = floor(bench_u(${id} * 32 + ${seq}, 10) * ${S})::int
      JOIN bench_sentences ${alias}2 ON ${alias}2.id = floor(bench_u(${id} * 32 + ${seq}, 11) * ${S})::int
      LEFT JOIN bench_sentences ${alias}3 ON bench_u(${id} * 32 + ${seq}, 12) < 0.3
        AND ${alias}3.id = floor(bench_u(${id} * 32 + ${seq}, 13) * ${S})::int`,
  });

  const first = messageText("b.id", "1", "s");
  const ticketJobs = ranges(1, n, 50_000).map(
    ([lo, hi]) => `
    INSERT INTO tickets (id, title, description, status, priority, requester_id, assignee_id, fields, created_at, updated_at)
    OVERRIDING SYSTEM VALUE
    SELECT b.id, ti.body, ${first.select}, b.status, b.priority, b.requester_id,
      CASE WHEN b.status = 'new' AND bench_u(b.id, 4) < 0.7 THEN NULL ELSE ${agent("b.id", 5)} END,
      CASE WHEN bench_u(b.id, 50) < 0.5 THEN '{"${BENCH_FIELD.id}": "Printer"}'::jsonb
           WHEN bench_u(b.id, 50) < 0.6 THEN '{"${BENCH_FIELD.id}": "Scanner"}'::jsonb
           WHEN bench_u(b.id, 50) < 0.61 THEN '{"${BENCH_FIELD.id}": "Laptop"}'::jsonb
           ELSE '{}'::jsonb END,
      b.created_at,
      CASE WHEN b.active THEN b.created_at + (timestamptz '${ANCHOR}' - b.created_at) * bench_u(b.id, 6)
           ELSE least(timestamptz '${ANCHOR}', b.created_at + interval '30 days' * power(bench_u(b.id, 6), 2)) END
    FROM (
      SELECT g AS id, g > ${n - active} AS active,
        (CASE WHEN g > ${n - active} THEN
           CASE WHEN bench_u(g, 1) < 0.15 THEN 'new' WHEN bench_u(g, 1) < 0.55 THEN 'open'
                WHEN bench_u(g, 1) < 0.80 THEN 'pending' ELSE 'solved' END
         ELSE CASE WHEN bench_u(g, 1) < 0.04 THEN 'solved' ELSE 'closed' END END)::ticket_status AS status,
        (CASE WHEN bench_u(g, 2) < 0.10 THEN 'low' WHEN bench_u(g, 2) < 0.80 THEN 'normal'
              WHEN bench_u(g, 2) < 0.95 THEN 'high' ELSE 'urgent' END)::ticket_priority AS priority,
        ${FIRST_CUSTOMER_ID} + floor(bench_u(g, 3) * ${customers})::int AS requester_id,
        date_trunc('milliseconds', timestamptz '${ANCHOR}'
          - interval '1 second' * (${SPAN_SECONDS}::float8 * (1 - (g - bench_u(g, 7)) / ${n}))) AS created_at
      FROM generate_series(${lo}, ${hi}) g
    ) b
    JOIN bench_titles ti ON ti.id = floor(bench_u(b.id, 8) * ${T})::int
    ${first.joins}`,
  );
  await main.query(
    `INSERT INTO ticket_fields (id, name, label, type, choices) OVERRIDING SYSTEM VALUE
     VALUES ($1, $2, 'Product', 'choice', $3::text[])`,
    [BENCH_FIELD.id, BENCH_FIELD.name, BENCH_FIELD.choices],
  );
  await phase(`tickets (${n})`, () => inParallel(clients, ticketJobs));

  const body = messageText("t.id", "m.seq", "s");
  const messageJobs = ranges(1, n, 20_000).map(
    ([lo, hi]) => `
    INSERT INTO messages (ticket_id, author_id, content, internal, created_at)
    SELECT t.id,
      CASE WHEN m.seq % 2 = 1 THEN t.requester_id ELSE coalesce(t.assignee_id, ${agent("t.id", 5)}) END,
      ${body.select},
      m.seq % 2 = 0 AND bench_u(t.id * 32 + m.seq, 14) < 0.2,
      date_trunc('milliseconds', t.created_at
        + (t.updated_at - t.created_at) * ((m.seq - 1)::float8 / greatest(c.n - 1, 1)))
    FROM tickets t
    CROSS JOIN LATERAL (SELECT CASE WHEN t.status = 'new' THEN 1
                                    WHEN t.id % ${LONG_TICKET_EVERY} = 0 THEN ${LONG_TICKET_MESSAGES}
                                    ELSE 1 + floor(bench_u(t.id, 9) * 9)::int END AS n) c
    CROSS JOIN LATERAL generate_series(1, c.n) AS m(seq)
    ${body.joins}
    WHERE t.id BETWEEN ${lo} AND ${hi}
    ORDER BY t.id, m.seq`,
  );
  const eventJobs = ranges(1, n, 50_000).map(
    ([lo, hi]) => `
    INSERT INTO ticket_events (ticket_id, actor_id, kind, from_value, to_value, created_at)
    SELECT t.id, CASE WHEN e.n = 1 THEN t.requester_id ELSE t.assignee_id END, e.kind, e.f, e.t,
      date_trunc('milliseconds', t.created_at + (t.updated_at - t.created_at) * ((e.n - 1) / 3.0))
    FROM tickets t
    CROSS JOIN LATERAL (VALUES
      (1, 'created', NULL, 'new', true),
      (2, 'status', 'new', 'open', t.status <> 'new'),
      (3, 'status', 'open', CASE WHEN t.status = 'pending' THEN 'pending' ELSE 'solved' END,
          t.status IN ('pending', 'solved', 'closed')),
      (4, 'status', 'solved', 'closed', t.status = 'closed')
    ) AS e(n, kind, f, t, keep)
    WHERE t.id BETWEEN ${lo} AND ${hi} AND e.keep
    ORDER BY t.id, e.n`,
  );
  await phase("messages and events", () => inParallel(clients, [...messageJobs, ...eventJobs]));

  // What the app keeps as messages arrive (tickets.repo appendToSearch): one search
  // document per ticket from its title and public messages, internal notes apart.
  const searchJobs = ranges(1, n, 50_000).map(
    ([lo, hi]) => `
    UPDATE tickets AS t SET
      search = to_tsvector('english', t.title) || coalesce(d.public_doc, ''::tsvector),
      internal_search = coalesce(d.internal_doc, ''::tsvector)
    FROM (
      SELECT m.ticket_id,
        to_tsvector('english', string_agg(m.content, E'\n' ORDER BY m.id) FILTER (WHERE NOT m.internal)) AS public_doc,
        to_tsvector('english', string_agg(m.content, E'\n' ORDER BY m.id) FILTER (WHERE m.internal)) AS internal_doc
      FROM messages m WHERE m.ticket_id BETWEEN ${lo} AND ${hi} GROUP BY m.ticket_id
    ) d
    WHERE t.id = d.ticket_id AND t.id BETWEEN ${lo} AND ${hi}`,
  );
  await phase("search documents", () => inParallel(clients, searchJobs));

  // SLA clocks as src/sla keeps them, on the default 24/7 calendar: a resolution target on
  // every new or open ticket of the working set and a first response on the new ones (paused
  // on pending ones), the "due first" queue rows from them (tickets made by SQL skip the reaction).
  await phase("SLA clocks", async () => {
    await main.query(`
      INSERT INTO sla_calendars (name, time_zone, periods, is_default)
      SELECT '24/7', 'UTC', jsonb_agg(jsonb_build_object('day', d, 'start', 0, 'end', 1440)), true
      FROM generate_series(1, 7) d`);
    await main.query(`
      INSERT INTO sla_policies (priority, calendar_id, first_response_minutes, resolution_minutes)
      SELECT p.priority::ticket_priority, c.id, p.first, p.resolution
      FROM sla_calendars c, (VALUES ('normal', 480, 4320), ('high', 120, 1440), ('urgent', 30, 480))
        AS p(priority, first, resolution)`);
    await main.query(`
      INSERT INTO ticket_sla_targets (ticket_id, kind, calendar_id, target_minutes, warn_percent,
        started_at, resumed_at, used_ms, paused_at, due_at, warn_at)
      SELECT t.id, k.kind::sla_target_kind, p.calendar_id, k.minutes, 80, t.created_at, t.created_at,
        CASE WHEN t.status = 'pending' THEN 60000 ELSE 0 END,
        CASE WHEN t.status = 'pending' THEN t.updated_at END,
        CASE WHEN t.status <> 'pending' THEN t.created_at + k.minutes * interval '1 minute' END,
        CASE WHEN t.status <> 'pending' THEN t.created_at + k.minutes * 0.8 * interval '1 minute' END
      FROM tickets t
      JOIN sla_policies p ON p.priority = t.priority
      CROSS JOIN LATERAL (VALUES ('first_response', p.first_response_minutes, t.status = 'new'),
        ('resolution', p.resolution_minutes, true)) AS k(kind, minutes, wanted)
      WHERE t.id > ${n - active} AND t.status IN ('new', 'open', 'pending') AND k.wanted`);
    await main.query(`
      INSERT INTO ticket_sla_due (ticket_id, due_at, warn_at)
      SELECT ticket_id, min(due_at), min(warn_at) FROM ticket_sla_targets
      WHERE met_at IS NULL AND due_at IS NOT NULL GROUP BY ticket_id`);
    await main.query("ANALYZE ticket_sla_targets");
    await main.query("ANALYZE ticket_sla_due");
  });

  // users.open_tickets as the triggers on tickets keep it (replica role skips them).
  await phase("agents' open counts", async () => {
    await main.query(`
      UPDATE users SET open_tickets = c.n
      FROM (SELECT assignee_id AS id, count(*)::int AS n FROM tickets
            WHERE assignee_id IS NOT NULL AND status IN ('new', 'open', 'pending')
            GROUP BY assignee_id) c
      WHERE users.id = c.id`);
  });

  await phase("tags", async () => {
    await main.query(
      `INSERT INTO tags (id, name, created_at) OVERRIDING SYSTEM VALUE
       SELECT * FROM unnest($1::int[], $2::text[], $3::timestamptz[])`,
      [BENCH_TAGS.map((t) => t.id), BENCH_TAGS.map((t) => t.name), BENCH_TAGS.map(() => ANCHOR)],
    );
    const jobs = BENCH_TAGS.flatMap((tag) =>
      ranges(1, n, 200_000).map(
        ([lo, hi]) => `
        INSERT INTO ticket_tags (ticket_id, tag_id, added_by, added_at)
        SELECT t.id, ${tag.id}, t.assignee_id, t.created_at FROM tickets t
        WHERE t.id BETWEEN ${lo} AND ${hi} AND bench_u(t.id, ${40 + tag.id}) < ${tag.share}`,
      ),
    );
    await inParallel(clients, jobs);
  });

  await phase("sequences", async () => {
    for (const table of ["users", "tickets", "tags", "ticket_fields"]) {
      await main.query(
        `SELECT setval(pg_get_serial_sequence('${table}', 'id'), (SELECT max(id) FROM ${table}))`,
      );
    }
  });

  // The biggest builds first, so the two connections finish together.
  const order = (name: string) =>
    name.includes("search")
      ? 0
      : name.startsWith("messages")
        ? 1
        : name.startsWith("ticket_events")
          ? 2
          : 3;
  const builds = [...indexDefs].sort((a, b) => order(a.name) - order(b.name)).map((i) => i.def);
  await phase(`indexes (${builds.length})`, () => inParallel(clients, builds));

  await phase("vacuum analyze", () =>
    inParallel(
      clients,
      [...LOADED_TABLES].reverse().map((t) => `VACUUM (ANALYZE) ${t}`),
    ),
  );

  await main.query("DROP TABLE bench_sentences, bench_titles");
  await main.query("DROP FUNCTION bench_u(bigint, int)");
  await main.query(
    "CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value jsonb NOT NULL)",
  );
  await main.query(
    `INSERT INTO bench_meta VALUES ('dataset', $1::jsonb)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
    [JSON.stringify({ tickets: n, seed, version: GENERATOR_VERSION })],
  );
  for (const client of clients) await client.query("RESET session_replication_role");

  const { rows } = await main.query(
    `SELECT (SELECT count(*) FROM users)::int AS users, (SELECT count(*) FROM tickets)::int AS tickets,
            (SELECT count(*) FROM messages)::int AS messages, (SELECT count(*) FROM ticket_events)::int AS events`,
  );
  return {
    rows: rows[0] as Record<string, number>,
    phases,
    seconds: (performance.now() - started) / 1000,
  };
}

/** The data set a database already holds (from bench_meta), if any. */
export async function loadedDataSet(client: SqlClient): Promise<DataSetOptions | undefined> {
  const { rows } = await client
    .query(
      "SELECT value FROM bench_meta WHERE key = 'dataset' AND to_regclass('bench_meta') IS NOT NULL",
    )
    .catch(() => ({ rows: [] as Record<string, unknown>[] }));
  const value = rows[0]?.value as (DataSetOptions & { version: number }) | undefined;
  return value && value.version === GENERATOR_VERSION ? value : undefined;
}
