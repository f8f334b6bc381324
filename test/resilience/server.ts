// The real server as a child process (`node bin/tessera.js serve`), on an
// embedded data directory or a fresh PostgreSQL database, for the crash,
// shutdown, two-node and log tests. Accounts and API tokens are made in this
// process before the server starts (PGlite's data directory is locked while it runs).
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createUser } from "../../src/accounts/accounts.service.ts";
import type { Role } from "../../src/accounts/index.ts";
import { loadConfig } from "../../src/config.ts";
import { type DatabaseTarget, openDatabase } from "../../src/db/client.ts";
import type { Deps } from "../../src/deps.ts";
import { composeDeps } from "../../src/reactions.ts";
import { createToken } from "../../src/tokens/tokens.service.ts";
import { freePort } from "../helpers/net.ts";
import { createScratchDatabase } from "../helpers/postgres.ts";
import { scaled } from "../helpers/time.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const BIN = path.join(ROOT, "bin", "tessera.js");

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Where a test's server keeps its data: an embedded data directory, or a PostgreSQL database. */
export interface Store {
  readonly kind: "pglite" | "postgres";
  /** DATA_DIR for the server (attachments and, for PGlite, the database). */
  readonly dataDir: string;
  /** DATABASE_URL for the server, when PostgreSQL. */
  readonly databaseUrl: string | undefined;
  readonly target: DatabaseTarget;
  /** Deletes the data directory and drops the database. */
  remove(): Promise<void>;
}

const stores = new Set<Store>();
const children = new Set<ChildProcess>();
// An interrupted run must not leave servers behind.
process.once("exit", () => {
  for (const child of children) child.kill("SIGKILL");
});

/** A fresh data directory, and for PostgreSQL a fresh database on TEST_DATABASE_URL's server. */
export async function createStore(kind: "pglite" | "postgres"): Promise<Store> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tessera-res-"));
  let databaseUrl: string | undefined;
  let drop = async () => {};
  if (kind === "postgres") {
    const scratch = await createScratchDatabase("tessera_res");
    databaseUrl = scratch.url;
    drop = scratch.drop;
  }
  const store: Store = {
    kind,
    dataDir,
    databaseUrl,
    target: databaseUrl
      ? { kind: "postgres", url: databaseUrl, poolMax: 5 }
      : { kind: "pglite", dataDir },
    async remove() {
      stores.delete(store);
      fs.rmSync(dataDir, { recursive: true, force: true });
      await drop();
    },
  };
  stores.add(store);
  return store;
}

const silentLog: Deps["log"] = { info() {}, warn() {}, error() {}, debug() {} };

/** Opens the store's database in this process (migrated) for `work`, then closes it. */
export async function withStore<T>(store: Store, work: (deps: Deps) => Promise<T>): Promise<T> {
  const database = await openDatabase(store.target);
  try {
    await database.migrate();
    const config = loadConfig({
      DATA_DIR: store.dataDir,
      LOG_LEVEL: "silent",
      ...(store.databaseUrl ? { DATABASE_URL: store.databaseUrl } : {}),
    });
    return await work(composeDeps({ db: database.db, config, log: silentLog }));
  } finally {
    await database.close();
  }
}

export interface Account {
  id: number;
  email: string;
  password: string;
  role: Role;
  /** A personal API token (`Authorization: Bearer ...`). */
  token: string;
}

/** Makes `count` accounts with API tokens (one password hash each: keep `count` small). */
export async function seedAccounts(
  store: Store,
  count: number,
  role: Role = "customer",
): Promise<Account[]> {
  return withStore(store, async (deps) => {
    const accounts: Account[] = [];
    for (let i = 0; i < count; i++) {
      const password = `pw-${randomBytes(9).toString("hex")}`;
      const user = await createUser(deps, "system", {
        email: `${role}${i}-${randomBytes(4).toString("hex")}@example.test`,
        name: `Load ${role} ${i}`,
        role,
        password,
      });
      const actor = { id: user.id, email: user.email, name: user.name, role: user.role };
      const { token } = await createToken(deps, actor, { name: "resilience test" });
      accounts.push({ id: user.id, email: user.email, password, role: user.role, token });
    }
    return accounts;
  });
}

export interface Server {
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** Everything the server wrote to stdout and stderr so far. */
  log(): string;
  /** Resolves with the exit code and signal once the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM (or SIGKILL after `graceMs`) and wait for the exit. */
  stop(graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `tessera serve` on the store and resolves once /readyz answers 200. */
export async function startServer(
  store: Store,
  env: Record<string, string> = {},
  options: { port?: number; startTimeoutMs?: number } = {},
): Promise<Server> {
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const childEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TMPDIR: process.env.TMPDIR,
    DATA_DIR: store.dataDir,
    PORT: String(port),
    HOST: "127.0.0.1",
    PUBLIC_URL: url,
    LOG_LEVEL: "warn",
    API_RATE_LIMIT_PER_MINUTE: "0",
    ...(store.databaseUrl ? { DATABASE_URL: store.databaseUrl } : {}),
    ...env,
  };
  const child = spawn(process.execPath, [BIN, "serve"], {
    cwd: ROOT,
    env: childEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  const chunks: string[] = [];
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => chunks.push(chunk));
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => chunks.push(chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    }),
  );
  const log = () => chunks.join("");
  const stop = async (graceMs = 15_000) => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    const result = await exited;
    clearTimeout(timer);
    return result;
  };

  const deadline = Date.now() + scaled(options.startTimeoutMs ?? 180_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the server exited (${child.exitCode ?? child.signalCode}):\n${log()}`);
    }
    const ready = await fetch(`${url}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`the server was not ready in time:\n${log()}`);
    }
    await sleep(100);
  }
  return { url, port, child, log, exited, stop };
}

/** A JSON API call with a bearer token; network failures reject. */
export async function api(
  server: { url: string },
  token: string,
  method: string,
  url: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${server.url}/api/v1${url}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON: kept as text for the failure message.
  }
  return { status: response.status, body: parsed };
}

/** A browser's cookies and the CSRF token of the last page it loaded, over real HTTP. */
export class Visitor {
  private readonly cookies = new Map<string, string>();
  csrf = "";

  /** The cookies this visitor holds, by name. */
  cookieValues(): [string, string][] {
    return [...this.cookies];
  }

  /** Another visitor holding the same cookies (the same browser, later). */
  clone(): Visitor {
    const copy = new Visitor();
    for (const [k, v] of this.cookies) copy.cookies.set(k, v);
    return copy;
  }

  private remember(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = "", ...attributes] = line.split(";");
      const [name = "", value = ""] = pair.trim().split(/=(.*)/s);
      const expired = attributes.some((a) => /^\s*max-age=0$/i.test(a)) || value === "";
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  private header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  async get(
    server: { url: string },
    url: string,
  ): Promise<{ status: number; body: string; location: string }> {
    const response = await fetch(`${server.url}${url}`, {
      headers: { cookie: this.header() },
      redirect: "manual",
    });
    this.remember(response);
    const body = await response.text();
    this.csrf = /name="_csrf" value="([^"]+)"/.exec(body)?.[1] ?? this.csrf;
    return { status: response.status, body, location: response.headers.get("location") ?? "" };
  }

  async post(
    server: { url: string },
    url: string,
    fields: Record<string, string>,
  ): Promise<{ status: number; body: string; location: string }> {
    const response = await fetch(`${server.url}${url}`, {
      method: "POST",
      headers: {
        cookie: this.header(),
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({ _csrf: this.csrf, ...fields }).toString(),
      redirect: "manual",
    });
    this.remember(response);
    return {
      status: response.status,
      body: await response.text(),
      location: response.headers.get("location") ?? "",
    };
  }
}
