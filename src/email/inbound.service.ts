import { Readable } from "node:stream";
// mailparser and sanitize-html are loaded on the first message, not at start-up
// (together they are a quarter of a second of module loading).
import type { AddressObject, ParsedMail } from "mailparser";
import * as accounts from "../accounts/index.ts";
import { type Actor, isAdmin, isStaff } from "../accounts/index.ts";
import type { Executor, Tx } from "../db/client.ts";
import type { Deps } from "../deps.ts";
import { AppError, Forbidden, NotFound } from "../lib/errors.ts";
import { MAX_ID } from "../lib/ids.ts";
import { sanitizeMailHtml } from "../lib/mail-html.ts";
import { type StagedFile, stageUpload } from "../tickets/attachments.storage.ts";
import * as merging from "../tickets/merge.service.ts";
import { CONTENT_MAX, MAX_FILES, TITLE_MAX } from "../tickets/tickets.schemas.ts";
import * as tickets from "../tickets/tickets.service.ts";
import { mailDomain, ticketFromReplyAddress } from "./addresses.ts";
import { repairForParsing } from "./charset.ts";
import * as repo from "./inbound.repo.ts";
import * as mailboxesRepo from "./mailboxes.repo.ts";
import { replySecret, ticketsForMessageIds } from "./outbox.service.ts";
import { quoteForward, splitReply } from "./quotes.ts";
import { withInboundMessage } from "./threading.ts";

/**
 * Mail in: every message is stored raw first (so nothing accepted is ever
 * lost, malformed or not), then parsed, filtered for loops and junk, threaded,
 * and handed to the tickets service like any other reply or new ticket.
 */

export interface Envelope {
  /** SMTP MAIL FROM: "" for a bounce (null sender); undefined when posted over HTTP. */
  from?: string | undefined;
  /** SMTP RCPT TO addresses; empty when posted over HTTP (the headers are used instead). */
  to: string[];
}

export type InboundRow = repo.InboundRow;
export type InboundSummary = Awaited<ReturnType<typeof repo.listInbound>>[number];

export interface InboundResult {
  /** The inbound_emails row keeping the raw message. */
  id: number;
  status: repo.InboundStatus;
  ticketId?: number | undefined;
  reason?: string | undefined;
}

const HOUR_MS = 3600_000;
/** An earlier copy still "received" this recently is being handled; older, it died on the way. */
const IN_FLIGHT_MS = 10 * 60_000;

/** Why a message must not be answered or turned into a ticket; undefined when it is fine. */
export function junkReason(
  parsed: ParsedMail,
  envelope: Envelope,
  supportAddress: string,
): string | undefined {
  if (envelope.from === "") return "bounce (null sender)";
  const from = firstAddress(parsed.from)?.address?.toLowerCase() ?? "";
  const local = from.split("@")[0] ?? "";
  if (/^(mailer-daemon|postmaster)$/.test(local)) return `bounce (from ${local})`;
  const contentType = parsed.headers.get("content-type") as
    | { value?: string; params?: Record<string, string> }
    | undefined;
  if (contentType?.value?.toLowerCase() === "multipart/report") {
    return `delivery report (${contentType.params?.["report-type"] ?? "multipart/report"})`;
  }
  const autoSubmitted = headerText(parsed, "auto-submitted");
  // RFC 3834: anything but "no" (which may carry a comment) is automatic.
  if (autoSubmitted && autoSubmitted.split(/[\s;(]/)[0]?.toLowerCase() !== "no") {
    return `automatic mail (Auto-Submitted: ${autoSubmitted.slice(0, 50)})`;
  }
  const precedence = headerText(parsed, "precedence")?.toLowerCase();
  if (precedence && ["bulk", "junk", "list", "auto_reply"].includes(precedence)) {
    return `bulk mail (Precedence: ${precedence})`;
  }
  if (parsed.headers.has("x-autoreply") || parsed.headers.has("x-autorespond")) {
    return "automatic reply (X-Autoreply)";
  }
  const [supportLocal, supportDomain] = supportAddress.split("@");
  const [fromLocal = "", fromDomain] = from.split("@");
  if (fromDomain === supportDomain && fromLocal.split("+")[0] === supportLocal) {
    return "from our own address (a loop)";
  }
  return undefined;
}

function headerText(parsed: ParsedMail, name: string): string | undefined {
  const value = parsed.headers.get(name);
  if (value === undefined) return undefined;
  return (typeof value === "string" ? value : String(value)).trim();
}

function firstAddress(field: AddressObject | AddressObject[] | undefined) {
  return [field ?? []].flat()[0]?.value[0];
}

function allAddresses(...fields: (AddressObject | AddressObject[] | undefined)[]): string[] {
  return people(...fields).map((p) => p.address);
}

/** Everyone named in these header fields (groups flattened), with their display names. */
function people(...fields: (AddressObject | AddressObject[] | undefined)[]) {
  return fields
    .flatMap((f) => [f ?? []].flat())
    .flatMap((a) => a.value)
    .flatMap((v) => [v, ...(v.group ?? [])])
    .flatMap((v) => (v.address ? [{ address: v.address, name: v.name || undefined }] : []))
    .slice(0, 200);
}

export { sanitizeMailHtml } from "../lib/mail-html.ts";

/**
 * The HTML an HTML-only mail (no text/plain part: its text was made from the
 * HTML) shows on the ticket, sanitised, with its inline `cid:` images pointing
 * at the n-th kept attachment; undefined for mail that has a text part.
 */
async function htmlOnlyBody(
  raw: Buffer,
  parsed: ParsedMail,
  kept: ParsedMail["attachments"],
): Promise<string | undefined> {
  if (!parsed.html) return undefined;
  // A text/plain part anywhere (or no Content-Type at all, which means text/plain).
  const text = raw.toString("latin1");
  if (/^content-type:[ \t]*text\/plain/im.test(text) || !/^content-type:/im.test(text))
    return undefined;
  const cids = new Map<string, number>();
  kept.forEach((a, i) => {
    if (a.cid) cids.set(a.cid.toLowerCase(), i);
  });
  const html = await sanitizeMailHtml(parsed.html, cids);
  return html.trim() === "" ? undefined : html.slice(0, CONTENT_MAX * 4);
}

/** A subject fit for a ticket title: no reply prefixes or line breaks, bounded. */
export function titleFromSubject(subject: string | undefined): string {
  let title = (subject ?? "")
    // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
    .replace(/[\u0000-\u001f\u007f]+/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  for (;;) {
    const next = title.replace(/^(re|fwd?|aw|wg|sv|vs)\s*(\[\d+\])?\s*:\s*/i, "");
    if (next === title) break;
    title = next;
  }
  return (title || "(no subject)").slice(0, TITLE_MAX);
}

const SHORTENED = "\n\n[Message shortened; the full original is kept.]";
const bounded = (text: string) =>
  text.length > CONTENT_MAX ? text.slice(0, CONTENT_MAX - SHORTENED.length) + SHORTENED : text;

/**
 * What a ticket shows of a mail: its text minus quoted history (a forward is
 * kept whole, as a quoted block), within the size limit; and what was trimmed,
 * kept for "Show quoted text".
 */
export function contentOf(parsed: ParsedMail): { content: string; quoted: string | undefined } {
  const text = (parsed.text ?? "").replaceAll("\u0000", "");
  const split = splitReply(text, { subject: parsed.subject });
  let content =
    split.forwardAt === undefined ? split.visible : quoteForward(split.lines, split.forwardAt);
  if (content === "")
    content = parsed.attachments.length > 0 ? "(see attachments)" : "(empty message)";
  return {
    content: bounded(content),
    quoted: split.quoted === undefined ? undefined : bounded(split.quoted),
  };
}

/** The attachments a ticket can take: within MAX_ATTACHMENT_MB, at most MAX_FILES. */
function keptAttachments(deps: Deps, parsed: ParsedMail) {
  return parsed.attachments
    .filter((a) => a.size <= deps.config.maxAttachmentBytes)
    .slice(0, MAX_FILES);
}

async function stageAttachments(deps: Deps, parsed: ParsedMail): Promise<StagedFile[]> {
  const files: StagedFile[] = [];
  for (const a of keptAttachments(deps, parsed)) {
    files.push(
      await stageUpload(
        deps.config.dataDir,
        Readable.from([a.content]),
        a.filename ?? "attachment",
        a.contentType ?? "application/octet-stream",
      ),
    );
  }
  return files;
}

/**
 * Finds the ticket a mail answers: by the reply token in a recipient address,
 * else by In-Reply-To/References naming a Message-ID we sent. Never by the
 * subject: `[#123]` is something anyone can type.
 */
async function findThread(
  deps: Deps,
  db: Executor,
  parsed: ParsedMail,
  envelope: Envelope,
): Promise<number | undefined> {
  const secret = await replySecret(deps, db);
  const recipients = [
    ...envelope.to,
    ...allAddresses(parsed.to, parsed.cc),
    headerText(parsed, "delivered-to") ?? "",
  ];
  for (const address of recipients) {
    const ticketId = ticketFromReplyAddress(secret, address);
    if (ticketId !== undefined) return ticketId;
  }
  const ids = [parsed.inReplyTo ?? "", ...[parsed.references ?? []].flat()]
    .flatMap((s) => s.split(/\s+/))
    .map((s) => s.replace(/^<|>$/g, "").trim())
    .filter((s) => s !== "")
    .slice(0, 50);
  const sent = await ticketsForMessageIds(deps, ids, db);
  const ours = sent.find((s) => s.ticketId !== null)?.ticketId;
  if (ours) return ours;
  // The customer's own earlier mail on a ticket (their reply-all, or a second message).
  const theirs = await repo.ticketsForInboundMessageIds(
    db,
    ids.map((id) => `<${id}>`),
  );
  const known = theirs.find((t) => t.ticketId !== null)?.ticketId;
  if (known) return known;
  // Only our synthetic thread root (some clients keep just the first References entry).
  const domain = mailDomain(deps.config).toLowerCase();
  for (const id of ids) {
    const match = /^tessera\.ticket\.(\d{1,10})@(.+)$/i.exec(id);
    const ticketId = Number(match?.[1]);
    if (match?.[2]?.toLowerCase() === domain && ticketId >= 1 && ticketId <= MAX_ID) {
      if (await repo.findTicketRequester(db, ticketId)) return ticketId;
    }
  }
  return undefined;
}

/** Where a message fetched from an IMAP mailbox sits on its server. */
export interface MailboxSource {
  mailboxId: number;
  /** The mailbox's own address: mail from it is a loop. */
  address: string;
  uidValidity: number;
  uid: number;
}

/**
 * Takes one inbound message (from the SMTP listener, the HTTP endpoint or an
 * IMAP mailbox). Resolves once it is stored and handled; rejects only when it
 * could not even be stored (the SMTP listener then answers 451 so the sender
 * retries). From a mailbox (`source`), everything happens in ONE transaction:
 * the raw message, its (mailbox, UIDVALIDITY, UID) and the ticket or reply it
 * makes commit together, so the fetcher flags it on the server only after all
 * of it is durable, and a fetch after a crash finds it by its UID.
 */
export async function receiveEmail(
  deps: Deps,
  raw: Buffer,
  envelope: Envelope,
  source?: MailboxSource,
): Promise<InboundResult> {
  if (!source) return handleEmail(deps, undefined, raw, envelope);
  return deps.db.transaction((tx) => handleEmail(deps, tx, raw, envelope, source));
}

/**
 * A fetched message that could not be handled at all (receiveEmail threw):
 * kept raw, with its place on the server, as failed, so admins see it and the
 * fetcher moves on to the next one.
 */
export async function keepUnprocessedEmail(
  deps: Deps,
  raw: Buffer,
  envelope: Envelope,
  source: MailboxSource,
  reason = "internal error while processing; see the log",
): Promise<number> {
  return deps.db.transaction(async (tx) => {
    const id = await repo.insertInbound(tx, {
      raw,
      envelopeFrom: envelope.from ?? null,
      envelopeTo: envelope.to,
    });
    await mailboxesRepo.insertMailboxMessage(tx, { ...source, inboundId: id });
    await repo.updateInbound(tx, id, { status: "failed", reason });
    return id;
  });
}

/** receiveEmail's work, on `tx` when given (a mailbox's message) or in steps on the database. */
async function handleEmail(
  deps: Deps,
  tx: Tx | undefined,
  raw: Buffer,
  envelope: Envelope,
  source?: MailboxSource,
): Promise<InboundResult> {
  const db: Executor = tx ?? deps.db;
  const id = await repo.insertInbound(db, {
    raw,
    envelopeFrom: envelope.from ?? null,
    envelopeTo: envelope.to,
  });
  if (source) await mailboxesRepo.insertMailboxMessage(db, { ...source, inboundId: id });
  const finish = async (
    status: repo.InboundStatus,
    reason?: string,
    ticketId?: number,
    extra: Parameters<typeof repo.updateInbound>[2] = {},
  ): Promise<InboundResult> => {
    await repo.updateInbound(db, id, {
      status,
      reason: reason ?? null,
      ticketId: ticketId ?? null,
      ...extra,
    });
    if (status === "failed") deps.log.warn({ inboundId: id, reason }, "inbound mail not processed");
    else deps.log.info({ inboundId: id, status, ticketId, reason }, "inbound mail");
    return { id, status, ticketId, reason };
  };

  let parsed: ParsedMail;
  try {
    const { simpleParser } = await import("mailparser");
    parsed = await simpleParser(repairForParsing(raw), {
      skipImageLinks: true,
      skipTextLinks: true,
    });
    // mailparser makes text from HTML only when the HTML is the whole message: an
    // HTML-only mail in multipart/related or /mixed (inline images, attachments) had
    // no text, and its ticket said "(see attachments)". Its text, made the same way:
    if (!parsed.text?.trim() && parsed.html) {
      const html = Buffer.from(`Content-Type: text/html; charset=utf-8\r\n\r\n${parsed.html}`);
      parsed.text = (await simpleParser(html, { skipImageLinks: true, skipTextLinks: true })).text;
    }
  } catch (error) {
    return finish(
      "failed",
      `could not parse: ${error instanceof Error ? error.message : String(error)}`.slice(0, 500),
    );
  }
  const sender = firstAddress(parsed.from);
  const fromAddress = sender?.address?.trim().toLowerCase() ?? "";
  await repo.updateInbound(db, id, {
    fromAddress: fromAddress || null,
    subject: parsed.subject?.slice(0, 1000) ?? null,
    safeHtml: parsed.html ? await sanitizeMailHtml(parsed.html) : null,
  });
  const messageId = parsed.messageId?.trim().slice(0, 1000);
  if (messageId) {
    // The same mail delivered again (a retry, a second route, the API): once is enough.
    const earlier = await repo.claimMessageId(
      db,
      id,
      messageId,
      new Date(Date.now() - IN_FLIGHT_MS),
    );
    if (earlier) {
      await repo.updateInbound(db, id, { messageId });
      return finish(
        "ignored",
        `duplicate: Message-ID already received as inbound mail #${earlier.id}`,
        earlier.ticketId ?? undefined,
      );
    }
  }

  const junk =
    junkReason(parsed, envelope, deps.config.mailFrom) ??
    (source ? junkReason(parsed, envelope, source.address) : undefined);
  if (junk) return finish("ignored", junk);
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(fromAddress) || fromAddress.length > 254) {
    return finish("failed", "no usable sender address in From");
  }

  try {
    const leftOut = parsed.attachments.length - keptAttachments(deps, parsed).length;
    const shown = contentOf(parsed);
    const { quoted } = shown;
    const html = await htmlOnlyBody(raw, parsed, keptAttachments(deps, parsed));
    const content =
      leftOut > 0
        ? `${shown.content}\n\n[${leftOut} attachment(s) left out: over the size limit or more than ${MAX_FILES} files. The original message is kept.]`.slice(
            0,
            CONTENT_MAX,
          )
        : shown.content;
    const known = await repo.findUserByEmail(db, fromAddress);
    if (known?.disabled) return finish("ignored", "the sender's account is disabled");
    const thread = await findThread(deps, db, parsed, envelope);
    // A merged ticket's thread continues in the ticket it was merged into.
    const threadId = thread === undefined ? undefined : await merging.continuedIn(db, thread);
    // The others it was addressed to become the ticket's CCs.
    const copied = people(parsed.to, parsed.cc);
    let note: string | undefined;
    if (threadId !== undefined) {
      const ticket = await repo.findTicketRequester(db, threadId);
      // Only the requester, staff or a CC of the ticket add to it; anyone else starts their own.
      const member = ticket && known && (known.id === ticket.requesterId || isStaff(known));
      const cc = ticket && !member && (await repo.isCcOf(db, ticket.id, fromAddress));
      if (ticket && (member || cc)) {
        const files = await stageAttachments(deps, parsed);
        const result = await withInboundMessage(messageId, () =>
          db.transaction(async (inner) => {
            // A CC without an account gets one (without a password), like a new sender.
            const user =
              known ??
              (
                await accounts.findOrCreateCustomer(inner, {
                  email: fromAddress,
                  name: sender?.name,
                })
              ).user;
            const actor: Actor = {
              id: user.id,
              email: user.email,
              name: user.name,
              role: user.role,
            };
            const reply = await tickets.addReply(deps, actor, ticket.id, { content }, files, {
              tx: inner,
              channel: "email",
              quoted,
              html,
              asCc: !member,
            });
            await tickets.addCcsFromMail(deps, inner, actor, reply.ticket.id, copied);
            return reply;
          }),
        );
        return finish(
          result.ticket.id === ticket.id ? "reply" : "ticket",
          result.ticket.id === ticket.id ? undefined : `follow-up of closed ticket #${ticket.id}`,
          result.ticket.id,
          { messageRowId: result.message.id },
        );
      }
      note = `answers ticket #${threadId} but is not from its requester or staff, nor a CC of it: opened a new ticket`;
    }

    const since = new Date(Date.now() - HOUR_MS);
    if (
      (await repo.countTicketsFrom(db, fromAddress, since)) >= deps.config.inboundTicketsPerHour
    ) {
      return finish(
        "ignored",
        `rate limit: ${deps.config.inboundTicketsPerHour} new tickets per hour from one sender`,
      );
    }
    const files = await stageAttachments(deps, parsed);
    // The acknowledgement written in this transaction answers this mail (In-Reply-To).
    const created = await withInboundMessage(messageId, () =>
      db.transaction(async (inner) => {
        const { user } = await accounts.findOrCreateCustomer(inner, {
          email: fromAddress,
          name: sender?.name,
        });
        const actor: Actor = { id: user.id, email: user.email, name: user.name, role: user.role };
        // A mailbox's team routes its new tickets: the system's choice, not the sender's.
        const mailbox = source
          ? await mailboxesRepo.findMailbox(inner, source.mailboxId)
          : undefined;
        const ticket = await tickets.createTicket(
          deps,
          actor,
          { title: titleFromSubject(parsed.subject), description: content },
          files,
          { tx: inner, channel: "email", quoted, html, trustedTeamId: mailbox?.teamId },
        );
        await tickets.addCcsFromMail(deps, inner, actor, ticket.id, copied);
        return ticket;
      }),
    );
    return finish("ticket", note, created.id, {
      messageRowId: await repo.firstMessageOf(db, created.id),
    });
  } catch (error) {
    if (error instanceof AppError)
      return finish("failed", `${error.code}: ${error.message}`.slice(0, 500));
    deps.log.error({ err: error, inboundId: id }, "inbound mail failed");
    return finish("failed", "internal error while processing; see the log");
  }
}

/** Admins: a raw message posted to the API, handled like one received over SMTP. */
export async function receiveEmailAsAdmin(
  deps: Deps,
  actor: Actor,
  raw: Buffer,
): Promise<InboundResult> {
  if (!isAdmin(actor)) throw new Forbidden();
  return receiveEmail(deps, raw, { to: [] });
}

export const INBOUND_PAGE = 50;

/** Admins: inbound mail, newest first, optionally one status (e.g. failed). */
export async function listInbound(
  deps: Deps,
  actor: Actor,
  filter: { status?: repo.InboundStatus | undefined; beforeId?: number | undefined } = {},
) {
  if (!isAdmin(actor)) throw new Forbidden();
  return repo.listInbound(deps.db, { ...filter, limit: INBOUND_PAGE });
}

/** Admins: one inbound message with its raw original. */
export async function getInbound(deps: Deps, actor: Actor, id: number): Promise<repo.InboundRow> {
  if (!isAdmin(actor)) throw new Forbidden();
  const row = await repo.findInbound(deps.db, id);
  if (!row) throw new NotFound("inbound mail", id);
  return row;
}

/**
 * Staff: the original of a message that came in by mail, exactly as received
 * (an .eml). Customers get NotFound, as for anything they may not see.
 */
export async function getOriginalOfMessage(
  deps: Deps,
  actor: Actor,
  messageId: number,
): Promise<{ inboundId: number; raw: Buffer }> {
  if (!isStaff(actor)) throw new NotFound("original mail", messageId);
  const row = await repo.findByMessageRow(deps.db, messageId);
  if (!row || row.ticketId === null) throw new NotFound("original mail", messageId);
  // Staff see it only where they see its ticket (a restricted team's is not every agent's).
  await tickets.getTicket(deps, actor, row.ticketId).catch((error: unknown) => {
    throw error instanceof NotFound ? new NotFound("original mail", messageId) : error;
  });
  return { inboundId: row.id, raw: row.raw };
}
