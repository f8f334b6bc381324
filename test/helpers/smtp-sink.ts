import { EventEmitter, once } from "node:events";
import type { AddressInfo } from "node:net";
import { type ParsedMail, simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";
import { scaled } from "./time.ts";

/** A message the sink accepted (answered 250 to). */
export interface SinkMail {
  envelopeFrom: string;
  envelopeTo: string[];
  raw: Buffer;
  parsed: ParsedMail;
  /** Message-ID without angle brackets. */
  messageId: string;
}

export interface SmtpSink {
  readonly port: number;
  /** smtp://127.0.0.1:<port>, for SMTP_URL. */
  readonly url: string;
  readonly mails: SinkMail[];
  /**
   * While holding, the sink reads each message in full and then never answers:
   * like a server that stalls before its 250. Emits "held". A message whose
   * client goes away before the answer was never delivered and is dropped.
   */
  hold(on: boolean): void;
  /** Answer the next `n` messages to `address` with this SMTP code (e.g. 451 or 550). */
  refuseNext(address: string, n: number, code: number): void;
  /** Resolves when at least `n` mails arrived; rejects after `timeoutMs` (30 s) times TEST_TIME_FACTOR. */
  waitFor(n: number, timeoutMs?: number): Promise<SinkMail[]>;
  readonly events: EventEmitter;
  close(): Promise<void>;
}

/** A real SMTP server on loopback that keeps what it is sent (no TLS, no auth). */
export async function startSmtpSink(): Promise<SmtpSink> {
  const mails: SinkMail[] = [];
  const events = new EventEmitter();
  let holding = false;
  const refusals = new Map<string, { n: number; code: number }>();
  const server = new SMTPServer({
    disabledCommands: ["AUTH", "STARTTLS"],
    authOptional: true,
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        const raw = Buffer.concat(chunks);
        const refusal = session.envelope.rcptTo
          .map((r) => refusals.get(r.address.toLowerCase()))
          .find((r) => r && r.n > 0);
        if (refusal) {
          refusal.n--;
          const error = Object.assign(new Error("refused by the test sink"), {
            responseCode: refusal.code,
          });
          callback(error);
          return;
        }
        if (holding) {
          events.emit("held", raw);
          return; // never answered
        }
        simpleParser(raw).then(
          (parsed) => {
            mails.push({
              envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
              envelopeTo: session.envelope.rcptTo.map((r) => r.address),
              raw,
              parsed,
              messageId: (parsed.messageId ?? "").replace(/^<|>$/g, ""),
            });
            callback();
            events.emit("mail");
          },
          (error: Error) => callback(error),
        );
      });
    },
  });
  server.on("error", () => {});
  server.listen(0, "127.0.0.1");
  await once(server.server, "listening");
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    mails,
    events,
    hold(on) {
      holding = on;
    },
    refuseNext(address, n, code) {
      refusals.set(address.toLowerCase(), { n, code });
    },
    async waitFor(n, timeoutMs = 30_000) {
      const deadline = Date.now() + scaled(timeoutMs);
      while (mails.length < n) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`sink got ${mails.length} mails, expected ${n}`);
        await new Promise((resolve) => setTimeout(resolve, Math.min(left, 25)));
      }
      return mails;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
