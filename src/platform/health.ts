import type { FastifyInstance } from "fastify";
import type { Deps } from "../deps.ts";

/** Liveness: the process is up and serving. */
export async function healthRoutes(app: FastifyInstance, _deps: Deps) {
  app.get("/healthz", async () => ({ status: "ok" }));
}
