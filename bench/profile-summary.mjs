// Summarises a V8 .cpuprofile (from `npm run bench -- --profile`): self time by
// package or source folder, and the hottest functions. Usage:
//   node bench/profile-summary.mjs FILE.cpuprofile [top=25]
import fs from "node:fs";

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error("usage: node bench/profile-summary.mjs FILE.cpuprofile [top]");
  process.exit(2);
}
const top = Number(topArg ?? 25);
const profile = JSON.parse(fs.readFileSync(file, "utf8"));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
const dt = profile.timeDeltas;
for (let i = 0; i < profile.samples.length; i++) {
  self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + (dt[i] ?? 0));
}
const total = [...self.values()].reduce((a, b) => a + b, 0);

function area(url) {
  if (!url) return "(native/V8)";
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1];
  const src = /\/(src\/[^/]+)\//.exec(url);
  if (src) return src[1];
  if (url.startsWith("node:")) return "node core";
  return url.replace(/^file:\/\//, "");
}

const byArea = new Map();
const byFunction = new Map();
for (const [id, us] of self) {
  const node = byId.get(id);
  const cf = node.callFrame;
  const a = cf.functionName === "(garbage collector)" ? "(garbage collector)" : area(cf.url);
  byArea.set(a, (byArea.get(a) ?? 0) + us);
  const key = `${cf.functionName || "(anonymous)"}  ${area(cf.url)}:${cf.lineNumber + 1}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + us);
}
const pct = (us) => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
console.log(`${file}: ${(total / 1e6).toFixed(1)} s of samples`);
console.log("\nself time by area:");
for (const [a, us] of [...byArea].sort((x, y) => y[1] - x[1]).slice(0, top)) {
  console.log(`${pct(us)}  ${a}`);
}
console.log("\nhottest functions (self):");
for (const [f, us] of [...byFunction].sort((x, y) => y[1] - x[1]).slice(0, top)) {
  console.log(`${pct(us)}  ${f}`);
}
