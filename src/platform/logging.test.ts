import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { test } from "node:test";
import { sql } from "drizzle-orm";
import { createTestDatabase } from "../../test/helpers/db.ts";
import { buildApp } from "../app.ts";
import { loggableUrl, logOptions } from "./logging.ts";

test("credential-like query values are redacted from logged URLs, the rest kept", () => {
  assert.equal(loggableUrl("/tickets/4"), "/tickets/4");
  assert.equal(
    loggableUrl("/setup?token=abc123&x=1&next=%2Fdesk"),
    "/setup?token=[redacted]&x=1&next=%2Fdesk",
  );
  assert.equal(
    loggableUrl("/a?api_key=k&Password=p&reset%5Fcode=c&q=printer"),
    "/a?api_key=[redacted]&Password=[redacted]&reset%5Fcode=[redacted]&q=printer",
  );
});

test("a failed query is logged with its SQL and request id, without the values the user sent", async () => {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const testDb = await createTestDatabase("pglite");
  const app = await buildApp(
    { db: testDb.deps.db, config: testDb.deps.config },
    { logger: { ...logOptions("info"), stream } },
  );
  const secret = `typed-by-a-customer-${Date.now()}`;
  app.get("/broken", async () => {
    // A driver error: drizzle puts the query and its parameters in the message.
    await testDb.deps.db.execute(sql`SELECT ${secret}::int`);
    return "unreachable";
  });
  try {
    const response = await app.inject({ method: "GET", url: "/broken" });
    assert.equal(response.statusCode, 500);
    assert.doesNotMatch(response.body, new RegExp(secret));
  } finally {
    await app.close();
    await testDb.close();
  }
  const failed = lines.map((l) => JSON.parse(l)).find((e) => e.msg === "request failed");
  assert.ok(failed, lines.join(""));
  assert.match(failed.reqId, /^[0-9a-f-]{36}$/);
  assert.match(failed.err.message, /Failed query: select \$1::int/i);
  assert.match(failed.err.message, /params: \[redacted\]/);
  assert.equal(failed.err.cause.code, "22P02");
  assert.match(failed.err.cause.message, /invalid input syntax for type integer: "\[redacted\]"/);
  assert.ok(
    !lines.join("").includes(secret),
    `the parameter value is in the log: ${lines.join("")}`,
  );
});
