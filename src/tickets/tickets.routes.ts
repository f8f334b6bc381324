import contentDisposition from "content-disposition";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import Type, { type Static } from "typebox";
import { type Actor, isStaff } from "../accounts/index.ts";
import type { Deps } from "../deps.ts";
import { type FieldDef, valuesByName } from "../fields/index.ts";
import * as idempotency from "../idempotency/idempotency.service.ts";
import { fieldProblem, Invalid } from "../lib/errors.ts";
import { MAX_ID } from "../lib/ids.ts";
import { Cursor, IdParam, Nullable, Page, problems } from "../platform/api.schemas.ts";
import { API_PREFIX, type ApiModule } from "../platform/api.ts";
import { requireActor } from "../platform/auth.ts";
import { filesFrom } from "../platform/uploads.ts";
import { MAX_TAGS_PER_TICKET, TAG_MAX, TagListInput } from "../tags/index.ts";
import {
  openStored,
  SERVED_TYPES,
  type StagedFile,
  servedContentType,
} from "./attachments.storage.ts";
import type { Status } from "./lifecycle.ts";
import * as merging from "./merge.service.ts";
import * as relations from "./relations.service.ts";
import { snippetHtml } from "./search-query.ts";
import {
  AddCcInput,
  AddRelationInput,
  AttachmentJson,
  CcJson,
  CreateTicketInput,
  EventJson,
  MAX_CCS,
  MAX_FILES,
  MAX_RELATIONS,
  MergeInput,
  MessageJson,
  RelationJson,
  ReplyInput,
  SlaTargetJson,
  SplitInput,
  TicketJson,
  TicketListQuery,
  UpdateTicketInput,
} from "./tickets.schemas.ts";
import * as tickets from "./tickets.service.ts";

type TicketLike = Omit<
  TicketJson,
  "createdAt" | "updatedAt" | "slaDueAt" | "sla" | "snippet" | "tags" | "fields"
> & {
  createdAt: Date;
  updatedAt: Date;
  slaDueAt?: Date | null;
  tags?: string[] | null | undefined;
  /** As stored: values by field id. */
  fields?: Record<string, unknown> | undefined;
};

/** The API's ticket object (also what an idempotent create stores and replays). */
function ticketJson(t: TicketLike, defs?: readonly FieldDef[]): TicketJson {
  return {
    ...(defs ? { fields: valuesByName(defs, t.fields ?? {}) } : {}),
    id: t.id,
    title: t.title,
    description: t.description,
    status: t.status,
    priority: t.priority,
    requesterId: t.requesterId,
    assigneeId: t.assigneeId,
    teamId: t.teamId,
    externalId: t.externalId,
    createdAt: t.createdAt.toISOString(),
    updatedAt: t.updatedAt.toISOString(),
    version: t.version,
  };
}

/** A list row for staff: with its tags and the earliest running SLA due time. */
export function staffRowJson(t: TicketLike, defs?: readonly FieldDef[]): TicketJson {
  return {
    ...ticketJson(t, defs),
    tags: t.tags ?? [],
    slaDueAt: t.slaDueAt?.toISOString() ?? null,
  };
}

function slaJson(targets: tickets.TicketSla): SlaTargetJson[] {
  return targets.map((t) => ({
    kind: t.kind,
    state: t.state,
    targetMinutes: t.targetMinutes,
    dueAt: t.dueAt?.toISOString() ?? null,
    metAt: t.metAt?.toISOString() ?? null,
    breachedAt: t.breachedAt?.toISOString() ?? null,
  }));
}

const tags = ["tickets"];

/** A ticket's entity tag: its version, quoted (a strong validator). */
function etagOf(ticket: { version: number }): string {
  return `"${ticket.version}"`;
}

/**
 * The versions an `If-Match` header accepts (RFC 9110 13.1.1), or undefined
 * for none or `*` (the ticket only has to exist). Strong comparison: a weak or
 * foreign tag matches no version, so the change is refused.
 */
function ifMatchVersions(header: string | undefined): number[] | undefined {
  if (header === undefined || header.trim() === "*") return undefined;
  return header.split(",").flatMap((tag) => {
    const match = /^"([1-9][0-9]{0,9})"$/.exec(tag.trim());
    return match?.[1] ? [Number(match[1])] : [];
  });
}

const ETAG_HEADER = {
  ETag: {
    type: "string",
    description:
      "The ticket's version, quoted: send it as `If-Match` to change it only if nobody else did",
  },
};

/** A ticket answer with its ETag declared. */
const TicketWithEtag = { ...Type.Ref("Ticket"), headers: ETAG_HEADER };

/** `?limit=&cursor=` of an oldest-first list: up to 100 a page, 100 by default. */
const PageQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 100 })),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);
type PageQuery = Static<typeof PageQuery>;

/** A reply through the API: the reply, and optionally the newest message the client saw. */
const ReplyApiInput = Type.Object(
  {
    ...ReplyInput.properties,
    lastSeenMessageId: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_ID })),
  },
  { additionalProperties: false },
);
type ReplyApiInput = Static<typeof ReplyApiInput>;

/** The same reply as a multipart form, with files: how the document describes it. */
const ReplyMultipartInput = Type.Object(
  {
    ...ReplyApiInput.properties,
    attachments: Type.Optional(
      Type.Array(Type.String({ format: "binary", contentMediaType: "application/octet-stream" }), {
        maxItems: MAX_FILES,
        description: `Up to ${MAX_FILES} files, each a part named attachments (with a filename)`,
      }),
    ),
  },
  { additionalProperties: false },
);

/** The files of a multipart reply, taken out of its fields before they are validated. */
const uploaded = new WeakMap<FastifyRequest, StagedFile[]>();

/**
 * Moves a multipart reply's files out of its body: the fields are then
 * validated as text, and a field named `attachments` that is not a file is refused.
 */
async function takeFiles(req: FastifyRequest): Promise<void> {
  if (!req.isMultipart()) return;
  const body = req.body as Record<string, unknown>;
  const sent = body.attachments === undefined ? [] : [body.attachments].flat();
  const files = filesFrom(req, "attachments");
  if (files.length !== sent.length)
    throw Invalid.field("attachments", "must be files", "error.field.files");
  delete body.attachments;
  uploaded.set(req, files);
}

function idempotencyKey(req: FastifyRequest): string | undefined {
  const key = req.headers["idempotency-key"];
  return typeof key === "string" ? key : undefined;
}

/** 201 with the created object (and where to read it, when it can be read alone); a replayed answer says so. */
function created(
  reply: FastifyReply,
  result: { body: unknown; replayed: boolean },
  options: {
    location?: (body: { id: number }) => string;
    /** What an answer stored before these fields existed gets for them on a replay. */
    storedBefore?: Record<string, unknown>;
  } = {},
) {
  const body =
    result.replayed && options.storedBefore
      ? { ...options.storedBefore, ...(result.body as object) }
      : result.body;
  if (result.replayed) reply.header("idempotent-replayed", "true");
  if (options.location) reply.header("location", options.location(body as { id: number }));
  return reply.code(201).send(body);
}

// Replays of answers stored (up to 24 hours) before an upgrade added fields: migration
// 0012 numbered every existing ticket version 1, and API replies had no files before.
const TICKET_STORED_BEFORE = { version: 1 };
const MESSAGE_STORED_BEFORE = { attachments: [] };

const IdempotencyHeader = Type.Object({
  "idempotency-key": Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      description: "Makes retries safe: the first response is replayed for 24 hours",
    }),
  ),
});

/** The tickets API: the same service calls as the pages, in JSON. */
export const ticketsApi: ApiModule = {
  schemas: [
    SlaTargetJson,
    TicketJson,
    AttachmentJson,
    MessageJson,
    EventJson,
    CcJson,
    RelationJson,
  ],
  routes: ticketsRoutes,
};

async function ticketsRoutes(app: FastifyInstance, deps: Deps) {
  app.post(
    "/tickets",
    {
      schema: {
        tags,
        summary: "Open a ticket",
        description:
          "Staff may open one for a customer with `requesterEmail` (the account is created if missing), " +
          "and give it an `externalId` (an integration's own id: unique, 409 when another ticket has it), " +
          "and put it in any team with `teamId`; customers may name a team offered as a category " +
          "(`GET /teams`). A team with automatic assignment assigns it in the same transaction. " +
          "Send an `Idempotency-Key` header to make retries safe: the same key and body within 24 hours " +
          "returns the first response and creates nothing.",
        headers: IdempotencyHeader,
        body: CreateTicketInput,
        response: { 201: Type.Ref("Ticket"), ...problems(400, 403, 409, 413, 415, 422) },
      },
    },
    async (req, reply) => {
      const actor = requireActor(req);
      const body = req.body as CreateTicketInput;
      // Read before the create's transaction (an embedded database has one connection).
      const defs = await tickets.visibleFields(deps, actor);
      const result = await idempotency.createOnce(
        deps,
        { userId: actor.id, key: idempotencyKey(req), route: "/tickets", body },
        async (tx) =>
          ticketJson(
            await tickets.createTicket(deps, actor, body, [], { tx, channel: "api" }),
            defs,
          ),
      );
      return created(reply, result, {
        location: (ticket) => `${API_PREFIX}/tickets/${ticket.id}`,
        storedBefore: TICKET_STORED_BEFORE,
      });
    },
  );

  app.get(
    "/tickets",
    {
      schema: {
        tags,
        summary: "List tickets",
        description:
          "Staff see every ticket (agents: except those of restricted teams they are not in), " +
          "customers their own (and, in an organisation that shares tickets, their colleagues'). " +
          "Filter by team with `teamId` (an id, `mine` or `none`), and (staff) by the requester's " +
          "organisation with `organisationId` (`GET /organisations`), and (staff) by tag with `tag`. " +
          "`externalId` finds the ticket an integration gave that id. " +
          "Keyset-paginated: pass `nextCursor` " +
          "back as `cursor` (with the same filters and sort) for the next page.\n\n" +
          "**Change feed**: with `updatedSince` (and optionally `limit`, nothing else) the list is " +
          "every ticket changed after that point, each once at its latest state, ordered by the " +
          "transaction that made the change (one committed before another began comes first): start with `updatedSince=0` (every ticket) or `updatedSince=now`, then " +
          "pass each page's `nextCursor` as `updatedSince`. `nextCursor` is never null: a page " +
          "shorter than `limit` means you are caught up; poll again later with its cursor. A ticket " +
          "changed while you walk appears again later in the feed, never skipped. Changes appear " +
          "once every transaction that started before them has ended (usually at once). An internal " +
          "note, a CC or an SLA clock does not count as a change of the ticket.",
        querystring: TicketListQuery,
        response: {
          200: Type.Object({
            data: Type.Array(Type.Ref("Ticket")),
            nextCursor: Nullable(Type.String()),
          }),
          ...problems(400, 403),
        },
      },
    },
    async (req) => {
      const actor = requireActor(req);
      const query = req.query as TicketListQuery;
      const defs = await tickets.visibleFields(deps, actor);
      const row = (t: TicketLike) => (isStaff(actor) ? staffRowJson : ticketJson)(t, defs);
      if (query.updatedSince !== undefined) {
        const { updatedSince, limit, ...others } = query;
        const extra = Object.keys(others);
        if (extra.length > 0) {
          throw new Invalid(
            extra.map((field) =>
              fieldProblem(
                field,
                "cannot be combined with updatedSince",
                "error.field.notWithUpdatedSince",
              ),
            ),
            "The change feed takes only updatedSince and limit.",
            "invalid",
            "error.form.changeFeedOnly",
          );
        }
        const page = await tickets.listChanges(deps, actor, { since: updatedSince, limit });
        return { data: page.tickets.map(row), nextCursor: page.nextCursor };
      }
      const assignee =
        query.assigneeId === "me" || query.assigneeId === "none"
          ? query.assigneeId
          : query.assigneeId === undefined
            ? undefined
            : Number(query.assigneeId);
      const page = await tickets.listTickets(deps, actor, {
        statuses: query.status?.split(",") as Status[] | undefined,
        priority: query.priority,
        assignee,
        requesterId: query.requesterId,
        organisationId: query.organisationId,
        team:
          query.teamId === "mine" || query.teamId === "none"
            ? query.teamId
            : query.teamId === undefined
              ? undefined
              : Number(query.teamId),
        q: query.q,
        tag: query.tag,
        externalId: query.externalId,
        sort: query.sort,
        cursor: query.cursor,
        limit: query.limit ?? 25,
        withDescription: true,
        withSnippets: true,
      });
      const data = page.tickets.map((t) => {
        const json = row(t);
        return t.snippet ? { ...json, snippet: snippetHtml(t.snippet) } : json;
      });
      return { data, nextCursor: page.nextCursor ?? null };
    },
  );

  /** A ticket as `GET /tickets/{id}` shows it to `actor` (staff also get its tags and SLA). */
  async function asRead(actor: Actor, ticket: tickets.Ticket) {
    const [defs, tags, sla] = await Promise.all([
      tickets.visibleFields(deps, actor),
      isStaff(actor) ? tickets.listTicketTags(deps, actor, ticket.id) : undefined,
      isStaff(actor) ? tickets.getTicketSla(deps, actor, ticket.id) : undefined,
    ]);
    const json = ticketJson(ticket, defs);
    return tags && sla ? { ...json, tags, sla: slaJson(sla) } : json;
  }

  app.get(
    "/tickets/:id",
    {
      schema: {
        tags,
        summary: "Get a ticket",
        params: IdParam,
        response: { 200: TicketWithEtag, ...problems(400, 404) },
      },
    },
    async (req, reply) => {
      const { id } = req.params as { id: number };
      const actor = requireActor(req);
      const found = await tickets.getTicket(deps, actor, id);
      reply.header("etag", etagOf(found));
      return asRead(actor, found);
    },
  );

  app.patch(
    "/tickets/:id",
    {
      schema: {
        tags,
        summary: "Change status, priority, assignee, team, external id or custom fields",
        description:
          "Staff may change all four (`teamId`: an existing team, or null); a customer may only set " +
          "`status: solved` on their own ticket. A team with automatic assignment assigns an " +
          "unassigned ticket moved into it. Staff may set `externalId` (null clears it; 409 when " +
          "another ticket has it). " +
          "Closed tickets cannot be changed (409). Staff solving or closing a ticket whose child " +
          "tickets are open get 409 (`open_children`) unless `solveWithOpenChildren` is true. " +
          "Staff set custom `fields` by name (GET /fields), each value checked against its field's type " +
          "(400 naming `fields.<name>`); solving or closing a ticket without a value for a field " +
          "required before solving is refused (400 `fields_required`, naming each missing field). " +
          "Send the `ETag` of the ticket you read as " +
          "`If-Match` to change it only if nobody changed it since (else 412, nothing changed); " +
          "without `If-Match` the change is applied to the ticket as it is.",
        headers: Type.Object({
          "if-match": Type.Optional(
            Type.String({
              minLength: 1,
              maxLength: 200,
              description:
                'The ticket\'s ETag as you read it (`"3"`), several separated by commas, or `*`',
            }),
          ),
        }),
        params: IdParam,
        body: UpdateTicketInput,
        response: { 200: TicketWithEtag, ...problems(400, 403, 404, 409, 412, 413, 415) },
      },
    },
    async (req, reply) => {
      const { id } = req.params as { id: number };
      const actor = requireActor(req);
      const updated = await tickets.updateTicket(deps, actor, id, req.body as UpdateTicketInput, {
        ifVersion: ifMatchVersions(req.headers["if-match"]),
      });
      reply.header("etag", etagOf(updated));
      return asRead(actor, updated);
    },
  );

  app.get(
    "/tickets/:id/messages",
    {
      schema: {
        tags,
        summary: "A ticket's messages, oldest first, a page at a time",
        description:
          "Internal notes are included for staff only. Pass `nextCursor` back as `cursor` for the next page; messages added meanwhile appear at the end.",
        params: IdParam,
        querystring: PageQuery,
        response: { 200: Page(Type.Ref("Message")), ...problems(400, 404) },
      },
    },
    async (req) => {
      const { id } = req.params as { id: number };
      const query = req.query as PageQuery;
      const page = await tickets.listMessagesPage(deps, requireActor(req), id, {
        limit: query.limit ?? 100,
        cursor: query.cursor,
      });
      return { data: page.rows.map(messageJson), nextCursor: page.nextCursor };
    },
  );

  app.get(
    "/tickets/:id/attachments",
    {
      schema: {
        tags,
        summary: "A ticket's attachments, oldest first, a page at a time",
        description:
          "The files of every message the caller may see (customers: not those of internal notes). " +
          "Download one with `GET /attachments/{id}`.",
        params: IdParam,
        querystring: PageQuery,
        response: { 200: Page(Type.Ref("Attachment")), ...problems(400, 404) },
      },
    },
    async (req) => {
      const { id } = req.params as { id: number };
      const query = req.query as PageQuery;
      const page = await tickets.listAttachmentsPage(deps, requireActor(req), id, {
        limit: query.limit ?? 100,
        cursor: query.cursor,
      });
      return { data: page.rows.map(attachmentJson), nextCursor: page.nextCursor };
    },
  );

  app.get(
    "/attachments/:id",
    {
      schema: {
        tags,
        summary: "Download an attachment",
        description:
          "The file's bytes, as an inert download: images, PDF and plain text keep their type, " +
          "everything else is `application/octet-stream`; the name is in `Content-Disposition`. " +
          "Whoever may see the ticket may download its files, except that customers get 404 for " +
          "those of internal notes.",
        params: IdParam,
        response: {
          200: {
            description: "The file",
            headers: {
              "Content-Disposition": {
                type: "string",
                description: "attachment, with the file's name (RFC 6266)",
              },
              "Content-Length": { type: "integer", description: "The file's size in bytes" },
            },
            content: Object.fromEntries(
              SERVED_TYPES.map((type) => [
                type,
                { schema: { type: "string", format: "binary", contentMediaType: type } },
              ]),
            ),
          },
          ...problems(400, 404),
        },
      },
    },
    async (req, reply) => {
      const { id } = req.params as { id: number };
      const attachment = await tickets.getAttachment(deps, requireActor(req), id);
      return reply
        .header("content-type", servedContentType(attachment.contentType))
        .header("content-length", String(attachment.size))
        .header("content-disposition", contentDisposition(attachment.filename))
        .header("x-content-type-options", "nosniff")
        .header("content-security-policy", "default-src 'none'; sandbox")
        .send(openStored(deps.config.dataDir, attachment.sha256));
    },
  );

  app.post(
    "/tickets/:id/messages",
    {
      schema: {
        tags,
        summary: "Reply, or (staff) add an internal note",
        description:
          "A customer's reply reopens a pending or solved ticket; on a closed ticket it opens a " +
          "follow-up ticket, whose id is the message's `ticketId`. Staff cannot reply on a closed ticket (409). " +
          "`Idempotency-Key` works as for opening a ticket. Send `lastSeenMessageId` (the newest " +
          "message your client showed) to be refused with 409 `replied_meanwhile` when someone else " +
          "wrote on the ticket since; send again without it to reply anyway.\n\n" +
          "To attach files send the same fields as `multipart/form-data`, with each file in a " +
          `part named \`attachments\` (up to ${MAX_FILES} files of at most ` +
          `${Math.round(deps.config.maxAttachmentBytes / 1048576)} MB each; larger is 413). ` +
          "File names are cleaned as on the pages.",
        headers: IdempotencyHeader,
        params: IdParam,
        body: {
          content: {
            "application/json": { schema: ReplyApiInput },
            "multipart/form-data": { schema: ReplyMultipartInput },
          },
        },
        response: { 201: Type.Ref("Message"), ...problems(400, 403, 404, 409, 413, 415, 422) },
      },
      preValidation: takeFiles,
    },
    async (req, reply: FastifyReply) => {
      const { id } = req.params as { id: number };
      const actor = requireActor(req);
      const body = req.body as ReplyApiInput;
      const { lastSeenMessageId, ...input } = body;
      const files = uploaded.get(req) ?? [];
      // Files count by their content: a retry uploads them to new temporary files.
      const fingerprinted = {
        ...body,
        ...(files.length > 0
          ? {
              attachments: files.map((f) => ({
                filename: f.filename,
                contentType: f.contentType,
                sha256: f.sha256,
              })),
            }
          : {}),
      };
      const result = await idempotency.createOnce(
        deps,
        {
          userId: actor.id,
          key: idempotencyKey(req),
          route: `/tickets/${id}/messages`,
          body: fingerprinted,
        },
        async (tx) => {
          const { message, attachments } = await tickets.addReply(deps, actor, id, input, files, {
            tx,
            channel: "api",
            lastSeenMessageId,
          });
          return messageJson({ ...message, attachments });
        },
      );
      return created(reply, result, { storedBefore: MESSAGE_STORED_BEFORE });
    },
  );

  app.get(
    "/tickets/:id/ccs",
    {
      schema: {
        tags,
        summary: "Who gets copies of public replies (CCs)",
        description:
          "Staff, and the requester of their own ticket. CCs get a mail of their own for every " +
          "public reply (never internal notes), and their replies by mail join the ticket.",
        params: IdParam,
        response: {
          200: Type.Object({ data: Type.Array(Type.Ref("TicketCc")) }),
          ...problems(400, 404),
        },
      },
    },
    async (req) => {
      const { id } = req.params as { id: number };
      return { data: (await tickets.listCcs(deps, requireActor(req), id)).map(ccJson) };
    },
  );

  app.post(
    "/tickets/:id/ccs",
    {
      schema: {
        tags,
        summary: "Add a CC (staff)",
        description:
          `At most ${MAX_CCS} per ticket (422 beyond). Not the requester and not one of this ` +
          "helpdesk's own addresses (422). Adding an address that is already a CC returns it (200).",
        params: IdParam,
        body: AddCcInput,
        response: {
          200: Type.Ref("TicketCc"),
          201: Type.Ref("TicketCc"),
          ...problems(400, 403, 404, 413, 415, 422),
        },
      },
    },
    async (req, reply) => {
      const { id } = req.params as { id: number };
      const actor = requireActor(req);
      const body = req.body as AddCcInput;
      const { cc, added } = await tickets.addCc(deps, actor, id, body);
      return reply.code(added ? 201 : 200).send(ccJson(cc));
    },
  );

  app.delete(
    "/tickets/:id/ccs/:address",
    {
      schema: {
        tags,
        summary: "Remove a CC (staff)",
        params: Type.Object({
          id: IdParam.properties.id,
          address: Type.String({ minLength: 1, maxLength: 254 }),
        }),
        response: { 204: Type.Null(), ...problems(400, 403, 404) },
      },
    },
    async (req, reply) => {
      const { id, address } = req.params as { id: number; address: string };
      await tickets.removeCc(deps, requireActor(req), id, address);
      return reply.code(204).send();
    },
  );

  const TagList = Type.Object({
    data: Type.Array(Type.String(), { description: "The ticket's tags, by name" }),
  });
  const tagsDescription =
    "Tags are staff's internal labels: customers get 403 on their own tickets (404 on others'). " +
    `A name is trimmed, 1 to ${TAG_MAX} characters, without commas or control characters, ` +
    `and unique whatever its case (a new name makes a new tag); a ticket has at most ${MAX_TAGS_PER_TICKET}. ` +
    "Each tag put on or taken off is in the audit trail. Closed tickets cannot be changed (409).";

  app.get(
    "/tickets/:id/tags",
    {
      schema: {
        tags,
        summary: "A ticket's tags (staff)",
        description: tagsDescription,
        params: IdParam,
        response: { 200: TagList, ...problems(400, 403, 404) },
      },
    },
    async (req) => {
      const { id } = req.params as { id: number };
      return { data: await tickets.listTicketTags(deps, requireActor(req), id) };
    },
  );

  app.put(
    "/tickets/:id/tags",
    {
      schema: {
        tags,
        summary: "Set a ticket's tags (staff)",
        description: `${tagsDescription} The ticket ends with exactly the tags named.`,
        params: IdParam,
        body: TagListInput,
        response: { 200: TagList, ...problems(400, 403, 404, 409, 413, 415) },
      },
    },
    async (req) => {
      const { id } = req.params as { id: number };
      const body = req.body as TagListInput;
      return { data: await tickets.setTags(deps, requireActor(req), id, body.tags) };
    },
  );

  app.post(
    "/tickets/:id/tags",
    {
      schema: {
        tags,
        summary: "Add tags to a ticket (staff)",
        description: `${tagsDescription} Tags the ticket has already are kept.`,
        params: IdParam,
        body: TagListInput,
        response: { 200: TagList, ...problems(400, 403, 404, 409, 413, 415) },
      },
    },
    async (req) => {
      const { id } = req.params as { id: number };
      const body = req.body as TagListInput;
      return {
        data: await tickets.changeTags(deps, requireActor(req), id, { add: body.tags }),
      };
    },
  );

  app.delete(
    "/tickets/:id/tags/:name",
    {
      schema: {
        tags,
        summary: "Take a tag off a ticket (staff)",
        description: `${tagsDescription} Taking off a tag the ticket does not have changes nothing.`,
        params: Type.Object({
          id: IdParam.properties.id,
          name: Type.String({ minLength: 1, maxLength: 200 }),
        }),
        response: { 204: Type.Null(), ...problems(400, 403, 404, 409) },
      },
    },
    async (req, reply) => {
      const { id, name } = req.params as { id: number; name: string };
      await tickets.changeTags(deps, requireActor(req), id, { remove: [name] });
      return reply.code(204).send();
    },
  );

  app.get(
    "/tickets/:id/links",
    {
      schema: {
        tags,
        summary: "A ticket's links: its parent, children and related tickets (staff)",
        description:
          "Each link with what the other ticket is to this one and that ticket's title and " +
          "status. Tickets of a restricted team the caller is not in are left out.",
        params: IdParam,
        response: {
          200: Type.Object({ data: Type.Array(Type.Ref("TicketLink")) }),
          ...problems(400, 403, 404),
        },
      },
    },
    async (req) => {
      const { id } = req.params as { id: number };
      return { data: await relations.listRelations(deps, requireActor(req), id) };
    },
  );

  app.post(
    "/tickets/:id/links",
    {
      schema: {
        tags,
        summary: "Link another ticket to this one (staff)",
        description:
          "`relation` is what the other ticket becomes to this one: `parent`, `child` or " +
          `\`related\`. One link per pair of tickets, at most ${MAX_RELATIONS} per ticket, one ` +
          "parent per ticket, and no loops of parents (400 naming the reason). Neither ticket may " +
          "be closed for a parent link; this ticket may not be closed for any (409).",
        params: IdParam,
        body: AddRelationInput,
        response: {
          201: Type.Ref("TicketLink"),
          ...problems(400, 403, 404, 409, 413, 415),
        },
      },
    },
    async (req, reply) => {
      const { id } = req.params as { id: number };
      const link = await relations.addRelation(
        deps,
        requireActor(req),
        id,
        req.body as AddRelationInput,
      );
      return reply.code(201).send(link);
    },
  );

  app.delete(
    "/tickets/:id/links/:linkId",
    {
      schema: {
        tags,
        summary: "Remove a link (staff)",
        params: Type.Object({ id: IdParam.properties.id, linkId: IdParam.properties.id }),
        response: { 204: Type.Null(), ...problems(400, 403, 404, 409) },
      },
    },
    async (req, reply) => {
      const { id, linkId } = req.params as { id: number; linkId: number };
      await relations.removeRelation(deps, requireActor(req), id, linkId);
      return reply.code(204).send();
    },
  );

  app.post(
    "/tickets/:id/merge",
    {
      schema: {
        tags,
        summary: "Merge this ticket into another (staff)",
        description:
          "In one transaction every message (keeping its time), attachment and CC of this ticket " +
          "moves to `targetId`; this ticket is closed, a link both ways records it (`merged_into` / " +
          "`merged_from` in `/links`), both search documents are rebuilt, both audit trails say so, " +
          "and this ticket's requester gets one mail saying it continues as the target. Answers the " +
          "target. Refused with 409 and a `code`: the ticket itself (`merge_self`), a closed target " +
          "(`merge_target_closed`), a closed or already merged ticket (`merge_source_closed`), one " +
          "with open child tickets (`merge_open_children`), and tickets of different requesters " +
          "unless `confirmDifferentRequester` is true (`merge_needs_confirmation`; the requester of " +
          "this ticket then becomes a CC of the target). A target the caller cannot see is 404.",
        params: IdParam,
        body: MergeInput,
        response: { 200: TicketWithEtag, ...problems(400, 403, 404, 409, 413, 415) },
      },
    },
    async (req, reply) => {
      const { id } = req.params as { id: number };
      const { target } = await merging.mergeTicket(
        deps,
        requireActor(req),
        id,
        req.body as MergeInput,
      );
      reply.header("etag", etagOf(target));
      return ticketJson(target);
    },
  );

  app.post(
    "/tickets/:id/messages/:messageId/split",
    {
      schema: {
        tags,
        summary: "Make a message a ticket of its own (staff)",
        description:
          "The message and its attachments move to a new ticket of the same requester, priority " +
          "and team, titled `title` or the message's first line, linked to this one (`split_from` / " +
          "`split_into` in `/links`); it is opened as any ticket is (acknowledgement, rules, " +
          "assignment). Answers the new ticket. Refused with 409: a closed ticket, the ticket's " +
          "first message (`split_first_message`), an internal note (`split_internal_note`).",
        params: Type.Object({ id: IdParam.properties.id, messageId: IdParam.properties.id }),
        body: SplitInput,
        response: { 201: TicketWithEtag, ...problems(400, 403, 404, 409, 413, 415) },
      },
    },
    async (req, reply) => {
      const { id, messageId } = req.params as { id: number; messageId: number };
      const created = await merging.splitMessage(
        deps,
        requireActor(req),
        id,
        messageId,
        (req.body ?? {}) as SplitInput,
      );
      reply.header("etag", etagOf(created));
      return reply.code(201).send(ticketJson(created));
    },
  );

  app.get(
    "/tickets/:id/events",
    {
      schema: {
        tags,
        summary: "A ticket's audit trail, oldest first, a page at a time (staff)",
        params: IdParam,
        querystring: PageQuery,
        response: { 200: Page(Type.Ref("TicketEvent")), ...problems(400, 403, 404) },
      },
    },
    async (req) => {
      const { id } = req.params as { id: number };
      const query = req.query as PageQuery;
      const page = await tickets.listEventsPage(deps, requireActor(req), id, {
        limit: query.limit ?? 100,
        cursor: query.cursor,
      });
      return {
        nextCursor: page.nextCursor,
        data: page.rows.map((e) => ({
          id: e.id,
          ticketId: e.ticketId,
          actorId: e.actorId,
          kind: e.kind,
          ...(e.field !== null ? { field: e.field } : {}),
          from: e.fromValue,
          to: e.toValue,
          viaMacro: e.viaMacro,
          createdAt: e.createdAt.toISOString(),
        })),
      };
    },
  );
}

function ccJson(c: tickets.Cc): CcJson {
  return {
    address: c.address,
    name: c.name,
    addedBy: c.addedBy,
    addedAt: c.addedAt.toISOString(),
  };
}

type AttachmentLike = Omit<AttachmentJson, "createdAt"> & { createdAt: Date };

function attachmentJson(a: AttachmentLike): AttachmentJson {
  return {
    id: a.id,
    ticketId: a.ticketId,
    messageId: a.messageId,
    filename: a.filename,
    contentType: a.contentType,
    size: a.size,
    createdAt: a.createdAt.toISOString(),
  };
}

function messageJson(m: {
  id: number;
  ticketId: number;
  authorId: number;
  content: string;
  internal: boolean;
  createdAt: Date;
  attachments: readonly AttachmentLike[];
}) {
  return {
    id: m.id,
    ticketId: m.ticketId,
    authorId: m.authorId,
    content: m.content,
    internal: m.internal,
    createdAt: m.createdAt.toISOString(),
    attachments: m.attachments.map(attachmentJson),
  };
}
