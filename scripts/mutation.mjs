// npm run test:mutation [-- [--concurrency N] module ...]: StrykerJS over each rule
// module of scripts/mutation-modules.mjs in turn (all when none is named), then one
// line per module: its mutation score (killed or timed out over all mutants,
// uncovered ones included) against the floor of 85% (issue 21). Exit code 1 below it.
// --concurrency is Stryker's number of test runner processes, 1 unless given (the
// project's machine has 2 cores shared with other work, and several guarding tests
// spawn processes and bound their waits). Slow (minutes per module): not in .ci/run.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { parseArgs } from "node:util";
import { MODULES } from "./mutation-modules.mjs";

const FLOOR = 85;
const { values, positionals: asked } = parseArgs({
  options: { concurrency: { type: "string", default: "1" } },
  allowPositionals: true,
});
const concurrency = values.concurrency;
if (!/^[1-9]\d*$/.test(concurrency)) {
  console.error(
    `--concurrency needs a whole number of processes, 1 or more (got "${concurrency}")`,
  );
  process.exit(2);
}
const unknown = asked.filter((name) => !MODULES[name]);
if (unknown.length > 0) {
  console.error(`Unknown module ${unknown.join(", ")}; known: ${Object.keys(MODULES).join(", ")}`);
  process.exit(2);
}
const names = asked.length > 0 ? asked : Object.keys(MODULES);
const rows = [];
for (const name of names) {
  const run = spawnSync(
    "npx",
    ["stryker", "run", "stryker.config.mjs", "--concurrency", concurrency],
    {
      stdio: "inherit",
      env: { ...process.env, TESSERA_MUTATION_MODULE: name },
    },
  );
  if (run.status !== 0) {
    rows.push({ name, error: `stryker exited with ${run.status}` });
    continue;
  }
  const report = JSON.parse(fs.readFileSync(`reports/mutation/${name}.json`, "utf8"));
  const count = { Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0 };
  for (const file of Object.values(report.files)) {
    for (const mutant of file.mutants) {
      if (mutant.status in count) count[mutant.status]++;
    }
  }
  const detected = count.Killed + count.Timeout;
  const total = detected + count.Survived + count.NoCoverage;
  rows.push({ name, score: total === 0 ? 100 : (100 * detected) / total, total, ...count });
}
console.log("\nmodule        score   mutants  killed  timeout  survived  no coverage");
let failed = false;
for (const r of rows) {
  if (r.error) {
    failed = true;
    console.log(`${r.name.padEnd(12)}  ${r.error}`);
    continue;
  }
  if (r.score < FLOOR) failed = true;
  console.log(
    `${r.name.padEnd(12)}  ${r.score.toFixed(1).padStart(5)}%  ${String(r.total).padStart(7)}  ${String(r.Killed).padStart(6)}  ${String(r.Timeout).padStart(7)}  ${String(r.Survived).padStart(8)}  ${String(r.NoCoverage).padStart(11)}`,
  );
}
console.log(`floor: ${FLOOR}% per module`);
process.exit(failed ? 1 : 0);
