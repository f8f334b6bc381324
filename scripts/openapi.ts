// Writes the API's OpenAPI document, exactly as GET /api/v1/openapi.json serves it,
// from an app built in this process on an in-memory PGlite database (nothing is
// listened on, nothing is written to disk but the output).
//   node --import tsx scripts/openapi.ts [out.json]   (default: stdout)
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { buildApp } from "../src/app.ts";
import { loadConfig } from "../src/config.ts";
import { openDatabase } from "../src/db/client.ts";
import { composeReactions } from "../src/reactions.ts";

const out = process.argv[2];
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tessera-openapi-"));
const database = await openDatabase({ kind: "pglite", dataDir: undefined });
try {
  await database.migrate();
  const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: "silent" });
  const app = await buildApp({
    db: database.db,
    config,
    events: composeReactions(),
    listen: database.listen,
  });
  try {
    const response = await app.inject({ url: "/api/v1/openapi.json" });
    if (response.statusCode !== 200) {
      throw new Error(`GET /api/v1/openapi.json answered ${response.statusCode}`);
    }
    const text = `${JSON.stringify(response.json(), null, 2)}\n`;
    if (out) {
      fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
      fs.writeFileSync(out, text);
    } else process.stdout.write(text);
  } finally {
    await app.close();
  }
} finally {
  await database.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
