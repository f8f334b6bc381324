// Bundles the TypeScript sources into dist/cli/cli.js with esbuild (the compiler
// tsx already uses), so `npm start` loads one plain JavaScript file instead of
// compiling ~150 modules at every start. bin/tessera.js runs the bundle only
// while it is newer than every source file, and the sources through tsx otherwise.
// The bundle sits two folders deep, like the sources, so paths resolved from
// `import.meta.url` (migrations, static files) land in the same places.
import fs from "node:fs";
import { build } from "esbuild";

// Packages stay outside the bundle (loaded from node_modules as usual), except
// TypeBox: its ~700 small modules cost more to load one by one than all the
// rest of the start-up, so it is bundled.
const BUNDLED = new Set(["typebox", "@fastify/type-provider-typebox"]);
const { dependencies, devDependencies } = JSON.parse(fs.readFileSync("package.json", "utf8"));
const external = Object.keys({ ...dependencies, ...devDependencies })
  .filter((name) => !BUNDLED.has(name))
  .flatMap((name) => [name, `${name}/*`]);

const started = performance.now();
fs.rmSync("dist/cli", { recursive: true, force: true });
await build({
  entryPoints: { cli: "src/cli/cli.ts" },
  outdir: "dist/cli",
  // Modules imported with import() (mail libraries, say) stay lazy: their own chunks.
  splitting: true,
  bundle: true,
  external,
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
