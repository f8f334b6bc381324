// Bundles the TypeScript sources into dist/cli/cli.js with esbuild (the compiler
// tsx already uses), so `npm start` loads one plain JavaScript file instead of
// compiling ~150 modules at every start. bin/tessera.js runs the bundle only
// while it is newer than every source file, and the sources through tsx otherwise.
// The bundle sits two folders deep, like the sources, so paths resolved from
// `import.meta.url` (migrations, static files) land in the same places.
import { build } from "esbuild";

const started = performance.now();
await build({
  entryPoints: ["src/cli/cli.ts"],
  outfile: "dist/cli/cli.js",
  bundle: true,
  packages: "external",
  platform: "node",
  format: "esm",
  target: "node20",
  jsx: "automatic",
  jsxImportSource: "preact",
  sourcemap: "linked",
  logLevel: "warning",
});
if (!process.argv.includes("--quiet")) {
  console.log(`Built dist/cli/cli.js in ${Math.round(performance.now() - started)} ms.`);
}
