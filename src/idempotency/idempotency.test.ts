import assert from "node:assert/strict";
import { test } from "node:test";
import { and, eq, sql } from "drizzle-orm";
import { apiAs } from "../../test/helpers/api.ts";
import { makeCustomer } from "../../test/helpers/factories.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { idempotencyKeys } from "../db/schema/index.ts";
import type { Deps } from "../deps.ts";
import { Invalid } from "../lib/errors.ts";
import { once, pruneExpiredKeys } from "./idempotency.service.ts";

/** Makes `key` of `userId` as old as `hours`, as if its first request came that long ago. */
async function age(deps: Deps, userId: number, key: string, hours: number) {
  await deps.db
    .update(idempotencyKeys)
    .set({ createdAt: sql`now() - ${`${hours} hours`}::interval` })
    .where(and(eq(idempotencyKeys.userId, userId), eq(idempotencyKeys.key, key)));
}

describeEachDatabase("Idempotency-Key", (world) => {
  test("a key must be 1 to 255 visible ASCII characters, checked before any work is done", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    let runs = 0;
    const run = (key: string) =>
      once(deps, { userId: customer.id, key, fingerprint: "f" }, async () => {
        runs++;
        return { status: 201, body: { key } };
      });
    for (const bad of ["", "two words", "tab\there", "x".repeat(256), "caf\u00e9", "\u007f"]) {
      await assert.rejects(run(bad), Invalid, JSON.stringify(bad));
    }
    assert.equal(runs, 0);
    for (const good of ["!", "~", "x".repeat(255), "order-4711/retry#2"]) {
      assert.deepEqual(await run(good), { status: 201, body: { key: good }, replayed: false });
    }
    assert.equal(runs, 4);
    const api = await apiAs(world(), customer);
    const spaced = await api.post(
      "/tickets",
      { title: "Keyed", description: "k" },
      { "idempotency-key": "two words" },
    );
    assert.equal(spaced.status, 400);
    assert.deepEqual(spaced.body.errors, [
      { field: "Idempotency-Key", message: "must be 1 to 255 visible ASCII characters" },
    ]);
  });

  test("a key older than 24 hours is a new key: the retry opens a new ticket; a younger one still replays", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    const api = await apiAs(world(), customer);
    const key = { "idempotency-key": "monthly-report" };
    const body = { title: "Monthly report", description: "Where is it?" };
    const first = await api.post("/tickets", body, key);
    assert.equal(first.status, 201);

    await age(deps, customer.id, "monthly-report", 23);
    const replay = await api.post("/tickets", body, key);
    assert.equal(replay.headers["idempotent-replayed"], "true");
    assert.equal(replay.body.id, first.body.id);

    await age(deps, customer.id, "monthly-report", 25);
    const next = { title: "Monthly report", description: "Next month's, this time" };
    const fresh = await api.post("/tickets", next, key);
    assert.equal(fresh.status, 201, "an expired key takes a new request");
    assert.equal(fresh.headers["idempotent-replayed"], undefined);
    assert.notEqual(fresh.body.id, first.body.id);
    // From now on the key stands for the new request.
    const retry = await api.post("/tickets", next, key);
    assert.equal(retry.headers["idempotent-replayed"], "true");
    assert.equal(retry.body.id, fresh.body.id);
    const reused = await api.post("/tickets", body, key);
    assert.equal(reused.status, 422);
    assert.equal(reused.body.type, "about:blank#idempotency_key_reused");
    assert.match(reused.body.detail, /already used with a different request; use a new key/);
  });

  test("a request without a key is never answered as a replay", async () => {
    const api = await apiAs(world(), await makeCustomer(world().deps));
    const body = { title: "No key", description: "twice" };
    const first = await api.post("/tickets", body);
    const second = await api.post("/tickets", body);
    assert.deepEqual([first.status, second.status], [201, 201]);
    assert.notEqual(second.body.id, first.body.id, "each is a ticket of its own");
    assert.equal(first.headers["idempotent-replayed"], undefined);
    assert.equal(second.headers["idempotent-replayed"], undefined);
  });

  test("housekeeping forgets keys older than 24 hours and keeps the younger ones", async () => {
    const { deps } = world();
    const customer = await makeCustomer(deps);
    const api = await apiAs(world(), customer);
    for (const key of ["old", "young"]) {
      await api.post("/tickets", { title: key, description: key }, { "idempotency-key": key });
    }
    await age(deps, customer.id, "old", 25);
    await age(deps, customer.id, "young", 23);
    assert.ok((await pruneExpiredKeys(deps)) >= 1);
    const kept = await deps.db
      .select({ key: idempotencyKeys.key })
      .from(idempotencyKeys)
      .where(eq(idempotencyKeys.userId, customer.id));
    assert.deepEqual(
      kept.map((k) => k.key),
      ["young"],
    );
  });
});
