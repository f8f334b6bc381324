import type { Deps } from "../deps.ts";
import { parse } from "../lib/validate.ts";
import { joinByVerifiedAddress } from "../organisations/index.ts";
import * as settings from "../settings/settings.service.ts";
import * as repo from "./accounts.repo.ts";
import { ResetPasswordInput } from "./accounts.schemas.ts";
import type { Actor } from "./actor.ts";
import * as links from "./links.service.ts";
import { hashPassword } from "./passwords.ts";

/**
 * The ticket link in a customer's notification (acknowledgement, staff
 * reply): `/tickets/{id}/open?token=...`, bound to the account it was mailed
 * to, the ticket and its purpose (`ticket_access`), valid for 30 days
 * (`links.LINK_LIFETIME_MS`). What it does is an admin setting
 * (`ticketLinks`), read when it is followed:
 *
 * - `open`: a session that reaches this ticket alone (read it, reply to it;
 *   every other page asks for a full sign-in). Opening changes nothing about
 *   the account, so the link is not used up: it works again until it expires.
 * - `set_password`: an account without a password chooses one, which claims
 *   the account and signs in fully; this uses the link (once). An account
 *   that has a password is sent to sign in.
 *
 * The known risk is a forwarded mail: whoever holds it can open the ticket and
 * reply as the customer until the link expires (as they could already reply
 * by mail through its Reply-To address), or, with `set_password`, claim an
 * account that has no password yet. Setting or resetting a password voids the
 * account's ticket links, and the mail asks not to forward it.
 */

export type TicketLinkTarget =
  /** Unknown, expired, for another ticket or purpose, or its account can no longer use it. */
  | { kind: "dead" }
  /** Opens the ticket: `actor` is limited to it, and the session must end by `until`. */
  | { kind: "open"; actor: Actor; until: Date }
  /** The account has no password: the link asks for one. */
  | { kind: "set_password"; actor: Actor }
  /** The account has a password: sign in with it. */
  | { kind: "sign_in"; actor: Actor };

function toActor(row: repo.UserRow): Actor {
  return { id: row.id, email: row.email, name: row.name, role: row.role, away: row.away };
}

/** The account a live link may act for: active, still a customer, still at the mailed address. */
function usable(
  user: repo.UserRow | undefined,
  link: links.Link,
): user is repo.UserRow & { role: "customer" } {
  return (
    !!user &&
    !user.disabled &&
    user.role === "customer" &&
    user.email.toLowerCase() === link.email.toLowerCase()
  );
}

/**
 * Where the ticket link `token` for ticket `ticketId` leads now. Reads only:
 * a GET shows this (mail scanners open links), the POST acts on it.
 */
export async function followTicketLink(
  deps: Deps,
  ticketId: number,
  token: unknown,
): Promise<TicketLinkTarget> {
  const link = await links.peekLink(deps.db, token, "ticket_access", { ticketId });
  if (!link?.userId) return { kind: "dead" };
  const user = await repo.findUserById(deps.db, link.userId);
  if (!usable(user, link)) return { kind: "dead" };
  const { ticketLinks } = await settings.getInstanceSettings(deps.db);
  const actor = toActor(user);
  if (ticketLinks === "set_password") {
    return user.passwordHash === null
      ? { kind: "set_password", actor }
      : { kind: "sign_in", actor };
  }
  return { kind: "open", actor: { ...actor, onlyTicketId: ticketId }, until: link.expiresAt };
}

/**
 * Claims the account with a ticket link, when the setting asks for a
 * password: uses the link (once), sets the password, ends the account's
 * sessions and voids its other ticket links, in one transaction. Returns the
 * account (a full sign-in), or undefined when the link is dead, the setting
 * is `open`, or the account has a password by now (the link is used up all
 * the same). The password follows the rules of sign-up.
 */
export async function claimWithTicketLink(
  deps: Deps,
  ticketId: number,
  token: unknown,
  input: ResetPasswordInput,
): Promise<Actor | undefined> {
  const data = parse(ResetPasswordInput, input);
  if ((await settings.getInstanceSettings(deps.db)).ticketLinks !== "set_password")
    return undefined;
  const passwordHash = await hashPassword(data.password);
  return deps.db.transaction(async (tx) => {
    const link = await links.useLink(tx, token, { purpose: "ticket_access", ticketId });
    if (!link?.userId) return undefined;
    const user = await repo.findUserById(tx, link.userId);
    if (!usable(user, link) || user.passwordHash !== null) return undefined;
    const claimed = await repo.updateUser(tx, user.id, { passwordHash });
    await repo.deleteUserSessions(tx, user.id);
    await links.voidLinks(tx, user.id, "ticket_access");
    // The link was mailed to the address: proven, so its domain's organisation, if any.
    await joinByVerifiedAddress(tx, user);
    return claimed ? toActor(claimed) : undefined;
  });
}
