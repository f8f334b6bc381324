import http from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedWebhook {
  readonly path: string;
  readonly host: string | undefined;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** What the receiver answers: a status, a body and headers; `hang` never answers. */
export interface Answer {
  status: number;
  body: string;
  headers?: Record<string, string>;
  hang?: boolean;
}

/**
 * A real HTTP server on loopback standing in for an integration's endpoint:
 * it records every request and answers from a queue (200 "ok" when empty).
 */
export interface WebhookReceiver {
  readonly port: number;
  readonly received: ReceivedWebhook[];
  /** Answers for the next requests, in order. */
  answer(...answers: Answer[]): void;
  url(path: string): string;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const answers: Answer[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (typeof value === "string") headers[name] = value;
      }
      received.push({
        path: req.url ?? "/",
        host: req.headers.host,
        headers,
        body: Buffer.concat(chunks).toString("utf8"),
      });
      const next = answers.shift() ?? { status: 200, body: "ok" };
      if (next.hang) return;
      res.writeHead(next.status, { "content-type": "text/plain", ...next.headers }).end(next.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    received,
    answer: (...next) => answers.push(...next),
    url: (path) => `http://127.0.0.1:${port}${path}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
