import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeCursor, encodeCursor } from "./cursor.ts";
import { Invalid } from "./errors.ts";

test("a cursor round-trips its values", () => {
  const values = ["2026-11-25T10:00:00.000Z", 42, "-updatedAt"];
  assert.deepEqual(decodeCursor(encodeCursor(values)), values);
});

test("anything else is refused as a field error", () => {
  for (const bad of [
    "",
    "not base64 !",
    Buffer.from("{}").toString("base64url"),
    Buffer.from("[]").toString("base64url"),
    Buffer.from('[{"a":1}]').toString("base64url"),
  ]) {
    assert.throws(() => decodeCursor(bad), Invalid, bad);
  }
});
