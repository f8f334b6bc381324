#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx: no build step to forget.
import { register } from "tsx/esm/api";

register();
const { run } = await import("../src/cli/cli.ts");
const code = await run(process.argv.slice(2));
if (code >= 0) process.exit(code);
