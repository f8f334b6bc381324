// Mutation testing (issue 21): `npm run test:mutation` runs scripts/mutation.mjs,
// which runs StrykerJS once per rule module with the tests that guard it (the
// TESSERA_MUTATION_MODULE environment variable names the module). Each test file
// runs as its own Node process through the tap runner (node:test prints TAP when
// its output is not a terminal), on PGlite, with tsx for TypeScript.
import { MODULES } from "./scripts/mutation-modules.mjs";

const name = process.env.TESSERA_MUTATION_MODULE ?? "validate";
const module = MODULES[name];
if (!module) throw new Error(`unknown mutation module ${name}: ${Object.keys(MODULES).join(", ")}`);

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: "tap",
  plugins: ["@stryker-mutator/tap-runner"],
  mutate: module.mutate,
  tap: {
    testFiles: module.tests,
    nodeArgs: ["-r", "{{hookFile}}", "--import", "tsx", "--test-reporter=tap"],
    forceBail: true,
  },
  coverageAnalysis: "perTest",
  concurrency: 1,
  timeoutMS: 60_000,
  timeoutFactor: 2,
  reporters: ["clear-text", "json", "progress"],
  jsonReporter: { fileName: `reports/mutation/${name}.json` },
  tempDirName: `.stryker-tmp/${name}`,
  cleanTempDir: "always",
  ignorePatterns: ["data", "dist", "reports", "bench/results", ".stryker-tmp"],
  thresholds: { high: 90, low: 85, break: null },
};
