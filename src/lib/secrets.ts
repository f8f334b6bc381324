import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/**
 * Secrets kept in the database (mailbox passwords and tokens), sealed with
 * AES-256-GCM under a key from the environment (MAILBOX_SECRET_KEY): a random
 * 12-byte nonce per secret, and the tag that makes a wrong key or a changed
 * value fail to open instead of yielding garbage. Stored as
 * `v1.<nonce>.<tag>.<ciphertext>`, each part base64url.
 */

const VERSION = "v1";

/** Seals `plain` under `key` (32 bytes). */
export function sealSecret(key: Buffer, plain: string): string {
  const nonce = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
  return [VERSION, nonce, cipher.getAuthTag(), body]
    .map((p) => (typeof p === "string" ? p : p.toString("base64url")))
    .join(".");
}

/** Opens a sealed secret; undefined when `key` is not the one it was sealed with (or it was altered). */
export function openSecret(key: Buffer, sealed: string): string | undefined {
  const [version, nonce, tag, body] = sealed.split(".");
  if (version !== VERSION || nonce === undefined || tag === undefined || body === undefined) {
    return undefined;
  }
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(nonce, "base64url"));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([
      decipher.update(Buffer.from(body, "base64url")),
      decipher.final(),
    ]).toString("utf8");
  } catch {
    return undefined;
  }
}
