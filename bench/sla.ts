// node --import tsx bench/sla.ts -- [--database-url URL] [--open 100000] [--closed 900000] [--keep]
// SLA clocks on PostgreSQL, at the service level (no HTTP):
// 1. recomputing the due times of every running clock after a calendar change
//    (`--open` open tickets with a first-response and a resolution target each,
//    among `--closed` closed ones): how long the admin's save takes (it must
//    not wait for the work) and how long the background recomputation takes;
// 2. the "due first" queue page's statements (captured from the service, as
//    bench/capture.ts does) timed before and during the recomputation, and
//    their EXPLAIN (ANALYZE, BUFFERS);
// 3. a check that every recomputed due time falls inside the new hours.
// Works on a scratch database of its own (created and dropped on the URL's server).
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";
import { createUser } from "../src/accounts/accounts.service.ts";
import type { Actor } from "../src/accounts/index.ts";
import { loadConfig } from "../src/config.ts";
import { openDatabase } from "../src/db/client.ts";
import * as schema from "../src/db/schema/index.ts";
import type { Deps } from "../src/deps.ts";
import { composeDeps } from "../src/reactions.ts";
import {
  defaultCalendar,
  recomputationsSettled,
  saveCalendar,
  savePolicy,
} from "../src/sla/sla.service.ts";
import { listTickets } from "../src/tickets/tickets.service.ts";
import { cpuBetween, cpuMs, postgresCpuMs } from "./cpu.ts";

const { values: args } = parseArgs({
  options: {
    "database-url": {
      type: "string",
      default: process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
    },
    open: { type: "string", default: "100000" },
    closed: { type: "string", default: "900000" },
    keep: { type: "boolean", default: false },
  },
  strict: true,
  allowPositionals: true,
});
const OPEN = Number(args.open);
const CLOSED = Number(args.closed);

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: args["database-url"] });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

let lastRecompute = "";
const silent: Deps["log"] = {
  info(obj: unknown, msg?: string) {
    if (msg === "SLA due times recomputed") lastRecompute = JSON.stringify(obj);
  },
  warn() {},
  error(obj: unknown) {
    console.error(obj);
  },
  debug() {},
} as Deps["log"];
function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}
const fmt = (n: number) => n.toFixed(2);
/** CPU used so far by this process and by the (local) PostgreSQL server, ms. */
let benchDatabase = "";
function cpuNow(): { node: number | undefined; postgres: Map<number, number> | undefined } {
  return { node: cpuMs(process.pid), postgres: postgresCpuMs(benchDatabase) };
}
/** The CPU used since `before`, as text: where the time went, whatever else loads the machine. */
function cpuSince(before: ReturnType<typeof cpuNow>): string {
  const now = cpuNow();
  const s = (a?: number, b?: number) =>
    a === undefined || b === undefined ? "?" : fmt((a - b) / 1000);
  const postgres =
    now.postgres && before.postgres ? fmt(cpuBetween(before.postgres, now.postgres) / 1000) : "?";
  return `CPU: Node ${s(now.node, before.node)} s, PostgreSQL ${postgres} s`;
}
async function rowsOf<T>(deps: Deps, query: ReturnType<typeof sql>): Promise<T[]> {
  return ((await deps.db.execute(query)) as unknown as { rows: T[] }).rows;
}
const OFFICE = {
  timeZone: "Europe/Berlin",
  hours1: "09:00-12:00, 13:00-17:30",
  hours2: "09:00-12:00, 13:00-17:30",
  hours3: "09:00-12:00, 13:00-17:30",
  hours4: "09:00-12:00, 13:00-17:30",
  hours5: "09:00-12:00, 13:00-17:30",
  holidays: "01-01\n12-25\n12-26",
};

async function main() {
  const name = `tessera_bench_sla_${randomBytes(4).toString("hex")}`;
  benchDatabase = name;
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(args["database-url"]);
  url.pathname = `/${name}`;
  const database = await openDatabase({ kind: "postgres", url: url.href, poolMax: 4 });
  const pool = new pg.Pool({ connectionString: url.href, max: 2 });
  try {
    await database.migrate();
    const deps = composeDeps({
      db: database.db,
      config: loadConfig({ LOG_LEVEL: "silent" }),
      log: silent,
    });
    const mk = async (role: "admin" | "agent" | "customer"): Promise<Actor> => {
      const u = await createUser(deps, "system", {
        email: `${role}@bench.example`,
        name: role,
        role,
        password: "bench-password-1",
      });
      return { id: u.id, email: u.email, name: u.name, role: u.role };
    };
    const adminUser = await mk("admin");
    const agent = await mk("agent");
    const customer = await mk("customer");

    // Policies first (nothing to recompute yet), on an office calendar.
    const office = await saveCalendar(deps, adminUser, { name: "Office", ...OFFICE });
    const policies = { normal: [240, 2880], high: [60, 480], urgent: [30, 240] } as const;
    for (const [priority, [first, resolution]] of Object.entries(policies)) {
      await savePolicy(deps, adminUser, priority as "normal", {
        calendarId: String(office.id),
        firstResponse: String(first),
        firstResponseUnit: "minutes",
        resolution: String(resolution),
        resolutionUnit: "minutes",
      });
      await recomputationsSettled(deps);
    }
    await defaultCalendar(deps);

    let t0 = performance.now();
    await deps.db.execute(sql`
      insert into tickets (title, description, status, priority, requester_id, created_at, updated_at, status_changed_at)
      select 'Bench ' || g, 'x',
        (case when g <= ${CLOSED} then 'closed' when g % 4 = 0 then 'new' else 'open' end)::ticket_status,
        (case when g % 20 = 0 then 'urgent' when g % 7 = 0 then 'high' else 'normal' end)::ticket_priority,
        ${customer.id}, now() - (g % 20000) * interval '1 minute',
        now() - (g % 20000) * interval '1 minute', now() - (g % 20000) * interval '1 minute'
      from generate_series(1, ${CLOSED + OPEN}) g`);
    // Clocks as the reaction leaves them on a 24/7 start: the recomputation moves them into office hours.
    await deps.db.execute(sql`
      insert into ticket_sla_targets (ticket_id, kind, calendar_id, target_minutes, warn_percent,
        started_at, resumed_at, used_ms, due_at, warn_at)
      select t.id, k.kind::sla_target_kind, ${office.id}, k.minutes, 80, t.created_at, t.created_at, 0,
        t.created_at + k.minutes * interval '1 minute', t.created_at + k.minutes * 0.8 * interval '1 minute'
      from tickets t
      cross join (values ('first_response', 240), ('resolution', 2880)) k(kind, minutes)
      where t.status in ('new', 'open')`);
    await deps.db.execute(sql`
      insert into ticket_sla_due (ticket_id, due_at, warn_at)
      select ticket_id, min(due_at), min(warn_at) from ticket_sla_targets group by ticket_id`);
    await deps.db.execute(sql`vacuum analyze`);
    const [counts] = await rowsOf<{ tickets: number; targets: number }>(
      deps,
      sql`select (select count(*) from tickets)::int as tickets,
        (select count(*) from ticket_sla_targets)::int as targets`,
    );
    console.log(
      `seeded ${counts?.tickets} tickets (${OPEN} open), ${counts?.targets} running targets in ${fmt((performance.now() - t0) / 1000)} s`,
    );

    // The seeded clocks count real minutes; a first recomputation (not timed) puts them on the office calendar.
    t0 = performance.now();
    await saveCalendar(deps, adminUser, { name: "Office", ...OFFICE }, office.id);
    await recomputationsSettled(deps);
    console.log(
      `first recomputation onto office hours: ${fmt((performance.now() - t0) / 1000)} s ${lastRecompute}`,
    );

    // The due-first queue page's statements, captured from the service.
    const captured: { sql: string; params: unknown[] }[] = [];
    const logging = drizzle({
      client: pool,
      schema,
      casing: "snake_case",
      logger: { logQuery: (s, p) => captured.push({ sql: s, params: p }) },
    });
    const capturingDeps = { ...deps, db: logging as unknown as Deps["db"] };
    const page = await listTickets(capturingDeps, agent, {
      statuses: ["new", "open"],
      sort: "dueAt",
      limit: 50,
    });
    const statement = captured.at(-1);
    if (!statement) throw new Error("no statement captured");
    const explain = await pool.query(
      `EXPLAIN (ANALYZE, BUFFERS) ${statement.sql}`,
      statement.params as unknown[],
    );
    console.log(`\ndue-first queue page (${page.tickets.length} rows):\n${statement.sql}\n`);
    console.log(explain.rows.map((r) => r["QUERY PLAN"]).join("\n"));

    const timePage = async (ms: number) => {
      const times: number[] = [];
      const until = performance.now() + ms;
      while (performance.now() < until) {
        const s = performance.now();
        await pool.query(statement.sql, statement.params as unknown[]);
        times.push(performance.now() - s);
      }
      return times.sort((a, b) => a - b);
    };
    const quiet = await timePage(2000);
    console.log(
      `\ndue-first page SQL, quiet: p50 ${fmt(percentile(quiet, 50))} ms, p99 ${fmt(percentile(quiet, 99))} ms (${quiet.length} runs)`,
    );

    const changeAndTime = async (change: () => Promise<void>) => {
      const start = performance.now();
      const cpuBefore = cpuNow();
      await change();
      const saveMs = performance.now() - start;
      await recomputationsSettled(deps);
      const cpu = cpuSince(cpuBefore);
      const [stats] = await rowsOf<{ n: number; due: number }>(
        deps,
        sql`select count(*)::int as n, (select count(*)::int from ticket_sla_due) as due from ticket_sla_targets where met_at is null`,
      );
      return {
        saveMs,
        totalMs: performance.now() - start,
        stats: `${cpu}; ${lastRecompute} (${stats?.n} clocks not met, ${stats?.due} tickets in the due-first queue)`,
      };
    };

    // The change: the office closes at 16:00 now. The save returns; the work runs behind it.
    t0 = performance.now();
    await saveCalendar(
      deps,
      adminUser,
      { name: "Office", ...OFFICE, hours5: "09:00-12:00, 13:00-16:00" },
      office.id,
    );
    const saveMs = performance.now() - t0;
    const cpuBefore = cpuNow();
    let busy: number[] = [];
    let done = false;
    const probe = (async () => {
      while (!done) busy.push(...(await timePage(200)));
    })();
    await recomputationsSettled(deps);
    const recomputeMs = performance.now() - t0;
    const recomputeCpu = cpuSince(cpuBefore);
    done = true;
    await probe;
    busy = busy.sort((a, b) => a - b);
    const [job] = await rowsOf<{ requested_at: string | null }>(
      deps,
      sql`select requested_at from sla_jobs where name = 'recompute'`,
    );
    console.log(
      `\ncalendar change (Friday closes at 16:00): save returned in ${fmt(saveMs)} ms; ${counts?.targets} targets of ${OPEN} open tickets recomputed in ${fmt(recomputeMs / 1000)} s (job finished: ${job?.requested_at === null}; ${recomputeCpu}, with the page probe running beside it); ${lastRecompute}`,
    );
    console.log(
      `due-first page SQL during the recomputation: p50 ${fmt(percentile(busy, 50))} ms, p99 ${fmt(percentile(busy, 99))} ms (${busy.length} runs)`,
    );

    // A policy change that moves every normal-priority resolution target: the worst case, nearly all rewritten.
    const changed = await changeAndTime(async () => {
      await savePolicy(deps, adminUser, "normal", {
        calendarId: String(office.id),
        firstResponse: "240",
        firstResponseUnit: "minutes",
        resolution: "2400",
        resolutionUnit: "minutes",
      });
    });
    console.log(
      `policy change (normal resolution 2880 -> 2400 business minutes): save returned in ${fmt(changed.saveMs)} ms; recomputed in ${fmt(changed.totalMs / 1000)} s; ${changed.stats}`,
    );

    // Every due time now falls inside the new hours (Monday-Thursday until 17:30, Friday until 16:00).
    const [outside] = await rowsOf<{ n: number }>(
      deps,
      sql`
        select count(*)::int as n from ticket_sla_targets t,
          lateral (select t.due_at at time zone 'Europe/Berlin' as local) l
        where t.due_at is not null and (
          extract(isodow from l.local) > 5
          or l.local::time <= time '09:00'
          or (l.local::time > time '12:00' and l.local::time <= time '13:00')
          or l.local::time > (case when extract(isodow from l.local) = 5 then time '16:00' else time '17:30' end)
        )`,
    );
    console.log(`due times outside the new hours: ${outside?.n}`);
  } finally {
    await pool.end();
    await database.close();
    if (!args.keep) await admin(`DROP DATABASE ${name}`);
    else console.log(`kept ${name}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
