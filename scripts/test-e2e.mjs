// Runs the browser suite (test/e2e/*.test.ts) with Node's test runner, one file
// at a time: each file starts its own server and Chromium. Needs Debian's
// Chromium at /usr/bin/chromium (`.ci/run` installs it); no browser is downloaded.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const CHROMIUM = "/usr/bin/chromium";
if (!fs.existsSync(CHROMIUM)) {
  console.error(
    `test:e2e needs Chromium at ${CHROMIUM}, which is missing.\n` +
      "Install Debian's package: sudo apt-get update && sudo apt-get install -y chromium",
  );
  process.exit(1);
}

const dir = path.join("test", "e2e");
const files = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith(".test.ts"))
  .map((f) => path.join(dir, f))
  .sort();
const only = process.argv.slice(2);
const selected = only.length > 0 ? files.filter((f) => only.some((o) => f.includes(o))) : files;
if (selected.length === 0) {
  console.error(`No browser test file matches ${only.join(", ")}.`);
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  [
    "--import",
    "tsx",
    "--test",
    "--test-concurrency=1",
    // A hung browser or server fails its test instead of stalling the run.
    "--test-timeout=180000",
    "--test-reporter=spec",
    ...selected,
  ],
  { stdio: "inherit" },
);
process.exit(result.status ?? 1);
