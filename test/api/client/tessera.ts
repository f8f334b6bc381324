// A Tessera API client made from the OpenAPI document alone: `paths` is what
// openapi-typescript generated from GET /api/v1/openapi.json, openapi-fetch
// does the calls. Nothing here imports Tessera's own code.
import createClient, { type Client } from "openapi-fetch";
import type { components, paths } from "./generated/tessera.ts";

export type Ticket = components["schemas"]["Ticket"];
export type Problem = components["schemas"]["Problem"];
/** Every media type the document lists: JSON, and multipart/form-data where files may be sent. */
export type Tessera = Client<paths>;

/** A client that sends `token` on every call; `baseUrl` is the instance's origin. */
export function tessera(baseUrl: string, token: string): Tessera {
  return createClient<paths>({ baseUrl, headers: { authorization: `Bearer ${token}` } });
}

/** The value of a successful call, or an error naming the call, its status and problem. */
export function ok<T>(what: string, result: { data?: T; error?: unknown; response: Response }): T {
  if (result.data === undefined || !result.response.ok) {
    throw new Error(`${what}: ${result.response.status} ${JSON.stringify(result.error ?? null)}`);
  }
  return result.data;
}
