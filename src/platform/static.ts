import path from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Our stylesheet and script at /static/, and htmx from its package, all from our own origin. */
export const staticPlugin = fp(async (app: FastifyInstance) => {
  await app.register(fastifyStatic, {
    root: path.join(ROOT, "static"),
    prefix: "/static/",
    maxAge: "1h",
    index: false,
  });
  await app.register(fastifyStatic, {
    root: path.join(ROOT, "node_modules/htmx.org/dist"),
    prefix: "/static/vendor/",
    decorateReply: false,
    maxAge: "1d",
    index: false,
    allowedPath: (pathName) => pathName === "/htmx.min.js",
  });
});
