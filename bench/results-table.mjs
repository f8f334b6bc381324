// Prints a results JSON (bench/results/*.json) as a Markdown table with its target checks,
// for the README and for reports. Usage: node bench/results-table.mjs FILE.json
import fs from "node:fs";

const file = process.argv[2];
if (!file) {
  console.error("usage: node bench/results-table.mjs bench/results/<date>-<db>.json");
  process.exit(2);
}
const r = JSON.parse(fs.readFileSync(file, "utf8"));
const fmt = (n, d = 1) => (n === undefined || n === null || Number.isNaN(n) ? "-" : n.toFixed(d));
const load = typeof r.load === "object" ? r.load : undefined;

console.log(
  `**${r.db}, ${r.tickets.toLocaleString("en")} tickets** (seed ${r.seed}, commit ${r.commit ?? "?"}, ` +
    `${r.date.slice(0, 16).replace("T", " ")} UTC; ${r.machine.cpus} cores ${r.machine.cpuModel ?? ""}, ` +
    `Node ${r.machine.node}; ${r.durationSeconds} s per scenario after ${r.warmupSeconds} s warm-up)`,
);
console.log("");
if (load) {
  const rows = Object.entries(load.rows)
    .map(([k, v]) => `${v.toLocaleString("en")} ${k}`)
    .join(", ");
  const phases = load.phases.map((p) => `${p.name} ${fmt(p.seconds, 0)} s`).join(", ");
  console.log(
    `Load: ${rows} in ${fmt(load.seconds, 0)} s (${phases}); migrations ${fmt(r.migrateSeconds, 1)} s.`,
  );
}
console.log(
  `Whole run: ${fmt(r.totalSeconds / 60, 1)} min. Start-up to first response: ${r.startupMs} ms ` +
    `(after kill -9: ${r.restartAfterKillMs} ms). Server RSS after the run: ${r.serverRssMb} MB.`,
);
console.log("");
console.log(
  "| Scenario | conns | req/s | p50 ms | p99 ms | errors | of bare | SQL p50 ms | p50 / SQL |",
);
console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
console.log(
  `| Bare Fastify constant route | ${r.connections} | ${Math.round(r.bare.rps)} | ${fmt(r.bare.p50, 2)} | ${fmt(r.bare.p99, 2)} | 0 | 100% | - | - |`,
);
for (const s of r.scenarios) {
  console.log(
    `| ${s.scenario} | ${s.connections} | ${Math.round(s.rps)} | ${fmt(s.p50, 2)} | ${fmt(s.p99, 2)} | ${s.errors} | ` +
      `${fmt(s.ofBare * 100, 1)}% | ${fmt(s.sqlP50, 2)} | ${s.overSql === undefined ? "-" : `${fmt(s.overSql, 1)}x`} |`,
  );
}
console.log("");
for (const t of r.targets)
  console.log(`- ${t.met ? "met" : "**missed**"}: ${t.target} — ${t.actual}`);
for (const n of r.notes ?? []) console.log(`- note: ${n}`);
