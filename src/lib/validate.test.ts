import assert from "node:assert/strict";
import { test } from "node:test";
import Type from "typebox";
import { DEFAULT_TRANSLATOR, type MessageKey, translator } from "../i18n/i18n.ts";
import { type FieldError, Invalid } from "./errors.ts";
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
    { field: "a.b.c", message: "is required", key: "error.field.required" },
    { field: "a.b.x", message: "is not a known field", key: "error.field.unknown" },
  ]);
  assert.deepEqual(errors({ a: { b: { c: "", d: "ab" } } }), [
    {
      field: "a.b.d",
      message: "must be at least 3 characters",
      key: "error.field.minLength",
      values: { min: 3 },
    },
  ]);
  // Too long and a NUL byte: one message, the first TypeBox reports (the length).
  assert.deepEqual(errors({ a: { b: { c: "", d: "a\u0000cd" } } }), [
    {
      field: "a.b.d",
      message: "must be at most 3 characters",
      key: "error.field.maxLength",
      values: { max: 3 },
    },
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
          {
            field: "n",
            message: "must be at most 10",
            key: "error.field.atMost",
            values: { max: 10 },
          },
          { field: "m", message: "must be multiple of 5" },
        ]),
  );
});

function problemsOf(schema: Parameters<typeof parse>[0], input: unknown): FieldError[] {
  try {
    parse(schema, input);
  } catch (error) {
    assert.ok(error instanceof Invalid);
    return error.errors;
  }
  assert.fail("expected Invalid");
}

const Everything = Type.Object(
  {
    title: Text({ min: 1, max: 5 }),
    code: Text({ min: 3, max: 12 }),
    email: Email,
    kind: Type.Enum(["a", "b"]),
    count: Type.Integer({ minimum: 1, maximum: 10_000 }),
    flag: Type.Boolean(),
    name: Type.String({ pattern: "^[a-z]+$" }),
  },
  { additionalProperties: false },
);

const wrong = [
  {},
  { title: "", code: "ab", email: "nope", kind: "c", count: 0, flag: "yes", name: "A1", extra: 1 },
  { title: "toolong", code: "x".repeat(13), count: 10_001 },
  { title: 5, count: "2" },
  { name: "A1" },
];

test("every message of ours has a catalog sentence that reads, in English, as the label and the message (its numbers grouped as English writes them)", () => {
  const grouped = (message: string) =>
    message.replace(/\d{4,}/g, (digits) => Number(digits).toLocaleString("en"));
  const keys = new Set<string>();
  for (const input of wrong) {
    for (const e of problemsOf(Everything, input)) {
      assert.ok(e.key, `${e.field} ${e.message} has a key`);
      keys.add(e.key);
      const sentence = DEFAULT_TRANSLATOR.t(e.key as MessageKey, { ...e.values, label: "Field" });
      assert.equal(sentence, `Field ${grouped(e.message)}`);
    }
  }
  assert.deepEqual([...keys].sort(), [
    "error.field.atLeast",
    "error.field.atMost",
    "error.field.characters",
    "error.field.email",
    "error.field.maxLength",
    "error.field.minLength",
    "error.field.oneOf",
    "error.field.required",
    "error.field.type",
    "error.field.unknown",
  ]);
});

test("the catalog sentences read in the reader's language, with the label and the limits", () => {
  const de = translator("de", "Europe/Berlin");
  const say = (input: unknown, field: string, label: string) => {
    const e = problemsOf(Everything, input).find((p) => p.field === field);
    assert.ok(e?.key, field);
    return de.t(e.key as MessageKey, { ...e.values, label });
  };
  assert.equal(say({}, "email", "E-Mail"), "E-Mail ist erforderlich");
  assert.equal(say({ code: "ab" }, "code", "Code"), "Code muss mindestens 3 Zeichen lang sein");
  assert.equal(say({ email: "nope" }, "email", "E-Mail"), "E-Mail muss eine E-Mail-Adresse sein");
  assert.equal(say({ count: 10_001 }, "count", "Anzahl"), "Anzahl darf höchstens 10.000 sein");
  assert.equal(say({ count: "2" }, "count", "Anzahl"), "Anzahl muss eine ganze Zahl sein");
  assert.equal(say({ kind: "c" }, "kind", "Art"), "Art muss einer dieser Werte sein: a, b");
  const ar = translator("ar", "UTC");
  const e = problemsOf(Everything, { title: "" }).find((p) => p.field === "title");
  assert.equal(ar.t(e?.key as MessageKey, { label: "العنوان" }), "حقل العنوان مطلوب");
});

test("a type the catalogs do not name keeps the English only", () => {
  const [e] = problemsOf(Type.Object({ n: Type.Null() }), { n: 1 });
  assert.deepEqual(e, { field: "n", message: "must be a null" });
});
