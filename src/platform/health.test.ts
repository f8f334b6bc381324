import assert from "node:assert/strict";
import { test } from "node:test";
import { sql } from "drizzle-orm";
import { createTestDatabase, databaseKinds } from "../../test/helpers/db.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { buildApp } from "../app.ts";
import { openDatabase, rowsOf } from "../db/client.ts";
import { expectedMigrations } from "./health.ts";

describeEachDatabase("health and readiness", (world) => {
  test("/healthz answers 200 without a session and is never cached", async () => {
    const response = await world().app.inject({ method: "GET", url: "/healthz" });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { status: "ok" });
    assert.equal(response.headers["cache-control"], "no-store");
  });

  test("/readyz is 200 on a migrated database", async () => {
    const response = await world().app.inject({ method: "GET", url: "/readyz" });
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(response.json(), { status: "ready" });
  });

  test("/readyz is 503 naming the migration that has not been applied", async () => {
    const { db } = world().deps;
    const last = expectedMigrations().at(-1);
    assert.ok(last, "the journal lists migrations");
    const removed = rowsOf<{ id: number; hash: string; created_at: string }>(
      await db.execute(
        sql`DELETE FROM drizzle.__drizzle_migrations WHERE created_at = ${last.when} RETURNING id, hash, created_at`,
      ),
    );
    assert.equal(removed.length, 1, "the last journal entry was recorded as applied");
    try {
      const response = await world().app.inject({ method: "GET", url: "/readyz" });
      assert.equal(response.statusCode, 503);
      assert.deepEqual(response.json(), {
        status: "unavailable",
        reason: `migrations pending: ${last.tag}`,
      });
    } finally {
      const row = removed[0];
      if (row) {
        await db.execute(
          sql`INSERT INTO drizzle.__drizzle_migrations (id, hash, created_at) VALUES (${row.id}, ${row.hash}, ${row.created_at})`,
        );
      }
    }
    const again = await world().app.inject({ method: "GET", url: "/readyz" });
    assert.equal(again.statusCode, 200);
  });
});

for (const kind of databaseKinds()) {
  test(`/readyz is 503 "database unreachable" once the database is gone; /healthz stays 200 [${kind}]`, async () => {
    const testDb = await createTestDatabase(kind);
    // A second handle on the same database, which this test then closes under the app.
    let database = testDb.database;
    if (kind === "postgres") {
      const current = rowsOf<{ name: string }>(
        await testDb.deps.db.execute(sql`SELECT current_database() AS name`),
      );
      const url = new URL(process.env.TEST_DATABASE_URL ?? "");
      url.pathname = `/${current[0]?.name}`;
      database = await openDatabase({ kind: "postgres", url: url.href, poolMax: 1 });
    }
    const app = await buildApp({ db: database.db, config: testDb.deps.config });
    try {
      assert.equal((await app.inject({ method: "GET", url: "/readyz" })).statusCode, 200);
      await database.close();
      const response = await app.inject({ method: "GET", url: "/readyz" });
      assert.equal(response.statusCode, 503);
      assert.deepEqual(response.json(), { status: "unavailable", reason: "database unreachable" });
      assert.equal((await app.inject({ method: "GET", url: "/healthz" })).statusCode, 200);
    } finally {
      await app.close();
      if (kind === "postgres") await testDb.close();
    }
  });
}
