import { type Actor, findUserByEmail } from "../accounts/index.ts";
import type { Deps } from "../deps.ts";
import { Conflict, Invalid, NotFound } from "../lib/errors.ts";
import { hashToken, newToken, safeEqual } from "../lib/tokens.ts";
import { parse, trimFields } from "../lib/validate.ts";
import * as repo from "./tokens.repo.ts";
import { CreateTokenInput, TOKENS_PER_USER_MAX } from "./tokens.schemas.ts";

/** A token as its owner sees it: never the secret, which exists only at creation. */
export interface ApiToken {
  id: number;
  name: string;
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

/** Tokens start with this, so leaked ones are easy to recognise (and to scan for). */
export const TOKEN_PREFIX = "tsr_";
const SHOWN_PREFIX_LENGTH = TOKEN_PREFIX.length + 8;
// `last_used_at` is for people ("used today?"), so it is written at most this often per token.
const LAST_USED_RESOLUTION_MS = 60_000;

function toApiToken(row: repo.TokenRow): ApiToken {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
  };
}

/**
 * Creates a personal API token for the actor, or — from the command line
 * (`"system"`) — for the account with `email`. Returns the secret once; only
 * its SHA-256 is stored.
 */
export async function createToken(
  deps: Deps,
  owner: Actor | { system: true; email: string },
  input: CreateTokenInput,
): Promise<{ token: string; record: ApiToken }> {
  const data = parse(CreateTokenInput, trimFields(input, ["name"]));
  let userId: number;
  if ("system" in owner) {
    const user = await findUserByEmail(deps, "system", owner.email);
    if (!user) throw Invalid.field("email", "has no account");
    if (user.disabled) throw Invalid.field("email", "belongs to a disabled account");
    userId = user.id;
  } else {
    userId = owner.id;
  }
  if ((await repo.countTokens(deps.db, userId)) >= TOKENS_PER_USER_MAX) {
    throw new Conflict(
      "too_many_tokens",
      `An account can hold at most ${TOKENS_PER_USER_MAX} tokens; revoke one you no longer use.`,
    );
  }
  const token = `${TOKEN_PREFIX}${newToken()}`;
  const row = await repo.insertToken(deps.db, {
    userId,
    name: data.name,
    prefix: token.slice(0, SHOWN_PREFIX_LENGTH),
    tokenHash: hashToken(token),
  });
  return { token, record: toApiToken(row) };
}

/** The actor's own tokens, oldest first. */
export async function listTokens(deps: Deps, actor: Actor): Promise<ApiToken[]> {
  return (await repo.listTokens(deps.db, actor.id)).map(toApiToken);
}

/** One of the actor's own tokens; someone else's is NotFound. */
export async function getToken(deps: Deps, actor: Actor, id: number): Promise<ApiToken> {
  const row = await repo.findToken(deps.db, actor.id, id);
  if (!row) throw new NotFound("token", id);
  return toApiToken(row);
}

/** Revokes one of the actor's tokens at once; someone else's is NotFound. */
export async function revokeToken(deps: Deps, actor: Actor, id: number): Promise<void> {
  if (!(await repo.deleteToken(deps.db, actor.id, id))) throw new NotFound("token", id);
}

/**
 * Who a bearer token acts for, or undefined: unknown, revoked, malformed, or
 * its owner is disabled (so disabling a user stops their tokens at once).
 */
export async function resolveToken(deps: Deps, token: string): Promise<Actor | undefined> {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return undefined;
  const hash = hashToken(token);
  const found = await repo.findLiveToken(deps.db, hash);
  // The lookup is by hash; the comparison is repeated in constant time all the same.
  if (!found || !safeEqual(found.tokenHash, hash)) return undefined;
  const stale =
    !found.lastUsedAt || Date.now() - found.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS;
  if (stale) await repo.touchToken(deps.db, found.id);
  return found.user;
}
