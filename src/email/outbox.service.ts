import { type Actor, isAdmin, isStaff, issueTicketLinks } from "../accounts/index.ts";
import type { Executor, Tx } from "../db/client.ts";
import type { Deps } from "../deps.ts";
import { type Batch, gathered } from "../events/bus.ts";
import type { Translator } from "../i18n/i18n.ts";
import { Forbidden, NotFound } from "../lib/errors.ts";
import { instanceSecret, languageDefaults } from "../settings/settings.service.ts";
import * as tickets from "../tickets/tickets.service.ts";
import { newMessageId, replyAddress } from "./addresses.ts";
import {
  composeNotification,
  composeRuleMail,
  languageHeaders,
  type MailReader,
  mailTranslator,
  type NotificationKind,
} from "./compose.ts";
import * as repo from "./outbox.repo.ts";
import { threadHeadersFor } from "./threading.ts";

/**
 * Notifications, written to the outbox inside the transaction of the change
 * that caused them (so a mail exists exactly when its change does), and read
 * back by the worker. Only what a recipient may see goes into their mail:
 * internal notes never produce one.
 */

export type OutboxRow = repo.OutboxRow;

interface TicketLike {
  id: number;
  title: string;
  requesterId: number;
  assigneeId: number | null;
}
interface MessageLike {
  content: string;
  internal: boolean;
}

/**
 * Who a notification goes to: a person with an account (in their language and
 * zone, else the instance's), or a CC's bare address (the instance's).
 */
type MailTo = Pick<repo.Recipient, "email" | "name"> & MailReader & { id: number | null };

/**
 * The translator of each reader's mail: their own language and zone came with
 * their row; the instance's defaults come from memory on a server (read in
 * `tx` where not kept), so choosing a language costs the hot paths no statement.
 */
async function readersOf(deps: Deps, tx: Tx): Promise<(reader: MailReader) => Translator> {
  const defaults = await languageDefaults.get(deps.db, tx);
  return (reader) => mailTranslator(defaults, reader);
}

/** Acknowledgements and rule mails: what a mail loop feeds on (agents' replies are never limited). */
export const AUTOMATIC_KINDS = ["ticket.received", "rule"] as const;

/** The per-instance secret reply tokens are made with (generated once, shared by all nodes). */
export function replySecret(deps: Deps, db: Executor = deps.db): Promise<string> {
  return instanceSecret(deps, "mail-reply", db);
}

/**
 * Ticket mail queued while a change's reactions run is written in one
 * statement once they all have (events/bus Batch): a new ticket's
 * acknowledgement, the agents' notices and its automatic assignee's mail are
 * one insert. Until then loop protection counts it and thread headers name
 * it, as if written.
 */
const ticketMail: Batch<repo.NewOutboxRow> = { write: repo.insertOutbox };

async function writeTicketMail(tx: Tx, rows: repo.NewOutboxRow[]): Promise<void> {
  const batch = gathered(tx, ticketMail);
  if (batch) batch.push(...rows);
  else await repo.insertOutbox(tx, rows);
}

/** This transaction's ticket mail not yet written, as thread headers read sent mail. */
function unwrittenMail(tx: Tx, ticketId: number) {
  return (gathered(tx, ticketMail) ?? [])
    .filter((row) => row.ticketId === ticketId)
    .map((row) => ({ messageId: row.messageId, toAddress: row.toAddress, at: new Date() }));
}

/**
 * Loop protection that needs no headers: at most AUTO_REPLY_LIMIT_PER_HOUR
 * automatic mails to one address in any hour, counted in the outbox (so every
 * node sees the same count; an advisory lock per address makes parallel
 * transactions take turns). Over it, the mail is dropped and the ticket gets
 * a `mail.auto_reply_suppressed` event (audit trail, a notice for staff).
 * `automaticTo` names the address a mail counts against, or undefined for
 * mail that is never limited.
 */
async function withinAutoReplyLimit<M>(
  deps: Deps,
  tx: Tx,
  ticket: TicketLike,
  mails: M[],
  automaticTo: (mail: M) => string | undefined,
): Promise<M[]> {
  const limit = deps.config.autoReplyLimitPerHour;
  const kept: M[] = [];
  const counted = new Map<string, number>();
  for (const mail of mails) {
    const address = automaticTo(mail)?.toLowerCase();
    if (address === undefined) {
      kept.push(mail);
      continue;
    }
    let sent = counted.get(address);
    if (sent === undefined) {
      const queued = (gathered(tx, ticketMail) ?? []).filter(
        (row) =>
          row.toAddress.toLowerCase() === address &&
          (AUTOMATIC_KINDS as readonly string[]).includes(row.kind),
      ).length;
      sent = queued + (await repo.countAutomaticSince(tx, address, AUTOMATIC_KINDS, HOUR_MS));
    }
    if (sent < limit) {
      kept.push(mail);
      counted.set(address, sent + 1);
      continue;
    }
    counted.set(address, sent);
    deps.log.warn({ ticketId: ticket.id, limit }, "automatic mail suppressed: possible mail loop");
    await tickets.recordAutoReplySuppressed(deps, tx, ticket.id, address);
  }
  return kept;
}

const HOUR_MS = 3600_000;

async function enqueue(
  deps: Deps,
  tx: Tx,
  ticket: TicketLike,
  mails: {
    kind: NotificationKind;
    to: MailTo;
    actorName: string;
    content?: string;
    onBehalf?: boolean;
    /** A customer's own mail: its link opens the ticket without a password (accounts/ticket-links). */
    ticketLink?: boolean;
    /** A merge: the ticket that continues in this one. */
    mergedFrom?: { id: number; title: string };
  }[],
  options: { newTicket?: boolean } = {},
): Promise<void> {
  mails = await withinAutoReplyLimit(deps, tx, ticket, mails, (m) =>
    m.kind === "ticket.received" ? m.to.email : undefined,
  );
  if (mails.length === 0) return;
  const secret = await replySecret(deps, tx);
  const url = new URL(`/tickets/${ticket.id}`, deps.config.publicUrl).href;
  const linked = mails.flatMap((mail) =>
    mail.ticketLink && mail.to.id !== null ? [{ mail, userId: mail.to.id }] : [],
  );
  // One statement for every link of this change, in its transaction.
  const tokens = await issueTicketLinks(
    tx,
    linked.map(({ mail, userId }) => ({ userId, email: mail.to.email, ticketId: ticket.id })),
  );
  const links = new Map(
    linked.map(({ mail }, i) => {
      const link = new URL(`/tickets/${ticket.id}/open`, deps.config.publicUrl);
      link.searchParams.set("token", tokens[i] ?? "");
      return [mail, link.href];
    }),
  );
  const threads = await threadHeadersFor(
    deps,
    tx,
    ticket,
    mails.map((m) => m.to.email),
    { ...options, queued: unwrittenMail(tx, ticket.id) },
  );
  const readerOf = await readersOf(deps, tx);
  await writeTicketMail(
    tx,
    mails.map((mail) => {
      const t = readerOf(mail.to);
      const composed = composeNotification(t, {
        kind: mail.kind,
        ticket,
        recipientName: mail.to.name,
        actorName: mail.actorName,
        content: mail.content,
        onBehalf: mail.onBehalf,
        url: links.get(mail) ?? url,
        personalLink: links.has(mail),
        mergedFrom: mail.mergedFrom,
      });
      return {
        kind: mail.kind,
        ticketId: ticket.id,
        recipientId: mail.to.id,
        toAddress: mail.to.email,
        ...composed,
        textBody: composed.text,
        htmlBody: composed.html,
        messageId: newMessageId(deps.config),
        headers: {
          ...threads.get(mail.to.email),
          "Reply-To": replyAddress(deps.config, secret, ticket.id),
          ...languageHeaders(t),
        },
      };
    }),
  );
}

/**
 * The tickets each transaction opened (and mailed about), with the staff who
 * take mail as read then. Mail about one of them later in the same transaction
 * (its automatic assignment) needs no statement to find its recipient (staff
 * who take mail are all in that list) and skips the thread lookup: the only
 * mails of the ticket are that transaction's own, which need not name each
 * other (every mail of a ticket carries the thread's root). A savepoint is
 * another Tx, and looks them up as usual.
 */
const openedIn = new WeakMap<Tx, Map<number, readonly repo.Recipient[]>>();

const wantsStaffMail = (r: repo.Recipient | undefined, actor: Actor): r is repo.Recipient =>
  !!r && !r.disabled && isStaff(r) && r.emailNotifications && r.id !== actor.id;

/**
 * A new ticket: the requester gets an acknowledgement with what they wrote
 * (unless they are staff who opened it themselves), and every active agent who
 * wants mail hears of a new unassigned ticket.
 */
export async function notifyTicketCreated(
  deps: Deps,
  tx: Tx,
  actor: Actor,
  ticket: TicketLike,
  message: MessageLike,
): Promise<void> {
  const [requester] = await repo.findRecipients(tx, [ticket.requesterId]);
  const staff = await repo.listNotifiableStaff(tx);
  const opened = openedIn.get(tx) ?? new Map<number, readonly repo.Recipient[]>();
  opened.set(ticket.id, staff);
  openedIn.set(tx, opened);
  const mails: Parameters<typeof enqueue>[3] = [];
  if (requester && !requester.disabled && !(isStaff(requester) && requester.id === actor.id)) {
    mails.push({
      kind: "ticket.received",
      to: requester,
      actorName: actor.name,
      content: message.content,
      onBehalf: requester.id !== actor.id,
      ticketLink: requester.role === "customer",
    });
  }
  for (const agent of staff) {
    if (wantsStaffMail(agent, actor) && agent.id !== ticket.requesterId) {
      mails.push({
        kind: "ticket.new",
        to: agent,
        actorName: requester?.name ?? actor.name,
        content: message.content,
      });
    }
  }
  await enqueue(deps, tx, ticket, mails, { newTicket: true });
}

/**
 * A reply: staff's public reply goes to the requester (with its text); the
 * requester's reply goes to the assignee. Internal notes send nothing.
 */
export async function notifyReply(
  deps: Deps,
  tx: Tx,
  actor: Actor,
  ticket: TicketLike,
  message: MessageLike,
): Promise<void> {
  if (message.internal) return;
  if (isStaff(actor) && actor.id !== ticket.requesterId) {
    const [requester] = await repo.findRecipients(tx, [ticket.requesterId]);
    const to: (MailTo & { role?: repo.Recipient["role"] })[] =
      requester && !requester.disabled ? [requester] : [];
    // Each CC gets a mail of their own (never Cc'd on the requester's): nobody
    // learns another's address, and each has its own thread headers. Only the
    // requester's carries a ticket link: a CC has no account to open it with (nor a
    // language of its own: it is written in the instance's).
    for (const cc of await repo.listCcRecipients(tx, ticket.id)) {
      to.push({ id: null, email: cc.address, name: cc.name ?? cc.address });
    }
    await enqueue(
      deps,
      tx,
      ticket,
      to.map((r) => ({
        kind: "reply.public" as const,
        to: r,
        actorName: actor.name,
        content: message.content,
        ticketLink: r.role === "customer",
      })),
    );
    return;
  }
  if (ticket.assigneeId === null) return;
  const [assignee] = await repo.findRecipients(tx, [ticket.assigneeId]);
  if (wantsStaffMail(assignee, actor)) {
    await enqueue(deps, tx, ticket, [
      { kind: "reply.customer", to: assignee, actorName: actor.name, content: message.content },
    ]);
  }
}

/**
 * A merge: the source's requester hears, once, that their ticket continues as
 * the target (the mail is the target's: its subject, thread and reply address,
 * so an answer by mail joins it). Its link opens the target without a password
 * when it is theirs; a requester of another ticket became a CC of the target
 * and gets the plain link. Nobody is told of their own merge.
 */
export async function notifyMerged(
  deps: Deps,
  tx: Tx,
  actor: Actor,
  source: TicketLike,
  target: TicketLike,
): Promise<void> {
  const [requester] = await repo.findRecipients(tx, [source.requesterId]);
  if (!requester || requester.disabled || requester.id === actor.id) return;
  await enqueue(deps, tx, target, [
    {
      kind: "ticket.merged",
      to: requester,
      actorName: actor.name,
      mergedFrom: { id: source.id, title: source.title },
      ticketLink: requester.role === "customer" && source.requesterId === target.requesterId,
    },
  ]);
}

/** An assignment: the new assignee hears of it, unless they assigned themselves or opted out. */
export async function notifyAssigned(
  deps: Deps,
  tx: Tx,
  actor: Actor,
  ticket: TicketLike,
): Promise<void> {
  const { assigneeId } = ticket;
  if (assigneeId === null) return;
  const staffWhenOpened = openedIn.get(tx)?.get(ticket.id);
  const [assignee] = staffWhenOpened
    ? staffWhenOpened.filter((r) => r.id === assigneeId)
    : await repo.findRecipients(tx, [assigneeId]);
  if (wantsStaffMail(assignee, actor)) {
    await enqueue(
      deps,
      tx,
      ticket,
      [{ kind: "ticket.assigned", to: assignee, actorName: actor.name }],
      { newTicket: staffWhenOpened !== undefined },
    );
  }
}

/** A rule's (or an SLA notice's) subject, text and HTML body, framed by composeRuleMail. */
export interface RuleMailBody {
  subject: string;
  text: string;
  html: string;
}

/** Who a rule's mail goes to (see rules/rules.schemas.ts). */
export type RuleMailTo =
  | { kind: "requester" }
  | { kind: "assignee" }
  | { kind: "all_agents" }
  | { kind: "address"; address: string };

/**
 * A mail an automation rule sends, written to the outbox in the transaction
 * of the rule's firing. The subject, text and HTML body come rendered from the
 * rule's template (placeholder values already escaped in the HTML); this adds
 * the reply line, the link and the threading headers every ticket mail has.
 * Disabled accounts get nothing; "all agents" are those who take mail.
 * The frame is in each recipient's language (an address of its own: the
 * instance's); `mail` may be written per recipient's translator (an SLA notice).
 * Returns how many mails were queued.
 */
export async function queueRuleMail(
  deps: Deps,
  tx: Tx,
  ticket: TicketLike,
  to: RuleMailTo,
  mail: RuleMailBody | ((t: Translator) => RuleMailBody),
): Promise<number> {
  let recipients: ({ id: number | null; email: string } & MailReader)[];
  if (to.kind === "address") {
    // A bare address gets the instance's language; one that is an account's (a
    // team member's or an admin's SLA notice, a colleague in a rule) its owner's.
    const owner = await repo.findReaderByAddress(tx, to.address);
    recipients = [{ id: null, email: to.address, ...owner }];
  } else if (to.kind === "all_agents") recipients = await repo.listNotifiableStaff(tx);
  else {
    const id = to.kind === "requester" ? ticket.requesterId : ticket.assigneeId;
    recipients =
      id === null ? [] : (await repo.findRecipients(tx, [id])).filter((r) => !r.disabled);
  }
  // Staff (the assignee, all agents) are never limited: a loop runs with the outside world.
  // Only mail to the requester answers someone who may be an auto-responder; an address
  // an admin wrote into a rule (a team list, a log, an SLA notice) is theirs to choose.
  recipients = await withinAutoReplyLimit(deps, tx, ticket, recipients, (r) =>
    to.kind === "requester" ? r.email : undefined,
  );
  if (recipients.length === 0) return 0;
  const secret = await replySecret(deps, tx);
  const url = new URL(`/tickets/${ticket.id}`, deps.config.publicUrl).href;
  const threads = await threadHeadersFor(
    deps,
    tx,
    ticket,
    recipients.map((r) => r.email),
    { queued: unwrittenMail(tx, ticket.id) },
  );
  const readerOf = await readersOf(deps, tx);
  await writeTicketMail(
    tx,
    recipients.map((r) => {
      const t = readerOf(r);
      const body = typeof mail === "function" ? mail(t) : mail;
      const composed = composeRuleMail(t, { ...body, ticketId: ticket.id, url });
      return {
        kind: "rule",
        ticketId: ticket.id,
        recipientId: r.id,
        toAddress: r.email,
        subject: composed.subject,
        textBody: composed.text,
        htmlBody: composed.html,
        messageId: newMessageId(deps.config),
        headers: {
          ...threads.get(r.email),
          "Reply-To": replyAddress(deps.config, secret, ticket.id),
          ...languageHeaders(t),
        },
      };
    }),
  );
  return recipients.length;
}

/**
 * A mail about an account itself (a password reset, a sign-up confirmation),
 * composed by its feature and written to the outbox in the caller's
 * transaction. It belongs to no ticket, so it has no thread and no reply address.
 */
export async function queueAccountMail(
  deps: Deps,
  tx: Executor,
  mail: {
    kind: string;
    recipientId: number | null;
    to: string;
    subject: string;
    text: string;
    html: string;
    /** The language it is written in (its Content-Language). */
    locale: string;
  },
): Promise<void> {
  await repo.insertOutbox(tx, [
    {
      kind: mail.kind,
      ticketId: null,
      recipientId: mail.recipientId,
      toAddress: mail.to,
      subject: mail.subject,
      textBody: mail.text,
      htmlBody: mail.html,
      messageId: newMessageId(deps.config),
      headers: { "Content-Language": mail.locale },
    },
  ]);
}

/** How many mails wait to be delivered (pending, including those being retried). */
export async function countPendingOutbox(deps: Deps): Promise<number> {
  return repo.countByStatus(deps.db, "pending");
}

export const OUTBOX_PAGE = 50;

/** Admins: outgoing mail by status, newest first, for the email page. */
export async function listOutbox(
  deps: Deps,
  actor: Actor,
  status: OutboxRow["status"],
  beforeId?: number,
): Promise<{ rows: OutboxRow[]; counts: Record<OutboxRow["status"], number> }> {
  if (!isAdmin(actor)) throw new Forbidden();
  const [rows, pending, sent, failed] = await Promise.all([
    repo.listByStatus(deps.db, status, OUTBOX_PAGE, beforeId),
    repo.countByStatus(deps.db, "pending"),
    repo.countByStatus(deps.db, "sent"),
    repo.countByStatus(deps.db, "failed"),
  ]);
  return { rows, counts: { pending, sent, failed } };
}

/** Admins: puts a failed mail back in the queue with a fresh set of tries. */
export async function retryOutbox(deps: Deps, actor: Actor, id: number): Promise<void> {
  if (!isAdmin(actor)) throw new Forbidden();
  if (!(await repo.requeue(deps.db, id))) throw new NotFound("failed mail", id);
}

/** Whether this person (staff) gets mail about assignments, customer replies and new tickets. */
export async function getNotificationPreference(deps: Deps, actor: Actor): Promise<boolean> {
  return repo.getEmailNotifications(deps.db, actor.id);
}

/** Turns the actor's own staff notifications on or off (customers always get theirs). */
export async function setNotificationPreference(
  deps: Deps,
  actor: Actor,
  enabled: boolean,
): Promise<void> {
  if (!isStaff(actor))
    throw new Forbidden("Only staff have notification settings.", "error.onlyStaff.notifications");
  await repo.setEmailNotifications(deps.db, actor.id, enabled);
}

/** Tickets we sent these Message-IDs about (for threading inbound replies). */
export async function ticketsForMessageIds(
  deps: Deps,
  messageIds: string[],
  db: Executor = deps.db,
) {
  return repo.findByMessageIds(db, messageIds);
}
