// Automatic assignment's own cost, in process, on a database `npm run bench` loaded
// (it leaves the "Bench assignment" team of every agent there): ticket creations
// without a team and into that team, interleaved one by one so that a busy machine
// slows both alike, each timed around the same createTicket call the API makes.
// The difference of the medians is what assignment adds to a create.
//
//   node --import tsx bench/assignment.ts --database-url postgres://.../tessera_bench [--rounds 300]
import { parseArgs } from "node:util";
import pg from "pg";
import { loadConfig } from "../src/config.ts";
import { openDatabase } from "../src/db/client.ts";
import { composeDeps } from "../src/reactions.ts";
import { createTicket } from "../src/tickets/tickets.service.ts";

const { values: args } = parseArgs({
  options: {
    "database-url": { type: "string", default: "postgres://postgres@127.0.0.1:5432/tessera_bench" },
    rounds: { type: "string", default: "300" },
    mode: { type: "string", default: "round_robin" },
  },
});
const url = String(args["database-url"]);
const rounds = Number(args.rounds);
const mode = String(args.mode);
if (!["round_robin", "fewest_open"].includes(mode))
  throw new Error("--mode round_robin|fewest_open");

const silent = { info() {}, warn() {}, error() {}, debug() {} };
let statements = 0;
const database = await openDatabase(
  { kind: "postgres", url, poolMax: 2 },
  { logQuery: () => void statements++ },
);
const config = loadConfig({ DATABASE_URL: url, LOG_LEVEL: "silent" });
const deps = composeDeps({ db: database.db, config, log: silent });
const client = new pg.Client({ connectionString: url });
await client.connect();
const pool = async (sql: string, params: unknown[] = []) =>
  (await client.query(sql, params)).rows as Record<string, unknown>[];

const [team] = await pool("SELECT id FROM teams WHERE name = 'Bench assignment'");
if (!team) throw new Error("no bench team: run npm run bench on this database first");
const teamId = Number(team.id);
await pool("UPDATE teams SET assignment = $1 WHERE id = $2", [mode, teamId]);
const [customer] = await pool(
  "SELECT id, email, name FROM users WHERE role = 'customer' ORDER BY id LIMIT 1",
);
if (!customer) throw new Error("no customer");
const actor = {
  id: Number(customer.id),
  email: String(customer.email),
  name: String(customer.name),
  role: "customer" as const,
};
const tickets = Number((await pool("SELECT count(*)::int AS n FROM tickets"))[0]?.n);

const times = { plain: [] as number[], assigned: [] as number[] };
const counts = { plain: 0, assigned: 0 };
let unassigned = 0;
for (let i = 0; i < rounds + 20; i++) {
  for (const kind of i % 2 ? (["plain", "assigned"] as const) : (["assigned", "plain"] as const)) {
    const before = statements;
    const started = performance.now();
    const ticket = await createTicket(deps, actor, {
      title: `Bench assignment ${kind} ${i}`,
      description: "Printer offline after the firmware update.",
      ...(kind === "assigned" ? { teamId } : {}),
    });
    const ms = performance.now() - started;
    if (kind === "assigned" && ticket.assigneeId === null) unassigned++;
    counts[kind] = statements - before;
    if (i >= 20) times[kind].push(ms); // the first 20 rounds warm up
  }
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};
const plain = median(times.plain);
const assigned = median(times.assigned);
console.log(
  JSON.stringify({
    tickets,
    mode,
    rounds,
    plainP50Ms: Number(plain.toFixed(2)),
    assignedP50Ms: Number(assigned.toFixed(2)),
    addedP50Ms: Number((assigned - plain).toFixed(2)),
    statements: counts,
    unassigned,
  }),
);
await pool("UPDATE teams SET assignment = 'round_robin' WHERE id = $1", [teamId]);
await client.end();
await database.close();
