// What the process (src/main.ts) and other features use from email.
import type { Deps } from "../deps.ts";
import type { InboundListener } from "./inbound.listener.ts";
import { type OutboxWorker, startOutboxWorker } from "./worker.ts";

export { countPendingOutbox } from "./outbox.service.ts";

export interface EmailChannel {
  stop(): Promise<void>;
}

/**
 * Starts what configuration asks for: the outbox worker when SMTP_URL is set
 * (otherwise mail is only queued, and the log says so once), and the inbound
 * SMTP listener when INBOUND_SMTP_PORT is set.
 */
export async function startEmailChannel(deps: Deps): Promise<EmailChannel> {
  const { config } = deps;
  let worker: OutboxWorker | undefined;
  if (config.smtpUrl) {
    // nodemailer and smtp-server load only when configured: a quicker start without mail.
    const { smtpSender } = await import("./smtp.sender.ts");
    worker = startOutboxWorker(deps, smtpSender(config, config.smtpUrl));
    deps.log.info({ smtp: new URL(config.smtpUrl).host }, "mail delivery is on");
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
  return {
    async stop() {
      await Promise.all([worker?.stop(), listener?.close()]);
    },
  };
}
