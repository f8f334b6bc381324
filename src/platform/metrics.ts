import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { Deps } from "../deps.ts";
import { Forbidden } from "../lib/errors.ts";

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

// Seconds; from a cached page (~1 ms) to a slow upload or a stalled database.
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** What counts the outbox's pending messages; the email feature provides it. */
export type OutboxCounter = (deps: Deps) => Promise<number>;

/** The peer is this machine, and no proxy says it forwarded the request for someone else. */
function isLocalUnproxied(req: FastifyRequest): boolean {
  const peer = req.socket.remoteAddress ?? "";
  const loopback = peer === "::1" || peer.startsWith("127.") || peer.startsWith("::ffff:127.");
  return loopback && !req.headers["x-forwarded-for"] && !req.headers.forwarded;
}

function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * Who may read /metrics (it reveals route names, traffic volume and pool use):
 * with METRICS_TOKEN set, only a request carrying `Authorization: Bearer <token>`,
 * from anywhere; without it, only a request from loopback that no proxy forwarded
 * (a reverse proxy on the same machine connects from loopback too, and adds
 * X-Forwarded-For or Forwarded).
 */
export function mayReadMetrics(req: FastifyRequest, token: string | undefined): boolean {
  if (token) {
    const header = req.headers.authorization ?? "";
    return header.startsWith("Bearer ") && sameSecret(header.slice("Bearer ".length), token);
  }
  return isLocalUnproxied(req);
}

/** The node-postgres pool behind the database handle, or undefined for PGlite. */
function poolOf(
  db: Deps["db"],
): { totalCount: number; idleCount: number; waitingCount: number } | undefined {
  const client = (db as unknown as { $client?: Record<string, unknown> }).$client;
  return client && typeof client.totalCount === "number"
    ? (client as { totalCount: number; idleCount: number; waitingCount: number })
    : undefined;
}

export interface MetricsOptions {
  /** Counts pending outbox messages (the email feature's `countPendingOutbox`); no gauge without it. */
  outboxCounter?: OutboxCounter | undefined;
}

/**
 * Prometheus metrics at `GET /metrics`: requests and their latency per route
 * pattern (never the raw URL, so no ids in labels) and status class, the
 * database pool, the outbox depth, and Node's process metrics. Each app has
 * its own registry, so many apps in one process (tests) do not collide.
 */
export const metricsPlugin = fp(
  async (app: FastifyInstance, deps: Deps & MetricsOptions) => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });

    const labelNames = ["method", "route", "status_class"] as const;
    const requests = new Counter({
      name: "tessera_http_requests_total",
      help: "HTTP requests answered, by route pattern, method and status class.",
      labelNames,
      registers: [registry],
    });
    const latency = new Histogram({
      name: "tessera_http_request_duration_seconds",
      help: "Time from request received to response sent, by route pattern, method and status class.",
      labelNames,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    });

    app.addHook("onResponse", async (req, reply) => {
      const labels = {
        method: METHODS.has(req.method) ? req.method : "OTHER",
        // The pattern (`/tickets/:id`); requests no route matched share one label.
        route: req.routeOptions.url ?? "(unmatched)",
        status_class: `${Math.floor(reply.statusCode / 100)}xx`,
      };
      requests.inc(labels);
      latency.observe(labels, reply.elapsedTime / 1000);
    });

    const pool = poolOf(deps.db);
    new Gauge({
      name: "tessera_database_info",
      help: "The database this node uses: kind is pglite (embedded) or postgres.",
      labelNames: ["kind"],
      registers: [registry],
      collect() {
        this.set({ kind: pool ? "postgres" : "pglite" }, 1);
      },
    });
    if (pool) {
      new Gauge({
        name: "tessera_database_pool_connections",
        help: "node-postgres pool connections: total open, idle, and requests waiting for one.",
        labelNames: ["state"],
        registers: [registry],
        collect() {
          this.set({ state: "total" }, pool.totalCount);
          this.set({ state: "idle" }, pool.idleCount);
          this.set({ state: "waiting" }, pool.waitingCount);
        },
      });
    }

    const countOutbox = deps.outboxCounter;
    if (countOutbox) {
      new Gauge({
        name: "tessera_outbox_pending",
        help: "Outgoing messages waiting in the outbox.",
        registers: [registry],
        async collect() {
          try {
            this.set(await countOutbox(deps));
          } catch (error) {
            // A database hiccup must not fail the whole scrape; the gauge keeps its last value.
            deps.log.warn({ err: error }, "metrics: could not count the outbox");
          }
        },
      });
    }

    app.get("/metrics", { logLevel: "warn" }, async (req, reply) => {
      if (!mayReadMetrics(req, deps.config.metricsToken)) {
        throw new Forbidden(
          "Metrics are served only to this machine, or with the METRICS_TOKEN bearer token.",
          "error.metricsOnly",
        );
      }
      reply.header("content-type", registry.contentType).header("cache-control", "no-store");
      return registry.metrics();
    });
  },
  { name: "tessera-metrics" },
);
