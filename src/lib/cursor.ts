import { Invalid } from "./errors.ts";

/**
 * Opaque keyset cursors: the sort key and id of the last row of a page,
 * base64url-encoded JSON. Never an offset, so pages stay stable and fast.
 */
export function encodeCursor(values: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(values)).toString("base64url");
}

export function decodeCursor(cursor: string, field = "cursor"): (string | number)[] {
  try {
    const values: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (
      Array.isArray(values) &&
      values.length > 0 &&
      values.every((v) => typeof v === "string" || typeof v === "number")
    ) {
      return values;
    }
  } catch {
    // fall through
  }
  throw Invalid.field(field, "is not a cursor this server gave out", "error.field.notACursor");
}
