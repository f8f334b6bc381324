/** Row ids are PostgreSQL `integer`s: 1 to 2^31 - 1. */
export const MAX_ID = 2_147_483_647;

/**
 * A row id from client input (URL segment, query or form field), or undefined
 * when it is not one: `abc`, `0`, `-1`, `1.5` and ids past the column's range
 * must become a 400 or 404, never a failed cast in the database.
 */
export function parseId(raw: unknown): number | undefined {
  if (typeof raw === "number")
    return Number.isInteger(raw) && raw >= 1 && raw <= MAX_ID ? raw : undefined;
  if (typeof raw !== "string" || !/^[1-9]\d{0,9}$/.test(raw)) return undefined;
  const id = Number(raw);
  return id <= MAX_ID ? id : undefined;
}
