import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  parseSearchQuery,
  type SearchQuery,
  SearchQueryError,
  snippetText,
  startOfDay,
  webSearchText,
} from "./search-query.ts";

/** The query's filters without their spans, to compare what was understood. */
function filtersOf(q: string) {
  return parseSearchQuery(q).filters.map(({ position: _p, token: _t, ...rest }) => rest);
}

function refusal(q: string): SearchQueryError {
  try {
    parseSearchQuery(q);
  } catch (error) {
    if (error instanceof SearchQueryError) return error;
    throw error;
  }
  assert.fail(`${JSON.stringify(q)} was accepted`);
}

test("free words and phrases become the text search, filters do not", () => {
  const parsed: SearchQuery = parseSearchQuery(
    'printer  "paper jam" -toner -"out of ink" status:open',
  );
  assert.deepEqual(
    parsed.terms.map((t) => [t.kind, t.text, t.negated, t.position]),
    [
      ["word", "printer", false, 1],
      ["phrase", "paper jam", false, 10],
      ["word", "toner", true, 22],
      ["phrase", "out of ink", true, 29],
    ],
  );
  assert.equal(webSearchText(parsed.terms), 'printer "paper jam" -toner -"out of ink"');
  assert.deepEqual(filtersOf("status:open"), [{ key: "status", negated: false, values: ["open"] }]);
});

test("a snippet looks for any word or phrase asked for, never a -word or `or` itself", () => {
  const text = (q: string) => snippetText(parseSearchQuery(q).terms);
  assert.equal(
    text('printer  "paper jam" -toner -"out of ink" status:open'),
    'printer or "paper jam"',
  );
  assert.equal(text("10:30 or 11:30"), "10:30 or 11:30");
  assert.equal(text("printer OR scanner"), "printer or scanner");
  assert.equal(text("-toner -ink"), "", "only -words: nothing to highlight");
});

test("a query of plain words is passed to the text search as typed", () => {
  for (const q of [
    "invoice",
    "bezahlte Rechnung",
    "Rechnung -bezahlt",
    "error 0x80070005",
    "10:30 or 11:30",
  ]) {
    assert.equal(webSearchText(parseSearchQuery(q).terms), q);
  }
});

const FILTERS: [string, unknown][] = [
  ["status:open,Pending", { key: "status", negated: false, values: ["open", "pending"] }],
  ["-status:closed", { key: "status", negated: true, values: ["closed"] }],
  ["priority:high", { key: "priority", negated: false, values: ["high"] }],
  ["PRIORITY:Urgent,high", { key: "priority", negated: false, values: ["urgent", "high"] }],
  ["assignee:me", { key: "assignee", negated: false, value: { kind: "me" } }],
  ["assignee:none", { key: "assignee", negated: false, value: { kind: "none" } }],
  [
    "assignee:ana@example.com",
    { key: "assignee", negated: false, value: { kind: "email", email: "ana@example.com" } },
  ],
  [
    "requester:bo@example.com",
    { key: "requester", negated: false, value: { kind: "email", email: "bo@example.com" } },
  ],
  [
    "requester:@Example.COM",
    { key: "requester", negated: false, value: { kind: "domain", domain: "example.com" } },
  ],
  ["team:7", { key: "team", negated: false, value: { kind: "id", id: 7 } }],
  ["team:Billing", { key: "team", negated: false, value: { kind: "name", name: "Billing" } }],
  [
    'team:"Second line"',
    { key: "team", negated: false, value: { kind: "name", name: "Second line" } },
  ],
  ['team:"none"', { key: "team", negated: false, value: { kind: "name", name: "none" } }],
  ["team:none", { key: "team", negated: false, value: { kind: "none" } }],
  [
    "created:>2026-01-01",
    {
      key: "created",
      negated: false,
      comparison: ">",
      value: { kind: "date", date: "2026-01-01" },
    },
  ],
  [
    "created:<2026-01-01",
    {
      key: "created",
      negated: false,
      comparison: "<",
      value: { kind: "date", date: "2026-01-01" },
    },
  ],
  [
    "created:2026-02-28",
    {
      key: "created",
      negated: false,
      comparison: "=",
      value: { kind: "date", date: "2026-02-28" },
    },
  ],
  [
    "created:>=2024-02-29",
    {
      key: "created",
      negated: false,
      comparison: ">=",
      value: { kind: "date", date: "2024-02-29" },
    },
  ],
  [
    "updated:<7d",
    {
      key: "updated",
      negated: false,
      comparison: "<",
      value: { kind: "ago", amount: 7, unit: "d" },
    },
  ],
  [
    "updated:>12h",
    {
      key: "updated",
      negated: false,
      comparison: ">",
      value: { kind: "ago", amount: 12, unit: "h" },
    },
  ],
  [
    "updated:<2W",
    {
      key: "updated",
      negated: false,
      comparison: "<",
      value: { kind: "ago", amount: 2, unit: "w" },
    },
  ],
  ["tag:hardware", { key: "tag", negated: false, name: "hardware" }],
  [
    'field:"Order number"="A 12"',
    { key: "field", negated: false, name: "Order number", value: "A 12" },
  ],
  ["field:size=big", { key: "field", negated: false, name: "size", value: "big" }],
];

for (const [q, expected] of FILTERS) {
  test(`reads ${q}`, () => {
    assert.deepEqual(filtersOf(q), [expected]);
    assert.deepEqual(parseSearchQuery(q).terms, []);
  });
}

test("a filter's span is where it was typed", () => {
  const [filter] = parseSearchQuery('word  -team:"Second line" more').filters;
  assert.equal(filter?.position, 7);
  assert.equal(filter?.token, '-team:"Second line"');
});

const REFUSALS: [string, string, number, string][] = [
  // query, problem, position (1-based character), token
  ["printer colour:red", "unknownFilter", 9, "colour:"],
  ["http://example.com", "unknownFilter", 1, "http:"],
  ["status:", "emptyValue", 8, "status:"],
  ["status:open,shut", "badValue", 13, "status:open,shut"],
  ["status:open,", "badValue", 13, "status:open,"],
  ["priority:asap", "badValue", 10, "priority:asap"],
  ["assignee:bob", "badAssignee", 10, "assignee:bob"],
  ["requester:bob", "badRequester", 11, "requester:bob"],
  ["created:2026-02-30", "badDate", 9, "created:2026-02-30"],
  ["created:>yesterday", "badDate", 10, "created:>yesterday"],
  ["created:0000-01-01", "badDate", 9, "created:0000-01-01"],
  ["updated:7d", "relativeNeedsComparison", 9, "updated:7d"],
  ["updated:<", "emptyValue", 10, "updated:<"],
  ["field:size", "badField", 7, "field:size"],
  ['printer "paper jam', "unterminatedQuote", 9, '"paper jam'],
  ['team:"Second line', "unterminatedQuote", 6, '"Second line'],
  ["ab\u0000c", "badCharacter", 3, ""],
  // Characters are code points: the printer and its variation selector are two.
  ["🖨️ colour:red", "unknownFilter", 4, "colour:"],
];

for (const [q, problem, position, token] of REFUSALS) {
  test(`refuses ${JSON.stringify(q)}: ${problem} at ${position}`, () => {
    const error = refusal(q);
    assert.equal(error.problem, problem);
    assert.equal(error.position, position);
    assert.equal(error.token, token);
    assert.equal(error.status, 400);
    const [fieldError] = error.errors;
    assert.equal(fieldError?.field, "q");
    assert.equal(fieldError?.position, position);
    assert.equal(fieldError?.key, `error.search.${problem}`);
    assert.match(fieldError?.message ?? "", new RegExp(`character ${position}`));
  });
}

test("the parser throws nothing but its typed error, whatever it is given", () => {
  const alphabet = fc.constantFrom(
    ...'ab -":,<>=@.0179dhw '.split(""),
    "status:",
    "priority:",
    "assignee:",
    "requester:",
    "team:",
    "created:",
    "updated:",
    "tag:",
    "field:",
    "\u0000",
    "\t",
    "🖨️",
  );
  const queries = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.string({ unit: "grapheme", maxLength: 80 }),
    fc.array(alphabet, { maxLength: 40 }).map((parts) => parts.join("")),
  );
  fc.assert(
    fc.property(queries, (q) => {
      try {
        const parsed = parseSearchQuery(q);
        // What it accepts is a well-formed text search: no quote left open.
        const text = webSearchText(parsed.terms);
        assert.equal((text.match(/"/g)?.length ?? 0) % 2, 0);
      } catch (error) {
        if (!(error instanceof SearchQueryError)) throw error;
        assert.ok(error.position >= 1 && error.position <= Array.from(q).length + 1);
      }
    }),
    { numRuns: 3000 },
  );
});

test("a day starts at the reader's midnight", () => {
  assert.equal(startOfDay("2026-01-01", "UTC").toISOString(), "2026-01-01T00:00:00.000Z");
  assert.equal(startOfDay("2026-01-01", "Europe/Berlin").toISOString(), "2025-12-31T23:00:00.000Z");
  assert.equal(startOfDay("2026-07-01", "Europe/Berlin").toISOString(), "2026-06-30T22:00:00.000Z");
  assert.equal(
    startOfDay("2026-03-29", "Europe/Berlin", 1).toISOString(),
    "2026-03-29T22:00:00.000Z",
  );
  assert.equal(
    startOfDay("2026-01-31", "America/New_York", 1).toISOString(),
    "2026-02-01T05:00:00.000Z",
  );
});
