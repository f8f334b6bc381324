#!/usr/bin/env node
// Runs the bundle `npm run build` makes (dist/cli/cli.js) while it is newer than
// every source file; otherwise the TypeScript sources directly, through tsx.
// So a stale bundle is never run, and there is no build step to forget.
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const root = path.resolve(import.meta.dirname, "..");
const bundle = path.join(root, "dist", "cli", "cli.js");

/** The newest modification time of any source file under `dir` (tests are not bundled), in ms. */
function newest(dir) {
  let latest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || entry.name.endsWith(".test.ts")) continue;
    const mtime = fs.statSync(path.join(entry.parentPath ?? entry.path, entry.name)).mtimeMs;
    if (mtime > latest) latest = mtime;
  }
  return latest;
}

function bundleIsFresh() {
  try {
    return fs.statSync(bundle).mtimeMs > newest(path.join(root, "src"));
  } catch {
    return false;
  }
}

let run;
if (bundleIsFresh()) {
  process.setSourceMapsEnabled(true);
  ({ run } = await import(pathToFileURL(bundle).href));
} else {
  const { register } = await import("tsx/esm/api");
  register();
  ({ run } = await import("../src/cli/cli.ts"));
}
const code = await run(process.argv.slice(2));
if (code >= 0) process.exit(code);
