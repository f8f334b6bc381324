// Runs every *.test.ts under src/ and test/ (not the browser suite) with Node's test runner.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const roots = ["src", "test"];
const files = roots
  .flatMap((root) =>
    fs.readdirSync(root, { recursive: true }).map((f) => path.join(root, String(f))),
  )
  .filter((f) => f.endsWith(".test.ts") && !f.startsWith(path.join("test", "e2e")))
  .sort();
const only = process.argv.slice(2);
const selected = only.length > 0 ? files.filter((f) => only.some((o) => f.includes(o))) : files;
if (selected.length === 0) {
  console.error(`No test file matches ${only.join(", ")}.`);
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ["--import", "tsx", "--test", "--test-concurrency=2", "--test-reporter=spec", ...selected],
  { stdio: "inherit" },
);
process.exit(result.status ?? 1);
