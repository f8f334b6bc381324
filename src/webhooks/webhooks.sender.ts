import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import {
  BlockedAddress,
  type ResolvedAddress,
  type Resolver,
  resolveTarget,
  resolveWithin,
} from "./webhooks.guard.ts";

/** The first bytes of an answer kept for admins to read. */
export const EXCERPT_BYTES = 1024;

export interface WebhookRequest {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface WebhookResult {
  /** The HTTP status, or undefined when no answer came (refused, timed out, blocked). */
  readonly status: number | undefined;
  readonly ms: number;
  /** The first EXCERPT_BYTES of the answer, as text. */
  readonly excerpt: string | undefined;
  /** Why it failed, when it did: no answer, or a status outside 2xx. */
  readonly error: string | undefined;
  /** The address was refused: no connection was made. */
  readonly blocked: boolean;
}

export interface SenderOptions {
  readonly allowHosts: readonly string[];
  readonly timeoutMs: number;
  readonly resolve: Resolver;
}

/** A lookup that answers with the address already checked, whatever is asked. */
function pinned(target: ResolvedAddress): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  };
}

const utf8 = new TextDecoder("utf-8");

/**
 * POSTs one delivery. The host is resolved once and every address checked
 * (webhooks.guard.ts); the connection goes to the checked address through a
 * pinned `lookup`, so DNS rebinding between the check and the connect cannot
 * redirect it (TLS still verifies the certificate against the host name).
 * Redirects are not followed; the whole exchange is bounded by `timeoutMs`.
 */
export async function postWebhook(
  request: WebhookRequest,
  options: SenderOptions,
): Promise<WebhookResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const url = new URL(request.url);
  let target: ResolvedAddress;
  try {
    target = await resolveTarget(
      url,
      options.allowHosts,
      resolveWithin(options.resolve, options.timeoutMs),
    );
  } catch (error) {
    const message =
      error instanceof BlockedAddress
        ? error.message
        : `could not resolve ${url.hostname}: ${(error as Error).message}`;
    return {
      status: undefined,
      ms: elapsed(),
      excerpt: undefined,
      error: message,
      blocked: error instanceof BlockedAddress,
    };
  }
  const body = Buffer.from(request.body, "utf8");
  const client = url.protocol === "https:" ? https : http;
  return new Promise<WebhookResult>((resolve) => {
    let settled = false;
    const finish = (result: Omit<WebhookResult, "ms" | "blocked">) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...result, ms: elapsed(), blocked: false });
    };
    const req = client.request(
      url,
      {
        method: "POST",
        headers: {
          ...request.headers,
          "content-type": "application/json",
          "content-length": String(body.length),
          "user-agent": "Tessera-Webhooks/1",
        },
        lookup: pinned(target),
        // A fresh connection each time: a pooled one could have been opened to another address.
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const done = () => {
          const excerpt = utf8
            .decode(Buffer.concat(chunks).subarray(0, EXCERPT_BYTES))
            .replaceAll("\u0000", "\uFFFD");
          const status = res.statusCode ?? 0;
          finish({
            status,
            excerpt,
            error: status >= 200 && status < 300 ? undefined : `answered ${status}`,
          });
          res.destroy();
        };
        res.on("data", (chunk: Buffer) => {
          chunks.push(chunk);
          size += chunk.length;
          if (size >= EXCERPT_BYTES) done();
        });
        res.on("end", done);
        res.on("error", done);
      },
    );
    const timer = setTimeout(() => {
      req.destroy(new Error(`no answer within ${options.timeoutMs / 1000} s`));
    }, options.timeoutMs);
    req.on("error", (error) => {
      finish({ status: undefined, excerpt: undefined, error: error.message });
    });
    req.end(body);
  });
}
