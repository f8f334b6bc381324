// The catalog check `.ci/run` runs: every key in every catalog, with the
// source's arguments and tags, valid ICU syntax, no key unused in src/.
// The rules are in src/i18n/catalog-check.ts; this reads the files.
import fs from "node:fs";
import path from "node:path";
import { checkCatalogs } from "../src/i18n/catalog-check.ts";
import { LOCALES } from "../src/i18n/i18n.ts";

const folder = "src/i18n/locales";
const files = fs.readdirSync(folder).filter((f) => f.endsWith(".json"));
const problems: string[] = [];
const catalogs: Record<string, Record<string, unknown>> = {};
for (const file of files) {
  const language = file.slice(0, -".json".length);
  if (!(LOCALES as readonly string[]).includes(language)) {
    problems.push(`${file}: not a language in LOCALES (src/i18n/i18n.ts)`);
  }
  catalogs[language] = JSON.parse(fs.readFileSync(path.join(folder, file), "utf8"));
}
for (const language of LOCALES) {
  if (!catalogs[language])
    problems.push(`${language}: listed in LOCALES but has no ${folder}/${language}.json`);
}
const sources = fs
  .readdirSync("src", { recursive: true, encoding: "utf8" })
  .filter((f) => /\.tsx?$/.test(f) && !/\.test\.tsx?$/.test(f))
  .map((f) => fs.readFileSync(path.join("src", f), "utf8"));
problems.push(...checkCatalogs({ source: "en", catalogs, sources }));
if (problems.length > 0) {
  console.error(`Catalog check failed:\n${problems.map((p) => `  ${p}`).join("\n")}`);
  process.exit(1);
}
const keys = Object.keys(catalogs.en ?? {}).length;
console.log(`Catalogs: ${files.length} languages, ${keys} keys each, arguments match, all used.`);
