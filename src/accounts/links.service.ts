import type { Executor } from "../db/client.ts";
import { hashToken, newToken, safeEqual } from "../lib/tokens.ts";
import * as repo from "./links.repo.ts";

/**
 * Links sent by mail: password reset, sign-up confirmation, and the ticket
 * link of a notification (and, kept in a cookie rather than mailed, the second
 * step of a two-factor sign-in). The secret (32 random bytes) travels only in
 * the mail; the database keeps its SHA-256. A link is bound to its purpose and
 * to an account or address (a ticket link also to its ticket), expires, and is
 * used at most once: marking it used is the same statement that finds it
 * (`UPDATE ... WHERE used_at IS NULL AND expires_at > now() RETURNING`), so
 * two requests racing with one link cannot both succeed. Showing what a link
 * leads to (`peekLink`) does not use it: a ticket link that only opens the
 * ticket is read that way until it expires; one that sets a password is used.
 */

export type LinkPurpose = repo.LinkPurpose;
export type Link = repo.LinkRow;

/** How long each kind of link lives. */
export const LINK_LIFETIME_MS: Record<LinkPurpose, number> = {
  password_reset: 3600_000,
  signup_confirm: 24 * 3600_000,
  // Never mailed: the cookie between a correct password and the code (two-factor.service.ts).
  sign_in_second_step: 5 * 60_000,
  // Notification mail is read late, and a conversation runs for weeks; every
  // later notification brings a fresh link, so only a ticket gone quiet for a
  // month needs a sign-in. It bounds how long a forwarded mail opens the ticket.
  ticket_access: 30 * 24 * 3600_000,
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
  await repo.insertLinks(db, [
    {
      tokenHash: hashToken(token),
      purpose: input.purpose,
      userId: input.userId ?? null,
      email: input.email,
      payload: input.payload ?? null,
      expiresAt: new Date(Date.now() + LINK_LIFETIME_MS[input.purpose]),
    },
  ]);
  return token;
}

/**
 * Issues ticket links (`ticket_access`), one per entry, in one statement in
 * the caller's transaction (the notification's); returns their secrets in order.
 */
export async function issueTicketLinks(
  db: Executor,
  input: { userId: number; email: string; ticketId: number }[],
): Promise<string[]> {
  const tokens = input.map(() => newToken());
  const expiresAt = new Date(Date.now() + LINK_LIFETIME_MS.ticket_access);
  await repo.insertLinks(
    db,
    input.map((link, i) => ({
      tokenHash: hashToken(tokens[i] as string),
      purpose: "ticket_access" as const,
      userId: link.userId,
      ticketId: link.ticketId,
      email: link.email,
      expiresAt,
    })),
  );
  return tokens;
}

function hashOf(token: unknown): string | undefined {
  return typeof token === "string" && TOKEN_SHAPE.test(token) ? hashToken(token) : undefined;
}

/**
 * The live link for `token` and `purpose` (and, when given, the ticket it
 * must be for), without using it: to show the form it leads to, or to open a
 * ticket, which changes nothing.
 */
export async function peekLink(
  db: Executor,
  token: unknown,
  purpose: LinkPurpose,
  expect: { ticketId?: number | undefined } = {},
): Promise<Link | undefined> {
  const hash = hashOf(token);
  if (!hash) return undefined;
  const row = await repo.findLiveLink(db, hash, purpose, expect);
  // Found by hash; compared again in constant time all the same.
  return row && safeEqual(row.tokenHash, hash) ? row : undefined;
}

/**
 * Uses the link: returns it once, and never again (nor after it expired, for
 * another purpose, or — with `userId` or `ticketId` — for another account or
 * ticket). Run it in the transaction of what the link does, so a failure
 * leaves the link unused.
 */
export async function useLink(
  db: Executor,
  token: unknown,
  expect: {
    purpose: LinkPurpose;
    userId?: number | undefined;
    ticketId?: number | undefined;
  },
): Promise<Link | undefined> {
  const hash = hashOf(token);
  if (!hash) return undefined;
  const { purpose, ...binding } = expect;
  const row = await repo.useLink(db, hash, purpose, binding);
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
