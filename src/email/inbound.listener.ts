import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";
import type { Deps } from "../deps.ts";
import { acceptsRecipient } from "./addresses.ts";
import { receiveEmail } from "./inbound.service.ts";

export interface InboundListener {
  readonly port: number;
  close(): Promise<void>;
}

function smtpError(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

/**
 * The built-in SMTP listener (smtp-server): takes mail for INBOUND_SMTP_DOMAINS
 * (550 for anyone else), refuses messages over INBOUND_MAX_MB with 552 (at MAIL
 * FROM when the client declares SIZE, else at the end of DATA), and answers
 * 250 only once the message is stored. No AUTH or STARTTLS: put it on loopback
 * or a private network behind your MTA.
 */
export async function startInboundListener(
  deps: Deps,
  options: { port: number; host: string },
): Promise<InboundListener> {
  const limit = deps.config.inboundMaxBytes;
  const server = new SMTPServer({
    name: deps.config.publicUrl.hostname,
    banner: "Tessera",
    size: limit,
    authOptional: true,
    disabledCommands: ["AUTH", "STARTTLS"],
    logger: false,
    maxClients: deps.config.inboundSmtpMaxClients,
    // The client's reverse DNS name is never used, and waiting for a resolver that
    // does not answer held every connection for seconds before its greeting.
    disableReverseLookup: true,
    onMailFrom(address, _session, callback) {
      const declared = Number(address.args && (address.args as Record<string, string>).SIZE);
      if (declared > limit) {
        callback(smtpError(552, `Message exceeds the fixed maximum size of ${limit} bytes`));
        return;
      }
      callback();
    },
    onRcptTo(address, _session, callback) {
      if (acceptsRecipient(deps.config, address.address)) callback();
      else callback(smtpError(550, "No such recipient here"));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size <= limit) chunks.push(chunk);
      });
      stream.on("error", (error) => callback(error));
      stream.on("end", () => {
        if (stream.sizeExceeded || size > limit) {
          callback(smtpError(552, `Message exceeds the fixed maximum size of ${limit} bytes`));
          return;
        }
        const from = session.envelope.mailFrom;
        receiveEmail(deps, Buffer.concat(chunks), {
          from: from ? from.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
        }).then(
          (result) => callback(null, `Accepted as inbound #${result.id}`),
          (error: unknown) => {
            deps.log.error({ err: error }, "inbound mail could not be stored");
            callback(smtpError(451, "Temporary failure; please try again later"));
          },
        );
      });
    },
  });
  server.on("error", (error) => deps.log.error({ err: error }, "inbound SMTP error"));
  server.listen(options.port, options.host);
  await once(server.server, "listening");
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
