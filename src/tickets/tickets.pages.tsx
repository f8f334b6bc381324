import type { FastifyInstance } from "fastify";
import type { Deps } from "../deps.ts";

/** PLACEHOLDER: being written in this session. */
export async function ticketsPages(_app: FastifyInstance, _deps: Deps) {}
