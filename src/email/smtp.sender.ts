import nodemailer from "nodemailer";
import type { Config } from "../config.ts";
import type { OutboxRow } from "./outbox.service.ts";

/** Who a mail is from when not the global MAIL_FROM: a mailbox (src/email/mailboxes.sender.ts). */
export interface SendAs {
  from: { name: string; address: string };
}

/** Sends one outbox row over SMTP; rejects with the server's answer when it refuses. */
export interface Sender {
  send(row: OutboxRow, as?: SendAs): Promise<void>;
  close(): void;
}

/** An error the server gave a 5xx for: retrying the same message will not help. */
export function isPermanent(error: unknown): boolean {
  const code = (error as { responseCode?: unknown })?.responseCode;
  return typeof code === "number" && code >= 500 && code < 600;
}

/**
 * A nodemailer transport for SMTP_URL. Every timeout is MAIL_SEND_TIMEOUT_SECONDS,
 * which keeps a delivery well inside the worker's lease (twice that).
 */
export function smtpSender(
  config: Config,
  server:
    | string
    | {
        host: string;
        port: number;
        secure: boolean;
        requireTLS: boolean;
        ignoreTLS: boolean;
        auth?: { user: string; pass: string } | undefined;
      },
): Sender {
  const timeout = config.mailSendTimeoutMs;
  // One pooled connection per node, reused from mail to mail (a worker sends one at a time).
  const transport = nodemailer.createTransport({
    ...(typeof server === "string" ? { url: server } : server),
    pool: true,
    maxConnections: 1,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    dnsTimeout: timeout,
  });
  const pick = (headers: Record<string, string>, names: string[]) =>
    Object.fromEntries(names.flatMap((n) => (headers[n] ? [[n, headers[n]]] : [])));
  return {
    async send(row, as) {
      const from = as?.from ?? { name: config.mailFromName, address: config.mailFrom };
      await transport.sendMail({
        from,
        to: row.toAddress,
        subject: row.subject,
        text: row.textBody,
        html: row.htmlBody,
        messageId: `<${row.messageId}>`,
        inReplyTo: row.headers["In-Reply-To"],
        references: row.headers.References,
        // From a mailbox, answers go back to it (threaded by In-Reply-To and References):
        // the reply address on MAIL_FROM's domain may reach nobody there.
        replyTo: as ? undefined : row.headers["Reply-To"],
        envelope: { from: from.address, to: row.toAddress },
        headers: {
          // RFC 3834: we are automatic; well-behaved auto-responders stay quiet.
          "Auto-Submitted": "auto-generated",
          "X-Auto-Response-Suppress": "All",
          "X-Tessera-Outbox": String(row.id),
          // Outlook threads by these (src/email/threading.ts); older rows have none.
          ...pick(row.headers, ["Thread-Topic", "Thread-Index"]),
          // The language the mail is written in (issue 20); older rows have none.
          ...pick(row.headers, ["Content-Language"]),
        },
      });
    },
    close: () => transport.close(),
  };
}
