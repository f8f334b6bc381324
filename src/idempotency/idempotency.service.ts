import { createHash } from "node:crypto";
import type { Tx } from "../db/client.ts";
import type { Deps } from "../deps.ts";
import { AppError, Invalid } from "../lib/errors.ts";
import * as repo from "./idempotency.repo.ts";

/** How long a key's first response is kept and replayed. */
export const IDEMPOTENCY_TTL_MS = 24 * 3600_000;
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** The same key was sent with a different request. */
export class IdempotencyMismatch extends AppError {
  readonly status = 422;
  constructor() {
    super(
      "idempotency_key_reused",
      "This Idempotency-Key was already used with a different request; use a new key for a new request.",
      "error.idempotencyKeyReused",
    );
  }
}

export interface StoredResponse {
  status: number;
  body: unknown;
}

/** A stable fingerprint of a request: the same JSON in any key order gives the same one. */
export function fingerprint(method: string, route: string, body: unknown): string {
  return createHash("sha256")
    .update(`${method} ${route}\n${JSON.stringify(canonical(body))}`)
    .digest("hex");
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/**
 * Runs `work` at most once per (user, key) within 24 hours. The claim, the
 * work and its stored response share one transaction: a failure leaves no
 * claim behind (a retry runs again), and two identical requests at the same
 * moment serialise on the key, the second getting the first's response.
 */
export async function once(
  deps: Deps,
  request: { userId: number; key: string; fingerprint: string },
  work: (tx: Tx) => Promise<StoredResponse>,
): Promise<StoredResponse & { replayed: boolean }> {
  if (!KEY_PATTERN.test(request.key)) {
    throw Invalid.field(
      "Idempotency-Key",
      "must be 1 to 255 visible ASCII characters",
      "error.field.idempotencyKey",
    );
  }
  return deps.db.transaction(async (tx) => {
    if (await repo.claimKey(tx, request, IDEMPOTENCY_TTL_MS)) {
      const response = await work(tx);
      await repo.saveResponse(tx, request.userId, request.key, response);
      return { ...response, replayed: false };
    }
    const stored = await repo.findKey(tx, request.userId, request.key);
    if (!stored) throw new Error("idempotency key neither claimed nor found");
    if (stored.fingerprint !== request.fingerprint) throw new IdempotencyMismatch();
    return { status: stored.status, body: stored.body, replayed: true };
  });
}

/** Forgets keys older than 24 hours; returns how many. */
export async function pruneExpiredKeys(deps: Deps): Promise<number> {
  return repo.deleteExpired(deps.db, IDEMPOTENCY_TTL_MS);
}

/**
 * Creates something for an API `POST`: directly when the request carries no
 * `Idempotency-Key`, otherwise at most once per key (see `once`). `create`
 * gets the transaction to run in when there is one. Always a 201 answer.
 */
export async function createOnce(
  deps: Deps,
  request: { userId: number; key: string | undefined; route: string; body: unknown },
  create: (tx?: Tx) => Promise<unknown>,
): Promise<{ body: unknown; replayed: boolean }> {
  if (request.key === undefined) return { body: await create(), replayed: false };
  const result = await once(
    deps,
    {
      userId: request.userId,
      key: request.key,
      fingerprint: fingerprint("POST", request.route, request.body),
    },
    async (tx) => ({ status: 201, body: await create(tx) }),
  );
  return { body: result.body, replayed: result.replayed };
}
