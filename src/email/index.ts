// What the process (src/main.ts) and other features use from email.
import type { Deps } from "../deps.ts";
import type { InboundListener } from "./inbound.listener.ts";
import type { MailboxFetching } from "./mailboxes.fetcher.ts";
import { anyMailboxSmtp } from "./mailboxes.service.ts";
import { type OutboxWorker, startOutboxWorker } from "./worker.ts";

export { checkMailboxSecrets } from "./mailboxes.service.ts";
export { countPendingOutbox } from "./outbox.service.ts";

export interface EmailChannel {
  stop(): Promise<void>;
}

/**
 * Starts what configuration asks for: the outbox worker when SMTP_URL is set
 * or a mailbox has SMTP settings (otherwise mail is only queued, and the log
 * says so once), the inbound SMTP listener when INBOUND_SMTP_PORT is set, and
 * fetching from the IMAP mailboxes admins added (`exclusive`: the database is
 * embedded, so claims on mailboxes left by a killed process are void).
 */
export async function startEmailChannel(
  deps: Deps,
  options: { exclusive?: boolean } = {},
): Promise<EmailChannel> {
  const { config } = deps;
  let worker: OutboxWorker | undefined;
  if (config.smtpUrl || (await anyMailboxSmtp(deps))) {
    // nodemailer and smtp-server load only when configured: a quicker start without mail.
    const { smtpSender } = await import("./smtp.sender.ts");
    const { routedSender } = await import("./mailboxes.sender.ts");
    const fallback = config.smtpUrl ? smtpSender(config, config.smtpUrl) : undefined;
    worker = startOutboxWorker(deps, routedSender(deps, fallback));
    deps.log.info(
      { smtp: config.smtpUrl ? new URL(config.smtpUrl).host : "mailboxes only" },
      "mail delivery is on",
    );
  } else {
    deps.log.info(
      "Mail delivery is off (SMTP_URL is not set): notifications are kept in the outbox, unsent.",
    );
  }
  let listener: InboundListener | undefined;
  if (config.inboundSmtpPort !== undefined) {
    const { startInboundListener } = await import("./inbound.listener.ts");
    listener = await startInboundListener(deps, {
      port: config.inboundSmtpPort,
      host: config.inboundSmtpHost,
    });
    deps.log.info(
      { port: listener.port, host: config.inboundSmtpHost, accepts: config.inboundSmtpDomains },
      "inbound SMTP listener is on",
    );
  }
  const { startMailboxes } = await import("./mailboxes.fetcher.ts");
  const mailboxes: MailboxFetching = startMailboxes(deps, { exclusive: options.exclusive });
  return {
    async stop() {
      await Promise.all([worker?.stop(), listener?.close(), mailboxes.stop()]);
    },
  };
}
