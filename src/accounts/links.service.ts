import type { Executor } from "../db/client.ts";
import { hashToken, newToken, safeEqual } from "../lib/tokens.ts";
import * as repo from "./links.repo.ts";

/**
 * Single-use links sent by mail: password reset and sign-up confirmation (and,
 * kept in a cookie rather than mailed, the second step of a two-factor sign-in).
 * The secret (32 random bytes) travels only in the mail; the database keeps
 * its SHA-256. A link is bound to its purpose and to an account or address,
 * expires, and is used at most once: marking it used is the same statement
 * that finds it (`UPDATE ... WHERE used_at IS NULL AND expires_at > now()
 * RETURNING`), so two requests racing with one link cannot both succeed.
 */

export type LinkPurpose = repo.LinkPurpose;
export type Link = repo.LinkRow;

/** How long each kind of link lives. */
export const LINK_LIFETIME_MS: Record<LinkPurpose, number> = {
  password_reset: 3600_000,
  signup_confirm: 24 * 3600_000,
  // Never mailed: the cookie between a correct password and the code (two-factor.service.ts).
  sign_in_second_step: 5 * 60_000,
};

// newToken(): 32 bytes in base64url, 43 characters. Anything else is refused unread.
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** Issues a link in the caller's transaction; returns the secret to put in the mail. */
export async function issueLink(
  db: Executor,
  input: {
    purpose: LinkPurpose;
    email: string;
    userId?: number | null | undefined;
    payload?: Link["payload"] | undefined;
  },
): Promise<string> {
  const token = newToken();
  await repo.insertLink(db, {
    tokenHash: hashToken(token),
    purpose: input.purpose,
    userId: input.userId ?? null,
    email: input.email,
    payload: input.payload ?? null,
    expiresAt: new Date(Date.now() + LINK_LIFETIME_MS[input.purpose]),
  });
  return token;
}

function hashOf(token: unknown): string | undefined {
  return typeof token === "string" && TOKEN_SHAPE.test(token) ? hashToken(token) : undefined;
}

/** The live link for `token` and `purpose`, without using it (to show the form it leads to). */
export async function peekLink(
  db: Executor,
  token: unknown,
  purpose: LinkPurpose,
): Promise<Link | undefined> {
  const hash = hashOf(token);
  if (!hash) return undefined;
  const row = await repo.findLiveLink(db, hash, purpose);
  // Found by hash; compared again in constant time all the same.
  return row && safeEqual(row.tokenHash, hash) ? row : undefined;
}

/**
 * Uses the link: returns it once, and never again (nor after it expired, for
 * another purpose, or — with `userId` — for another account). Run it in the
 * transaction of what the link does, so a failure leaves the link unused.
 */
export async function useLink(
  db: Executor,
  token: unknown,
  expect: { purpose: LinkPurpose; userId?: number | undefined },
): Promise<Link | undefined> {
  const hash = hashOf(token);
  if (!hash) return undefined;
  const row = await repo.useLink(db, hash, expect.purpose, expect.userId);
  return row && safeEqual(row.tokenHash, hash) ? row : undefined;
}

/** Voids the account's unused links of one purpose. */
export async function voidLinks(db: Executor, userId: number, purpose: LinkPurpose) {
  await repo.voidUserLinks(db, userId, purpose);
}

/** Deletes links that expired or were used over a day ago. */
export async function pruneLinks(db: Executor): Promise<void> {
  await repo.deleteOldLinks(db, new Date(Date.now() - 24 * 3600_000));
}
