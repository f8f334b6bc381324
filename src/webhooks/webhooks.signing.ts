import { createHmac, randomBytes } from "node:crypto";

/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com/, the
 * "Signature scheme" section): `v1,` + base64 HMAC-SHA256 over
 * `${id}.${timestamp}.${body}`, keyed with the base64 part of a `whsec_`
 * secret. Several signatures are sent space-separated (a rotated-out secret
 * signs alongside the new one); a receiver accepts a delivery when any matches.
 */

export const SECRET_PREFIX = "whsec_";

/** A new endpoint secret: 32 random bytes (the scheme asks for 24 to 64). */
export function newSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString("base64")}`;
}

/** The base64 signature of one delivery with one secret. */
export function sign(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.slice(SECRET_PREFIX.length), "base64");
  return createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64");
}

/** The `webhook-signature` header value: one `v1,<signature>` per secret. */
export function signatureHeader(
  secrets: readonly string[],
  id: string,
  timestamp: number,
  body: string,
): string {
  return secrets.map((secret) => `v1,${sign(secret, id, timestamp, body)}`).join(" ");
}
