import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { LightMyRequestResponse } from "fastify";
import { STATUSES, type Status } from "../../src/tickets/lifecycle.ts";
import { createToken } from "../../src/tokens/tokens.service.ts";
import { makeAdmin, makeAgent, makeCustomer, makeTicket } from "../helpers/factories.ts";
import { describeEachDatabase, type World } from "../helpers/world.ts";
import { apiOperations, exampleFor, getTicketRow, type JsonSchema } from "./support.ts";

/** Runs per property; fixed seeds would hide new failures, so a failure prints its seed. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 20);

/**
 * fast-check's parameters: random by default; FUZZ_SEED and FUZZ_PATH (printed
 * with every failure) replay one failure exactly, and FUZZ_ONLY limits a run to
 * the property named in it.
 */
function parameters(numRuns: number): fc.Parameters<unknown> {
  const seed = process.env.FUZZ_SEED;
  const path = process.env.FUZZ_PATH;
  return {
    numRuns,
    ...(seed ? { seed: Number(seed) } : {}),
    ...(seed && path ? { path } : {}),
  };
}

function selected(name: string): boolean {
  const only = process.env.FUZZ_ONLY;
  return !only || only === name;
}

/** A failed run as a message that names the property and how to replay it; undefined when it held. */
function failureOf(name: string, details: fc.RunDetails<unknown>): string | undefined {
  if (!details.failed) return undefined;
  return [
    `${name}: ${fc.defaultReportMessage(details) ?? "failed"}`,
    `Replay: FUZZ_ONLY='${name}' FUZZ_SEED=${details.seed} FUZZ_PATH='${details.counterexamplePath ?? ""}' npm test -- test/security/fuzz.test.ts`,
  ].join("\n");
}

function call(
  world: World,
  token: string,
  method: string,
  url: string,
  body?: unknown,
): Promise<LightMyRequestResponse> {
  return world.app.inject({
    method: method as "POST",
    url: `/api/v1${url}`,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
    },
    ...(body !== undefined
      ? { payload: typeof body === "string" ? body : JSON.stringify(body) }
      : {}),
  });
}

type Who = "customer" | "agent" | "stranger";
type Action =
  | { kind: "reply"; who: Who; internal: boolean; wait: boolean }
  | { kind: "status"; who: Who; to: Status }
  | { kind: "assign"; who: Who; to: "agent" | "customer" | "nobody" }
  | { kind: "priority"; who: Who; to: "low" | "urgent" };

const who = fc.constantFrom<Who>("customer", "agent", "stranger");
const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({
    kind: fc.constant("reply" as const),
    who,
    internal: fc.boolean(),
    wait: fc.boolean(),
  }),
  fc.record({ kind: fc.constant("status" as const), who, to: fc.constantFrom(...STATUSES) }),
  fc.record({
    kind: fc.constant("assign" as const),
    who,
    to: fc.constantFrom("agent" as const, "customer" as const, "nobody" as const),
  }),
  fc.record({
    kind: fc.constant("priority" as const),
    who,
    to: fc.constantFrom("low" as const, "urgent" as const),
  }),
);

/**
 * What the rules (DESIGN.md section 4 and 5) say should happen, written from
 * the design rather than from lifecycle.ts: the expected status code and status.
 */
function expected(status: Status, a: Action): { code: number; status: Status } {
  const same = (code: number) => ({ code, status });
  const staff = a.who === "agent";
  // Asking for a staff-only kind of reply is refused whatever the ticket (so it reveals nothing).
  if (a.kind === "reply" && !staff && (a.internal || a.wait)) return same(403);
  if (a.who === "stranger") return same(404);
  if (a.kind === "reply") {
    if (a.internal && a.wait) return same(400);
    if (status === "closed") return staff ? same(409) : same(201); // customer: a follow-up
    if (a.internal) return same(201);
    if (staff)
      return { code: 201, status: a.wait ? "pending" : status === "new" ? "open" : status };
    return { code: 201, status: status === "pending" || status === "solved" ? "open" : status };
  }
  if (!staff && a.kind !== "status") return same(403);
  if (status === "closed") return same(409);
  if (a.kind === "status") {
    if (a.to === status) return same(200);
    if (!staff) return a.to === "solved" ? { code: 200, status: "solved" } : same(403);
    if (a.to === "new") return same(400);
    return { code: 200, status: a.to };
  }
  if (a.kind === "assign" && a.to === "customer") return same(400);
  return same(200);
}

describeEachDatabase("property-based fuzzing: lifecycle and every API input schema", (world) => {
  test("random action sequences follow the rules, keep a consistent audit trail, never 5xx", async () => {
    const { deps } = world();
    const owner = await makeCustomer(deps);
    const agentUser = await makeAgent(deps);
    const tokens: Record<Who, string> = {
      customer: (await createToken(deps, owner, { name: "fuzz" })).token,
      agent: (await createToken(deps, agentUser, { name: "fuzz" })).token,
      stranger: (await createToken(deps, await makeCustomer(deps), { name: "fuzz" })).token,
    };
    const name = "lifecycle sequences";
    if (!selected(name)) return;
    const details = await fc.check(
      fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 12 }), async (actions) => {
        const ticket = await makeTicket(deps, owner);
        let status: Status = "new";
        for (const a of actions) {
          const token = tokens[a.who];
          const response =
            a.kind === "reply"
              ? await call(world(), token, "POST", `/tickets/${ticket.id}/messages`, {
                  content: "fuzz",
                  internal: a.internal,
                  waitOnCustomer: a.wait,
                })
              : await call(world(), token, "PATCH", `/tickets/${ticket.id}`, {
                  ...(a.kind === "status" ? { status: a.to } : {}),
                  ...(a.kind === "priority" ? { priority: a.to } : {}),
                  ...(a.kind === "assign"
                    ? {
                        assigneeId:
                          a.to === "agent" ? agentUser.id : a.to === "customer" ? owner.id : null,
                      }
                    : {}),
                });
          const want = expected(status, a);
          assert.equal(
            response.statusCode,
            want.code,
            `${JSON.stringify(a)} on a ${status} ticket: ${response.body.slice(0, 300)}`,
          );
          status = want.status;
          const row = await getTicketRow(deps, ticket.id);
          assert.equal(row?.status, status, `after ${JSON.stringify(a)}`);
        }
        // The audit trail tells the same story: status events chain from "new" to now.
        const events = await call(world(), tokens.agent, "GET", `/tickets/${ticket.id}/events`);
        assert.equal(events.statusCode, 200);
        const trail = (events.json() as { data: { kind: string; from: string; to: string }[] })
          .data;
        let current = "new";
        for (const e of trail.filter((x) => x.kind === "status")) {
          assert.equal(e.from, current, "each status event starts where the last one ended");
          assert.notEqual(e.to, "new", "nothing returns to new");
          current = e.to;
        }
        assert.equal(current, status);
      }),
      parameters(RUNS),
    );
    assert.equal(failureOf(name, details), undefined);
  });

  test("no JSON body, query or id makes any API route answer 5xx", async () => {
    const { deps, app } = world();
    const admin = await makeAdmin(deps);
    const owner = await makeCustomer(deps);
    const ticket = await makeTicket(deps, owner);
    const token = (await createToken(deps, admin, { name: "fuzz" })).token;
    const customerToken = (await createToken(deps, owner, { name: "fuzz" })).token;
    const { operations, resolve } = await apiOperations(app);
    assert.ok(operations.length >= 10, `only ${operations.length} operations documented`);

    /** Values near what the schema wants: right shape with wrong contents, and plain junk. */
    const near = (schema: JsonSchema, depth = 0): fc.Arbitrary<unknown> => {
      const s = resolve(schema);
      const junk = fc.oneof(
        fc.constant(null),
        fc.boolean(),
        fc.integer(),
        fc.double(),
        fc.string(),
        fc.constantFrom("", "\u0000", "\uD800", "'; DROP TABLE tickets; --", "x".repeat(70_000)),
        fc.constantFrom(-1, 0, 2 ** 31, 2 ** 53, Number.MAX_SAFE_INTEGER),
      );
      if (depth > 3) return junk;
      if (s.properties) {
        const entries = Object.entries(s.properties).map(
          ([k, v]) => [k, fc.option(near(v, depth + 1), { nil: undefined })] as const,
        );
        return fc.oneof(
          fc.record(Object.fromEntries(entries)),
          fc.dictionary(fc.string(), junk),
          junk,
        );
      }
      if (s.enum) return fc.oneof(fc.constantFrom(...s.enum), junk);
      if (s.items) return fc.oneof(fc.array(near(s.items, depth + 1), { maxLength: 3 }), junk);
      return fc.oneof(fc.constant(exampleFor(s, resolve)), junk);
    };
    const rawBodies = fc.oneof(
      fc.string(),
      fc.constantFrom(
        "{",
        "[]",
        "null",
        '{"__proto__":{"admin":true}}',
        '{"constructor":{"prototype":{"x":1}}}',
        `${"[".repeat(20_000)}${"]".repeat(20_000)}`,
        `${'{"a":'.repeat(5_000)}1${"}".repeat(5_000)}`,
      ),
    );
    const ids = fc.oneof(
      fc.constant(String(ticket.id)),
      fc.constantFrom("0", "-1", "1e3", "abc", "99999999999999999999", "%00", "1%20OR%201=1"),
    );

    const failures: string[] = [];
    const seen = new Set<number>();
    for (const op of operations) {
      const name = `${op.method} ${op.path}`;
      if (!selected(name)) continue;
      const arbitrary = fc.record({
        id: ids,
        body: op.body ? fc.oneof(near(op.body), rawBodies) : fc.constant(undefined),
        query: fc.dictionary(
          fc.constantFrom(...op.query.map((q) => q.name), "x"),
          fc.oneof(fc.string(), fc.constantFrom("%", "'", "-1", "1e309", "me", "none")),
        ),
        asCustomer: fc.boolean(),
      });
      const details = await fc.check(
        fc.asyncProperty(arbitrary, async ({ id, body, query, asCustomer }) => {
          const path = op.path.replace(/\{[^}]+\}/g, encodeURIComponent(id).replace(/%25/g, "%"));
          const search = new URLSearchParams(query as Record<string, string>).toString();
          const url = `${path.replace(/^\/api\/v1/, "")}${search ? `?${search}` : ""}`;
          const response = await call(
            world(),
            asCustomer ? customerToken : token,
            op.method,
            url,
            op.method === "GET" ? undefined : (body ?? {}),
          );
          seen.add(response.statusCode);
          assert.ok(
            response.statusCode < 500,
            `${op.method} ${url} ${String(typeof body === "string" ? body : JSON.stringify(body)).slice(0, 200)}: ${response.statusCode} ${response.body.slice(0, 200)}`,
          );
        }),
        parameters(Math.max(10, Math.floor(RUNS * 1.5))),
      );
      const failure = failureOf(name, details);
      if (failure) failures.push(failure); // every failing operation is named below
    }
    assert.deepEqual(failures.slice(0, 10), []);
    if (process.env.FUZZ_ONLY) return;
    // The inputs reached the handlers, not only the validator.
    // (Each documented operation once with its example body, so this does not depend on luck.)
    for (const op of operations) {
      const url = op.path.replace(/\{[^}]+\}/g, String(ticket.id)).replace(/^\/api\/v1/, "");
      const body = op.method === "GET" ? undefined : op.body ? exampleFor(op.body, resolve) : {};
      const response = await call(world(), token, op.method, url, body);
      assert.ok(response.statusCode < 500, `${op.method} ${url}: ${response.statusCode}`);
      seen.add(response.statusCode);
    }
    for (const status of [200, 201, 400]) assert.ok(seen.has(status), `never saw ${status}`);
  });

  test("API bodies: invalid UTF-8, deep nesting, prototype keys and huge bodies are clear 4xx", async () => {
    const { deps } = world();
    const user = await makeCustomer(deps);
    const token = (await createToken(deps, user, { name: "fuzz" })).token;
    const post = (payload: string | Buffer, type = "application/json") =>
      world().app.inject({
        method: "POST",
        url: "/api/v1/tickets",
        headers: { authorization: `Bearer ${token}`, "content-type": type },
        payload,
      });
    const cases: [string, string | Buffer, number, RegExp][] = [
      [
        "raw invalid bytes",
        Buffer.concat([
          Buffer.from('{"title":"a'),
          Buffer.from([0xff, 0xfe]),
          Buffer.from('","description":"d"}'),
        ]),
        400,
        /not valid UTF-8/,
      ],
      [
        "an escaped lone surrogate",
        '{"title":"\\ud800","description":"d"}',
        400,
        /not valid UTF-8/,
      ],
      [
        "deep nesting",
        `{"title":"t","description":"d","x":${"[".repeat(100_000)}${"]".repeat(100_000)}}`,
        400,
        /not a known field|not valid/,
      ],
      ["__proto__", '{"title":"t","description":"d","__proto__":{"role":"admin"}}', 400, /./],
      [
        "a huge body",
        JSON.stringify({ title: "t", description: "d".repeat(300 * 1024) }),
        413,
        /larger than this server accepts/,
      ],
      ["not JSON", "{", 400, /not valid JSON/],
      ["a form", "title=t&description=d", 415, /./],
    ];
    const failures: string[] = [];
    for (const [what, payload, status, message] of cases) {
      const response = await post(
        payload,
        what === "a form" ? "application/x-www-form-urlencoded" : undefined,
      );
      if (response.statusCode !== status || !message.test(response.body))
        failures.push(`${what}: ${response.statusCode} ${response.body.slice(0, 150)}`);
      else assert.match(String(response.headers["content-type"]), /problem\+json/, what);
    }
    assert.deepEqual(failures, []);
    const list = await world().app.inject({
      url: "/api/v1/tickets",
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal((list.json() as { data: unknown[] }).data.length, 0, "nothing was created");
  });
});
