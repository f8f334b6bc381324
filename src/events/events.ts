import type { Actor, Role } from "../accounts/actor.ts";
import type { Priority, Status } from "../tickets/lifecycle.ts";

/**
 * The domain events: what happened to a ticket, recorded by the service that
 * did it inside its own transaction (DESIGN.md section 8). Every feature that
 * reacts to tickets (mail, rules, live pages, and later SLA, webhooks,
 * reports) reads these types; `tickets/` knows none of those features.
 *
 * One write may record several events: a customer's reply on a solved ticket
 * is `message.created`, then `ticket.updated` (status) and
 * `ticket.status_changed`. The audit trail (`ticket_events`) is written from
 * the same events (see tickets/audit.ts).
 */

export const CHANNELS = ["web", "email", "api"] as const;
export type Channel = (typeof CHANNELS)[number];

/** What another ticket is to this one: its parent, its child, or related (the links staff make). */
export const TICKET_RELATIONS = ["parent", "child", "related"] as const;
export type TicketRelation = (typeof TICKET_RELATIONS)[number];

/**
 * What another ticket is to this one by merging or splitting (src/tickets/merge.service.ts):
 * this ticket was merged into it, or it was merged into this one; this ticket was
 * split from a message of it, or it from a message of this one. Never made by hand.
 */
export const RECORDED_RELATIONS = [
  "merged_into",
  "merged_from",
  "split_from",
  "split_into",
] as const;

/** Every relation a ticket's links panel and the API show. */
export const LINK_RELATIONS = [...TICKET_RELATIONS, ...RECORDED_RELATIONS] as const;
export type LinkRelation = (typeof LINK_RELATIONS)[number];

/** Links made by merging and splitting: a record of what happened, never removed by hand. */
export function isRecorded(relation: LinkRelation): boolean {
  return (RECORDED_RELATIONS as readonly LinkRelation[]).includes(relation);
}

/** The ticket as it is after the change (search documents left out). */
export interface TicketSnapshot {
  readonly id: number;
  readonly title: string;
  readonly description: string;
  readonly status: Status;
  readonly priority: Priority;
  readonly channel: Channel;
  readonly requesterId: number;
  readonly assigneeId: number | null;
  readonly teamId: number | null;
  readonly followUpOf: number | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface MessageSnapshot {
  readonly id: number;
  readonly content: string;
  readonly internal: boolean;
  readonly authorId: number;
}

/** A field's value before and after one write. */
export interface Change<T> {
  readonly from: T;
  readonly to: T;
}

/** The fields a write may change; only those that changed are present. */
export interface FieldChanges {
  readonly status?: Change<Status>;
  readonly priority?: Change<Priority>;
  readonly assigneeId?: Change<number | null>;
  readonly teamId?: Change<number | null>;
}

/** Set on events recorded by a rule's actions: which rule, how deep in a chain of rules. */
export interface Cause {
  readonly ruleId: number;
  readonly ruleName: string;
  /** 1 for a rule reacting to a person's change, 2 for a rule reacting to that rule, ... */
  readonly depth: number;
}

/** Set on events recorded while a person applies a macro: which macro (its name at the time). */
export interface ViaMacro {
  readonly id: number;
  readonly name: string;
}

interface Base {
  readonly ticket: TicketSnapshot;
  /** Who did it: a person, or the automation account for a rule's action. */
  readonly actor: Actor;
  readonly cause?: Cause | undefined;
  /** The macro the actor applied to make this change (never on a rule's events). */
  readonly macro?: ViaMacro | undefined;
}

export type DomainEvent =
  | (Base & {
      readonly type: "ticket.created";
      /** The first message (the description). */
      readonly message: MessageSnapshot;
    })
  | (Base & { readonly type: "ticket.updated"; readonly changes: FieldChanges })
  | (Base & { readonly type: "ticket.status_changed"; readonly change: Change<Status> })
  | (Base & { readonly type: "ticket.assigned"; readonly change: Change<number | null> })
  | (Base & {
      readonly type: "message.created";
      readonly message: MessageSnapshot;
      /** The author's role: a reply by the requester is a customer reply even when they are staff. */
      readonly authorRole: Role;
      /** Whether the author is the ticket's requester. */
      readonly byRequester: boolean;
    })
  | (Base & {
      readonly type: "rule.fired";
      readonly rule: { readonly id: number; readonly name: string };
    })
  | (Base & {
      /** Staff applied a macro: its changes follow, each carrying it as `macro`. */
      readonly type: "macro.applied";
    })
  | (Base & {
      /** Someone gets copies of public replies now, or no longer. */
      readonly type: "ticket.cc_added" | "ticket.cc_removed";
      readonly address: string;
    })
  | (Base & {
      /**
       * Staff linked the ticket to another, or removed the link; recorded on
       * both tickets, each with the relation as seen from it.
       */
      readonly type: "ticket.linked" | "ticket.unlinked";
      readonly relation: TicketRelation;
      readonly otherId: number;
    })
  | (Base & {
      /**
       * Staff merged `source` into `target` (recorded on both: `ticket` is the
       * one this event is about, `side` which of the two it is): `source`'s
       * messages, attachments and CCs moved to `target`, and `source` is closed.
       */
      readonly type: "ticket.merged";
      readonly side: "source" | "target";
      readonly source: TicketSnapshot;
      readonly target: TicketSnapshot;
      /** How many messages moved. */
      readonly messages: number;
    })
  | (Base & {
      /**
       * Staff made a message of `source` a ticket of its own (`created`), recorded
       * on both; the new ticket also has its own `ticket.created`.
       */
      readonly type: "ticket.split";
      readonly side: "source" | "created";
      readonly otherId: number;
      readonly messageId: number;
    })
  | (Base & {
      /** Staff (or a rule) put a tag on the ticket, or took it off: internal, never the customer's. */
      readonly type: "ticket.tag_added" | "ticket.tag_removed";
      /** The tag's name at the time. */
      readonly tag: string;
    })
  | (Base & {
      /**
       * Staff (or the ticket's creation) set a custom field's value, changed or
       * unset it (src/fields). Values as text: a list of choices joined with ", ".
       */
      readonly type: "ticket.field_changed";
      /** The field's name (its key). */
      readonly field: string;
      /** Null: it was unset. */
      readonly from: string | null;
      /** Null: it is unset now. */
      readonly to: string | null;
      /** Whether customers see the field (webhooks and live pages may tell them). */
      readonly customerVisible: boolean;
    })
  | (Base & {
      /** Automatic mail to an address was not sent: over AUTO_REPLY_LIMIT_PER_HOUR (a mail loop?). */
      readonly type: "mail.auto_reply_suppressed";
      readonly address: string;
    });

export type EventType = DomainEvent["type"];
export type EventOf<T extends EventType> = Extract<DomainEvent, { type: T }>;

export const EVENT_TYPES: readonly EventType[] = [
  "ticket.created",
  "ticket.updated",
  "ticket.status_changed",
  "ticket.assigned",
  "message.created",
  "rule.fired",
  "ticket.cc_added",
  "ticket.cc_removed",
  "ticket.linked",
  "ticket.unlinked",
  "mail.auto_reply_suppressed",
  "ticket.tag_added",
  "ticket.tag_removed",
  "ticket.merged",
  "ticket.split",
  "macro.applied",
  "ticket.field_changed",
];

/**
 * What crosses to other nodes after commit (PostgreSQL NOTIFY): small, and
 * enough for a listener to decide who may see it and what to fetch again.
 * Never message text: a payload is limited to 8,000 bytes, and what a page
 * shows is read again through the services with the viewer's permissions.
 */
export interface CommittedEvent {
  readonly type: EventType;
  readonly ticketId: number;
  readonly requesterId: number;
  readonly actorId: number;
  readonly status: Status;
  readonly assigneeId: number | null;
  /** The ticket's team: live pages hide a restricted team's tickets from agents outside it. */
  readonly teamId?: number | null | undefined;
  /** message.created: the message id and whether it is an internal note. */
  readonly messageId?: number | undefined;
  readonly internal?: boolean | undefined;
  /** ticket.updated: which fields changed. */
  readonly fields?: readonly (keyof FieldChanges)[] | undefined;
}

export function toCommitted(event: DomainEvent): CommittedEvent {
  const base = {
    type: event.type,
    ticketId: event.ticket.id,
    requesterId: event.ticket.requesterId,
    actorId: event.actor.id,
    status: event.ticket.status,
    assigneeId: event.ticket.assigneeId,
    teamId: event.ticket.teamId,
  };
  switch (event.type) {
    case "message.created":
    case "ticket.created":
      return { ...base, messageId: event.message.id, internal: event.message.internal };
    case "ticket.updated":
      return { ...base, fields: Object.keys(event.changes) as (keyof FieldChanges)[] };
    default:
      return base;
  }
}
