import { fieldProblem, Invalid, type MessageArgs } from "../lib/errors.ts";
import { escapeHtml } from "../lib/html.ts";
import { PRIORITIES, type Priority, STATUSES, type Status } from "./lifecycle.ts";

/**
 * The search box's query language, parsed without touching the database: free
 * words and "exact phrases" (`-` before either leaves out tickets that have
 * it), and `key:value` filters. Anything it cannot read is a SearchQueryError
 * naming the problem and where it is (1-based character, as typed); it throws
 * nothing else, whatever the input (a property test holds it to that).
 *
 * The desk's search page and the API's `q=` both go through `parseSearchQuery`;
 * tickets.service turns the result into the list statement's conditions.
 */

/** Where a part of the query starts (1-based character, counted in code points) and its text. */
export interface Span {
  position: number;
  token: string;
}

/** A free word or "exact phrase"; `negated`: `-word`, tickets without it. */
export interface Term extends Span {
  kind: "word" | "phrase";
  text: string;
  negated: boolean;
}

/** A point in time a date filter compares with: a calendar day (the reader's), or a time ago. */
export type TimeValue =
  | { kind: "date"; date: string }
  | { kind: "ago"; amount: number; unit: "h" | "d" | "w" };

export type Comparison = "<" | "<=" | ">" | ">=" | "=";

export type Filter = Span & { negated: boolean } & (
    | { key: "status"; values: Status[] }
    | { key: "priority"; values: Priority[] }
    | {
        key: "assignee";
        value: { kind: "me" } | { kind: "none" } | { kind: "email"; email: string };
      }
    | {
        key: "requester";
        value: { kind: "email"; email: string } | { kind: "domain"; domain: string };
      }
    | {
        key: "team";
        value:
          | { kind: "id"; id: number }
          | { kind: "name"; name: string }
          | { kind: "none" }
          | { kind: "mine" };
      }
    | { key: "created" | "updated"; comparison: Comparison; value: TimeValue }
    | { key: "tag"; name: string }
    | { key: "field"; name: string; value: string }
  );

export type FilterKey = Filter["key"];

export interface SearchQuery {
  terms: Term[];
  filters: Filter[];
}

/** Every key the language reads, in the order error messages list them. */
export const FILTER_KEYS: readonly FilterKey[] = [
  "status",
  "priority",
  "assignee",
  "requester",
  "team",
  "created",
  "updated",
  "tag",
  "field",
];

/**
 * The filters the list answers (tickets.service `queryConditions`); `tag:` for
 * staff only; `field:` names a custom field the searcher sees (customers: those
 * shown to them).
 */
export const SUPPORTED_FILTERS: readonly FilterKey[] = [
  "status",
  "priority",
  "assignee",
  "requester",
  "team",
  "created",
  "updated",
  "tag",
  "field",
];

/** What can be wrong with a query; each has its sentence `error.search.<problem>` in the catalogs. */
export type SearchProblem =
  | "unknownFilter"
  | "emptyValue"
  | "badValue"
  | "badAssignee"
  | "badRequester"
  | "badDate"
  | "relativeNeedsComparison"
  | "badField"
  | "unknownField"
  | "badFieldValue"
  | "unterminatedQuote"
  | "badCharacter";

/** Each problem's sentence in the catalogs. */
const KEYS: Record<SearchProblem, string> = {
  unknownFilter: "error.search.unknownFilter",
  emptyValue: "error.search.emptyValue",
  badValue: "error.search.badValue",
  badAssignee: "error.search.badAssignee",
  badRequester: "error.search.badRequester",
  badDate: "error.search.badDate",
  relativeNeedsComparison: "error.search.relativeNeedsComparison",
  badField: "error.search.badField",
  unknownField: "error.fields.searchUnknown",
  badFieldValue: "error.fields.searchValue",
  unterminatedQuote: "error.search.unterminatedQuote",
  badCharacter: "error.search.badCharacter",
};

/** English for the API (read after the field's name, like every FieldError message). */
const ENGLISH: Record<SearchProblem, (v: MessageArgs) => string> = {
  unknownFilter: (v) =>
    `has an unknown filter "${v.token}" at character ${v.position} (known: ${v.known}); put text in quotes to search for it`,
  emptyValue: (v) => `has no value after "${v.key}:" at character ${v.position}`,
  badValue: (v) =>
    `has "${v.value}" at character ${v.position}, which is not a ${v.key} (one of: ${v.choices})`,
  badAssignee: (v) =>
    `has "${v.value}" at character ${v.position}; assignee: takes me, none or an email address`,
  badRequester: (v) =>
    `has "${v.value}" at character ${v.position}; requester: takes an email address or @domain`,
  badDate: (v) =>
    `has "${v.value}" at character ${v.position}, which is not a date (2026-01-31) or a time ago (12h, 7d, 2w)`,
  relativeNeedsComparison: (v) =>
    `has "${v.value}" at character ${v.position}: a time ago needs < or > before it (${v.within}: within the last ${v.value}; ${v.before}: longer ago)`,
  badField: (v) => `has "${v.value}" at character ${v.position}; write field:name=value`,
  unknownField: (v) =>
    `has "${v.name}" at character ${v.position}, which is not a field (fields: ${v.known})`,
  badFieldValue: (v) =>
    `has "${v.value}" at character ${v.position}, which is not a value of the field ${v.name} (${v.problem})`,
  unterminatedQuote: (v) => `has a quote at character ${v.position} that is never closed`,
  badCharacter: (v) => `has a character that cannot be searched at character ${v.position}`,
};

/**
 * A query that cannot be read: a 400 whose one field error (`q`) says what is
 * wrong, at which character (`position`, 1-based, also in the sentence) and
 * with which part of the query (`token`).
 */
export class SearchQueryError extends Invalid {
  constructor(
    readonly problem: SearchProblem,
    readonly position: number,
    readonly token: string,
    values: MessageArgs = {},
    field = "q",
  ) {
    const args = { ...values, position, token };
    super([
      {
        ...fieldProblem(field, ENGLISH[problem](args), KEYS[problem], args),
        position,
      },
    ]);
  }
}

const isSpace = (c: string | undefined) => c !== undefined && /\s/u.test(c);

/** A character of the query with its 1-based position. */
interface Char {
  c: string;
  at: number;
}

/** A filter's value as typed: its characters (quotes taken off) and which were inside quotes. */
interface RawValue {
  chars: (Char & { quoted: boolean })[];
  text: string;
}

const KEY = /^[A-Za-z]+$/;
const EMAIL = /^[^\s@]+@[^\s@]+$/u;
const DOMAIN = /^@[^\s@]+$/u;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const AGO = /^(\d{1,5})([hdw])$/;

/** Parses a query; throws SearchQueryError (and nothing else) when it cannot. */
export function parseSearchQuery(input: string, options: { staff?: boolean } = {}): SearchQuery {
  const cs: Char[] = Array.from(input, (c, i) => ({ c, at: i + 1 }));
  const n = cs.length;
  const terms: Term[] = [];
  const filters: Filter[] = [];
  const textOf = (from: number, to: number) =>
    cs
      .slice(from, to)
      .map((x) => x.c)
      .join("");

  const nul = cs.find((x) => x.c === "\u0000");
  if (nul) throw new SearchQueryError("badCharacter", nul.at, "");

  /** The index of the quote closing the one at `open`, or a SearchQueryError. */
  const closing = (open: number): number => {
    for (let j = open + 1; j < n; j++) if (cs[j]?.c === '"') return j;
    throw new SearchQueryError("unterminatedQuote", at(open), textOf(open, n));
  };
  const at = (i: number) => cs[i]?.at ?? n + 1;

  let i = 0;
  while (i < n) {
    if (isSpace(cs[i]?.c)) {
      i++;
      continue;
    }
    const start = i;
    let negated = false;
    if (cs[i]?.c === "-" && i + 1 < n && !isSpace(cs[i + 1]?.c)) {
      negated = true;
      i++;
    }
    if (cs[i]?.c === '"') {
      const end = closing(i);
      const text = textOf(i + 1, end).trim();
      if (text) {
        terms.push({
          kind: "phrase",
          text,
          negated,
          position: at(start),
          token: textOf(start, end + 1),
        });
      }
      i = end + 1;
      continue;
    }
    let j = i;
    while (j < n && !isSpace(cs[j]?.c) && cs[j]?.c !== '"') j++;
    const word = textOf(i, j);
    const colon = word.indexOf(":");
    const key = colon > 0 ? word.slice(0, colon) : "";
    if (!KEY.test(key)) {
      terms.push({
        kind: "word",
        text: word,
        negated,
        position: at(start),
        token: textOf(start, j),
      });
      i = j;
      continue;
    }
    // A filter: its value runs to the next space outside quotes.
    const valueStart = i + Array.from(key).length + 1;
    const chars: RawValue["chars"] = [];
    let k = valueStart;
    while (k < n && !isSpace(cs[k]?.c)) {
      const ch = cs[k] as Char;
      if (ch.c === '"') {
        const end = closing(k);
        for (let q = k + 1; q < end; q++) chars.push({ ...(cs[q] as Char), quoted: true });
        k = end + 1;
      } else {
        chars.push({ ...ch, quoted: false });
        k++;
      }
    }
    const span: Span & { negated: boolean } = {
      position: at(start),
      token: textOf(start, k),
      negated,
    };
    const raw: RawValue = { chars, text: chars.map((x) => x.c).join("") };
    filters.push(
      readFilter(key.toLowerCase(), span, raw, {
        keyAt: at(i),
        valueAt: at(valueStart),
        staff: options.staff ?? false,
      }),
    );
    i = k;
  }
  return { terms, filters };
}

function readFilter(
  key: string,
  span: Span & { negated: boolean },
  raw: RawValue,
  where: { keyAt: number; valueAt: number; staff: boolean },
): Filter {
  if (!(FILTER_KEYS as readonly string[]).includes(key)) {
    throw new SearchQueryError("unknownFilter", where.keyAt, `${key}:`, {
      known: knownFilters(where.staff),
    });
  }
  const value = raw.text.trim();
  if (!value) throw new SearchQueryError("emptyValue", where.valueAt, span.token, { key });
  const bad = (problem: SearchProblem, text: string, position: number, values: MessageArgs = {}) =>
    new SearchQueryError(problem, position, span.token, { key, value: text, ...values });
  switch (key) {
    case "status":
    case "priority": {
      const choices: readonly string[] = key === "status" ? STATUSES : PRIORITIES;
      const values: string[] = [];
      for (const piece of splitOn(raw, ",")) {
        const word = piece.text.trim().toLowerCase();
        if (!choices.includes(word))
          throw bad("badValue", piece.text, piece.at, { choices: choices.join(", ") });
        if (!values.includes(word)) values.push(word);
      }
      return key === "status"
        ? { ...span, key, values: values as Status[] }
        : { ...span, key, values: values as Priority[] };
    }
    case "assignee": {
      const lower = value.toLowerCase();
      if (lower === "me" || lower === "none") return { ...span, key, value: { kind: lower } };
      if (EMAIL.test(value)) return { ...span, key, value: { kind: "email", email: value } };
      throw bad("badAssignee", value, where.valueAt);
    }
    case "requester": {
      if (DOMAIN.test(value))
        return { ...span, key, value: { kind: "domain", domain: value.slice(1).toLowerCase() } };
      if (EMAIL.test(value)) return { ...span, key, value: { kind: "email", email: value } };
      throw bad("badRequester", value, where.valueAt);
    }
    case "team": {
      const lower = value.toLowerCase();
      const quoted = raw.chars.some((c) => c.quoted);
      if (!quoted && (lower === "none" || lower === "mine"))
        return { ...span, key, value: { kind: lower } };
      if (!quoted && /^[1-9][0-9]{0,9}$/.test(value) && Number(value) <= 2_147_483_647)
        return { ...span, key, value: { kind: "id", id: Number(value) } };
      return { ...span, key, value: { kind: "name", name: value } };
    }
    case "created":
    case "updated": {
      const op = /^(<=|>=|<|>|=)/.exec(raw.text)?.[1] as Comparison | undefined;
      const rest = raw.text
        .slice(op?.length ?? 0)
        .trim()
        .toLowerCase();
      const restAt = where.valueAt + (op?.length ?? 0);
      if (!rest) throw new SearchQueryError("emptyValue", restAt, span.token, { key });
      const ago = AGO.exec(rest);
      if (ago) {
        if (!op || op === "=")
          throw bad("relativeNeedsComparison", rest, restAt, {
            within: `${key}:<${rest}`,
            before: `${key}:>${rest}`,
          });
        const unit = ago[2] as "h" | "d" | "w";
        return {
          ...span,
          key,
          comparison: op,
          value: { kind: "ago", amount: Number(ago[1]), unit },
        };
      }
      if (!isCalendarDate(rest)) throw bad("badDate", rest, restAt);
      return { ...span, key, comparison: op ?? "=", value: { kind: "date", date: rest } };
    }
    case "tag":
      return { ...span, key: "tag", name: value };
    default: {
      // field:<name>=<value>; the first `=` outside quotes separates them.
      const eq = raw.chars.findIndex((c) => c.c === "=" && !c.quoted);
      const name =
        eq < 0
          ? ""
          : raw.chars
              .slice(0, eq)
              .map((c) => c.c)
              .join("")
              .trim();
      const fieldValue =
        eq < 0
          ? ""
          : raw.chars
              .slice(eq + 1)
              .map((c) => c.c)
              .join("")
              .trim();
      if (!name || !fieldValue) throw bad("badField", value, where.valueAt);
      return { ...span, key: "field", name, value: fieldValue };
    }
  }
}

/** A value's pieces between `separator`s (outside quotes), each with where it starts. */
function splitOn(raw: RawValue, separator: string): { text: string; at: number }[] {
  const pieces: { text: string; at: number }[] = [];
  let current: RawValue["chars"] = [];
  const flush = (after: number) => {
    pieces.push({
      text: current.map((c) => c.c).join(""),
      at: current[0]?.at ?? after,
    });
    current = [];
  };
  for (const ch of raw.chars) {
    if (ch.c === separator && !ch.quoted) flush(ch.at);
    else current.push(ch);
  }
  flush((raw.chars.at(-1)?.at ?? 0) + 1);
  return pieces;
}

/** YYYY-MM-DD naming a real day from 1970 to 9999. */
function isCalendarDate(value: string): boolean {
  const m = DATE.exec(value);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (y < 1970 || mo < 1 || mo > 12 || d < 1) return false;
  const day = new Date(Date.UTC(y, mo - 1, d));
  return day.getUTCMonth() === mo - 1 && day.getUTCDate() === d;
}

/** The filters this version answers (`tag:` to staff only), for "unknown filter" sentences. */
export function knownFilters(staff: boolean): string {
  return SUPPORTED_FILTERS.filter((k) => staff || k !== "tag")
    .map((k) => `${k}:`)
    .join(", ");
}

/**
 * The free text as `websearch_to_tsquery` reads it: words, "phrases", and `-`
 * before what must be absent. Built from the parsed terms, so a filter never
 * reaches the text search and a word typed alone is passed as it was.
 */
export function webSearchText(terms: readonly Term[]): string {
  return terms
    .map((t) => `${t.negated ? "-" : ""}${t.kind === "phrase" ? `"${t.text}"` : t.text}`)
    .join(" ");
}

/**
 * What a result's snippet looks for: any of the words and phrases asked for
 * (not the `-words`, nor `or` itself), in web-search syntax. A ticket matches
 * `printer toner` when both are somewhere in it, often in different messages;
 * its snippet is the newest message with either, both highlighted where found.
 * Empty when only `-words` were asked for.
 */
export function snippetText(terms: readonly Term[]): string {
  return terms
    .filter((t) => !t.negated && !(t.kind === "word" && t.text.toLowerCase() === "or"))
    .map((t) => (t.kind === "phrase" ? `"${t.text}"` : t.text))
    .join(" or ");
}

/** Whether any term asks for words to be present (a search of only `-words` matches by absence). */
export function hasText(query: SearchQuery): boolean {
  return query.terms.length > 0;
}

/**
 * The instant a calendar day starts in `timeZone` (an IANA name): the reader's
 * midnight, computed here so the database needs no zone of its own.
 */
export function startOfDay(date: string, timeZone: string, addDays = 0): Date {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  const utcMidnight = Date.UTC(y, m - 1, d + addDays);
  // The zone's offset at that moment, then again at the corrected moment (DST edges).
  let guess = utcMidnight;
  for (let round = 0; round < 2; round++) guess = utcMidnight - offsetAt(guess, timeZone);
  return new Date(guess);
}

const offsetFormats = new Map<string, Intl.DateTimeFormat>();

/** How far `timeZone`'s wall clock is ahead of UTC at `instant`, in milliseconds. */
function offsetAt(instant: number, timeZone: string): number {
  let format = offsetFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    offsetFormats.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(instant).map((p) => [p.type, p.value]));
  const wall = Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );
  return wall - Math.floor(instant / 1000) * 1000;
}

/** A part of a snippet: text, and whether it is a word the search found. */
export interface SnippetPart {
  text: string;
  hit: boolean;
}

/**
 * A snippet from the database (matches between `start` and `end`) as parts:
 * pages render each part as text (escaped) and hits in <mark>, so no part of
 * a message ever becomes markup.
 */
export function snippetParts(raw: string, start: string, end: string): SnippetPart[] {
  const parts: SnippetPart[] = [];
  let hit = false;
  let text = "";
  const flush = () => {
    if (text) parts.push({ text, hit });
    text = "";
  };
  for (const c of raw) {
    if (c === start || c === end) {
      flush();
      hit = c === start;
    } else text += c;
  }
  flush();
  return parts;
}

/** Snippet parts as HTML for the API: every text escaped, each hit in <mark>. */
export function snippetHtml(parts: readonly SnippetPart[]): string {
  return parts
    .map((p) => (p.hit ? `<mark>${escapeHtml(p.text)}</mark>` : escapeHtml(p.text)))
    .join("");
}
