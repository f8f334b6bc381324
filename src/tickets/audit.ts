import type { ticketEvents } from "../db/schema/index.ts";
import type { DomainEvent, FieldChanges } from "../events/events.ts";

type AuditRow = typeof ticketEvents.$inferInsert;

// The audit trail's names for the fields a write may change.
const AUDIT_KIND: Record<keyof FieldChanges, string> = {
  status: "status",
  priority: "priority",
  assigneeId: "assignee",
  teamId: "team",
};

function text(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

/**
 * The audit trail rows for recorded events: the permanent record is written
 * from the same events the reactions see. `ticket.status_changed` and
 * `ticket.assigned` repeat what `ticket.updated` says, so they add no row.
 */
export function auditRows(events: readonly DomainEvent[]): AuditRow[] {
  return events.flatMap((event): AuditRow[] => {
    const base = { ticketId: event.ticket.id, actorId: event.actor.id };
    switch (event.type) {
      case "ticket.created":
        return [
          { ...base, kind: "created", toValue: event.ticket.status },
          ...(event.ticket.followUpOf
            ? [{ ...base, kind: "follow_up", fromValue: String(event.ticket.followUpOf) }]
            : []),
        ];
      case "ticket.updated":
        return Object.entries(event.changes).map(([field, change]) => ({
          ...base,
          kind: AUDIT_KIND[field as keyof FieldChanges],
          fromValue: text(change.from),
          toValue: text(change.to),
        }));
      case "rule.fired":
        return [
          { ...base, kind: "rule", fromValue: String(event.rule.id), toValue: event.rule.name },
        ];
      default:
        return [];
    }
  });
}
