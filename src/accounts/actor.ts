export const ROLES = ["customer", "agent", "admin"] as const;
export type Role = (typeof ROLES)[number];

/** The signed-in person a request or command acts for. */
export interface Actor {
  readonly id: number;
  readonly email: string;
  readonly name: string;
  readonly role: Role;
  /** Staff marked away: automatic assignment skips them (src/assignment). */
  readonly away?: boolean | undefined;
  /** Their own language (a locale of src/i18n); undefined: negotiated per request. */
  readonly locale?: string | undefined;
  /** Their own IANA time zone; undefined: the instance's. */
  readonly timeZone?: string | undefined;
  /**
   * A session opened from a ticket link in a mail: this ticket is all it
   * reaches (`canSee` in tickets/access.ts; the auth plugin keeps such a
   * session off every other route). Undefined for a full sign-in.
   */
  readonly onlyTicketId?: number | undefined;
}

/** Agents and admins are staff: they work tickets. */
export function isStaff(actor: Pick<Actor, "role"> | undefined): boolean {
  return actor?.role === "agent" || actor?.role === "admin";
}

export function isAdmin(actor: Pick<Actor, "role"> | undefined): boolean {
  return actor?.role === "admin";
}
