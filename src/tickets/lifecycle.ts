/**
 * The ticket lifecycle (DESIGN.md, section 4) as pure functions: every status
 * rule lives here, and tickets.service.ts asks before it changes anything.
 *
 *   new -> open -> pending (waiting on the customer) -> solved -> closed
 */

export const STATUSES = ["new", "open", "pending", "solved", "closed"] as const;
export type Status = (typeof STATUSES)[number];

export const PRIORITIES = ["low", "normal", "high", "urgent"] as const;
export type Priority = (typeof PRIORITIES)[number];

export type Side = "staff" | "requester";

/** Statuses that still need work from someone: shown in the open queues. */
export const ACTIVE_STATUSES: readonly Status[] = ["new", "open", "pending"];

/** `closed` is final: nobody edits a closed ticket or replies on it. */
export function isEditable(status: Status): boolean {
  return status !== "closed";
}

/**
 * The status after a reply is added, or the same status when nothing changes.
 * - internal notes never change the status;
 * - a staff public reply opens a new ticket, or sets it pending when the agent
 *   chose "reply and wait on the customer";
 * - a requester's reply on a pending or solved ticket opens it again.
 * Replies on closed tickets are refused before this is asked (see isEditable).
 */
export function statusAfterReply(
  current: Status,
  reply: { side: Side; internal: boolean; waitOnCustomer?: boolean },
): Status {
  if (current === "closed" || reply.internal) return current;
  if (reply.side === "staff") {
    if (reply.waitOnCustomer) return "pending";
    return current === "new" ? "open" : current;
  }
  return current === "pending" || current === "solved" ? "open" : current;
}

export type TransitionRefusal = "closed_is_final" | "not_allowed" | "cannot_return_to_new";

/**
 * Whether a status may be set explicitly (the status control, the API).
 * Staff may move a ticket to any status but `new` (which only a fresh ticket
 * has); the requester may only mark their own ticket solved. Setting the
 * current status again is allowed and changes nothing.
 */
export function checkTransition(
  from: Status,
  to: Status,
  side: Side,
): TransitionRefusal | undefined {
  if (from === to) return from === "closed" ? "closed_is_final" : undefined;
  if (from === "closed") return "closed_is_final";
  if (side === "requester") return to === "solved" ? undefined : "not_allowed";
  if (to === "new") return "cannot_return_to_new";
  return undefined;
}

export const REFUSAL_MESSAGES: Record<TransitionRefusal, string> = {
  closed_is_final: "This ticket is closed; reply to it to open a follow-up.",
  not_allowed: "You can only mark your own ticket as solved.",
  cannot_return_to_new: "A ticket cannot go back to new.",
};

/** The same refusals as catalog sentences, for pages (the API says REFUSAL_MESSAGES). */
export const REFUSAL_KEYS = {
  closed_is_final: "error.ticket.closedIsFinal",
  not_allowed: "error.ticket.onlySolved",
  cannot_return_to_new: "error.form.cannotReturnToNew",
} as const satisfies Record<TransitionRefusal, string>;
