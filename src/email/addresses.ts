import { createHmac, randomUUID } from "node:crypto";
import type { Config } from "../config.ts";
import { MAX_ID } from "../lib/ids.ts";
import { safeEqual } from "../lib/tokens.ts";

/**
 * Support addresses: the reply address that carries a ticket's token, our
 * Message-IDs, and which recipients the inbound listener accepts.
 */

// 96 bits of HMAC: unguessable, and short enough that support+<id>-<token>@ fits 64 characters.
const TOKEN_HEX = 24;

function splitAddress(address: string): { local: string; domain: string } {
  const at = address.lastIndexOf("@");
  return { local: address.slice(0, at).toLowerCase(), domain: address.slice(at + 1).toLowerCase() };
}

/** The domain our Message-IDs and reply addresses live in (MAIL_FROM's). */
export function mailDomain(config: Config): string {
  return splitAddress(config.mailFrom).domain;
}

function replyToken(secret: string, ticketId: number): string {
  return createHmac("sha256", secret).update(`reply:${ticketId}`).digest("hex").slice(0, TOKEN_HEX);
}

/**
 * `support+<ticket>-<token>@domain`: the token is an HMAC of the ticket id under
 * a secret generated per instance, so it cannot be guessed from the ticket
 * number and nothing needs storing to check it.
 */
export function replyAddress(config: Config, secret: string, ticketId: number): string {
  const { local, domain } = splitAddress(config.mailFrom);
  return `${local}+${ticketId}-${replyToken(secret, ticketId)}@${domain}`;
}

/** The ticket a reply address names, when its token is right; undefined otherwise. */
export function ticketFromReplyAddress(secret: string, address: string): number | undefined {
  const { local } = splitAddress(address);
  const match = /\+(\d{1,10})-([0-9a-f]+)$/.exec(local);
  if (!match?.[1] || !match[2]) return undefined;
  const ticketId = Number(match[1]);
  if (!Number.isSafeInteger(ticketId) || ticketId < 1 || ticketId > MAX_ID) return undefined;
  return safeEqual(match[2], replyToken(secret, ticketId)) ? ticketId : undefined;
}

/** A new Message-ID (without angle brackets), unique per outgoing mail. */
export function newMessageId(config: Config): string {
  return `tessera.${randomUUID()}@${mailDomain(config)}`;
}

/** The References root every mail about one ticket shares, so clients keep them in one thread. */
export function ticketThreadId(config: Config, ticketId: number): string {
  return `tessera.ticket.${ticketId}@${mailDomain(config)}`;
}

/**
 * Whether the listener takes mail for `address`: an INBOUND_SMTP_DOMAINS entry
 * that is a domain accepts any address there; one that is an address accepts
 * it and its +tags.
 */
export function acceptsRecipient(config: Config, address: string): boolean {
  if (!address.includes("@")) return false;
  const { local, domain } = splitAddress(address);
  const base = local.split("+")[0] ?? local;
  return config.inboundSmtpDomains.some((entry) =>
    entry.includes("@") ? entry === `${base}@${domain}` : entry === domain,
  );
}
