import assert from "node:assert/strict";
import { test } from "node:test";
import Type from "typebox";
import { Invalid } from "./errors.ts";
import { Email, parse, Text, trimFields } from "./validate.ts";

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
  assert.deepEqual(errorsOf({ title: "x", count: "2" }), { count: "must be an integer" });
});

test("NUL bytes are refused before they reach the database", () => {
  assert.deepEqual(errorsOf({ title: "a\u0000b" }), {
    title: "contains characters that are not allowed",
  });
});

test("trimFields trims the named string fields of a copy, and nothing else", () => {
  const input = { title: "  hi  ", note: "  kept  ", count: 3, empty: undefined };
  const out = trimFields(input, ["title", "count", "empty"]);
  assert.deepEqual(out, { title: "hi", note: "  kept  ", count: 3, empty: undefined });
  assert.equal(input.title, "  hi  ", "the input is not changed");
});

test("nested fields are named by their path; a field keeps its first problem", () => {
  const Nested = Type.Object({
    a: Type.Object({
      b: Type.Object(
        { c: Type.String(), d: Text({ min: 3, max: 3 }) },
        { additionalProperties: false },
      ),
    }),
  });
  const errors = (input: unknown) => {
    try {
      parse(Nested, input);
    } catch (error) {
      assert.ok(error instanceof Invalid);
      return error.errors;
    }
    assert.fail("expected Invalid");
  };
  assert.deepEqual(errors({ a: { b: { d: "abc", x: 1 } } }), [
    { field: "a.b.c", message: "is required" },
    { field: "a.b.x", message: "is not a known field" },
  ]);
  assert.deepEqual(errors({ a: { b: { c: "", d: "ab" } } }), [
    { field: "a.b.d", message: "must be at least 3 characters" },
  ]);
  // Too long and a NUL byte: one message, the first TypeBox reports (the length).
  assert.deepEqual(errors({ a: { b: { c: "", d: "a\u0000cd" } } }), [
    { field: "a.b.d", message: "must be at most 3 characters" },
  ]);
});

test("numbers out of range and rules without a message of ours", () => {
  const Numbers = Type.Object({
    n: Type.Integer({ minimum: 1, maximum: 10 }),
    m: Type.Optional(Type.Integer({ multipleOf: 5 })),
  });
  assert.throws(
    () => parse(Numbers, { n: 11, m: 7 }),
    (error: unknown) =>
      error instanceof Invalid &&
      JSON.stringify(error.errors) ===
        JSON.stringify([
          { field: "n", message: "must be at most 10" },
          { field: "m", message: "must be multiple of 5" },
        ]),
  );
});
