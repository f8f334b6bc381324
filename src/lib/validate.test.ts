import assert from "node:assert/strict";
import { test } from "node:test";
import Type from "typebox";
import { Invalid } from "./errors.ts";
import { Email, parse, Text } from "./validate.ts";

const Schema = Type.Object(
  {
    title: Text({ min: 1, max: 5 }),
    email: Type.Optional(Email),
    kind: Type.Optional(Type.Enum(["a", "b"])),
    count: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);

function errorsOf(input: unknown): Record<string, string> {
  try {
    parse(Schema, input);
  } catch (error) {
    assert.ok(error instanceof Invalid);
    return Object.fromEntries(error.errors.map((e) => [e.field, e.message]));
  }
  assert.fail("expected Invalid");
}

test("valid input comes back typed and unchanged", () => {
  assert.deepEqual(parse(Schema, { title: "hi", kind: "a" }), { title: "hi", kind: "a" });
});

test("each field gets one readable message", () => {
  assert.deepEqual(errorsOf({ title: "", email: "nope", kind: "c", count: 0, extra: 1 }), {
    title: "is required",
    email: "must be an email address",
    kind: "must be one of: a, b",
    count: "must be at least 1",
    extra: "is not a known field",
  });
  assert.deepEqual(errorsOf({ title: "toolong" }), { title: "must be at most 5 characters" });
  assert.deepEqual(errorsOf({}), { title: "is required" });
  assert.deepEqual(errorsOf({ title: 5 }), { title: "must be a string" });
});

test("NUL bytes are refused before they reach the database", () => {
  assert.deepEqual(errorsOf({ title: "a\u0000b" }), {
    title: "contains characters that are not allowed",
  });
});
