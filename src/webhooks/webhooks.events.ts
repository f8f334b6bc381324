import type { DomainEvent, MessageSnapshot, TicketSnapshot } from "../events/events.ts";

/**
 * The event types an endpoint can subscribe to, and the JSON each delivers.
 * They are a public contract, so they are named and shaped here rather than
 * being the internal domain events (src/events/events.ts), which may change.
 * A new type (e.g. `rating.created`, once ratings record an event) is one
 * entry here and one case in `webhookEventsOf`.
 */
export const WEBHOOK_EVENT_TYPES = [
  "ticket.created",
  "ticket.updated",
  "ticket.solved",
  "message.created",
  "ticket.tags_changed",
  "ticket.field_changed",
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/**
 * What each type means, in the API's documentation (OpenAPI, webhooks.routes.ts),
 * which is English; pages take the words from the catalogs (`webhooks.event.*`).
 */
export const WEBHOOK_EVENT_DESCRIPTIONS: Record<WebhookEventType, string> = {
  "ticket.created": "A ticket was opened (with its first message).",
  "ticket.updated": "A ticket's status, priority, assignee or team changed (old and new values).",
  "ticket.solved": "A ticket was marked solved.",
  "message.created": "A reply or an internal note was added to a ticket.",
  "ticket.tags_changed":
    "A tag was put on a ticket or taken off (`added` or `removed`: the tag's name; tags are internal).",
  "ticket.field_changed":
    "A custom field's value was set, changed or cleared (`field`: its name; `from`, `to`: as text, null when unset).",
};

/** The domain events that become webhook events. */
export const SOURCE_EVENT_TYPES = [
  "ticket.created",
  "ticket.updated",
  "ticket.status_changed",
  "message.created",
  "ticket.tag_added",
  "ticket.tag_removed",
  "ticket.field_changed",
] as const;

export interface WebhookEvent {
  readonly type: WebhookEventType;
  readonly ticketId: number;
  readonly data: Record<string, unknown>;
}

function ticketJson(ticket: TicketSnapshot) {
  return {
    id: ticket.id,
    title: ticket.title,
    status: ticket.status,
    priority: ticket.priority,
    channel: ticket.channel,
    requesterId: ticket.requesterId,
    assigneeId: ticket.assigneeId,
    teamId: ticket.teamId,
    followUpOf: ticket.followUpOf,
    createdAt: ticket.createdAt.toISOString(),
    updatedAt: ticket.updatedAt.toISOString(),
  };
}

function messageJson(message: MessageSnapshot) {
  return {
    id: message.id,
    content: message.content,
    internal: message.internal,
    authorId: message.authorId,
  };
}

/** What one domain event delivers to endpoints (nothing for the kinds webhooks do not carry). */
export function webhookEventsOf(event: DomainEvent): WebhookEvent[] {
  const base = { ticketId: event.ticket.id };
  const actorId = event.actor.id;
  const ruleId = event.cause?.ruleId ?? null;
  switch (event.type) {
    case "ticket.created":
      return [
        {
          ...base,
          type: "ticket.created",
          data: {
            ticket: ticketJson(event.ticket),
            message: messageJson(event.message),
            actorId,
            ruleId,
          },
        },
      ];
    case "ticket.updated":
      return [
        {
          ...base,
          type: "ticket.updated",
          data: { ticket: ticketJson(event.ticket), changes: event.changes, actorId, ruleId },
        },
      ];
    case "ticket.status_changed":
      return event.change.to === "solved"
        ? [
            {
              ...base,
              type: "ticket.solved",
              data: { ticket: ticketJson(event.ticket), actorId, ruleId },
            },
          ]
        : [];
    case "message.created":
      return [
        {
          ...base,
          type: "message.created",
          data: {
            ticket: ticketJson(event.ticket),
            message: messageJson(event.message),
            authorRole: event.authorRole,
            actorId,
            ruleId,
          },
        },
      ];
    case "ticket.tag_added":
    case "ticket.tag_removed":
      return [
        {
          ...base,
          type: "ticket.tags_changed",
          data: {
            ticket: ticketJson(event.ticket),
            added: event.type === "ticket.tag_added" ? [event.tag] : [],
            removed: event.type === "ticket.tag_removed" ? [event.tag] : [],
            actorId,
            ruleId,
          },
        },
      ];
    case "ticket.field_changed":
      return [
        {
          ...base,
          type: "ticket.field_changed",
          data: {
            ticket: ticketJson(event.ticket),
            field: event.field,
            from: event.from,
            to: event.to,
            actorId,
            ruleId,
          },
        },
      ];
    default:
      return [];
  }
}

/** The JSON body of a delivery, as the Standard Webhooks payload structure recommends. */
export function deliveryBody(event: WebhookEvent, at: Date): string {
  return JSON.stringify({ type: event.type, timestamp: at.toISOString(), data: event.data });
}
