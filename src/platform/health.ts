import fs from "node:fs";
import path from "node:path";
import { sql } from "drizzle-orm";
import type { FastifyInstance } from "fastify";
import { MIGRATIONS_DIR, rowsOf } from "../db/client.ts";
import type { Deps } from "../deps.ts";

/** A readiness probe that takes longer than this counts as "database unreachable". */
export const READY_TIMEOUT_MS = 3_000;

interface JournalEntry {
  tag: string;
  when: number;
}

/** The migrations this code expects, from drizzle-kit's journal (what `migrate()` applies). */
export function expectedMigrations(dir = MIGRATIONS_DIR): JournalEntry[] {
  const journal = JSON.parse(fs.readFileSync(path.join(dir, "meta", "_journal.json"), "utf8")) as {
    entries: JournalEntry[];
  };
  return journal.entries.map(({ tag, when }) => ({ tag, when }));
}

export type Readiness = { ready: true } | { ready: false; reason: string };

/**
 * Ready when the database answers and every migration in the journal has been
 * applied. Drizzle records each applied migration in `drizzle.__drizzle_migrations`
 * with the journal entry's `when` as `created_at`, so the two are compared by that.
 * The reason is safe to show anyone: it names no host, user or driver error.
 */
export async function checkReadiness(
  deps: Pick<Deps, "db" | "log">,
  expected: readonly JournalEntry[],
): Promise<Readiness> {
  let applied: Set<number>;
  try {
    applied = await withTimeout(appliedMigrations(deps), READY_TIMEOUT_MS);
  } catch (error) {
    if (error instanceof MigrationsTableMissing) {
      return { ready: false, reason: "migrations have not been applied" };
    }
    deps.log.warn({ err: error }, "readiness: database check failed");
    return { ready: false, reason: "database unreachable" };
  }
  const pending = expected.filter((m) => !applied.has(m.when)).map((m) => m.tag);
  if (pending.length > 0) {
    return { ready: false, reason: `migrations pending: ${pending.join(", ")}` };
  }
  return { ready: true };
}

class MigrationsTableMissing extends Error {}

async function appliedMigrations(deps: Pick<Deps, "db">): Promise<Set<number>> {
  const table = rowsOf<{ present: boolean }>(
    await deps.db.execute(
      sql`SELECT to_regclass('drizzle.__drizzle_migrations') IS NOT NULL AS present`,
    ),
  );
  if (!table[0]?.present) throw new MigrationsTableMissing();
  const rows = rowsOf<{ created_at: string | number }>(
    await deps.db.execute(sql`SELECT created_at FROM drizzle.__drizzle_migrations`),
  );
  return new Set(rows.map((r) => Number(r.created_at)));
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Liveness (`/healthz`: the process is up and serving) and readiness
 * (`/readyz`: 200 when the database answers and its migrations are current,
 * else 503 with a reason), for load balancers and orchestrators. Neither needs
 * a session, and neither is cached.
 */
export async function healthRoutes(app: FastifyInstance, deps: Deps) {
  const expected = expectedMigrations();
  // Probes come every few seconds: their requests are not logged (failures still are).
  app.get("/healthz", { logLevel: "warn" }, async (_req, reply) => {
    reply.header("cache-control", "no-store");
    return { status: "ok" };
  });
  app.get("/readyz", { logLevel: "warn" }, async (_req, reply) => {
    reply.header("cache-control", "no-store");
    const readiness = await checkReadiness(deps, expected);
    if (readiness.ready) return { status: "ready" };
    return reply.code(503).send({ status: "unavailable", reason: readiness.reason });
  });
}
