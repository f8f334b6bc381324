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

/** TEST_TIME_FACTOR as test/helpers/time.ts reads it (1 when unset). */
function timeFactor() {
  const value = process.env.TEST_TIME_FACTOR;
  if (value === undefined || value === "") return 1;
  const factor = Number(value);
  if (!Number.isFinite(factor) || factor < 1) {
    console.error(`TEST_TIME_FACTOR must be a number of 1 or more, not "${value}"`);
    process.exit(2);
  }
  return factor;
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
    // On Node 20 this bounds each file as a whole (not each test): a hung browser or server
    // fails its file instead of stalling the run. Page actions have their own 15 s
    // (harness.ts); both stretch with TEST_TIME_FACTOR on a machine busy with other work.
    `--test-timeout=${Math.round(900_000 * timeFactor())}`,
    "--test-reporter=spec",
    ...selected,
  ],
  { stdio: "inherit" },
);
process.exit(result.status ?? 1);
