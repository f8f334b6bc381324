import Type, { type Static } from "typebox";
import { LINK_RELATIONS, TICKET_RELATIONS } from "../events/events.ts";
import { FieldValuesInput } from "../fields/index.ts";
import { MAX_ID } from "../lib/ids.ts";
import { Email, Text } from "../lib/validate.ts";
import { Nullable } from "../platform/api.schemas.ts";
import { AUDIT_KINDS } from "./audit.ts";
import { PRIORITIES, STATUSES } from "./lifecycle.ts";
import { SLA_KINDS, SLA_STATES } from "./sla.ts";

export const TITLE_MAX = 200;
/** 64 KiB of text is a long letter; larger content belongs in an attachment. */
export const CONTENT_MAX = 65_536;
export const MAX_FILES = 10;
/** Longest search text: a few sentences is plenty, and it bounds the query's work. */
export const SEARCH_MAX = 200;

/** An integration's id for a ticket: printable characters (no spaces at either end), at most this long. */
export const EXTERNAL_ID_MAX = 200;
export const ExternalId = Type.String({
  minLength: 1,
  maxLength: EXTERNAL_ID_MAX,
  pattern: "^[\\x21-\\x7e]([\\x20-\\x7e]*[\\x21-\\x7e])?$",
  description: `An integration's own id for the ticket: 1 to ${EXTERNAL_ID_MAX} printable ASCII characters, no spaces at either end; unique (409 when another ticket has it)`,
});

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
    teamId: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: MAX_ID }))),
    /** An integration's own id for the ticket, unique when set (API). */
    externalId: Type.Optional(ExternalId),
    /** Custom field values by name (customers: only the fields shown to them). */
    fields: Type.Optional(FieldValuesInput),
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
    assigneeId: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: MAX_ID }))),
    /** Staff only: the ticket's team, or null for none. */
    teamId: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: MAX_ID }))),
    /**
     * Staff: solve or close the ticket although child tickets are still open
     * (without it, that is refused with 409 so a person can be asked first).
     */
    solveWithOpenChildren: Type.Optional(Type.Boolean()),
    /** Staff only: an integration's own id for the ticket, unique when set; null clears it. */
    externalId: Type.Optional(Nullable(ExternalId)),
    /** Staff only: custom field values by name; null unsets one. */
    fields: Type.Optional(FieldValuesInput),
  },
  { additionalProperties: false },
);
export type UpdateTicketInput = Static<typeof UpdateTicketInput>;

/** At most this many CCs on one ticket: a reply goes out as one mail to each. */
export const MAX_CCS = 20;
export const CC_NAME_MAX = 200;

export const AddCcInput = Type.Object(
  {
    address: Email,
    name: Type.Optional(Text({ max: CC_NAME_MAX })),
  },
  { additionalProperties: false },
);
export type AddCcInput = Static<typeof AddCcInput>;

/** Links from one ticket to others: a parent, children, related tickets. */
export const MAX_RELATIONS = 50;

export const AddRelationInput = Type.Object(
  {
    /** What the other ticket is to this one. */
    relation: Type.Enum([...TICKET_RELATIONS]),
    ticketId: Type.Integer({ minimum: 1, maximum: MAX_ID }),
  },
  { additionalProperties: false },
);
export type AddRelationInput = Static<typeof AddRelationInput>;

export const MergeInput = Type.Object(
  {
    /** The ticket this one continues in. */
    targetId: Type.Integer({ minimum: 1, maximum: MAX_ID }),
    /** The two tickets have different requesters, and that is meant. */
    confirmDifferentRequester: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type MergeInput = Static<typeof MergeInput>;

export const SplitInput = Type.Object(
  {
    /** The new ticket's title; without one, the message's first line. */
    title: Type.Optional(Text({ max: TITLE_MAX })),
  },
  { additionalProperties: false },
);
export type SplitInput = Static<typeof SplitInput>;

export const SORTS = [
  "-updatedAt",
  "updatedAt",
  "-createdAt",
  "createdAt",
  "-priority",
  "priority",
  "dueAt",
  "relevance",
] as const;
export type Sort = (typeof SORTS)[number];

// --- the API's shapes ---

const Id = Type.Integer({ minimum: 1 });
const Instant = Type.String({ format: "date-time" });

export const SlaTargetJson = Type.Object(
  {
    kind: Type.Enum([...SLA_KINDS]),
    state: Type.Enum([...SLA_STATES], {
      description:
        "on_track | due_soon (the near-breach share of the target has elapsed) | breached | " +
        "paused (the ticket is pending or solved) | met | met_late (met after it was breached)",
    }),
    targetMinutes: Type.Integer({ minimum: 1, description: "In business minutes" }),
    dueAt: Nullable(Instant, { description: "Null while paused or met" }),
    metAt: Nullable(Instant),
    breachedAt: Nullable(Instant),
  },
  { $id: "SlaTarget" },
);
export type SlaTargetJson = Static<typeof SlaTargetJson>;

export const TicketJson = Type.Object(
  {
    id: Id,
    title: Type.String(),
    description: Type.String(),
    status: StatusSchema,
    priority: PrioritySchema,
    requesterId: Id,
    assigneeId: Nullable(Id),
    teamId: Nullable(Id),
    createdAt: Instant,
    updatedAt: Instant,
    version: Type.Integer({
      minimum: 1,
      description:
        "Counts the ticket's changes: a ticket that comes again in the change feed has a higher one",
    }),
    externalId: Nullable(Type.String(), {
      description: "An integration's own id for the ticket (unique when set)",
    }),
    tags: Type.Optional(
      Type.Array(Type.String(), {
        description: "Staff only: the ticket's tags, by name (customers never see tags)",
      }),
    ),
    fields: Type.Optional(
      Type.Record(
        Type.String(),
        Type.Union([
          Type.String(),
          Type.Number(),
          Type.Boolean(),
          Type.Null(),
          Type.Array(Type.String()),
        ]),
        {
          description:
            "Custom field values by name (GET /api/v1/fields): staff see every enabled field, customers " +
            "only those shown to them; unset is null (an unticked checkbox false)",
        },
      ),
    ),
    slaDueAt: Type.Optional(
      Nullable(Instant, {
        description:
          "Staff only: when the earliest running SLA target is due (null: no clock running). " +
          "Sort by it with sort=dueAt.",
      }),
    ),
    snippet: Type.Optional(
      Type.String({
        description:
          "In a list searched with words (q=): the newest matching message the caller may see, around the " +
          "words found, as HTML: the text escaped, each match in <mark>. Absent when only the title matched.",
      }),
    ),
    sla: Type.Optional(
      Type.Array(Type.Ref("SlaTarget"), {
        description:
          "Staff only, on GET /tickets/{id}: the current first-response, next-response and resolution targets.",
      }),
    ),
  },
  { $id: "Ticket" },
);
export type TicketJson = Static<typeof TicketJson>;

export const AttachmentJson = Type.Object(
  {
    id: Id,
    ticketId: Id,
    messageId: Nullable(Id),
    filename: Type.String({
      description: "As uploaded, cleaned (no path, control or bidi characters); untrusted text",
    }),
    contentType: Type.String({
      description:
        "As uploaded; downloads are served with it only for images, PDF and plain text, else as application/octet-stream",
    }),
    size: Type.Integer({ minimum: 0, description: "In bytes" }),
    createdAt: Instant,
  },
  {
    $id: "Attachment",
    description: "A file uploaded with a message; download it from GET /attachments/{id}",
  },
);
export type AttachmentJson = Static<typeof AttachmentJson>;

export const MessageJson = Type.Object(
  {
    id: Id,
    ticketId: Id,
    authorId: Id,
    content: Type.String(),
    internal: Type.Boolean(),
    createdAt: Instant,
    attachments: Type.Array(Type.Ref("Attachment")),
  },
  { $id: "Message" },
);

export const EventJson = Type.Object(
  {
    id: Id,
    ticketId: Id,
    actorId: Nullable(Id),
    kind: Type.Enum([...AUDIT_KINDS], {
      description:
        "created (from: null, to: first status), follow_up (from: the closed ticket's id), status, priority, assignee (from/to: old and new value), rule (from: rule id, to: its name), cc_added and cc_removed (to / from: the address), auto_reply_suppressed (to: the address), team (from/to: team ids), auto_assign (to: why), tag_added and tag_removed (to / from: the tag's name), merged (from: `into` on the closed source, to: the target's id; from: `from` on the target, to: the source's id), split (from: `into` on the ticket the message left, to: the new ticket's id; from: `from` on the new ticket, to: the old one's id), macro (from: macro id, to: its name), field (a custom field's value; from/to as text, null: unset)",
    }),
    field: Type.Optional(
      Type.String({ description: "For kind field: the custom field's name at the time" }),
    ),
    from: Nullable(Type.String()),
    to: Nullable(Type.String()),
    viaMacro: Nullable(
      Type.String({ description: "The macro this change was made through (its name then)" }),
    ),
    createdAt: Instant,
  },
  { $id: "TicketEvent" },
);

export const RelationJson = Type.Object(
  {
    id: Id,
    relation: Type.Enum([...LINK_RELATIONS], {
      description:
        "What the other ticket is to this one: `parent`, `child` and `related` are made by staff; " +
        "`merged_into` / `merged_from` by merging (this ticket was merged into it / it into this one), " +
        "`split_from` / `split_into` by splitting a message into a new ticket",
    }),
    ticket: Type.Object({ id: Id, title: Type.String(), status: StatusSchema }),
  },
  { $id: "TicketLink" },
);

export const CcJson = Type.Object(
  {
    address: Type.String(),
    name: Nullable(Type.String()),
    addedBy: Nullable(Id),
    addedAt: Instant,
  },
  { $id: "TicketCc" },
);
export type CcJson = Static<typeof CcJson>;

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
    organisationId: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_ID,
        description: "Staff: only tickets whose requester is a member of this organisation",
      }),
    ),
    teamId: Type.Optional(
      Type.String({
        pattern: "^([1-9][0-9]{0,9}|mine|none)$",
        description: "A team id, mine (the caller's teams) or none (no team)",
      }),
    ),
    q: Type.Optional(
      Type.String({
        maxLength: 200,
        description:
          'A search: words in titles or messages ("exact phrase", -word, -"phrase", or) and filters: ' +
          "status:open (or open,pending), priority:high, assignee:me|none|<email>, " +
          "requester:<email>|@domain, team:<name>|<id>|none|mine, tag:<name> (staff), " +
          "created:>2026-01-01 (also <, <=, >=, " +
          "or a day; days in UTC), updated:<7d (h, d, w: within; > for longer ago); -filter negates. " +
          "A query that cannot be read answers 400 with `errors[0].position`, the 1-based character where it goes wrong.",
      }),
    ),
    tag: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: "Staff only: tickets carrying this tag (its name, any case)",
      }),
    ),
    externalId: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: "The ticket with this external id (at most one)",
      }),
    ),
    sort: Type.Optional(Type.Enum([...SORTS])),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 25 })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
    updatedSince: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description:
          "The change feed: `0` for every ticket, `now` for changes from now on (it may also " +
          "give a few made just before), or the " +
          "`nextCursor` of the previous feed page. Takes only `limit` besides.",
      }),
    ),
  },
  { additionalProperties: false },
);
export type TicketListQuery = Static<typeof TicketListQuery>;
