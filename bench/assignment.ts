// Automatic assignment's own cost, in process, on a database `npm run bench` loaded
// (it leaves the "Bench assignment" team of every agent there): ticket creations
// without a team, into a team that does not assign ("Bench no assignment", made here)
// and into the assigning team, interleaved one by one so that a busy machine slows
// all alike, each timed around the same createTicket call the API makes, with the
// server's in-memory tables (src/reactions.ts watchCachedTables). What assignment adds
// to a create is the difference of the medians of the last two; the first two differ
// by what routing to a team costs (the team checked, its SLA policy).
//
//   node --import tsx bench/assignment.ts --database-url postgres://.../tessera_bench \
//     [--rounds 300] [--mode round_robin|fewest_open] [--show-statements]
import { parseArgs } from "node:util";
import pg from "pg";
import { loadConfig } from "../src/config.ts";
import { openDatabase } from "../src/db/client.ts";
import { composeDeps, watchCachedTables } from "../src/reactions.ts";
import { createTicket } from "../src/tickets/tickets.service.ts";

const { values: args } = parseArgs({
  options: {
    "database-url": { type: "string", default: "postgres://postgres@127.0.0.1:5432/tessera_bench" },
    rounds: { type: "string", default: "300" },
    mode: { type: "string", default: "round_robin" },
    // Prints the statements of the last assigned create (where the added time goes).
    "show-statements": { type: "boolean", default: false },
  },
});
const url = String(args["database-url"]);
const rounds = Number(args.rounds);
const mode = String(args.mode);
if (!["round_robin", "fewest_open"].includes(mode))
  throw new Error("--mode round_robin|fewest_open");

const silent = { info() {}, warn() {}, error() {}, debug() {} };
let statements = 0;
let shown: string[] = [];
const database = await openDatabase(
  { kind: "postgres", url, poolMax: 2 },
  {
    logQuery: (query) => {
      statements++;
      shown.push(query.replace(/\s+/g, " ").slice(0, 160));
    },
  },
);
const config = loadConfig({ DATABASE_URL: url, LOG_LEVEL: "silent" });
const deps = composeDeps({ db: database.db, config, log: silent });
// As the server does: triggers, webhook endpoints and calendars from memory.
const unwatch = await watchCachedTables(database);
const client = new pg.Client({ connectionString: url });
await client.connect();
const pool = async (sql: string, params: unknown[] = []) =>
  (await client.query(sql, params)).rows as Record<string, unknown>[];

const [team] = await pool("SELECT id FROM teams WHERE name = 'Bench assignment'");
if (!team) throw new Error("no bench team: run npm run bench on this database first");
const teamId = Number(team.id);
await pool("UPDATE teams SET assignment = $1 WHERE id = $2", [mode, teamId]);
await pool(
  "INSERT INTO teams (name, assignment, offered_on_form) VALUES ('Bench no assignment', 'off', true) ON CONFLICT DO NOTHING",
);
const [offTeam] = await pool("SELECT id FROM teams WHERE name = 'Bench no assignment'");
const offTeamId = Number(offTeam?.id);
// Many requesters, as in life: one alone would soon reach the hourly limit of acknowledgements.
const customers = (
  await pool("SELECT id, email, name FROM users WHERE role = 'customer' ORDER BY id LIMIT 20000")
).map((c) => ({
  id: Number(c.id),
  email: String(c.email),
  name: String(c.name),
  role: "customer" as const,
}));
if (customers.length === 0) throw new Error("no customer");
const tickets = Number((await pool("SELECT count(*)::int AS n FROM tickets"))[0]?.n);

const KINDS = ["plain", "team", "assigned"] as const;
type Kind = (typeof KINDS)[number];
const times: Record<Kind, number[]> = { plain: [], team: [], assigned: [] };
const counts: Record<Kind, number> = { plain: 0, team: 0, assigned: 0 };
// This process's CPU per create (user + system: building queries, parsing results, composing
// mail, the socket writes): the rest of a create's time is PostgreSQL's and the wait for it.
const cpu: Record<Kind, number[]> = { plain: [], team: [], assigned: [] };
const teamOf: Record<Kind, number | undefined> = {
  plain: undefined,
  team: offTeamId,
  assigned: teamId,
};
let unassigned = 0;
let made = 0;
for (let i = 0; i < rounds + 20; i++) {
  // Each kind goes first, second and third in turn.
  for (const kind of [0, 1, 2].map((k) => KINDS[(k + i) % 3] as Kind)) {
    const actor = customers[made++ % customers.length] as (typeof customers)[number];
    const before = statements;
    shown = [];
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const ticket = await createTicket(deps, actor, {
      title: `Bench assignment ${kind} ${i}`,
      description: "Printer offline after the firmware update.",
      ...(teamOf[kind] === undefined ? {} : { teamId: teamOf[kind] }),
    });
    const ms = performance.now() - started;
    const used = process.cpuUsage(cpuBefore);
    if (kind === "assigned" && ticket.assigneeId === null) unassigned++;
    counts[kind] = statements - before;
    if (kind === "assigned" && args["show-statements"] && i === rounds + 19) {
      console.log(shown.map((q, n) => `${n + 1}. ${q}`).join("\n"));
    }
    if (i >= 20) {
      // the first 20 rounds warm up
      times[kind].push(ms);
      cpu[kind].push((used.user + used.system) / 1000);
    }
  }
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};
const [plain = Number.NaN, routed = Number.NaN, assigned = Number.NaN] = KINDS.map((kind) =>
  median(times[kind]),
);
const ms = (x: number) => Number(x.toFixed(2));
console.log(
  JSON.stringify({
    tickets,
    mode,
    rounds,
    plainP50Ms: ms(plain),
    teamP50Ms: ms(routed),
    assignedP50Ms: ms(assigned),
    addedP50Ms: ms(assigned - routed),
    addedToPlainP50Ms: ms(assigned - plain),
    nodeCpuP50Ms: Object.fromEntries(KINDS.map((kind) => [kind, ms(median(cpu[kind]))])),
    statements: counts,
    unassigned,
  }),
);
await pool("UPDATE teams SET assignment = 'round_robin' WHERE id = $1", [teamId]);
await client.end();
await unwatch();
await database.close();
