import Type, { type Static } from "typebox";
import { MAX_ID } from "../lib/ids.ts";
import { Email, Text } from "../lib/validate.ts";
import { PRIORITIES, STATUSES } from "./lifecycle.ts";

export const TITLE_MAX = 200;
/** 64 KiB of text is a long letter; larger content belongs in an attachment. */
export const CONTENT_MAX = 65_536;
export const MAX_FILES = 10;
/** Longest search text: a few sentences is plenty, and it bounds the query's work. */
export const SEARCH_MAX = 200;

export const PrioritySchema = Type.Enum([...PRIORITIES]);
export const StatusSchema = Type.Enum([...STATUSES]);

export const CreateTicketInput = Type.Object(
  {
    title: Text({ min: 1, max: TITLE_MAX }),
    description: Text({ min: 1, max: CONTENT_MAX }),
    priority: Type.Optional(PrioritySchema),
    /** Staff only: open the ticket for this customer (created if missing). */
    requesterEmail: Type.Optional(Email),
    /** The team (customers: a team offered as a category on the new-ticket form). */
    teamId: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: MAX_ID }), Type.Null()])),
  },
  { additionalProperties: false },
);
export type CreateTicketInput = Static<typeof CreateTicketInput>;

export const ReplyInput = Type.Object(
  {
    content: Text({ min: 1, max: CONTENT_MAX }),
    internal: Type.Optional(Type.Boolean()),
    /** Staff only: set the ticket pending, waiting on the customer. */
    waitOnCustomer: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type ReplyInput = Static<typeof ReplyInput>;

export const UpdateTicketInput = Type.Object(
  {
    status: Type.Optional(StatusSchema),
    priority: Type.Optional(PrioritySchema),
    assigneeId: Type.Optional(
      Type.Union([Type.Integer({ minimum: 1, maximum: MAX_ID }), Type.Null()]),
    ),
    /** Staff only: the ticket's team, or null for none. */
    teamId: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: MAX_ID }), Type.Null()])),
  },
  { additionalProperties: false },
);
export type UpdateTicketInput = Static<typeof UpdateTicketInput>;

export const SORTS = [
  "-updatedAt",
  "updatedAt",
  "-createdAt",
  "createdAt",
  "-priority",
  "priority",
] as const;
export type Sort = (typeof SORTS)[number];

// --- the API's shapes ---

const Id = Type.Integer({ minimum: 1 });
const Instant = Type.String({ format: "date-time" });

export const TicketJson = Type.Object(
  {
    id: Id,
    title: Type.String(),
    description: Type.String(),
    status: StatusSchema,
    priority: PrioritySchema,
    requesterId: Id,
    assigneeId: Type.Union([Id, Type.Null()]),
    teamId: Type.Union([Id, Type.Null()]),
    createdAt: Instant,
    updatedAt: Instant,
  },
  { $id: "Ticket" },
);
export type TicketJson = Static<typeof TicketJson>;

export const MessageJson = Type.Object(
  {
    id: Id,
    ticketId: Id,
    authorId: Id,
    content: Type.String(),
    internal: Type.Boolean(),
    createdAt: Instant,
  },
  { $id: "Message" },
);

export const EventJson = Type.Object(
  {
    id: Id,
    ticketId: Id,
    actorId: Type.Union([Id, Type.Null()]),
    kind: Type.String({
      description:
        "created | status | priority | assignee | team | auto_assigned | follow_up | rule",
    }),
    from: Type.Union([Type.String(), Type.Null()]),
    to: Type.Union([Type.String(), Type.Null()]),
    createdAt: Instant,
  },
  { $id: "TicketEvent" },
);

export const TicketListQuery = Type.Object(
  {
    status: Type.Optional(
      Type.String({
        pattern: "^(new|open|pending|solved|closed)(,(new|open|pending|solved|closed))*$",
        description: "One status, or several separated by commas",
      }),
    ),
    priority: Type.Optional(PrioritySchema),
    assigneeId: Type.Optional(
      Type.String({ pattern: "^([1-9][0-9]{0,9}|me|none)$", description: "A user id, me or none" }),
    ),
    requesterId: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_ID })),
    teamId: Type.Optional(
      Type.String({
        pattern: "^([1-9][0-9]{0,9}|mine|none)$",
        description: "A team id, mine (the caller's teams) or none (no team)",
      }),
    ),
    q: Type.Optional(
      Type.String({
        maxLength: 200,
        description: 'Words in titles or messages ("phrase", -word, or)',
      }),
    ),
    sort: Type.Optional(Type.Enum([...SORTS])),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 25 })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
  },
  { additionalProperties: false },
);
export type TicketListQuery = Static<typeof TicketListQuery>;
