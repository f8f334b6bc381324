import type { ticketEvents } from "../db/schema/index.ts";
import type { DomainEvent, FieldChanges } from "../events/events.ts";

/** Every kind of row in the audit trail (the API documents them as an enum). */
export const AUDIT_KINDS = [
  "created",
  "follow_up",
  "status",
  "priority",
  "assignee",
  "rule",
  "cc_added",
  "cc_removed",
  "auto_reply_suppressed",
  "team",
  "auto_assign",
  "linked",
  "unlinked",
  "tag_added",
  "tag_removed",
  "merged",
  "split",
  "macro",
  "field",
] as const;
export type AuditKind = (typeof AUDIT_KINDS)[number];

export type AuditRow = typeof ticketEvents.$inferInsert & { kind: AuditKind };

// The audit trail's names for the fields a write may change.
const AUDIT_KIND: Record<keyof FieldChanges, AuditKind> = {
  status: "status",
  priority: "priority",
  assigneeId: "assignee",
  teamId: "team",
};

function text(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

/** The audit trail rows for a write's field changes (what `ticket.updated` adds). */
export function changeRows(ticketId: number, actorId: number, changes: FieldChanges): AuditRow[] {
  return Object.entries(changes).map(([field, change]) => ({
    ticketId,
    actorId,
    kind: AUDIT_KIND[field as keyof FieldChanges],
    fromValue: text(change.from),
    toValue: text(change.to),
  }));
}

/**
 * The audit trail rows for recorded events: the permanent record is written
 * from the same events the reactions see. `ticket.status_changed` and
 * `ticket.assigned` repeat what `ticket.updated` says, so they add no row.
 */
export function auditRows(events: readonly DomainEvent[]): AuditRow[] {
  return events.flatMap((event): AuditRow[] =>
    eventRows(event).map((row) => (event.macro ? { ...row, viaMacro: event.macro.name } : row)),
  );
}

function eventRows(event: DomainEvent): AuditRow[] {
  const base = { ticketId: event.ticket.id, actorId: event.actor.id };
  switch (event.type) {
    case "ticket.created":
      return [
        { ...base, kind: "created", toValue: event.ticket.status },
        ...(event.ticket.followUpOf
          ? [{ ...base, kind: "follow_up" as const, fromValue: String(event.ticket.followUpOf) }]
          : []),
      ];
    case "ticket.updated":
      return changeRows(event.ticket.id, event.actor.id, event.changes);
    case "rule.fired":
      return [
        { ...base, kind: "rule", fromValue: String(event.rule.id), toValue: event.rule.name },
      ];
    case "ticket.cc_added":
      return [{ ...base, kind: "cc_added", toValue: event.address }];
    case "ticket.cc_removed":
      return [{ ...base, kind: "cc_removed", fromValue: event.address }];
    case "ticket.linked":
      return [
        { ...base, kind: "linked", fromValue: event.relation, toValue: String(event.otherId) },
      ];
    case "ticket.unlinked":
      return [
        { ...base, kind: "unlinked", fromValue: event.relation, toValue: String(event.otherId) },
      ];
    case "ticket.tag_added":
      return [{ ...base, kind: "tag_added", toValue: event.tag }];
    case "ticket.tag_removed":
      return [{ ...base, kind: "tag_removed", fromValue: event.tag }];
    case "macro.applied":
      return [
        {
          ...base,
          kind: "macro",
          fromValue: event.macro ? String(event.macro.id) : null,
          toValue: event.macro?.name ?? null,
        },
      ];
    case "ticket.merged":
      // from: "into" on the source (to: the target's id), "from" on the target (to: the source's).
      return event.side === "source"
        ? [{ ...base, kind: "merged", fromValue: "into", toValue: String(event.target.id) }]
        : [{ ...base, kind: "merged", fromValue: "from", toValue: String(event.source.id) }];
    case "ticket.split":
      // from: "into" on the ticket the message left (to: the new ticket), "from" on the new one.
      return [
        {
          ...base,
          kind: "split",
          fromValue: event.side === "source" ? "into" : "from",
          toValue: String(event.otherId),
        },
      ];
    case "ticket.field_changed":
      return [
        { ...base, kind: "field", field: event.field, fromValue: event.from, toValue: event.to },
      ];
    case "mail.auto_reply_suppressed":
      return [{ ...base, kind: "auto_reply_suppressed", toValue: event.address }];
    default:
      return [];
  }
}
