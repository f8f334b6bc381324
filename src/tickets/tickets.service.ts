import * as accounts from "../accounts/index.ts";
import { type Actor, isStaff } from "../accounts/index.ts";
import type { Db, Executor, Tx } from "../db/client.ts";
import type { SearchConfig } from "../db/schema/index.ts";
import { Watched } from "../db/watched.ts";
import type { Deps } from "../deps.ts";
import { currentMacro } from "../events/bus.ts";
import type { Channel, DomainEvent, FieldChanges } from "../events/events.ts";
import * as fields from "../fields/index.ts";
import { isOwnAddress } from "../lib/addresses.ts";
import { decodeCursor, encodeCursor } from "../lib/cursor.ts";
import {
  Conflict,
  Forbidden,
  fieldProblem,
  Invalid,
  NotFound,
  PreconditionFailed,
  Taken,
} from "../lib/errors.ts";
import { parseId } from "../lib/ids.ts";
import { parse, trimFields } from "../lib/validate.ts";
import * as organisations from "../organisations/index.ts";
import { languageDefaults } from "../settings/settings.service.ts";
import * as tags from "../tags/index.ts";
import * as teams from "../teams/index.ts";
import {
  canSee,
  hiddenTeams,
  listedRequesters,
  mayChange,
  seesInternal,
  visibleAttachment,
  visibleTicket,
} from "./access.ts";
import {
  commitStaged,
  discardStaged,
  type StagedFile,
  sweepStaged,
} from "./attachments.storage.ts";
import { auditRows, changeRows } from "./audit.ts";
import {
  ACTIVE_STATUSES,
  checkTransition,
  isEditable,
  PRIORITIES,
  type Priority,
  REFUSAL_KEYS,
  REFUSAL_MESSAGES,
  type Side,
  type Status,
  statusAfterReply,
} from "./lifecycle.ts";
import { QUEUE_COUNT_CAP, QUEUES, type QueueName } from "./queues.ts";
import * as relations from "./relations.repo.ts";
import {
  hasText,
  knownFilters,
  parseSearchQuery,
  type SearchQuery,
  SearchQueryError,
  type SnippetPart,
  snippetParts,
  snippetText,
  startOfDay,
  webSearchText,
} from "./search-query.ts";
import { currentTargetStates } from "./sla.ts";
import * as repo from "./tickets.repo.ts";
import {
  AddCcInput,
  CC_NAME_MAX,
  CreateTicketInput,
  MAX_CCS,
  MAX_FILES,
  ReplyInput,
  SEARCH_MAX,
  SORTS,
  type Sort,
  TITLE_MAX,
  UpdateTicketInput,
} from "./tickets.schemas.ts";

export type Ticket = repo.TicketRow;
export type Message = repo.MessageRow;
export type Attachment = repo.AttachmentRow;

function sideOf(actor: Actor): Side {
  return isStaff(actor) ? "staff" : "requester";
}

async function attachFiles(
  deps: Deps,
  tx: Tx,
  files: readonly StagedFile[],
  owner: { ticketId: number; messageId: number; uploaderId: number },
): Promise<Attachment[]> {
  for (const file of files) await commitStaged(deps.config.dataDir, file);
  return repo.insertAttachments(
    tx,
    files.map((f) => ({
      ...owner,
      filename: f.filename,
      contentType: f.contentType,
      size: f.size,
      sha256: f.sha256,
    })),
  );
}

function checkFiles(files: readonly StagedFile[]): void {
  if (files.length > MAX_FILES)
    throw Invalid.field(
      "attachments",
      `at most ${MAX_FILES} files at once`,
      "error.field.maxFiles",
      {
        max: MAX_FILES,
      },
    );
}

/**
 * Records what a write did: the audit trail rows, then the reactions
 * subscribed at composition (mail, rules, live pages), all in `tx`. Returns
 * the events the reactions recorded in turn.
 */
export async function record(
  deps: Deps,
  tx: Tx,
  recorded: readonly DomainEvent[],
): Promise<readonly DomainEvent[]> {
  // A person applying a macro: each change names it (a rule it sets off names the rule).
  const macro = currentMacro();
  const events = macro ? recorded.map((e) => (e.macro ? e : { ...e, macro })) : recorded;
  await repo.insertEvents(tx, auditRows(events));
  return deps.events.record(deps, tx, events);
}

/**
 * The ticket as reactions left it (a rule, automatic assignment): the row its
 * last `ticket.updated` carries (changeEvents puts whole rows in them; read
 * again should an event ever carry less), or `ticket` when none changed it.
 */
async function asReactionsLeft(
  tx: Tx,
  ticket: Ticket,
  followUps: readonly DomainEvent[],
): Promise<Ticket> {
  const last = followUps.findLast(
    (e) => e.type === "ticket.updated" && e.ticket.id === ticket.id,
  )?.ticket;
  if (!last) return ticket;
  if ("version" in last && "changeXid" in last) return last as Ticket;
  return (await repo.findTicket(tx, ticket.id)) ?? ticket;
}

/** The events of one write to a ticket: `ticket.updated`, and the specific ones it implies. */
function changeEvents(actor: Actor, ticket: Ticket, changes: FieldChanges): DomainEvent[] {
  if (Object.keys(changes).length === 0) return [];
  return [
    { type: "ticket.updated", ticket, actor, changes },
    ...(changes.status
      ? [{ type: "ticket.status_changed" as const, ticket, actor, change: changes.status }]
      : []),
    ...(changes.assigneeId
      ? [{ type: "ticket.assigned" as const, ticket, actor, change: changes.assigneeId }]
      : []),
  ];
}

/**
 * The text-search configurations tickets are stemmed with (`search_configs`),
 * kept in memory on a listening node: every search parses its words in each.
 * Only a ticket's creation adds one (`insertTicket`, in its transaction).
 */
export const searchConfigs = new Watched("tessera_search_configs", repo.listSearchConfigs);

/**
 * The first ticket in a language adds its configuration to those queries are
 * parsed in; every other one finds it in memory (no statement on a server).
 */
export async function noteSearchConfig(deps: Deps, tx: Tx, config: SearchConfig): Promise<void> {
  const inUse = await searchConfigs.get(deps.db, tx);
  if (!inUse.includes(config)) {
    await repo.addSearchConfig(tx, config);
    await searchConfigs.changedIn(deps.db, tx);
  }
}

/**
 * Writes a ticket, its first message, its attachments and its events inside
 * the caller's transaction. The one place a ticket is born.
 */
async function insertTicket(
  deps: Deps,
  tx: Tx,
  actor: Actor,
  data: Omit<CreateTicketInput, "requesterEmail">,
  files: readonly StagedFile[],
  options: {
    requesterId?: number | undefined;
    followUpOf?: number;
    teamId?: number | null | undefined;
    channel: Channel;
    quoted?: string | undefined;
    html?: string | undefined;
    /** Checked custom field values by field id (createTicket). */
    fieldValues?: ReadonlyMap<number, fields.FieldValue | null> | undefined;
  },
): Promise<ReplyResult> {
  const requesterId = options.requesterId ?? actor.id;
  const defs = options.fieldValues?.size ? await fields.allFields(deps.db, tx) : [];
  const { stored, events: fieldEvents } = fieldChanges(defs, {}, options.fieldValues);
  // Search stems a ticket's words in its requester's language, else the
  // instance's (from memory on a server: no statement there).
  const { locale } = await languageDefaults.get(deps.db, tx);
  const { ticket, searchConfig } = await repo.insertTicket(
    tx,
    {
      title: data.title,
      description: data.description,
      priority: data.priority ?? "normal",
      requesterId,
      followUpOf: options.followUpOf ?? null,
      channel: options.channel,
      teamId: options.teamId ?? null,
      externalId: data.externalId ?? null,
      fields: stored,
    },
    {
      requesterWrote: requesterId === actor.id,
      fallbackLocale: locale,
    },
  );
  await noteSearchConfig(deps, tx, searchConfig);
  const message = await repo.insertMessage(tx, {
    ticketId: ticket.id,
    authorId: actor.id,
    content: data.description,
    quoted: options.quoted ?? null,
    html: options.html ?? null,
    viaEmail: options.channel === "email",
    internal: false,
  });
  const attachments = await attachFiles(deps, tx, files, {
    ticketId: ticket.id,
    messageId: message.id,
    uploaderId: actor.id,
  });
  const followUps = await record(deps, tx, [
    { type: "ticket.created", ticket, actor, message },
    ...fieldEvents.map((e) => ({ ...e, ticket, actor })),
  ]);
  return { ticket: await asReactionsLeft(tx, ticket, followUps), message, attachments };
}

/**
 * Opens a ticket: the ticket, its first message (the description), its
 * attachments and its `created` event are written in one transaction, so a
 * ticket never exists without its first message. The requester is the actor,
 * or, when staff name a `requesterEmail`, that customer (whose account is
 * created, without a password, in the same transaction when missing).
 */
export async function createTicket(
  deps: Deps,
  actor: Actor,
  input: CreateTicketInput,
  files: readonly StagedFile[] = [],
  options: {
    tx?: Tx | undefined;
    channel?: Channel | undefined;
    /** What was trimmed from an incoming mail, kept behind "Show quoted text". */
    quoted?: string | undefined;
    /** An HTML-only mail's sanitised HTML, shown instead of the text. */
    html?: string | undefined;
    /**
     * The team, set by the system (a mailbox's team) rather than chosen by the
     * actor: not checked against what the actor may pick, and it wins over
     * `input.teamId`.
     */
    trustedTeamId?: number | null | undefined;
  } = {},
): Promise<Ticket> {
  try {
    const data = parse(
      CreateTicketInput,
      trimFields(input, ["title", "description", "requesterEmail"]),
    );
    checkFiles(files);
    if (data.requesterEmail !== undefined && !isStaff(actor)) {
      throw new Forbidden(
        "Only staff can open a ticket on someone else's behalf.",
        "error.onlyStaff.onBehalf",
      );
    }
    if (data.externalId !== undefined) checkExternalIdActor(actor);
    const { ticket } = await uniquely(() =>
      (options.tx ?? deps.db).transaction(async (tx) => {
        // Customers set only the fields shown to them (the new-ticket form); staff any enabled one.
        const fieldValues = data.fields
          ? fields.checkValues(await fields.fieldsFor(deps.db, actor, tx), data.fields)
          : undefined;
        if (data.externalId !== undefined) await checkExternalIdFree(tx, data.externalId);
        let requesterId: number | undefined;
        if (data.requesterEmail !== undefined) {
          const { user } = await accounts.findOrCreateCustomer(tx, { email: data.requesterEmail });
          if (user.disabled)
            throw Invalid.field(
              "requesterEmail",
              "belongs to a disabled account",
              "error.field.disabledAccount",
            );
          requesterId = user.id;
        }
        const trusted = options.trustedTeamId ?? undefined;
        if (trusted === undefined && data.teamId !== undefined && data.teamId !== null) {
          await checkTeam(tx, actor, data.teamId);
        }
        return insertTicket(deps, tx, actor, data, files, {
          requesterId,
          teamId: trusted ?? data.teamId,
          channel: options.channel ?? "web",
          quoted: options.quoted,
          html: options.html,
          fieldValues,
        });
      }),
    );
    return ticket;
  } finally {
    await discardStaged(files);
  }
}

/** External ids are for integrations with a staff token: customers cannot set them. */
function checkExternalIdActor(actor: Actor): void {
  if (!isStaff(actor))
    throw new Forbidden("Only staff can set an external id.", "error.tags.externalIdStaff");
}

function externalIdTaken(): Taken {
  return new Taken(
    "externalId",
    "is already another ticket's external id",
    "error.tags.externalIdTaken",
  );
}

/** Refuses an external id another ticket has (the unique index catches a race: see uniquely). */
async function checkExternalIdFree(db: Executor, externalId: string, own?: number): Promise<void> {
  const holder = await repo.findTicketIdByExternalId(db, externalId);
  if (holder !== undefined && holder !== own) throw externalIdTaken();
}

/** A unique violation of the external id's index (two writers at once) as Taken. */
async function uniquely<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const e = error as {
      code?: string;
      constraint?: string;
      cause?: { code?: string; constraint?: string };
    };
    const code = e.code ?? e.cause?.code;
    const constraint = e.constraint ?? e.cause?.constraint;
    if (code === "23505" && constraint === "tickets_external_id_idx") throw externalIdTaken();
    throw error;
  }
}

/**
 * Refuses a team that does not exist; customers may only pick a team offered
 * as a category on the new-ticket form.
 */
async function checkTeam(db: Executor, actor: Actor, teamId: number): Promise<void> {
  const team = await teams.findTeam(db, teamId);
  if (!team || (!isStaff(actor) && !team.offeredOnForm)) {
    throw isStaff(actor)
      ? Invalid.field("teamId", "is not a team", "error.field.notATeam")
      : Invalid.field("teamId", "is not a category", "error.field.notACategory");
  }
}

/** Everything the ticket page shows, filtered for the actor: customers never get internal notes or events. */
export async function getTicketView(deps: Deps, actor: Actor, id: number) {
  const ticket = await visibleTicket(deps.db, actor, id);
  const staff = seesInternal(actor);
  const [messages, events, attachments, requester, ccs, slaRows, teamNames, tagged, fieldDefs] =
    await Promise.all([
      repo.listMessages(deps.db, id, staff),
      staff ? repo.listEvents(deps.db, id) : Promise.resolve([]),
      repo.listAttachments(deps.db, id, staff),
      // Whoever sees the ticket may see who opened it (a colleague, too): asked after `visibleTicket`.
      repo.findRequester(deps.db, ticket.requesterId),
      repo.listCcs(deps.db, id),
      staff ? repo.listSlaTargets(deps.db, id) : Promise.resolve([]),
      // Every team by id: the team control offers them, team events name them.
      staff ? teams.teamNames(deps, actor) : Promise.resolve(new Map<number, string>()),
      // Tags are internal: customers never get them.
      staff
        ? tags.ticketTagsForPage(deps, actor, id)
        : Promise.resolve({ tags: [] as string[], suggestions: [] as string[] }),
      // The fields the actor sees (from memory on a server: no statement there).
      fields.fieldsFor(deps.db, actor),
    ]);
  if (!requester) throw new NotFound("ticket", id);
  const sla = currentTargetStates(slaRows, new Date());
  // The assignee and everyone assignee events name, in one lookup.
  const eventIds = events.flatMap((e) => (e.kind === "assignee" ? [e.fromValue, e.toValue] : []));
  const profiles = await accounts.findPublicProfiles(deps, [
    ...(ticket.assigneeId ? [ticket.assigneeId] : []),
    ...eventIds.flatMap((v) => (v ? [Number(v)] : [])),
  ]);
  const assignee = ticket.assigneeId ? profiles.get(ticket.assigneeId) : undefined;
  const names = new Map([...profiles].map(([userId, p]) => [userId, p.name]));
  return {
    ticket,
    messages,
    events,
    attachments,
    requester,
    assignee,
    names,
    ccs,
    sla,
    teamNames,
    tags: tagged.tags,
    /** Existing tag names, for the tag field's autocomplete (staff). */
    tagSuggestions: tagged.suggestions,
    /** The custom fields the actor sees, each with the ticket's value (customers: theirs only). */
    fields: fieldDefs.map((def) => ({ def, value: fields.storedValue(def, ticket.fields) })),
  };
}

export type TicketView = Awaited<ReturnType<typeof getTicketView>>;

/**
 * Someone else wrote on the ticket after the reply form was loaded: the reply
 * is not saved, so its author can read what was said and send it anyway.
 */
export class RepliedMeanwhile extends Conflict {
  constructor(
    /** Who wrote since, in the order they wrote. */
    readonly authors: readonly string[],
    /** The newest message the author may now see: what "Send anyway" carries. */
    readonly latestMessageId: number,
  ) {
    super(
      "replied_meanwhile",
      `${authors.join(" and ")} replied while you were writing.`,
      "ticket.conflict.replied",
      { authors, count: authors.length },
    );
  }
}

/**
 * The ticket is closed: nothing changes it, and staff cannot reply to it (a
 * customer's reply opens a follow-up instead). `refusal` is for pages (REFUSAL_KEYS).
 */
export class TicketClosed extends Conflict {
  readonly refusal = "closed_is_final";
  constructor() {
    super("ticket_closed", REFUSAL_MESSAGES.closed_is_final, REFUSAL_KEYS.closed_is_final);
  }
}

/**
 * A parent is solved or closed only when its children are, unless a person
 * confirmed it (`solveWithOpenChildren`); the children still open.
 */
export class OpenChildren extends Conflict {
  constructor(readonly children: readonly { id: number; status: Status }[]) {
    const ids = children.map((c) => `#${c.id}`).join(", ");
    super(
      "open_children",
      `Child tickets are still open (${ids}): solve them first, or confirm to solve this one anyway.`,
      "error.openChildren",
      { count: children.length, ids },
    );
  }
}

/** The requester asked for a status other than solved. `refusal` is for pages (REFUSAL_KEYS). */
export class StatusNotAllowed extends Forbidden {
  readonly refusal = "not_allowed";
  constructor() {
    super(REFUSAL_MESSAGES.not_allowed, REFUSAL_KEYS.not_allowed);
  }
}

export interface ReplyResult {
  /** The ticket the reply landed on: a new follow-up when the original was closed. */
  ticket: Ticket;
  message: Message;
  /** The files uploaded with it. */
  attachments: Attachment[];
}

/**
 * Adds a public reply or (staff only) an internal note, with attachments, and
 * moves the status as the lifecycle says. A requester's reply on a closed
 * ticket opens a follow-up ticket linked to it; staff cannot reply on a closed one.
 */
export async function addReply(
  deps: Deps,
  actor: Actor,
  ticketId: number,
  input: ReplyInput,
  files: readonly StagedFile[] = [],
  options: {
    tx?: Tx | undefined;
    channel?: Channel | undefined;
    /**
     * The newest message id the author's form showed: when someone else has
     * written since (a message this actor may see), the reply is refused with
     * RepliedMeanwhile. Left out, the reply is added whatever happened since.
     */
    lastSeenMessageId?: number | undefined;
    /** What was trimmed from an incoming mail, kept behind "Show quoted text". */
    quoted?: string | undefined;
    /** An HTML-only mail's sanitised HTML, shown instead of the text. */
    html?: string | undefined;
    /** Inbound mail: the actor may also be a CC of the ticket (by their address). */
    asCc?: boolean | undefined;
  } = {},
): Promise<ReplyResult> {
  try {
    const data = parse(ReplyInput, trimFields(input, ["content"]));
    checkFiles(files);
    const side = sideOf(actor);
    if (side !== "staff" && (data.internal || data.waitOnCustomer)) {
      throw new Forbidden(
        "Only staff can add internal notes or set a ticket pending.",
        "error.onlyStaff.internalNotes",
      );
    }
    const internal = data.internal ?? false;
    if (internal && data.waitOnCustomer) {
      throw new Invalid(
        [
          fieldProblem(
            "waitOnCustomer",
            "applies to replies the customer sees, not to notes",
            "error.field.waitOnCustomer",
          ),
        ],
        "An internal note cannot set the ticket pending: untick one of the two.",
        "invalid",
        "error.form.internalNote",
      );
    }
    return await (options.tx ?? deps.db).transaction(async (tx) => {
      const ticket = await repo.lockTicket(tx, ticketId);
      const allowed =
        ticket &&
        ((await canSee(tx, actor, ticket)) ||
          (options.asCc === true &&
            (await repo.listCcs(tx, ticketId)).some(
              (c) => c.address === actor.email.toLowerCase(),
            )));
      if (!ticket || !allowed) throw new NotFound("ticket", ticketId);
      if (options.lastSeenMessageId !== undefined) {
        await checkNoneSince(tx, actor, ticketId, options.lastSeenMessageId);
      }
      if (!isEditable(ticket.status)) {
        if (side === "staff") throw new TicketClosed();
        const followUp = {
          title: `Re: ${ticket.title}`.slice(0, TITLE_MAX),
          description: data.content,
          priority: ticket.priority,
        };
        return insertTicket(deps, tx, actor, followUp, files, {
          followUpOf: ticket.id,
          teamId: ticket.teamId,
          channel: options.channel ?? "web",
          quoted: options.quoted,
          html: options.html,
        });
      }
      const message = await repo.insertMessage(tx, {
        ticketId,
        authorId: actor.id,
        content: data.content,
        quoted: internal ? null : (options.quoted ?? null),
        html: internal ? null : (options.html ?? null),
        viaEmail: options.channel === "email",
        internal,
      });
      const attachments = await attachFiles(deps, tx, files, {
        ticketId,
        messageId: message.id,
        uploaderId: actor.id,
      });
      const next = statusAfterReply(ticket.status, {
        side,
        internal,
        waitOnCustomer: data.waitOnCustomer ?? false,
      });
      const byRequester = actor.id === ticket.requesterId;
      const created = {
        type: "message.created" as const,
        actor,
        message,
        authorRole: actor.role,
        byRequester,
      };
      // `updated_at` is activity the customer can see (their list sorts by it), so
      // an internal note leaves it alone: it must not hint that staff wrote something.
      if (internal) {
        await repo.appendNoteToSearch(tx, ticketId, data.content);
        await record(deps, tx, [{ ...created, ticket }]);
        return { ticket, message, attachments };
      }
      const updated = await repo.updateTicket(
        tx,
        ticketId,
        next === ticket.status ? {} : { status: next },
        { content: data.content, by: byRequester ? "customer" : "agent" },
      );
      await record(deps, tx, [
        { ...created, ticket: updated },
        ...changeEvents(
          actor,
          updated,
          next === ticket.status ? {} : { status: { from: ticket.status, to: next } },
        ),
      ]);
      return { ticket: updated, message, attachments };
    });
  } finally {
    await discardStaged(files);
  }
}

/** Refuses a reply when others wrote messages the actor may see after `lastSeen` (under the ticket lock). */
async function checkNoneSince(tx: Tx, actor: Actor, ticketId: number, lastSeen: number) {
  const since = (await repo.listMessages(tx, ticketId, seesInternal(actor))).filter(
    (m) => m.id > lastSeen && m.authorId !== actor.id,
  );
  const latest = since.at(-1);
  if (latest) {
    throw new RepliedMeanwhile([...new Set(since.map((m) => m.authorName))], latest.id);
  }
}

/**
 * Changes status, priority, assignee and team. Staff may change all four (assignee:
 * an active agent or admin, or nobody); a requester may only mark their own
 * ticket solved. Closed tickets are final. Every change writes an event.
 * With `ifVersion` (the versions the client's copy may have: `If-Match`, or the
 * ticket page's version field) a ticket changed since is refused with
 * PreconditionFailed, under the ticket's lock, before anything else is checked.
 */
export async function updateTicket(
  deps: Deps,
  actor: Actor,
  ticketId: number,
  input: UpdateTicketInput,
  options: {
    tx?: Tx | undefined;
    ifVersion?: readonly number[] | undefined;
    /**
     * A rule's change: fields "required before solving" do not hold it back
     * (a rule is the admin's decision made beforehand, as with open children).
     */
    skipRequiredFields?: boolean | undefined;
  } = {},
): Promise<Ticket> {
  const data = parse(UpdateTicketInput, input);
  const side = sideOf(actor);
  return (options.tx ?? deps.db).transaction(async (tx) => {
    const ticket = await visibleTicket(tx, actor, ticketId, { lock: true });
    if (options.ifVersion && !options.ifVersion.includes(ticket.version)) {
      throw new PreconditionFailed(
        `Ticket ${ticketId} was changed by someone else since you read it (it is at version ${ticket.version}): read it again, then retry.`,
        "error.ticket.changedMeanwhile",
        { id: String(ticketId), version: String(ticket.version) },
      );
    }
    if (!mayChange(actor, ticket)) {
      throw new Forbidden(
        "Only the requester and staff can change this ticket.",
        "error.onlyRequesterAndStaff",
      );
    }
    if (
      side === "requester" &&
      (data.priority !== undefined ||
        data.assigneeId !== undefined ||
        data.teamId !== undefined ||
        data.externalId !== undefined ||
        data.fields !== undefined)
    ) {
      throw new Forbidden(
        "Only staff can change priority, assignee or team.",
        "error.onlyStaff.ticketFields",
      );
    }
    if (!isEditable(ticket.status)) throw new TicketClosed();

    const change: {
      status?: Status;
      priority?: Priority;
      assigneeId?: number | null;
      teamId?: number | null;
      fields?: Record<string, unknown>;
    } = {};
    const changes: { -readonly [F in keyof FieldChanges]: FieldChanges[F] } = {};
    const defs =
      data.fields !== undefined ||
      (side === "staff" && data.status !== undefined && !options.skipRequiredFields)
        ? await fields.fieldsFor(deps.db, actor, tx)
        : [];
    const field = fieldChanges(
      defs,
      ticket.fields,
      data.fields ? fields.checkValues(defs, data.fields) : undefined,
    );
    if (field.events.length > 0) change.fields = field.stored;
    if (data.status !== undefined && data.status !== ticket.status) {
      const refusal = checkTransition(ticket.status, data.status, side);
      if (refusal === "not_allowed") throw new StatusNotAllowed();
      if (refusal === "cannot_return_to_new") {
        const message = REFUSAL_MESSAGES[refusal];
        throw new Invalid(
          [fieldProblem("status", message, "error.field.cannotReturnToNew")],
          message,
          "invalid",
          "error.form.cannotReturnToNew",
        );
      }
      // Only "closed_is_final" is left, which the check above already refused.
      if (refusal) throw new TicketClosed();
      // Staff solving a parent are asked first while its children are open (rules say so themselves).
      if (
        side === "staff" &&
        !data.solveWithOpenChildren &&
        !ACTIVE_STATUSES.includes(data.status) &&
        ACTIVE_STATUSES.includes(ticket.status)
      ) {
        const open = await relations.openChildren(tx, ticketId);
        if (open.length > 0) throw new OpenChildren(open);
      }
      // Staff solving or closing: every field required before solving has a value (rules excepted).
      if (side === "staff" && !options.skipRequiredFields && !ACTIVE_STATUSES.includes(data.status))
        checkRequiredFields(defs, field.stored);
      change.status = data.status;
      changes.status = { from: ticket.status, to: data.status };
    }
    if (data.priority !== undefined && data.priority !== ticket.priority) {
      change.priority = data.priority;
      changes.priority = { from: ticket.priority, to: data.priority };
    }
    if (data.teamId !== undefined && data.teamId !== ticket.teamId) {
      if (data.teamId !== null) await checkTeam(tx, actor, data.teamId);
      change.teamId = data.teamId;
      changes.teamId = { from: ticket.teamId, to: data.teamId };
    }
    const teamId = change.teamId !== undefined ? change.teamId : ticket.teamId;
    if (data.assigneeId !== undefined && data.assigneeId !== ticket.assigneeId) {
      if (data.assigneeId !== null) {
        const assignee = await accounts.activeStaffActor(tx, data.assigneeId);
        if (!assignee)
          throw Invalid.field(
            "assigneeId",
            "must be an active agent or admin",
            "error.field.activeStaff",
          );
        // Never assigned a ticket they would get 404 for.
        if (!(await canSee(tx, assignee, { requesterId: ticket.requesterId, teamId })))
          throw Invalid.field(
            "assigneeId",
            "is not in this ticket's restricted team",
            "error.field.restrictedTeam",
          );
      }
      change.assigneeId = data.assigneeId;
      changes.assigneeId = { from: ticket.assigneeId, to: data.assigneeId };
    } else if (change.teamId !== undefined && teamId !== null && ticket.assigneeId !== null) {
      // Moved into a restricted team its assignee is not in: back to that team's pool.
      const assignee = await accounts.activeStaffActor(tx, ticket.assigneeId);
      if (assignee && !(await canSee(tx, assignee, { requesterId: ticket.requesterId, teamId }))) {
        change.assigneeId = null;
        changes.assigneeId = { from: ticket.assigneeId, to: null };
      }
    }
    let current = ticket;
    if (data.externalId !== undefined && data.externalId !== ticket.externalId) {
      if (data.externalId !== null) await checkExternalIdFree(tx, data.externalId, ticketId);
      current = await uniquely(() =>
        tx.transaction((sp) => repo.setExternalId(sp, ticketId, data.externalId ?? null)),
      );
    }
    if (Object.keys(change).length === 0) return current;

    const updated = await repo.updateTicket(tx, ticketId, change);
    await record(deps, tx, [
      ...changeEvents(actor, updated, changes),
      ...field.events.map((e) => ({ ...e, ticket: updated, actor })),
    ]);
    return updated;
  });
}

// --- lists and queues ---

export const PAGE_SIZE_DEFAULT = 50;
export const PAGE_SIZE_MAX = 100;

export interface ListQuery {
  statuses?: readonly Status[] | undefined;
  priority?: Priority | undefined;
  /** A user id, "me", or "none" (unassigned). */
  assignee?: number | "me" | "none" | undefined;
  requesterId?: number | undefined;
  /** Staff: only tickets whose requester is a member of this organisation. */
  organisationId?: number | undefined;
  /** A team id, "none" (no team), or "mine" (the actor's teams). */
  team?: number | "none" | "mine" | undefined;
  /**
   * A search query (src/tickets/search-query.ts): words to find in titles and
   * messages (customers never match internal notes) and filters; a query it
   * cannot read is a SearchQueryError (400) saying where.
   */
  /** Staff only: tickets carrying this tag (its name, any case). */
  tag?: string | undefined;
  /** The ticket with this external id. */
  externalId?: string | undefined;
  q?: string | undefined;
  /**
   * What the list shows unless the query names the same kind of filter: a
   * desk queue's statuses, assignee and team give way to `status:`,
   * `assignee:` and `team:` typed in the search box.
   */
  defaults?: Pick<ListQuery, "statuses" | "assignee" | "team"> | undefined;
  /** With words to find: each row's snippet (the newest matching message, words found marked). */
  withSnippets?: boolean | undefined;
  /** The zone a query's calendar days are read in (`created:2026-01-01`); UTC by default (the API's). */
  timeZone?: string | undefined;
  sort?: Sort | undefined;
  cursor?: string | undefined;
  limit?: number | undefined;
  /** Include descriptions in the rows (the API's ticket objects carry them). */
  withDescription?: boolean | undefined;
}

/** A list row; `tags`: staff's lists only (null in customers'). */
export type TicketListItem = Awaited<ReturnType<typeof repo.listTickets>>[number] & {
  /** A search result's matching message around the words found (`withSnippets`). */
  snippet?: SnippetPart[] | undefined;
  /** Sorted by best match: how well it matched (ts_rank). */
  rank?: number | undefined;
};

export interface TicketPage {
  tickets: TicketListItem[];
  /** Opaque cursor for the next page, undefined on the last one. */
  nextCursor: string | undefined;
}

/**
 * One page of tickets the actor may see: staff any, customers only their own
 * (the requester filter is forced). Keyset-paginated in a stable order.
 */
export async function listTickets(deps: Deps, actor: Actor, query: ListQuery): Promise<TicketPage> {
  const asked = query.sort ?? "-updatedAt";
  if (!SORTS.includes(asked))
    throw Invalid.field("sort", `must be one of: ${SORTS.join(", ")}`, "error.field.oneOf", {
      choices: SORTS.join(", "),
    });
  const limit = query.limit ?? PAGE_SIZE_DEFAULT;
  if (!Number.isInteger(limit) || limit < 1 || limit > PAGE_SIZE_MAX) {
    throw Invalid.field(
      "limit",
      `must be a whole number from 1 to ${PAGE_SIZE_MAX}`,
      "error.field.wholeNumberRange",
      { min: 1, max: PAGE_SIZE_MAX },
    );
  }
  const q = query.q?.trim() ?? "";
  if (q.length > SEARCH_MAX)
    throw Invalid.field("q", `must be at most ${SEARCH_MAX} characters`, "error.field.maxLength", {
      max: SEARCH_MAX,
    });
  const parsed = parseSearchQuery(q, { staff: isStaff(actor) });
  // Best match needs words to rank by; without them, the newest activity first.
  const sort: Sort = asked === "relevance" && !hasText(parsed) ? "-updatedAt" : asked;
  const key = sort.replace(/^-/, "") as repo.SortKey;
  const descending = sort.startsWith("-") || sort === "relevance";
  let after: repo.TicketFilter["after"];
  if (query.cursor) after = decodeTicketCursor(query.cursor, sort);
  const rows = await repo.listTickets(deps.db, {
    ...(await listConditions(deps, actor, query, parsed)),
    withDescription: query.withDescription,
    withTags: isStaff(actor) ? tags.tagNamesOfRow() : undefined,
    sort: key,
    descending,
    after,
    limit: limit + 1,
  });
  const tickets: TicketListItem[] = rows.slice(0, limit);
  const last = tickets.at(-1);
  const nextCursor =
    rows.length > limit && last ? encodeCursor([cursorValue(last, key), last.id, sort]) : undefined;
  const wanted = snippetText(parsed.terms);
  if (query.withSnippets && wanted !== "" && tickets.length > 0) {
    // Only for the page's rows, after the list: the costly part of a search result.
    const snippets = await repo.searchSnippets(deps.db, {
      ticketIds: tickets.map((t) => t.id),
      text: wanted,
      includeInternal: seesInternal(actor),
    });
    for (const ticket of tickets) {
      const raw = snippets.get(ticket.id);
      if (raw) ticket.snippet = snippetParts(raw, repo.MATCH_START, repo.MATCH_END);
    }
  }
  return { tickets, nextCursor };
}

/** Shortest word also found as part of a title, name or address: pg_trgm indexes trigrams. */
const PARTIAL_WORD_MIN = 3;

/**
 * The words a search also finds as parts of titles, requesters' names and
 * addresses (`printe`, `jdoe@exa`): when it is only plain words, each of three
 * characters or more. Phrases, `-word` and `or` keep their full-text meaning alone.
 */
function partialWords(parsed: SearchQuery): string[] | undefined {
  const { terms } = parsed;
  const plain = terms.every(
    (t) =>
      t.kind === "word" &&
      !t.negated &&
      t.text.length >= PARTIAL_WORD_MIN &&
      t.text.toLowerCase() !== "or",
  );
  return plain && terms.length > 0 ? terms.map((t) => t.text) : undefined;
}

/**
 * What the list statement needs to resolve first, when the caller knows it
 * already: the desk counts saved views in its one count statement, so `team:mine`
 * takes the teams it read and a tag is a subquery by name (no statement of its own).
 */
interface KnownForCounts {
  myTeamIds: readonly number[];
}

/** A list query's conditions as the repository filters on them; `parsed` is its search query. */
async function listConditions(
  deps: Deps,
  actor: Actor,
  query: ListQuery,
  parsed: SearchQuery,
  known?: KnownForCounts,
): Promise<repo.TicketConditions> {
  const named = new Set(parsed.filters.map((f) => f.key));
  const defaults = query.defaults ?? {};
  const statuses = query.statuses ?? (named.has("status") ? undefined : defaults.statuses);
  const assignee = query.assignee ?? (named.has("assignee") ? undefined : defaults.assignee);
  const team = query.team ?? (named.has("team") ? undefined : defaults.team);
  const assigneeId = assignee === "me" ? actor.id : assignee === "none" ? null : assignee;
  if (query.tag !== undefined && !isStaff(actor))
    throw new Forbidden("Tags are for support staff.", "error.tags.onlyStaff");
  const tagged =
    query.tag === undefined
      ? undefined
      : known
        ? tags.taggedTicketIdsNamed(deps.db, query.tag)
        : await tags.taggedTicketIds(deps.db, query.tag);
  return {
    idIn: tagged,
    externalId: query.externalId,
    statuses,
    priority: query.priority,
    assigneeId,
    ...(known && team === "mine"
      ? { teamIds: known.myTeamIds, hiddenTeams: hiddenTeams(deps.db, actor) }
      : await teamConditions(deps.db, actor, team)),
    ...listedRequesters(deps.db, actor, query.requesterId),
    // Staff: the tickets of an organisation's members (customers' lists are theirs already).
    requesterIn:
      query.organisationId !== undefined && isStaff(actor)
        ? organisations.membersQuery(deps.db, query.organisationId)
        : undefined,
    search: hasText(parsed)
      ? {
          text: webSearchText(parsed.terms),
          includeInternal: seesInternal(actor),
          configs: await searchConfigs.get(deps.db, deps.db),
          partial: partialWords(parsed),
        }
      : undefined,
    query: await queryConditions(deps.db, actor, parsed, query.timeZone ?? "UTC", known),
  };
}

const HOURS = { h: 1, d: 24, w: 24 * 7 } as const;

/**
 * A parsed query's filters as the list statement's conditions: `me` is the
 * actor, `team:mine` the actor's teams, calendar days start at midnight in
 * `timeZone`. A filter this version does not answer is refused as unknown,
 * never ignored (that would show tickets it did not ask for).
 */
async function queryConditions(
  db: Db,
  actor: Actor,
  parsed: SearchQuery,
  timeZone: string,
  known?: KnownForCounts,
): Promise<repo.QueryCondition[]> {
  const conditions: repo.QueryCondition[] = [];
  for (const f of parsed.filters) {
    const negated = f.negated;
    switch (f.key) {
      case "status":
        conditions.push({ kind: "status", values: f.values, negated });
        break;
      case "priority":
        conditions.push({ kind: "priority", values: f.values, negated });
        break;
      case "assignee":
        conditions.push(
          f.value.kind === "email"
            ? { kind: "assigneeEmail", email: f.value.email, negated }
            : { kind: "assignee", id: f.value.kind === "me" ? actor.id : null, negated },
        );
        break;
      case "requester":
        conditions.push(
          f.value.kind === "email"
            ? { kind: "requesterEmail", email: f.value.email, negated }
            : { kind: "requesterDomain", domain: f.value.domain, negated },
        );
        break;
      case "team": {
        const v = f.value;
        if (v.kind === "name") conditions.push({ kind: "teamName", name: v.name, negated });
        else
          conditions.push({
            kind: "team",
            ids:
              v.kind === "none"
                ? null
                : v.kind === "id"
                  ? [v.id]
                  : (known?.myTeamIds ?? (await teams.teamIdsOf(db, actor.id))),
            negated,
          });
        break;
      }
      case "created":
      case "updated": {
        const column = f.key === "created" ? "createdAt" : "updatedAt";
        const v = f.value;
        if (v.kind === "ago") {
          const ago = { hoursAgo: v.amount * HOURS[v.unit] };
          // `<7d`: less than seven days ago (since then); `>7d`: longer ago.
          const within = f.comparison === "<" || f.comparison === "<=";
          conditions.push({
            kind: "time",
            column,
            ...(within ? { from: ago } : { until: ago }),
            negated,
          });
          break;
        }
        const day = (add: number) => startOfDay(v.date, timeZone, add);
        const bounds = {
          "<": { until: day(0) },
          "<=": { until: day(1) },
          ">": { from: day(1) },
          ">=": { from: day(0) },
          "=": { from: day(0), until: day(1) },
        }[f.comparison];
        conditions.push({ kind: "time", column, ...bounds, negated });
        break;
      }
      case "tag":
        // Tags are staff's: to a customer, `tag:` is a filter like any unknown one.
        if (!isStaff(actor)) throw unknownFilter(f, knownFilters(false));
        conditions.push({
          kind: "idIn",
          ids: known
            ? tags.taggedTicketIdsNamed(db, f.name)
            : await tags.taggedTicketIds(db, f.name),
          negated,
        });
        break;
      case "field": {
        // Customers name only the fields shown to them; any other is unknown to them.
        const visible = await fields.fieldsFor(db, actor);
        const def = visible.find((d) => d.name.toLowerCase() === f.name.toLowerCase());
        const at = f.position + (f.negated ? 1 : 0);
        if (!def)
          throw new SearchQueryError("unknownField", at, f.token, {
            name: f.name,
            known: visible.map((d) => d.name).join(", ") || "-",
          });
        let wanted: ReturnType<typeof fields.containment>;
        try {
          wanted = fields.containment(def, f.value, "q");
        } catch (error) {
          if (!(error instanceof Invalid)) throw error;
          throw new SearchQueryError("badFieldValue", at, f.token, {
            name: def.name,
            value: f.value,
            problem: error.errors[0]?.message ?? "",
          });
        }
        conditions.push({
          kind: "fields",
          contains: wanted.contains,
          negated: negated !== wanted.negated,
        });
        break;
      }
      default:
        throw unknownFilter(f, knownFilters(isStaff(actor)));
    }
  }
  return conditions;
}

function unknownFilter(f: SearchQuery["filters"][number], known: string): SearchQueryError {
  return new SearchQueryError("unknownFilter", f.position + (f.negated ? 1 : 0), `${f.key}:`, {
    known,
  });
}

/** Where a change feed starts: `0` (every ticket), `now` (changes from now on), or a cursor it gave. */
export const FEED_START = "0";
export const FEED_NOW = "now";

export interface ChangesPage {
  tickets: TicketListItem[];
  /** Always set: the next page, or (once caught up) where to poll again from. */
  nextCursor: string;
}

/**
 * The change feed: the tickets the actor may see that changed after `since`,
 * each once, at its latest state, in the order of the transactions that
 * changed them (then id). A page only reaches up to the oldest transaction
 * still running (`feedHorizon`), read in the same snapshot as the rows: a
 * transaction that has not ended yet can only ever land after the cursor
 * this returns, so a reader following `nextCursor` misses nothing and sees
 * no change twice, however writers interleave.
 */
export async function listChanges(
  deps: Deps,
  actor: Actor,
  query: { since: string; limit?: number | undefined },
): Promise<ChangesPage> {
  const limit = query.limit ?? PAGE_SIZE_DEFAULT;
  if (!Number.isInteger(limit) || limit < 1 || limit > PAGE_SIZE_MAX) {
    throw Invalid.field(
      "limit",
      `must be a whole number from 1 to ${PAGE_SIZE_MAX}`,
      "error.field.wholeNumberRange",
      { min: 1, max: PAGE_SIZE_MAX },
    );
  }
  const after = decodeChangesCursor(query.since);
  return deps.db.transaction(
    async (tx) => {
      const horizon = await repo.feedHorizon(tx);
      const from = after ?? { xid: horizon, id: 0 };
      const rows = await repo.listChanges(tx, {
        hiddenTeams: hiddenTeams(tx, actor),
        ...listedRequesters(tx, actor, undefined),
        after: from,
        horizon,
        limit: limit + 1,
        withTags: isStaff(actor) ? tags.tagNamesOfRow() : undefined,
      });
      const tickets = rows.slice(0, limit);
      const last = tickets.at(-1);
      // A full page continues after its last row; otherwise every change below
      // the horizon has been read, and the next poll starts at the horizon.
      const next =
        rows.length > limit && last
          ? { xid: last.changeXid, id: last.id }
          : BigInt(horizon) > BigInt(from.xid)
            ? { xid: horizon, id: 0 }
            : from;
      return { tickets, nextCursor: encodeCursor(["changes", next.xid, next.id]) };
    },
    // One snapshot for the horizon and the rows.
    { isolationLevel: "repeatable read", accessMode: "read only" },
  );
}

/** A feed position from `updatedSince`, checked in full (client input); undefined for `now`. */
function decodeChangesCursor(since: string): repo.FeedPosition | undefined {
  if (since === FEED_START) return { xid: "0", id: 0 };
  if (since === FEED_NOW) return undefined;
  const refuse = () =>
    Invalid.field(
      "updatedSince",
      "is not a cursor of the change feed; start again from 0 or now",
      "error.field.notAFeedCursor",
    );
  if (since.length > 200) throw refuse();
  let values: (string | number)[];
  try {
    values = decodeCursor(since, "updatedSince");
  } catch {
    throw refuse();
  }
  const [kind, xid, id] = values;
  if (
    values.length !== 3 ||
    kind !== "changes" ||
    typeof xid !== "string" ||
    !/^(0|[1-9][0-9]{0,19})$/.test(xid) ||
    BigInt(xid) >= 2n ** 64n ||
    typeof id !== "number" ||
    !(id === 0 || parseId(id) !== undefined)
  ) {
    throw refuse();
  }
  return { xid, id };
}

/** The sort value of a row as its cursor carries it. */
function cursorValue(row: TicketListItem, key: repo.SortKey): string {
  if (key === "priority") return row.priority;
  if (key === "dueAt") return row.slaDueAt?.toISOString() ?? "";
  if (key === "relevance") return String(row.rank ?? 0);
  return row[key].toISOString();
}

/** The team filter and the teams hidden from `actor`, as repository filter fields. */
async function teamConditions(
  db: Executor,
  actor: Actor,
  team: ListQuery["team"],
): Promise<Pick<repo.TicketFilter, "teamIds" | "hiddenTeams">> {
  const hidden = hiddenTeams(db, actor);
  if (team === undefined || !isStaff(actor)) return { hiddenTeams: hidden };
  if (team === "none") return { teamIds: null, hiddenTeams: hidden };
  // As ids (see deskQueues).
  if (team === "mine") return { teamIds: await teams.teamIdsOf(db, actor.id), hiddenTeams: hidden };
  return { teamIds: [team], hiddenTeams: hidden };
}

/**
 * The position a cursor encodes, checked in full: a cursor is client input,
 * and a bad sort value or id must be a 400, never a failed cast in the database.
 */
function decodeTicketCursor(cursor: string, sort: Sort): repo.TicketFilter["after"] {
  const refuse = () =>
    Invalid.field(
      "cursor",
      "does not belong to this list; start from the first page",
      "error.field.cursorOtherList",
    );
  if (cursor.length > 500) throw refuse();
  const [value, id, cursorSort] = decodeCursor(cursor);
  if (typeof value !== "string" || typeof id !== "number" || cursorSort !== sort) throw refuse();
  if (parseId(id) === undefined) throw refuse();
  const validValue = sort.endsWith("priority")
    ? (PRIORITIES as readonly string[]).includes(value)
    : sort === "relevance"
      ? isCursorRank(value)
      : isCursorInstant(value);
  if (!validValue) throw refuse();
  return { value, id };
}

/** A rank as listTickets writes it (a `real`: ts_rank is never negative). */
function isCursorRank(value: string): boolean {
  return (
    /^[0-9]{1,20}(\.[0-9]{1,20})?(e-?[0-9]{1,3})?$/.test(value) && Number.isFinite(Number(value))
  );
}

/** An instant exactly as listTickets writes it, in years PostgreSQL and JS agree on. */
function isCursorInstant(value: string): boolean {
  const date = new Date(value);
  return (
    !Number.isNaN(date.getTime()) &&
    date.toISOString() === value &&
    date.getUTCFullYear() >= 1970 &&
    date.getUTCFullYear() <= 9999
  );
}

export interface TeamQueue {
  id: number;
  name: string;
  /** The actor is a member. */
  mine: boolean;
  /** Active tickets (new, open, pending), up to QUEUE_COUNT_CAP + 1. */
  active: number;
  /** Of those, unassigned. */
  unassigned: number;
}

export interface DeskQueues {
  /** How many tickets are in each counted queue, up to QUEUE_COUNT_CAP + 1. */
  counts: Partial<Record<QueueName, number>>;
  /** The teams the actor may see with their counts: the actor's own teams first, then by name. */
  teams: TeamQueue[];
  /** Each saved view's count (up to QUEUE_COUNT_CAP + 1) by its key; none for a query no longer readable. */
  views: Map<number, number>;
}

/** A saved view to count on the desk (src/saved-views): its id and its list query. */
export interface CountedView {
  id: number;
  query: ListQuery;
}

/** Each saved view's list conditions, keyed `view<id>`; a view that can no longer be read is left out. */
async function viewConditions(
  deps: Deps,
  actor: Actor,
  views: readonly CountedView[],
  myTeamIds: readonly number[],
): Promise<Record<string, repo.TicketConditions>> {
  const filters: Record<string, repo.TicketConditions> = {};
  for (const view of views) {
    try {
      const parsed = parseSearchQuery(view.query.q?.trim() ?? "", { staff: isStaff(actor) });
      filters[`view${view.id}`] = await listConditions(deps, actor, view.query, parsed, {
        myTeamIds,
      });
    } catch (error) {
      if (!(error instanceof SearchQueryError || error instanceof Invalid)) throw error;
    }
  }
  return filters;
}

function viewCountsOf(
  views: readonly CountedView[],
  n: Record<string, number>,
): Map<number, number> {
  const counts = new Map<number, number>();
  for (const view of views) {
    const count = n[`view${view.id}`];
    if (count !== undefined) counts.set(view.id, count);
  }
  return counts;
}

/**
 * How many tickets each saved view holds (staff only), up to QUEUE_COUNT_CAP + 1,
 * in one statement; none for a view whose query can no longer be read.
 */
export async function countViews(
  deps: Deps,
  actor: Actor,
  views: readonly CountedView[],
): Promise<Map<number, number>> {
  if (!isStaff(actor)) throw new Forbidden();
  if (views.length === 0) return new Map();
  const myTeamIds = await teams.teamIdsOf(deps.db, actor.id);
  const filters = await viewConditions(deps, actor, views, myTeamIds);
  return viewCountsOf(views, await repo.countTicketsEach(deps.db, filters, QUEUE_COUNT_CAP + 1));
}

/**
 * The desk's sidebar (staff only): every counted queue, each visible team's
 * working queue and each of the actor's saved views (`views`, read meanwhile),
 * counted in one statement after one for the teams. A view whose query can no
 * longer be read (a filter since refused) is left uncounted, not an error.
 */
export async function deskQueues(
  deps: Deps,
  actor: Actor,
  views: Promise<readonly CountedView[]> = Promise.resolve([]),
): Promise<DeskQueues> {
  if (!isStaff(actor)) throw new Forbidden();
  const [visible, saved] = await Promise.all([teams.visibleTeams(deps.db, actor), views]);
  const hidden = hiddenTeams(deps.db, actor);
  // As ids, not a subquery: the planner reads `team_id = ANY(ids)` from the team
  // index, where a join on memberships walked every unassigned ticket.
  const myTeamIds = visible.filter((t) => t.mine).map((t) => t.id);
  const filters: Record<string, repo.TicketConditions> = {};
  for (const [name, queue] of Object.entries(QUEUES)) {
    if ("counted" in queue) continue;
    const assignee = "assignee" in queue ? queue.assignee : undefined;
    const team = "team" in queue ? queue.team : undefined;
    filters[name] = {
      statuses: queue.statuses,
      assigneeId: assignee === "me" ? actor.id : assignee === "none" ? null : undefined,
      ...(team === "mine" ? { teamIds: myTeamIds } : {}),
      hiddenTeams: hidden,
    };
  }
  for (const team of visible) {
    filters[`team${team.id}`] = { statuses: ACTIVE_STATUSES, teamIds: [team.id] };
    filters[`team${team.id}unassigned`] = {
      statuses: ACTIVE_STATUSES,
      teamIds: [team.id],
      assigneeId: null,
    };
  }
  Object.assign(filters, await viewConditions(deps, actor, saved, myTeamIds));
  const n = await repo.countTicketsEach(deps.db, filters, QUEUE_COUNT_CAP + 1);
  const viewCounts = viewCountsOf(saved, n);
  const counts: Partial<Record<QueueName, number>> = {};
  for (const name of Object.keys(QUEUES) as QueueName[]) {
    if (n[name] !== undefined) counts[name] = n[name];
  }
  const teamQueues = visible.map((team) => ({
    ...team,
    active: n[`team${team.id}`] ?? 0,
    unassigned: n[`team${team.id}unassigned`] ?? 0,
  }));
  return {
    counts,
    teams: teamQueues.sort((a, b) => Number(b.mine) - Number(a.mine)),
    views: viewCounts,
  };
}

/** How many of the requester's other tickets the staff ticket page shows. */
export const REQUESTER_RECENT_LIMIT = 5;

/**
 * Staff: the other tickets of this ticket's requester, most recently active
 * first (up to REQUESTER_RECENT_LIMIT), without those of restricted teams the
 * actor is not in. Read beside the ticket (its requester a subquery): the page
 * shows it only once the ticket itself proved visible. Customers get none
 * ("My tickets" is theirs).
 */
export async function requesterRecentTickets(
  deps: Deps,
  actor: Actor,
  ticketId: number,
): Promise<{ id: number; title: string; status: Status; updatedAt: Date }[]> {
  if (!isStaff(actor)) return [];
  return repo.listRequesterOthers(
    deps.db,
    ticketId,
    hiddenTeams(deps.db, actor),
    REQUESTER_RECENT_LIMIT,
  );
}

// An upload still in DATA_DIR/tmp after this long was abandoned (its request ended long ago).
const ABANDONED_UPLOAD_MS = 60 * 60_000;

/** Deletes temporary uploads left by crashed processes; returns how many. */
export async function sweepAbandonedUploads(deps: Deps): Promise<number> {
  return sweepStaged(deps.config.dataDir, ABANDONED_UPLOAD_MS);
}

/** An attachment the actor may download: theirs to see, and not on an internal note unless staff. */
export async function getAttachment(deps: Deps, actor: Actor, id: number) {
  return visibleAttachment(deps.db, actor, id);
}

// --- single tickets for the API ---

/** One ticket the actor may see (others' tickets are NotFound, never Forbidden). */
export async function getTicket(deps: Deps, actor: Actor, id: number): Promise<Ticket> {
  return visibleTicket(deps.db, actor, id);
}

/** A ticket's messages, oldest first; internal notes only for staff. */
export async function listMessages(deps: Deps, actor: Actor, ticketId: number) {
  await getTicket(deps, actor, ticketId);
  return repo.listMessages(deps.db, ticketId, seesInternal(actor));
}

/** A page of a ticket's messages, oldest first, each with its attachments; internal notes for staff only. */
export async function listMessagesPage(
  deps: Deps,
  actor: Actor,
  ticketId: number,
  page: { limit: number; cursor?: string | undefined },
) {
  await getTicket(deps, actor, ticketId);
  const { rows, nextCursor } = await pageById(page, (p) =>
    repo.listMessages(deps.db, ticketId, seesInternal(actor), p),
  );
  const files = await repo.listMessageAttachments(
    deps.db,
    ticketId,
    rows.map((m) => m.id),
  );
  return {
    rows: rows.map((m) => ({ ...m, attachments: files.filter((f) => f.messageId === m.id) })),
    nextCursor,
  };
}

/**
 * A page of a ticket's attachments, oldest first: the same files the ticket
 * page offers (customers never get those of internal notes).
 */
export async function listAttachmentsPage(
  deps: Deps,
  actor: Actor,
  ticketId: number,
  page: { limit: number; cursor?: string | undefined },
) {
  await getTicket(deps, actor, ticketId);
  return pageById(page, (p) => repo.listAttachments(deps.db, ticketId, seesInternal(actor), p));
}

/**
 * A ticket's SLA targets, the current one of each kind, with their state at
 * `now` (staff only: customers never see service levels).
 */
export async function getTicketSla(deps: Deps, actor: Actor, ticketId: number, now = new Date()) {
  const ticket = await getTicket(deps, actor, ticketId);
  if (!isStaff(actor)) return [];
  const rows = await repo.listSlaTargets(deps.db, ticket.id);
  return currentTargetStates(rows, now);
}

export type TicketSla = Awaited<ReturnType<typeof getTicketSla>>;

/** A page of a ticket's audit trail, oldest first (staff only). */
export async function listEventsPage(
  deps: Deps,
  actor: Actor,
  ticketId: number,
  page: { limit: number; cursor?: string | undefined },
) {
  await getTicket(deps, actor, ticketId);
  if (!seesInternal(actor))
    throw new Forbidden("The audit trail is for support staff.", "error.onlyStaff.audit");
  return pageById(page, (p) => repo.listEvents(deps.db, ticketId, p));
}

/**
 * Keyset paging on id for oldest-first lists: one row more than asked tells
 * whether there is a next page; the cursor is the last row's id.
 */
async function pageById<T extends { id: number }>(
  page: { limit: number; cursor?: string | undefined },
  fetch: (p: repo.IdPage) => Promise<T[]>,
): Promise<{ rows: T[]; nextCursor: string | null }> {
  let afterId: number | undefined;
  if (page.cursor) {
    const [id] = decodeCursor(page.cursor);
    if (typeof id !== "number" || !Number.isSafeInteger(id) || id < 0) {
      throw Invalid.field(
        "cursor",
        "is not a cursor this server gave out",
        "error.field.notACursor",
      );
    }
    afterId = id;
  }
  const rows = await fetch({ afterId, limit: page.limit + 1 });
  const more = rows.length > page.limit;
  const shown = more ? rows.slice(0, page.limit) : rows;
  const last = shown.at(-1);
  return { rows: shown, nextCursor: more && last ? encodeCursor([last.id]) : null };
}

// --- automation ---

/**
 * Moves a ticket from assignee `from` to `to` as the automation account for
 * `reason`, which the audit trail keeps beside the assignee change (automatic
 * assignment, hand-back when an agent goes away), inside the caller's
 * transaction, which has already checked `to` (an active member of the team).
 * Only while the ticket is still editable and still assigned to `from`, else it
 * does nothing and returns undefined. One UPDATE instead of updateTicket's
 * lock-check-update: this runs on every ticket created in an assigning team.
 */
export async function assignWithReason(
  deps: Deps,
  tx: Tx,
  ticketId: number,
  change: { from: number | null; to: number | null },
  reason: string,
): Promise<Ticket | undefined> {
  const actor = await accounts.automationActor(deps, tx);
  const changes = { assigneeId: change };
  // The change and its rows in the trail in one statement (automatic assignment is on the create path).
  const updated = await repo.reassignIf(tx, ticketId, change, [
    { ticketId, actorId: actor.id, kind: "auto_assign", toValue: reason },
    ...changeRows(ticketId, actor.id, changes),
  ]);
  if (!updated) return undefined;
  await deps.events.record(deps, tx, changeEvents(actor, updated, changes));
  return updated;
}

/** A choice of assignee made inside the assigning statement (see tickets.repo's AssigneePick). */
export type AssigneePick = repo.AssigneePick;

/**
 * Automatic assignment: assigns an unassigned ticket to `pick`'s choice as the
 * automation actor, the choice, the change and its trail (with the reason) in
 * one statement, then records the change like any other. Undefined when nobody
 * was chosen or the ticket had moved on.
 */
export async function assignPicked(
  deps: Deps,
  tx: Tx,
  ticketId: number,
  pick: AssigneePick,
): Promise<Ticket | undefined> {
  const actor = await accounts.automationActor(deps, tx);
  const updated = await repo.assignPickedIf(tx, ticketId, pick, actor.id);
  if (!updated) return undefined;
  const changes = { assigneeId: { from: null, to: updated.assigneeId } };
  await deps.events.record(deps, tx, changeEvents(actor, updated, changes));
  return updated;
}

/**
 * Records that an automation rule acted on a ticket (`rule.fired`), inside the
 * transaction of its actions: the audit trail names the rule, and reactions
 * see it like any other event. The rule's changes themselves go through
 * updateTicket and addReply like a person's. Returns the ticket (locked).
 */
export async function recordRuleFired(
  deps: Deps,
  tx: Tx,
  actor: Actor,
  ticketId: number,
  rule: { id: number; name: string },
): Promise<Ticket> {
  const ticket = await repo.lockTicket(tx, ticketId);
  if (!ticket) throw new NotFound("ticket", ticketId);
  await record(deps, tx, [{ type: "rule.fired", ticket, actor, rule }]);
  return ticket;
}

/**
 * Records that staff applied a macro to a ticket (`macro.applied`), inside the
 * transaction of its actions, which run through updateTicket, changeTags and
 * addReply like any change and each carry the macro (`withMacro`). Call it
 * within `withMacro`. The ticket must be one the actor sees and may change.
 */
export async function recordMacroApplied(
  deps: Deps,
  tx: Tx,
  actor: Actor,
  ticketId: number,
): Promise<Ticket> {
  const ticket = await visibleTicket(tx, actor, ticketId, { lock: true });
  if (!isStaff(actor)) throw new NotFound("ticket", ticketId);
  if (!isEditable(ticket.status)) throw new TicketClosed();
  await record(deps, tx, [{ type: "macro.applied", ticket, actor }]);
  return ticket;
}

// --- CCs ---

export type Cc = repo.CcRow;

/**
 * A ticket's CCs: staff, and the requester of their own ticket (they chose or
 * were told who gets copies; nobody else sees the list).
 */
export async function listCcs(deps: Deps, actor: Actor, ticketId: number): Promise<Cc[]> {
  await getTicket(deps, actor, ticketId);
  return repo.listCcs(deps.db, ticketId);
}

/** A CC address: valid, not ours (that would mail ourselves), lower-cased. */
function ccAddress(deps: Deps, address: string): string {
  const lower = address.trim().toLowerCase();
  parse(AddCcInput, { address: lower });
  if (isOwnAddress(deps.config, lower))
    throw Invalid.field(
      "address",
      "is one of this helpdesk's own addresses",
      "error.field.ownAddress",
    );
  return lower;
}

/**
 * Staff add a CC: the address gets a copy of every public reply from now on,
 * and its replies by mail join the ticket. At most MAX_CCS per ticket.
 */
export async function addCc(
  deps: Deps,
  actor: Actor,
  ticketId: number,
  input: AddCcInput,
): Promise<{ cc: Cc; added: boolean }> {
  const data = parse(AddCcInput, trimFields(input, ["address", "name"]));
  if (!isStaff(actor)) {
    await getTicket(deps, actor, ticketId);
    throw new Forbidden("Only staff can change who gets copies.", "error.onlyStaff.ccs");
  }
  const address = ccAddress(deps, data.address);
  return deps.db.transaction(async (tx) => {
    const ticket = await visibleTicket(tx, actor, ticketId, { lock: true });
    if ((await repo.findUserEmail(tx, ticket.requesterId))?.toLowerCase() === address)
      throw Invalid.field(
        "address",
        "is the requester's: they get every public reply already",
        "error.field.requesterCc",
      );
    const existing = await repo.listCcs(tx, ticketId);
    const same = existing.find((c) => c.address === address);
    if (same) return { cc: same, added: false };
    if (existing.length >= MAX_CCS)
      throw Invalid.field(
        "address",
        `a ticket has at most ${MAX_CCS} CCs; remove one first`,
        "error.field.maxCcs",
        { max: MAX_CCS },
      );
    const [row] = await repo.insertCcs(tx, [
      { ticketId, address, name: data.name || null, addedBy: actor.id },
    ]);
    if (!row)
      throw new Conflict(
        "cc_exists",
        "This address was added meanwhile.",
        "error.ccAddedMeanwhile",
      );
    await record(deps, tx, [{ type: "ticket.cc_added", ticket, actor, address }]);
    return { cc: row, added: true };
  });
}

/** Staff remove a CC: no more copies, and its mail no longer joins the ticket. */
export async function removeCc(
  deps: Deps,
  actor: Actor,
  ticketId: number,
  address: string,
): Promise<void> {
  if (!isStaff(actor)) {
    await getTicket(deps, actor, ticketId);
    throw new Forbidden("Only staff can change who gets copies.", "error.onlyStaff.ccs");
  }
  const lower = address.trim().toLowerCase();
  await deps.db.transaction(async (tx) => {
    const ticket = await visibleTicket(tx, actor, ticketId, { lock: true });
    const removed = await repo.deleteCc(tx, ticketId, lower);
    if (!removed) throw new NotFound("CC", lower);
    await record(deps, tx, [{ type: "ticket.cc_removed", ticket, actor, address: lower }]);
  });
}

/**
 * The other people a mail about a ticket was addressed to (its To and Cc,
 * without our own addresses, the sender and the requester) become CCs, up to
 * MAX_CCS; the rest are left out, never the mail. Called by inbound mail in
 * the transaction that adds the mail, with its sender as the actor.
 */
export async function addCcsFromMail(
  deps: Deps,
  tx: Tx,
  actor: Actor,
  ticketId: number,
  people: readonly { address: string; name?: string | undefined }[],
): Promise<Cc[]> {
  // Who could be a CC at all, before any query: most mail names only us and the sender.
  const candidates = new Map<string, string | null>();
  for (const p of people) {
    const address = p.address.trim().toLowerCase();
    if (candidates.has(address) || address === actor.email.toLowerCase()) continue;
    if (isOwnAddress(deps.config, address)) continue;
    try {
      parse(AddCcInput, { address });
    } catch {
      continue;
    }
    candidates.set(address, p.name?.trim().slice(0, CC_NAME_MAX) || null);
  }
  if (candidates.size === 0) return [];
  const ticket = await repo.lockTicket(tx, ticketId);
  if (!ticket) throw new NotFound("ticket", ticketId);
  const requesterEmail = (await repo.findUserEmail(tx, ticket.requesterId))?.toLowerCase();
  // Staff hear of the ticket as staff (assignment, notifications), not as copies.
  const staff = new Set(await repo.findStaffEmails(tx, [...candidates.keys()]));
  const existing = await repo.listCcs(tx, ticketId);
  const known = new Set(existing.map((c) => c.address));
  const fresh = [...candidates]
    .filter(([address]) => address !== requesterEmail && !staff.has(address) && !known.has(address))
    .slice(0, Math.max(0, MAX_CCS - existing.length));
  const added = await repo.insertCcs(
    tx,
    fresh.map(([address, name]) => ({ ticketId, address, name, addedBy: actor.id })),
  );
  if (added.length > 0) {
    await record(
      deps,
      tx,
      added.map((c) => ({ type: "ticket.cc_added" as const, ticket, actor, address: c.address })),
    );
  }
  return added;
}

/**
 * Records that an automatic mail to `address` about a ticket was not sent
 * (AUTO_REPLY_LIMIT_PER_HOUR: a possible mail loop), in the transaction of
 * the change that would have sent it. Staff see it in the history and as a
 * notice on the ticket.
 */
export async function recordAutoReplySuppressed(
  deps: Deps,
  tx: Tx,
  ticketId: number,
  address: string,
): Promise<void> {
  const ticket = await repo.findTicket(tx, ticketId);
  if (!ticket) throw new NotFound("ticket", ticketId);
  await record(deps, tx, [
    {
      type: "mail.auto_reply_suppressed",
      ticket,
      actor: await accounts.automationActor(deps, tx),
      address,
    },
  ]);
}

// --- tags ---

/** Tags are internal: the ticket must be visible (else 404), and the actor staff (else 403). */
async function checkTagsActor(deps: Deps, actor: Actor, ticketId: number): Promise<void> {
  if (!isStaff(actor)) {
    await getTicket(deps, actor, ticketId);
    throw new Forbidden("Tags are for support staff.", "error.tags.onlyStaff");
  }
}

/** A ticket's tags, by name (staff only: customers never see tags). */
export async function listTicketTags(
  deps: Deps,
  actor: Actor,
  ticketId: number,
): Promise<string[]> {
  await checkTagsActor(deps, actor, ticketId);
  await getTicket(deps, actor, ticketId);
  return (await tags.listTicketTags(deps.db, ticketId)).map((t) => t.name);
}

/**
 * Changes a ticket's tags (staff; a rule's actions as the automation account):
 * puts `add` on it (new names make new tags) and takes `remove` off, in one
 * transaction under the ticket's lock; each tag that changed is a
 * `ticket.tag_added` or `ticket.tag_removed` event, so in the audit trail and
 * seen by rules and live pages. A ticket has at most MAX_TAGS_PER_TICKET tags;
 * closed tickets are final. Returns the ticket's tags after.
 */
export async function changeTags(
  deps: Deps,
  actor: Actor,
  ticketId: number,
  input: {
    add?: readonly string[];
    remove?: readonly string[];
    /** Take off every tag not in `add` (read under the ticket's lock). */
    only?: boolean;
  },
  options: { tx?: Tx | undefined } = {},
): Promise<string[]> {
  await checkTagsActor(deps, actor, ticketId);
  const add = tags.checkTagNames(input.add ?? [], "tags");
  const kept = new Set(add.map((n) => n.toLowerCase()));
  const remove = (input.remove ?? []).map((n) => n.trim().toLowerCase()).filter((n) => n !== "");
  return (options.tx ?? deps.db).transaction(async (tx) => {
    const ticket = await visibleTicket(tx, actor, ticketId, { lock: true });
    if (!isEditable(ticket.status)) throw new TicketClosed();
    const before = await tags.listTicketTags(tx, ticketId);
    const removing = before.filter((t) =>
      input.only ? !kept.has(t.name.toLowerCase()) : remove.includes(t.name.toLowerCase()),
    );
    const wanted = await tags.tagsNamed(
      tx,
      add.filter((n) => !remove.includes(n.toLowerCase())),
    );
    const staying = before.length - removing.length;
    const fresh = wanted.filter((t) => !before.some((b) => b.id === t.id));
    if (staying + fresh.length > tags.MAX_TAGS_PER_TICKET)
      throw Invalid.field(
        "tags",
        `a ticket has at most ${tags.MAX_TAGS_PER_TICKET} tags`,
        "error.tags.tooMany",
        { max: tags.MAX_TAGS_PER_TICKET },
      );
    const removedIds = new Set(
      await tags.deleteTicketTags(
        tx,
        ticketId,
        removing.map((t) => t.id),
      ),
    );
    const addedIds = new Set(
      await tags.insertTicketTags(
        tx,
        ticketId,
        fresh.map((t) => t.id),
        actor.id,
      ),
    );
    if (removedIds.size + addedIds.size > 0) {
      const updated = await repo.markChanged(tx, ticketId);
      await record(deps, tx, [
        ...removing
          .filter((t) => removedIds.has(t.id))
          .map((t) => ({
            type: "ticket.tag_removed" as const,
            ticket: updated,
            actor,
            tag: t.name,
          })),
        ...fresh
          .filter((t) => addedIds.has(t.id))
          .map((t) => ({ type: "ticket.tag_added" as const, ticket: updated, actor, tag: t.name })),
      ]);
    }
    return (await tags.listTicketTags(tx, ticketId)).map((t) => t.name);
  });
}

/** Sets a ticket's tags to exactly `names` (staff): the others are taken off. */
export async function setTags(
  deps: Deps,
  actor: Actor,
  ticketId: number,
  names: readonly string[],
): Promise<string[]> {
  return changeTags(deps, actor, ticketId, { add: names, only: true });
}

// --- custom fields ---

type FieldEvent = Omit<fields.FieldChangedEvent, "ticket" | "actor">;

/**
 * A ticket's stored field values after `changes` (by field id; null unsets),
 * and a `ticket.field_changed` event for each value that changed.
 */
function fieldChanges(
  defs: readonly fields.FieldDef[],
  before: Readonly<Record<string, unknown>>,
  changes: ReadonlyMap<number, fields.FieldValue | null> | undefined,
): { stored: Record<string, unknown>; events: FieldEvent[] } {
  const stored: Record<string, unknown> = { ...before };
  const events: FieldEvent[] = [];
  for (const [id, value] of changes ?? []) {
    const def = defs.find((d) => d.id === id);
    if (!def) continue;
    const from = fields.valueText(fields.storedValue(def, before));
    const to = fields.valueText(value);
    if (from === to) continue;
    if (value === null) delete stored[String(id)];
    else stored[String(id)] = value;
    events.push({
      type: "ticket.field_changed",
      field: def.name,
      from: from === "" ? null : from,
      to: to === "" ? null : to,
      customerVisible: def.customerVisible,
    });
  }
  return { stored, events };
}

/** Refuses to solve or close a ticket without the values its required fields need, naming each. */
function checkRequiredFields(
  defs: readonly fields.FieldDef[],
  stored: Readonly<Record<string, unknown>>,
): void {
  const missing = fields.missingRequired(defs, stored);
  if (missing.length === 0) return;
  const names = missing.map((d) => d.name);
  throw new Invalid(
    missing.map((d) =>
      fieldProblem(
        `fields.${d.name}`,
        "is required before solving",
        "error.fields.requiredToSolve",
      ),
    ),
    `Fill in ${names.join(", ")} before solving or closing this ticket.`,
    "fields_required",
    "error.fields.missingToSolve",
    { fields: missing.map((d) => d.label) },
  );
}

/** The custom fields the actor sees, enabled ones in page order (the API's `fields` object). */
export function visibleFields(deps: Deps, actor: Actor): Promise<fields.FieldDef[]> {
  return fields.fieldsFor(deps.db, actor);
}
