import Type, { type Static } from "typebox";
import { Email, Text } from "../lib/validate.ts";
import { PRIORITIES, STATUSES } from "./lifecycle.ts";

export const TITLE_MAX = 200;
/** 64 KiB of text is a long letter; larger content belongs in an attachment. */
export const CONTENT_MAX = 65_536;
export const MAX_FILES = 10;

export const PrioritySchema = Type.Enum([...PRIORITIES]);
export const StatusSchema = Type.Enum([...STATUSES]);

export const CreateTicketInput = Type.Object(
  {
    title: Text({ min: 1, max: TITLE_MAX }),
    description: Text({ min: 1, max: CONTENT_MAX }),
    priority: Type.Optional(PrioritySchema),
    /** Staff only: open the ticket for this customer (created if missing). */
    requesterEmail: Type.Optional(Email),
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
    assigneeId: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
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
