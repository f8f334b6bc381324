import assert from "node:assert/strict";
import { test } from "node:test";
import { MAX_ID, parseId } from "./ids.ts";

test("ids within PostgreSQL's integer range are accepted", () => {
  assert.equal(parseId("1"), 1);
  assert.equal(parseId("42"), 42);
  assert.equal(parseId(String(MAX_ID)), MAX_ID);
  assert.equal(parseId(7), 7);
});

test("anything else is not an id", () => {
  for (const raw of [
    "",
    "0",
    "-1",
    "01",
    "1.5",
    "1e3",
    " 1",
    "abc",
    String(MAX_ID + 1),
    "99999999999",
    undefined,
    null,
    0,
    1.5,
  ]) {
    assert.equal(parseId(raw), undefined, String(raw));
  }
});
