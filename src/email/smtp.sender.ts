import nodemailer from "nodemailer";
import type { Config } from "../config.ts";
import type { OutboxRow } from "./outbox.service.ts";

/** Sends one outbox row over SMTP; rejects with the server's answer when it refuses. */
export interface Sender {
  send(row: OutboxRow): Promise<void>;
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
export function smtpSender(config: Config, smtpUrl: string): Sender {
  const timeout = config.mailSendTimeoutMs;
  // One pooled connection per node, reused from mail to mail (a worker sends one at a time).
  const transport = nodemailer.createTransport({
    url: smtpUrl,
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
    async send(row) {
      await transport.sendMail({
        from: { name: config.mailFromName, address: config.mailFrom },
        to: row.toAddress,
        subject: row.subject,
        text: row.textBody,
        html: row.htmlBody,
        messageId: `<${row.messageId}>`,
        inReplyTo: row.headers["In-Reply-To"],
        references: row.headers.References,
        replyTo: row.headers["Reply-To"],
        envelope: { from: config.mailFrom, to: row.toAddress },
        headers: {
          // RFC 3834: we are automatic; well-behaved auto-responders stay quiet.
          "Auto-Submitted": "auto-generated",
          "X-Auto-Response-Suppress": "All",
          "X-Tessera-Outbox": String(row.id),
          // Outlook threads by these (src/email/threading.ts); older rows have none.
          ...pick(row.headers, ["Thread-Topic", "Thread-Index"]),
        },
      });
    },
    close: () => transport.close(),
  };
}
