// The inbound SMTP scenario: N clients at once, each on its own connection,
// delivering mail to the real server's listener for a fixed time. Reports
// accepted and refused deliveries (421 "too many clients" and any other
// failure) and messages per second. Used by bench/run.ts, and standalone:
//   npm run bench:inbound -- [--clients 50] [--duration 10] [--database-url URL]
// Standalone, it starts `bin/tessera.js serve` on a fresh embedded database
// (or a scratch database on the PostgreSQL server named by --database-url).
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import nodemailer from "nodemailer";
import pg from "pg";

export const INBOUND_ADDRESS = "support@bench.example.test";

export interface InboundSmtpResult {
  clients: number;
  seconds: number;
  accepted: number;
  refused: number;
  /** The first few refusals, as the client saw them. */
  refusals: string[];
  messagesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** Waits until something accepts TCP connections on the port (the listener starts after HTTP). */
async function listening(host: string, port: number): Promise<void> {
  const since = performance.now();
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, host);
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (ok) return;
    if (performance.now() - since > 60_000) throw new Error(`nothing listens on ${host}:${port}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * `clients` loops at once, each opening a fresh SMTP connection per message
 * (as independent senders do), until `seconds` have passed.
 */
export async function measureInboundSmtp(
  host: string,
  port: number,
  clients: number,
  seconds: number,
): Promise<InboundSmtpResult> {
  await listening(host, port);
  const end = performance.now() + seconds * 1000;
  const times: number[] = [];
  const refusals: string[] = [];
  let refused = 0;
  let n = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      while (performance.now() < end) {
        const i = n++;
        const transport = nodemailer.createTransport({
          host,
          port,
          secure: false,
          ignoreTLS: true,
        });
        const started = performance.now();
        try {
          await transport.sendMail({
            envelope: { from: `sender${c}@clients.example.org`, to: INBOUND_ADDRESS },
            from: `Sender ${c} <sender${c}-${i}@clients.example.org>`,
            to: INBOUND_ADDRESS,
            subject: `Bench mail ${i}`,
            text: `Hello, this is mail ${i} from client ${c}.\n\nRegards`,
          });
          times.push(performance.now() - started);
        } catch (error) {
          refused++;
          if (refusals.length < 5) refusals.push(String((error as Error).message).slice(0, 200));
        } finally {
          transport.close();
        }
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  times.sort((a, b) => a - b);
  const at = (p: number) => times[Math.min(times.length - 1, Math.floor(times.length * p))] ?? 0;
  return {
    clients,
    seconds: elapsed,
    accepted: times.length,
    refused,
    refusals,
    messagesPerSecond: times.length / elapsed,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
  };
}

export function formatInboundSmtp(r: InboundSmtpResult): string {
  return (
    `Inbound SMTP, ${r.clients} parallel clients: ${r.accepted} accepted, ${r.refused} refused, ` +
    `${r.messagesPerSecond.toFixed(1)} messages/s, p50 ${r.p50Ms.toFixed(0)} ms, p99 ${r.p99Ms.toFixed(0)} ms` +
    (r.refusals.length > 0 ? `\n  refusals: ${r.refusals.join(" | ")}` : "")
  );
}

// ---------------------------------------------------------------- standalone

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitForHealth(base: string, child: ChildProcess): Promise<void> {
  const since = performance.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${base}/healthz`)).status === 200) return;
    } catch {
      // not listening yet
    }
    if (performance.now() - since > 120_000) throw new Error("no answer in 2 minutes");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function standalone(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      clients: { type: "string", default: "50" },
      duration: { type: "string", default: "10" },
      "database-url": { type: "string" },
    },
    strict: true,
  });
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
  const [port, smtpPort] = [await freePort(), await freePort()];
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tessera-bench-inbound-"));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: "127.0.0.1",
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    LOG_LEVEL: "warn",
    DATA_DIR: dataDir,
    RULES_INTERVAL_SECONDS: "0",
    MAIL_FROM: INBOUND_ADDRESS,
    INBOUND_SMTP_PORT: String(smtpPort),
    INBOUND_SMTP_DOMAINS: "bench.example.test",
    // Every client is one sender here: the per-sender ticket limit would turn mail away.
    INBOUND_TICKETS_PER_HOUR: "100000",
  };
  delete env.DATABASE_URL;
  let scratch: string | undefined;
  if (args["database-url"]) {
    scratch = `tessera_bench_inbound_${Date.now().toString(36)}`;
    const admin = new pg.Client({ connectionString: args["database-url"] });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${scratch}`);
    await admin.end();
    const url = new URL(args["database-url"]);
    url.pathname = `/${scratch}`;
    env.DATABASE_URL = url.href;
  }
  const child = spawn(process.execPath, ["bin/tessera.js", "serve"], {
    cwd: root,
    env,
    stdio: ["ignore", "inherit", "inherit"],
  });
  try {
    await waitForHealth(`http://127.0.0.1:${port}`, child);
    const result = await measureInboundSmtp(
      "127.0.0.1",
      smtpPort,
      Number(args.clients),
      Number(args.duration),
    );
    console.log(`${args["database-url"] ? "postgres" : "pglite"}: ${formatInboundSmtp(result)}`);
    console.log(JSON.stringify(result));
  } finally {
    child.kill("SIGTERM");
    await new Promise((resolve) => child.once("exit", resolve));
    fs.rmSync(dataDir, { recursive: true, force: true });
    if (scratch && args["database-url"]) {
      const admin = new pg.Client({ connectionString: args["database-url"] });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${scratch} WITH (FORCE)`);
      await admin.end();
    }
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await standalone();
}
