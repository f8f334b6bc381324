import { type Actor, findUserByEmail, isAdmin } from "../accounts/index.ts";
import type { Deps } from "../deps.ts";
import { Conflict, Forbidden, Invalid, NotFound } from "../lib/errors.ts";
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
    if (!user) throw Invalid.field("email", "has no account", "error.field.noAccount");
    if (user.disabled)
      throw Invalid.field("email", "belongs to a disabled account", "error.field.disabledAccount");
    userId = user.id;
  } else {
    userId = owner.id;
  }
  if ((await repo.countTokens(deps.db, userId)) >= TOKENS_PER_USER_MAX) {
    throw new Conflict(
      "too_many_tokens",
      `An account can hold at most ${TOKENS_PER_USER_MAX} tokens; revoke one you no longer use.`,
      "error.tokens.tooMany",
      { max: TOKENS_PER_USER_MAX },
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

/** The actor's own tokens, oldest first; an admin may ask for anyone's (`userId`). */
export async function listTokens(
  deps: Deps,
  actor: Actor,
  userId: number = actor.id,
): Promise<ApiToken[]> {
  if (userId !== actor.id && !isAdmin(actor))
    throw new Forbidden("Only admins see other people's tokens.", "error.onlyAdmins.seeTokens");
  return (await repo.listTokens(deps.db, userId)).map(toApiToken);
}

export interface OwnedToken extends ApiToken {
  owner: { id: number; name: string; email: string; disabled: boolean };
}

/** Every token on the instance with its owner (admins only): who can reach the API. */
export async function listAllTokens(deps: Deps, actor: Actor): Promise<OwnedToken[]> {
  if (!isAdmin(actor))
    throw new Forbidden("Only admins see other people's tokens.", "error.onlyAdmins.seeTokens");
  return (await repo.listAllTokens(deps.db)).map((r) => ({
    ...toApiToken(r.token),
    owner: r.owner,
  }));
}

/** One of the actor's own tokens; someone else's is NotFound. */
export async function getToken(deps: Deps, actor: Actor, id: number): Promise<ApiToken> {
  const row = await repo.findToken(deps.db, actor.id, id);
  if (!row) throw new NotFound("token", id);
  return toApiToken(row);
}

/**
 * Revokes a token at once: one of the actor's own, or with `anyOwner` (admins
 * only) anyone's. A token that is not theirs to revoke is NotFound.
 */
export async function revokeToken(
  deps: Deps,
  actor: Actor,
  id: number,
  options: { anyOwner?: boolean } = {},
): Promise<void> {
  if (options.anyOwner && !isAdmin(actor))
    throw new Forbidden(
      "Only admins revoke other people's tokens.",
      "error.onlyAdmins.revokeTokens",
    );
  const owner = options.anyOwner ? undefined : actor.id;
  if (!(await repo.deleteToken(deps.db, owner, id))) throw new NotFound("token", id);
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
