import { AsyncLocalStorage } from "node:async_hooks";
import { createHash } from "node:crypto";
import type { Executor } from "../db/client.ts";
import type { Deps } from "../deps.ts";
import { ticketThreadId } from "./addresses.ts";
import * as outboxRepo from "./outbox.repo.ts";

/**
 * Thread headers of our mail about a ticket, so every client keeps one
 * conversation: In-Reply-To names the message being answered (the customer's
 * last mail on the ticket when there is one), References carries the thread
 * (our synthetic root, the customer's Message-IDs and our earlier mails to the
 * same address, newest kept when it grows long), and Outlook gets Thread-Topic
 * and Thread-Index.
 */

/** Keeps a References header within one folded line's worth of ids. */
export const REFERENCES_MAX_IDS = 20;
export const REFERENCES_MAX_CHARS = 2000;

/** The Message-ID of the mail being handled right now, while inbound mail adds its ticket or reply. */
const inbound = new AsyncLocalStorage<{ messageId: string; at: Date }>();

/** Runs `fn` with the inbound mail's Message-ID known to the mail written in its transaction. */
export function withInboundMessage<T>(messageId: string | undefined, fn: () => Promise<T>) {
  return messageId ? inbound.run({ messageId, at: new Date() }, fn) : fn();
}

/** `<id>` for an id with or without brackets; undefined for one that is not a Message-ID. */
export function bracketed(id: string): string | undefined {
  const bare = id.trim().replace(/^<|>$/g, "");
  return /^[^\s<>@]+@[^\s<>@]+$/.test(bare) ? `<${bare}>` : undefined;
}

export interface ThreadInput {
  threadId: string;
  title: string;
  ticketCreatedAt: Date;
  /** The customer's mails on the ticket and ours to this address, any order. */
  messages: { messageId: string; at: Date; fromCustomer: boolean }[];
  now: Date;
}

// 100 ns ticks since 1601-01-01, as Windows counts (FILETIME).
const FILETIME_EPOCH_OFFSET = 11644473600000n;
const filetime = (d: Date) => (BigInt(d.getTime()) + FILETIME_EPOCH_OFFSET) * 10000n;

/**
 * Outlook's Thread-Index (PidTagConversationIndex, MS-OXOMSG 2.2.1.3): a
 * 22-byte header (0x01, 5 bytes of the start time, a GUID derived from the
 * thread id so every mail of a ticket shares it) and a 5-byte block per
 * message after the first, each holding the time since the start.
 */
export function threadIndex(threadId: string, start: Date, later: Date[]): string {
  const header = Buffer.alloc(22);
  header[0] = 1;
  const startTicks = filetime(start);
  for (let i = 0; i < 5; i++) header[1 + i] = Number((startTicks >> BigInt(56 - 8 * i)) & 0xffn);
  createHash("md5").update(threadId).digest().copy(header, 6);
  const blocks = later.slice(-40).map((at, n) => {
    const delta = filetime(at) - startTicks;
    const positive = delta > 0n ? delta : 0n;
    const far = positive >= 1n << 49n;
    const value = Number((positive >> (far ? 23n : 18n)) & 0x7fffffffn);
    const block = Buffer.alloc(5);
    block.writeUInt32BE(((far ? 1 : 0) * 0x80000000 + value) >>> 0, 0);
    block[4] = n & 0x0f;
    return block;
  });
  return Buffer.concat([header, ...blocks]).toString("base64");
}

/** The thread headers of one mail (pure; see the file comment). */
export function buildThreadHeaders(input: ThreadInput): Record<string, string> {
  const root = `<${input.threadId}>`;
  const seen = new Set([root]);
  const ordered = [...input.messages]
    .sort((a, b) => a.at.getTime() - b.at.getTime())
    .flatMap((m) => {
      const id = bracketed(m.messageId);
      if (!id || seen.has(id)) return [];
      seen.add(id);
      return [{ ...m, messageId: id }];
    });
  const lastCustomer = ordered.filter((m) => m.fromCustomer).at(-1);
  const inReplyTo = lastCustomer?.messageId ?? ordered.at(-1)?.messageId ?? root;
  // The root first (it names the ticket); then the newest ids that fit.
  const kept: string[] = [];
  let length = root.length;
  for (const m of [...ordered].reverse()) {
    if (kept.length >= REFERENCES_MAX_IDS - 1) break;
    if (length + 1 + m.messageId.length > REFERENCES_MAX_CHARS) break;
    kept.unshift(m.messageId);
    length += 1 + m.messageId.length;
  }
  // In-Reply-To belongs in References too (RFC 5322 3.6.4), even when it is old.
  if (inReplyTo !== root && !kept.includes(inReplyTo)) {
    if (kept.length >= REFERENCES_MAX_IDS - 1) kept.shift();
    kept.push(inReplyTo);
  }
  return {
    "In-Reply-To": inReplyTo,
    References: [root, ...kept].join(" "),
    "Thread-Topic": input.title.replace(/[\r\n\t]+/g, " ").slice(0, 250),
    "Thread-Index": threadIndex(input.threadId, input.ticketCreatedAt, [
      ...ordered.map((m) => m.at),
      input.now,
    ]),
  };
}

/**
 * Thread headers for mail about `ticket` to each of `addresses` (keyed by the
 * address). `newTicket`: the ticket is being created in this transaction, so
 * no mail of it is recorded yet but this transaction's own (which need not
 * name each other: all carry the root) and the inbound one being handled, if
 * any; the lookup is skipped: opening a ticket is a hot path.
 */
export async function threadHeadersFor(
  deps: Deps,
  db: Executor,
  ticket: { id: number; title: string; createdAt?: Date | undefined },
  addresses: string[],
  options: {
    newTicket?: boolean;
    /** Mail of the ticket queued in this transaction and not yet written, named like written. */
    queued?: readonly { messageId: string; toAddress: string | null; at: Date }[];
  } = {},
): Promise<Map<string, Record<string, string>>> {
  const mails = options.newTicket
    ? []
    : [...(await outboxRepo.threadMails(db, ticket.id)), ...(options.queued ?? [])];
  const current = inbound.getStore();
  const fromCustomer = [
    ...mails
      .filter((m) => m.toAddress === null)
      .map((c) => ({ messageId: c.messageId, at: c.at, fromCustomer: true })),
    ...(current ? [{ messageId: current.messageId, at: current.at, fromCustomer: true }] : []),
  ];
  const now = new Date();
  const result = new Map<string, Record<string, string>>();
  for (const address of new Set(addresses)) {
    const sent = mails
      .filter((o) => o.toAddress?.toLowerCase() === address.toLowerCase())
      .map((o) => ({ messageId: o.messageId, at: o.at, fromCustomer: false }));
    result.set(
      address,
      buildThreadHeaders({
        threadId: ticketThreadId(deps.config, ticket.id),
        title: ticket.title,
        ticketCreatedAt: ticket.createdAt ?? now,
        messages: [...fromCustomer, ...sent],
        now,
      }),
    );
  }
  return result;
}
