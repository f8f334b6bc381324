import { AsyncLocalStorage } from "node:async_hooks";
import type { Actor } from "../accounts/index.ts";
import { automationActor } from "../accounts/index.ts";
import type { Tx } from "../db/client.ts";
import type { Deps } from "../deps.ts";
import { queueRuleMail } from "../email/outbox.service.ts";
import { type Reaction, withCause, writeGathered } from "../events/bus.ts";
import type { DomainEvent } from "../events/events.ts";
import { AppError } from "../lib/errors.ts";
import { listTicketTags } from "../tags/index.ts";
import * as tickets from "../tickets/tickets.service.ts";
import { applyFieldAndTagActions } from "./actions.ts";
import { isShippedReminder, reminderTemplate } from "./built-in.ts";
import { enabledTriggers } from "./cache.ts";
import { matches, needsRequester, needsTags, type TicketFacts } from "./conditions.ts";
import * as repo from "./rules.repo.ts";
import type { Rule, TriggerEvent } from "./rules.schemas.ts";
import { renderHtml, renderText, type TemplateValues } from "./templates.ts";

/**
 * The rule engine: triggers react to ticket events inside the transaction of
 * the change (a reaction subscribed in src/reactions.ts); time rules are fired
 * by the scheduler (scheduler.ts). Either way a firing runs in a savepoint as
 * the automation account, through the ordinary ticket services, so the same
 * permissions, lifecycle and audit apply as for a person; a refused action
 * rolls back that firing alone and is recorded, never the change that caused it.
 */

/** Rules acting on rules' changes stop here: the chain is cut and logged. */
export const MAX_DEPTH = 5;

/**
 * While a rule's actions run: the kinds of trigger event they set off (which
 * the rules were offered one level deeper, with the ticket as it is now).
 */
const offeredByFiring = new AsyncLocalStorage<Set<TriggerEvent>>();

/** The trigger event a domain event is, if any. */
export function triggerEventOf(event: DomainEvent): TriggerEvent | undefined {
  switch (event.type) {
    case "ticket.created":
      return "ticket_created";
    case "ticket.updated":
      return "ticket_updated";
    case "ticket.status_changed":
      return "status_changed";
    // A tag put on or taken off, a custom field set, is a change of the ticket.
    case "ticket.tag_added":
    case "ticket.tag_removed":
    case "ticket.field_changed":
      return "ticket_updated";
    case "message.created":
      if (event.message.internal) return "note_added";
      return event.byRequester || event.authorRole === "customer"
        ? "customer_replied"
        : "agent_replied";
    default:
      return undefined;
  }
}

type TicketState = Pick<
  tickets.Ticket,
  | "id"
  | "title"
  | "description"
  | "status"
  | "priority"
  | "channel"
  | "requesterId"
  | "assigneeId"
  | "teamId"
> & { readonly fields?: Readonly<Record<string, unknown>> | undefined };

function facts(
  ticket: TicketState,
  body: string,
  email: string,
  tagIds?: readonly number[],
): TicketFacts {
  return {
    tagIds,
    fields: ticket.fields,
    status: ticket.status,
    priority: ticket.priority,
    channel: ticket.channel,
    assigneeId: ticket.assigneeId,
    teamId: ticket.teamId,
    title: ticket.title,
    body,
    requesterEmail: email,
  };
}

async function templateValues(deps: Deps, tx: Tx, ticket: TicketState): Promise<TemplateValues> {
  const people = await repo.findPeople(tx, [
    ticket.requesterId,
    ...(ticket.assigneeId ? [ticket.assigneeId] : []),
  ]);
  const requester = people.get(ticket.requesterId);
  return {
    "ticket.id": String(ticket.id),
    "ticket.title": ticket.title,
    "ticket.status": ticket.status,
    "ticket.priority": ticket.priority,
    "ticket.url": new URL(`/tickets/${ticket.id}`, deps.config.publicUrl).href,
    "requester.name": requester?.name ?? "",
    "requester.email": requester?.email ?? "",
    "agent.name":
      (ticket.assigneeId ? people.get(ticket.assigneeId)?.name : undefined) ??
      deps.config.mailFromName,
  };
}

/** Runs a rule's actions on a ticket as `actor`: field changes first, then notes, then mails. */
async function runActions(
  deps: Deps,
  tx: Tx,
  actor: Actor,
  rule: Rule,
  ticket: tickets.Ticket,
): Promise<tickets.Ticket> {
  const ticketId = ticket.id;
  // A rule is the admin's decision made beforehand: nobody is there to ask about open
  // children or fields required before solving. A tag deleted since the rule was saved
  // refuses the firing (recorded).
  ticket =
    (await applyFieldAndTagActions(deps, tx, actor, ticketId, rule.actions, {
      solveWithOpenChildren: true,
      skipRequiredFields: true,
    })) ?? ticket;
  for (const action of rule.actions) {
    if (action.type === "add_note") {
      const values = await templateValues(deps, tx, ticket);
      const content = renderText(action.body, values);
      ticket = (
        await tickets.addReply(deps, actor, ticketId, { content, internal: true }, [], { tx })
      ).ticket;
    } else if (action.type === "send_mail") {
      const values = await templateValues(deps, tx, ticket);
      await queueRuleMail(
        deps,
        tx,
        ticket,
        action.to === "address"
          ? { kind: "address", address: action.address ?? "" }
          : { kind: action.to },
        isShippedReminder(action)
          ? (t) => {
              const { subject, body } = reminderTemplate(t.t);
              return {
                subject: renderText(subject, values),
                text: renderText(body, values),
                html: renderHtml(body, values),
              };
            }
          : {
              subject: renderText(action.subject, values),
              text: renderText(action.body, values),
              html: renderHtml(action.body, values),
            },
      );
    }
  }
  return ticket;
}

/**
 * Fires one rule on one ticket in a savepoint: the `rule.fired` event, then
 * the actions, each event marked with the rule as its cause at `depth`.
 * Returns the ticket after the actions, or undefined when they were refused
 * (rolled back to the savepoint, logged and recorded for admins).
 */
export async function fireRule(
  deps: Deps,
  tx: Tx,
  rule: Rule,
  ticketId: number,
  depth: number,
  offered: Set<TriggerEvent> = new Set(),
): Promise<tickets.Ticket | undefined> {
  const actor = await automationActor(deps, tx);
  // Mail queued so far in this change (a new ticket's acknowledgement) is written first:
  // the rule's own mail comes after it and counts it against the loop limit.
  await writeGathered(tx);
  try {
    return await tx.transaction((sp) =>
      offeredByFiring.run(offered, () =>
        withCause({ ruleId: rule.id, ruleName: rule.name, depth }, async () => {
          const ticket = await tickets.recordRuleFired(deps, sp, actor, ticketId, rule);
          await runActions(deps, sp, actor, rule, ticket);
          // As the actions and the rules they set off left it.
          return (await repo.findTicket(sp, ticketId)) ?? ticket;
        }),
      ),
    );
  } catch (error) {
    const refused = error instanceof AppError;
    const reason = refused ? error.message : "An unexpected error stopped its actions.";
    if (refused) deps.log.warn({ ruleId: rule.id, ticketId, reason }, "rule action refused");
    else deps.log.error({ err: error, ruleId: rule.id, ticketId }, "rule action failed");
    await repo.insertFailure(tx, {
      ruleId: rule.id,
      ticketId,
      reason,
      // The refusal's own catalog sentence, said on the rules page in the reader's language.
      reasonKey: refused ? (error.messageKey ?? null) : "error.rules.unexpected",
      reasonValues: refused ? (error.messageValues ?? null) : null,
    });
    return undefined;
  }
}

/**
 * Runs the enabled triggers on events one write recorded, in their order, each
 * rule at most once per event, against the ticket as earlier rules left it.
 * A rule's actions set off rules in turn, one level deeper (nested, in its savepoint).
 * Events caused by rules MAX_DEPTH deep fire nothing more: the loop is cut,
 * logged and recorded for each rule that would have fired.
 */
export async function runTriggers(
  deps: Deps,
  tx: Tx,
  events: readonly DomainEvent[],
): Promise<void> {
  const kinds = [...new Set(events.map(triggerEventOf).filter((k) => k !== undefined))];
  if (kinds.length === 0) return;
  const offered = offeredByFiring.getStore();
  for (const kind of kinds) offered?.add(kind);
  const first = events[0];
  if (!first) return;
  const emails = new Map<number, string>();
  let rules: Rule[];
  if (enabledTriggers.isWatched(deps.db)) {
    rules = (await enabledTriggers.get(deps.db, tx)).filter(
      (r) => r.event !== null && kinds.includes(r.event),
    );
  } else {
    const found = await repo.enabledTriggers(tx, kinds, first.ticket.requesterId);
    rules = found.rules;
    emails.set(first.ticket.requesterId, found.requesterEmail);
  }
  if (rules.length === 0) return;
  // Per ticket: its state as earlier rules left it, and the requester's address once needed.
  const latest = new Map<number, TicketState>();
  // One write is one "ticket updated" however many custom fields it set.
  const updated = new Set<number>();
  for (const event of events) {
    const kind = triggerEventOf(event);
    if (event.type === "ticket.field_changed" && updated.has(event.ticket.id)) continue;
    if (kind === "ticket_updated") updated.add(event.ticket.id);
    const candidates = rules.filter((r) => r.event === kind);
    if (candidates.length === 0) continue;
    const depth = (event.cause?.depth ?? 0) + 1;
    const body =
      event.type === "message.created" || event.type === "ticket.created"
        ? event.message.content
        : event.ticket.description;
    let ticket: TicketState = latest.get(event.ticket.id) ?? event.ticket;
    for (const rule of candidates) {
      let email = emails.get(ticket.requesterId);
      if (email === undefined && needsRequester(rule.conditions)) {
        email = await repo.requesterEmail(tx, ticket.requesterId);
        emails.set(ticket.requesterId, email);
      }
      const tagIds = needsTags(rule.conditions)
        ? (await listTicketTags(tx, ticket.id)).map((t) => t.id)
        : undefined;
      if (!matches(rule.match, rule.conditions, facts(ticket, body, email ?? "", tagIds))) continue;
      if (depth > MAX_DEPTH) {
        const reason = `Not run: rules changing the ticket set each other off more than ${MAX_DEPTH} levels deep (last: "${event.cause?.ruleName}").`;
        deps.log.warn(
          { ruleId: rule.id, ticketId: ticket.id, causedBy: event.cause?.ruleId },
          "rule loop cut",
        );
        await repo.insertFailure(tx, {
          ruleId: rule.id,
          ticketId: ticket.id,
          reason,
          reasonKey: "error.rules.loopCut",
          reasonValues: { max: MAX_DEPTH, rule: event.cause?.ruleName ?? "" },
        });
        continue;
      }
      const setOff = new Set<TriggerEvent>();
      ticket = (await fireRule(deps, tx, rule, ticket.id, depth, setOff)) ?? ticket;
      latest.set(ticket.id, ticket);
      // The rule's actions set off an event of this kind: the rules after it
      // were offered that one already, with the ticket as it is now (one level
      // deeper), so they are not offered this older one again.
      if (kind && setOff.has(kind)) break;
    }
  }
}

/** Triggers as an in-transaction reaction (subscribed in src/reactions.ts). */
export const ruleTriggers: Reaction<Deps> = {
  name: "rule triggers",
  types: [
    "ticket.created",
    "ticket.updated",
    "ticket.status_changed",
    "message.created",
    "ticket.tag_added",
    "ticket.tag_removed",
    "ticket.field_changed",
  ],
  inTransaction: runTriggers,
};
