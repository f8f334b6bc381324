import { type Actor, isStaff } from "../accounts/index.ts";
import type { Executor, Tx } from "../db/client.ts";
import type { Deps } from "../deps.ts";
import type { DomainEvent } from "../events/events.ts";
import { Conflict, Forbidden, fieldProblem, Invalid, NotFound } from "../lib/errors.ts";
import { parse, trimFields } from "../lib/validate.ts";
import { languageDefaults } from "../settings/settings.service.ts";
import { canSee, visibleTicket } from "./access.ts";
import { isEditable } from "./lifecycle.ts";
import * as repo from "./merge.repo.ts";
import * as relations from "./relations.repo.ts";
import * as tickets from "./tickets.repo.ts";
import { MergeInput, SplitInput, TITLE_MAX } from "./tickets.schemas.ts";
import { noteSearchConfig, record, type Ticket, TicketClosed } from "./tickets.service.ts";

/**
 * Merging a ticket into another, and splitting a message off into a ticket of
 * its own (issue 15). Staff only. Both keep a link between the two tickets
 * (`merged_into`, `split_from` in ticket_relations) and write both audit trails.
 */

/** A merge refused for what the tickets are: 409, shown beside the ticket field on the page. */
export class MergeRefused extends Invalid {
  override readonly status = 409;
  constructor(code: string, message: string, key: string, values?: Record<string, string>) {
    // The sentence is the field's ("{label} is closed..."); the form as a whole says to look at it.
    super([fieldProblem("targetId", message, key, values)], message, code, "error.form.someFields");
  }
}

/** The target is no ticket the agent can see: 404 in the API, a field error on the page. */
export class TargetNotFound extends NotFound {
  constructor(readonly targetId: number) {
    super("ticket", targetId);
  }
}

function onlyStaff(actor: Actor, what: "merge" | "split"): void {
  if (!isStaff(actor))
    throw new Forbidden(
      what === "merge" ? "Only staff can merge tickets." : "Only staff can split tickets.",
      what === "merge" ? "error.merge.onlyStaff" : "error.split.onlyStaff",
    );
}

/** A requester as the confirmation page shows them. */
export interface Person {
  readonly id: number;
  readonly name: string;
  readonly email: string;
}

/** What a merge would do: the two tickets and their requesters, after every check but the last. */
export interface MergePlan {
  readonly source: Ticket;
  readonly target: Ticket;
  readonly sourceRequester: Person;
  readonly targetRequester: Person;
  /** The requesters differ: the merge needs `confirmDifferentRequester`. */
  readonly differentRequesters: boolean;
}

/**
 * The two tickets of a merge, read (and locked, in a transaction: lower id
 * first, in one statement) and checked: the source exists for `actor` (404
 * first, before anything about the target), is not the target, and is not
 * closed; the target is a ticket the actor sees (TargetNotFound) and is not
 * closed; the source has no open children.
 */
async function plan(
  tx: Tx | Deps["db"],
  actor: Actor,
  sourceId: number,
  targetId: number,
  lock: boolean,
): Promise<MergePlan> {
  if (targetId === sourceId) {
    await visibleTicket(tx, actor, sourceId);
    onlyStaff(actor, "merge");
    throw new MergeRefused(
      "merge_self",
      "is this ticket itself: a ticket cannot be merged into itself",
      "error.merge.self",
    );
  }
  const rows = lock
    ? await repo.lockTickets(tx, [sourceId, targetId])
    : await Promise.all([tickets.findTicket(tx, sourceId), tickets.findTicket(tx, targetId)]);
  const source = rows.find((t) => t?.id === sourceId);
  const target = rows.find((t) => t?.id === targetId);
  if (!source || !(await canSee(tx, actor, source))) throw new NotFound("ticket", sourceId);
  onlyStaff(actor, "merge");
  if (!target || !(await canSee(tx, actor, target))) throw new TargetNotFound(targetId);
  if (!isEditable(source.status))
    throw new MergeRefused(
      "merge_source_closed",
      `cannot take #${source.id}: it is closed (closed and merged tickets are final)`,
      "error.merge.sourceClosed",
      { id: String(source.id) },
    );
  if (!isEditable(target.status))
    throw new MergeRefused(
      "merge_target_closed",
      `is closed: a ticket cannot be merged into a closed one`,
      "error.merge.targetClosed",
      { id: String(target.id) },
    );
  const open = await relations.openChildren(tx, source.id);
  if (open.length > 0)
    throw new MergeRefused(
      "merge_open_children",
      `cannot take #${source.id} while it has open child tickets (${open.map((c) => `#${c.id}`).join(", ")}): solve or unlink them first`,
      "error.merge.openChildren",
      { id: String(source.id), children: open.map((c) => `#${c.id}`).join(", ") },
    );
  const people = await repo.findPeople(tx, [source.requesterId, target.requesterId]);
  const person = (id: number): Person => {
    const found = people.find((p) => p.id === id);
    if (!found) throw new Error(`requester ${id} vanished`);
    return found;
  };
  return {
    source,
    target,
    sourceRequester: person(source.requesterId),
    targetRequester: person(target.requesterId),
    differentRequesters: source.requesterId !== target.requesterId,
  };
}

/**
 * What merging `sourceId` into `input.targetId` would do, checked as the merge
 * itself checks (nothing changes): the confirmation page shows it.
 */
export async function previewMerge(
  deps: Deps,
  actor: Actor,
  sourceId: number,
  input: MergeInput,
): Promise<MergePlan> {
  const data = parse(MergeInput, input);
  return plan(deps.db, actor, sourceId, data.targetId, false);
}

/**
 * Staff merge ticket `sourceId` into `input.targetId`, in one transaction:
 * every message (keeping its time: the target's conversation stays in order),
 * attachment and CC of the source moves to the target; the source is closed;
 * a `merged_into` link records it (replacing any link the two had); both
 * tickets' search documents are rebuilt from what they hold; both audit
 * trails say so; and the source's requester gets one mail saying their
 * ticket continues as the target (`ticket.merged`, email/notifications.ts).
 * Refused: the ticket itself, a closed source or target, a source with open
 * children, and, unless `confirmDifferentRequester`, tickets of different
 * requesters (whose source requester then becomes a CC of the target, so
 * they still hear of it). Both rows are locked lower id first.
 */
export async function mergeTicket(
  deps: Deps,
  actor: Actor,
  sourceId: number,
  input: MergeInput,
): Promise<{ source: Ticket; target: Ticket }> {
  const data = parse(MergeInput, input);
  return deps.db.transaction(async (tx) => {
    const p = await plan(tx, actor, sourceId, data.targetId, true);
    if (p.differentRequesters && data.confirmDifferentRequester !== true)
      throw new MergeRefused(
        "merge_needs_confirmation",
        `has another requester (${p.targetRequester.email}, not ${p.sourceRequester.email}): confirm to merge anyway (confirmDifferentRequester: true)`,
        "error.merge.confirmRequester",
        { target: p.targetRequester.email, source: p.sourceRequester.email },
      );
    const existing = await relations.findRelationBetween(tx, p.source.id, p.target.id);
    if (existing) await relations.deleteRelation(tx, existing.id);
    const moved = await repo.moveContent(tx, p.source.id, p.target.id, {
      targetRequester: p.targetRequester.email,
      addCc: p.differentRequesters
        ? {
            address: p.sourceRequester.email,
            name: p.sourceRequester.name,
            addedBy: actor.id,
          }
        : undefined,
    });
    const source = await repo.closeMerged(tx, p.source.id);
    const target = await repo.absorbMerged(tx, p.target.id, p.source);
    await relations.insertRelation(tx, {
      kind: "merged_into",
      ticketId: source.id,
      otherId: target.id,
      createdBy: actor.id,
    });
    const merged = { source, target, messages: moved.messages } as const;
    const events: DomainEvent[] = [
      {
        type: "ticket.updated",
        ticket: source,
        actor,
        changes: { status: { from: p.source.status, to: "closed" } },
      },
      {
        type: "ticket.status_changed",
        ticket: source,
        actor,
        change: { from: p.source.status, to: "closed" },
      },
      { type: "ticket.merged", ticket: source, actor, side: "source", ...merged },
      { type: "ticket.merged", ticket: target, actor, side: "target", ...merged },
      ...moved.ccs.map(
        (address): DomainEvent => ({ type: "ticket.cc_added", ticket: target, actor, address }),
      ),
    ];
    await record(deps, tx, events);
    return { source, target };
  });
}

/** A title from a message: its first line with text, without Markdown's marks, cut to fit. */
export function titleFrom(content: string, fallback: string): string {
  const line = content
    .split(/\r?\n/)
    .map((l) => l.replace(/^[\s>#*\-+]+/, "").trim())
    .find((l) => l !== "");
  if (!line) return fallback;
  const max = 120;
  return line.length <= max ? line : `${line.slice(0, max - 1).trimEnd()}…`;
}

/**
 * Staff make message `messageId` of ticket `ticketId` a ticket of its own:
 * the new ticket has the same requester, priority and team, the message (and
 * its attachments) moves to it as its first message, and its title is the
 * one given or the message's first line. It is linked to the old ticket
 * (`split_from`), both audit trails say so, and it is opened as any ticket
 * is (`ticket.created`: the requester's acknowledgement, rules, SLA,
 * assignment). The old ticket's search documents lose the message's words.
 * Refused (409): a closed ticket, the ticket's first message (its
 * description: the ticket would be left without one), and internal notes
 * (the first message of a ticket is its requester's to read).
 */
export async function splitMessage(
  deps: Deps,
  actor: Actor,
  ticketId: number,
  messageId: number,
  input: SplitInput = {},
): Promise<Ticket> {
  const data = parse(SplitInput, trimFields(input, ["title"]));
  if (!isStaff(actor)) {
    await visibleTicket(deps.db, actor, ticketId);
    onlyStaff(actor, "split");
  }
  return deps.db.transaction(async (tx) => {
    const old = await visibleTicket(tx, actor, ticketId, { lock: true });
    if (!isEditable(old.status)) throw new TicketClosed();
    const message = await repo.findMessageOf(tx, ticketId, messageId);
    if (!message) throw new NotFound("message", messageId);
    if (message.first)
      throw new Conflict(
        "split_first_message",
        "The first message is the ticket's description: it stays with the ticket.",
        "error.split.firstMessage",
      );
    if (message.internal)
      throw new Conflict(
        "split_internal_note",
        "An internal note cannot open a ticket: a ticket's first message is its requester's to read.",
        "error.split.internalNote",
      );
    const title = (data.title || titleFrom(message.content, old.title)).slice(0, TITLE_MAX);
    const { locale } = await languageDefaults.get(deps.db, tx);
    const { ticket, searchConfig } = await tickets.insertTicket(
      tx,
      {
        title,
        description: message.content,
        priority: old.priority,
        requesterId: old.requesterId,
        teamId: old.teamId,
        channel: old.channel,
        followUpOf: null,
        externalId: null,
      },
      { requesterWrote: message.authorId === old.requesterId, fallbackLocale: locale },
    );
    await noteSearchConfig(deps, tx, searchConfig);
    await repo.moveMessage(tx, message.id, ticket.id);
    const rest = await repo.rebuildAfterSplit(tx, old.id);
    await relations.insertRelation(tx, {
      kind: "split_from",
      ticketId: ticket.id,
      otherId: old.id,
      createdBy: actor.id,
    });
    const snapshot = {
      id: message.id,
      content: message.content,
      internal: false,
      authorId: message.authorId,
    };
    await record(deps, tx, [
      { type: "ticket.created", ticket, actor, message: snapshot },
      {
        type: "ticket.split",
        ticket: rest,
        actor,
        side: "source",
        otherId: ticket.id,
        messageId: message.id,
      },
      {
        type: "ticket.split",
        ticket,
        actor,
        side: "created",
        otherId: old.id,
        messageId: message.id,
      },
    ]);
    return (await tickets.findTicket(tx, ticket.id)) ?? ticket;
  });
}

/**
 * Where a merged ticket's conversation went, for its page (a merged ticket
 * has no messages left): the target's id when `actor` may see it, `"hidden"`
 * when they may not (another requester's), undefined when it was not merged.
 * Asked only for a closed ticket without messages, so other pages send no
 * statement for it.
 */
export async function mergedInto(
  deps: Deps,
  actor: Actor,
  ticket: Pick<Ticket, "id" | "status">,
  messageCount: number,
): Promise<number | "hidden" | undefined> {
  if (ticket.status !== "closed" || messageCount > 0) return undefined;
  const target = await repo.findMergedInto(deps.db, ticket.id);
  if (!target) return undefined;
  return (await canSee(deps.db, actor, target)) ? target.id : "hidden";
}

/**
 * Where mail about ticket `id` belongs: the ticket its conversation continues
 * in when it was merged (followed to the end of a chain of merges), else `id`.
 * An answer by mail to a merged ticket's old thread joins the target, where its
 * requester is the target's requester or, when confirmed across requesters, a CC.
 */
export async function continuedIn(db: Executor, id: number): Promise<number> {
  return repo.followMerges(db, id);
}
