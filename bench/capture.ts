// The "raw SQL" of each read scenario: the statements the app's own services issue for
// that page, captured through a logging Drizzle instance (so an index or query change in
// src/ is picked up without touching the bench), then replayed directly on the database,
// one after another, and timed. That is the floor under the HTTP median: what the
// database alone needs for the page.
import type { PGlite } from "@electric-sql/pglite";
import type pg from "pg";
import type { SqlClient } from "./load.ts";

export interface RawSql {
  sql: string;
  params: unknown[];
}

export interface SqlTiming {
  statements: number;
  iterations: number;
  p50: number;
  p99: number;
}

export interface SqlCapture {
  raw: Record<string, RawSql[]>;
  scenarios: Record<string, SqlTiming>;
}

interface CaptureFixtures {
  agentSessions: string[];
  apiTokens: { agent?: string | undefined };
  customerSessions: { id: number; token: string }[];
  longTickets: number[];
  searchWords: string[];
}

const silent = { info() {}, debug() {}, warn() {}, error() {} };

export async function captureSql(
  db: { driver: pg.Pool | PGlite; main: SqlClient },
  kind: "postgres" | "pglite",
  fx: CaptureFixtures,
  deepPages: number,
  budget = { min: 20, ms: 2000 },
): Promise<SqlCapture> {
  const schema = await import("../src/db/schema/index.ts");
  const { loadConfig } = await import("../src/config.ts");
  const { composeDeps } = await import("../src/reactions.ts");
  const accounts = await import("../src/accounts/accounts.service.ts");
  const tickets = await import("../src/tickets/tickets.service.ts");

  let capturing = false;
  const captured: RawSql[] = [];
  const logger = {
    logQuery(sql: string, params: unknown[]) {
      if (capturing) captured.push({ sql, params });
    },
  };
  const drizzleDb =
    kind === "postgres"
      ? (await import("drizzle-orm/node-postgres")).drizzle({
          client: db.driver as pg.Pool,
          schema,
          casing: "snake_case",
          logger,
        })
      : (await import("drizzle-orm/pglite")).drizzle({
          client: db.driver as PGlite,
          schema,
          casing: "snake_case",
          logger,
        });
  const deps = composeDeps({ db: drizzleDb as never, config: loadConfig({}), log: silent });
  const record = async (run: () => Promise<unknown>): Promise<RawSql[]> => {
    captured.length = 0;
    capturing = true;
    try {
      await run();
    } finally {
      capturing = false;
    }
    return captured.filter((s) => /^\s*(select|with)\b/i.test(s.sql));
  };

  const agentToken = fx.agentSessions[0] as string;
  const agent = await accounts.resolveSession(deps, agentToken);
  if (!agent) throw new Error("the bench agent's session does not resolve");
  const customer = fx.customerSessions[0];
  if (!customer) throw new Error("no bench customer");
  const customerActor = await accounts.resolveSession(deps, customer.token);
  if (!customerActor) throw new Error("the bench customer's session does not resolve");
  const assignee = agent.id;

  // Walk the closed list in-process to page `deepPages`, like the HTTP scenario does.
  const closed = { statuses: ["closed" as const], sort: "-updatedAt" as const };
  let cursor: string | undefined;
  for (let page = 1; page < deepPages; page++) {
    const next = (await tickets.listTickets(deps, agent, { ...closed, cursor })).nextCursor;
    if (!next) break;
    cursor = next;
  }
  // The API resolves a bearer token (no session) and lists with descriptions.
  const tokensModule = fx.apiTokens.agent
    ? await import("../src/tokens/index.ts").catch(() => undefined)
    : undefined;
  const bearer = async () => {
    if (tokensModule && fx.apiTokens.agent)
      await tokensModule.resolveToken(deps, fx.apiTokens.agent);
  };
  const api = tokensModule ? { withDescription: true } : {};
  const deskExtras = () =>
    Promise.all([tickets.deskQueues(deps, agent), accounts.listAssignableStaff(deps)]);

  const raw: Record<string, RawSql[]> = {
    queueHtml: await record(async () => {
      await accounts.resolveSession(deps, agentToken);
      await deskExtras();
      await tickets.listTickets(deps, agent, { statuses: ["open"], assignee, sort: "-updatedAt" });
    }),
    queueDueFirst: await record(async () => {
      await accounts.resolveSession(deps, agentToken);
      await deskExtras();
      await tickets.listTickets(deps, agent, { statuses: ["new", "open"], sort: "dueAt" });
    }),
    queueJson: await record(async () => {
      await bearer();
      await tickets.listTickets(deps, agent, {
        statuses: ["open"],
        assignee,
        sort: "-updatedAt",
        limit: 50,
        ...api,
      });
    }),
    firstPage: await record(async () => {
      await bearer();
      await tickets.listTickets(deps, agent, { ...closed, limit: 50, ...api });
    }),
    deepPage: await record(async () => {
      await bearer();
      await tickets.listTickets(deps, agent, { ...closed, cursor, limit: 50, ...api });
    }),
    deskFirstPage: await record(async () => {
      await accounts.resolveSession(deps, agentToken);
      await deskExtras();
      await tickets.listTickets(deps, agent, closed);
    }),
    deskDeepPage: await record(async () => {
      await accounts.resolveSession(deps, agentToken);
      await deskExtras();
      await tickets.listTickets(deps, agent, { ...closed, cursor });
    }),
    ticketPage: await record(async () => {
      await accounts.resolveSession(deps, agentToken);
      await tickets.getTicketView(deps, agent, fx.longTickets[0] as number);
      await accounts.listAssignableStaff(deps);
    }),
    myTickets: await record(async () => {
      await accounts.resolveSession(deps, customer.token);
      await tickets.listTickets(deps, customerActor, {
        requesterId: customerActor.id,
        sort: "-updatedAt",
      });
    }),
  };
  // Each variant is one request's statements; the timing takes them in turn. Search
  // varies most with its word, so it has one variant per word the HTTP scenario uses.
  const variants: Record<string, RawSql[][]> = Object.fromEntries(
    Object.entries(raw).map(([name, statements]) => [name, [statements]]),
  );
  // Search arrived with the API; the capture includes it when the service takes `q`.
  try {
    const search: RawSql[][] = [];
    for (const q of fx.searchWords) {
      search.push(
        await record(async () => {
          await bearer();
          await tickets.listTickets(deps, agent, { q, limit: 50, ...api } as never);
        }),
      );
    }
    if (search[0]?.some((s) => /tsquery/i.test(s.sql))) {
      variants.search = search;
      raw.search = search[0];
    }
  } catch {
    // no search in this version
  }
  // Issue 15: the tag filter and the search language (as the API asks: with snippets).
  raw.queueTag = await record(async () => {
    await accounts.resolveSession(deps, agentToken);
    await deskExtras();
    await tickets.listTickets(deps, agent, {
      statuses: ["new", "open"],
      tag: "hardware",
      sort: "-updatedAt",
    });
  });
  raw.queueField = await record(async () => {
    await accounts.resolveSession(deps, agentToken);
    await deskExtras();
    await tickets.listTickets(deps, agent, {
      defaults: { statuses: ["new", "open"] },
      q: "field:product=Scanner",
      withSnippets: true,
      sort: "-updatedAt",
    });
  });
  variants.queueField = [raw.queueField];
  const searches = async (qs: string[]) => {
    const out: RawSql[][] = [];
    for (const q of qs)
      out.push(
        await record(async () => {
          await bearer();
          await tickets.listTickets(deps, agent, {
            q,
            limit: 50,
            withSnippets: true,
            ...api,
          });
        }),
      );
    return out;
  };
  const w = fx.searchWords;
  variants.searchTwoWords = await searches(w.map((x, i) => `${x} ${w[(i + 3) % w.length]}`));
  variants.searchFiltered = await searches(w.map((x) => `status:open tag:hardware ${x}`));
  variants.queueTag = [raw.queueTag];
  raw.searchTwoWords = variants.searchTwoWords[0] ?? [];
  raw.searchFiltered = variants.searchFiltered[0] ?? [];

  const scenarios: Record<string, SqlTiming> = {};
  for (const [name, list] of Object.entries(variants)) {
    scenarios[name] = await time(db.main, list, budget);
  }
  return { raw, scenarios };
}

/**
 * Runs each variant's statements one after another, variants in turn, repeatedly
 * (at least `budget.min` times, then until `budget.ms` is spent or 500 runs);
 * the median and p99 of one request's total.
 */
async function time(
  client: SqlClient,
  variants: RawSql[][],
  budget: { min: number; ms: number },
): Promise<SqlTiming> {
  let turn = 0;
  const runOnce = async () => {
    const statements = variants[turn++ % variants.length] ?? [];
    const t0 = performance.now();
    for (const s of statements) await client.query(s.sql, s.params);
    return performance.now() - t0;
  };
  for (let i = 0; i < variants.length; i++) await runOnce();
  const samples: number[] = [];
  const deadline = performance.now() + budget.ms;
  while (samples.length < budget.min || (samples.length < 500 && performance.now() < deadline)) {
    samples.push(await runOnce());
  }
  samples.sort((a, b) => a - b);
  const at = (p: number) =>
    samples[Math.min(samples.length - 1, Math.ceil((p / 100) * samples.length) - 1)] as number;
  return {
    statements: variants[0]?.length ?? 0,
    iterations: samples.length,
    p50: at(50),
    p99: at(99),
  };
}
