import { randomUUID } from "node:crypto";
import type { ImapFlow } from "imapflow";
import type { Deps } from "../deps.ts";
import { keepUnprocessedEmail, receiveEmail } from "./inbound.service.ts";
import * as repo from "./mailboxes.repo.ts";
import { connectionOf, type MailboxConnection } from "./mailboxes.service.ts";

/**
 * Fetching mail from IMAP mailboxes (imapflow), on any number of nodes:
 * - every MAILBOX_POLL_SECONDS each node claims the enabled mailboxes nobody
 *   holds (a lease row in PostgreSQL: `mailboxes.lease_*`, renewed while it
 *   fetches; when a node dies its lease runs out and another node takes over);
 * - a claimed mailbox is fetched over one connection: the folder's unseen
 *   messages (or all of them when they are moved after import), oldest first,
 *   in batches; each message is stored, with its (mailbox, UIDVALIDITY, UID),
 *   in the one transaction that makes its ticket or reply (receiveEmail), and
 *   only then flagged \Seen or moved on the server. A crash in between fetches
 *   it again, and its UID (or, after a UIDVALIDITY change, its Message-ID) says
 *   it is there already. Then IDLE waits for new mail, with a poll as fallback;
 * - a failure (wrong password, server down, TLS) is recorded on the mailbox for
 *   the admin page and retried with exponential back-off, capped.
 */

export interface MailboxOptions {
  /** How often unclaimed mailboxes are looked for, and the longest wait for news without IDLE. */
  pollMs?: number;
  /** How long a claim lasts unless renewed (renewed every third of it). */
  leaseMs?: number;
  /** First retry delay after a failure; doubles each failure, up to `maxRetryMs`. */
  retryMs?: number;
  maxRetryMs?: number;
  /** Messages fetched per round trip. */
  batch?: number;
  /** An embedded database is open in this process only: claims left by a killed process are void. */
  exclusive?: boolean;
}

export interface MailboxFetching {
  /** Lets each fetcher finish the message in hand, gives the mailboxes back and stops. */
  stop(): Promise<void>;
  /** Mailboxes this node is fetching now. */
  active(): number[];
}

const DEFAULT_RETRY_MS = 1_000;
const DEFAULT_MAX_RETRY_MS = 5 * 60_000;
const DEFAULT_BATCH = 50;
// IDLE is restarted this often at most, well inside servers' 30-minute IDLE limit (RFC 2177).
const MAX_IDLE_MS = 4 * 60_000;

/** Delay before retry number `failures` (1, 2, ...): retryMs, 2x, 4x ... capped at maxRetryMs. */
export function mailboxRetryDelay(failures: number, retryMs: number, maxRetryMs: number): number {
  return Math.min(maxRetryMs, retryMs * 2 ** Math.max(0, failures - 1));
}

/** A failure in words for the admin page: never the secret (imapflow's errors carry none). */
export function describeFailure(error: unknown, conn: Pick<MailboxConnection, "imap">): string {
  const e = (error ?? {}) as {
    authenticationFailed?: boolean;
    responseText?: string;
    code?: string;
    message?: string;
  };
  const where = `${conn.imap.host}:${conn.imap.port}`;
  const code = typeof e.code === "string" ? e.code : "";
  if (e.authenticationFailed) {
    return `Sign-in refused by ${where}: ${e.responseText || "wrong user, password or token"}`;
  }
  if (code === "ECONNREFUSED")
    return `Connection refused by ${where}: is the server up and the port right?`;
  if (
    code === "NoConnection" ||
    code === "ECONNRESET" ||
    code === "EPIPE" ||
    /Connection not available/i.test(e.message ?? "")
  ) {
    return `Connection to ${where} lost (closed by the server or the network)`;
  }
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return `Host ${conn.imap.host} not found`;
  if (code === "ETIMEDOUT" || code === "CONNECT_TIMEOUT" || code === "GREETING_TIMEOUT") {
    return `No answer from ${where} in time`;
  }
  if (/CERT|SSL|TLS/.test(code) || /certificate|ssl|tls/i.test(e.message ?? "")) {
    return `TLS error with ${where}: ${e.message ?? code}`;
  }
  if (e.responseText) return `${where} answered: ${e.responseText}`;
  return `${where}: ${e.message ?? String(error)}`.slice(0, 1000);
}

/** One claimed mailbox: fetches until stopped or its claim is lost. */
class Fetcher {
  private stopped = false;
  private lost = false;
  private failures = 0;
  private kicked = false;
  private wake: (() => void) | undefined;
  private client: ImapFlow | undefined;
  readonly done: Promise<void>;

  constructor(
    private readonly deps: Deps,
    private readonly row: repo.MailboxRow,
    private readonly token: string,
    private readonly options: Required<Omit<MailboxOptions, "exclusive">>,
  ) {
    this.done = this.run();
  }

  /** Ends a wait now (new mail, a lost connection, a stop); remembered when nothing waits. */
  private kick(): void {
    this.kicked = true;
    this.wake?.();
  }

  /** Waits `ms`; resolves true when something ended the wait early (new mail, a failure, a stop). */
  private pause(ms: number): Promise<boolean> {
    if (this.kicked || this.stopped || this.lost) {
      this.kicked = false;
      return Promise.resolve(true);
    }
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
    }).finally(() => {
      this.wake = undefined;
      this.kicked = false;
    });
  }

  private get over(): boolean {
    return this.stopped || this.lost;
  }

  private async run(): Promise<void> {
    const { deps, row, token } = this;
    const log = { mailboxId: row.id, address: row.address };
    const renew = setInterval(() => {
      repo.renewMailbox(deps.db, row.id, token, this.options.leaseMs).then(
        (ours) => {
          if (!ours && !this.lost) {
            deps.log.info(log, "mailbox claim ended (edited, disabled or taken over): stopping");
            this.lost = true;
            this.kick();
          }
        },
        (error: unknown) =>
          deps.log.error({ ...log, err: error }, "could not renew a mailbox claim"),
      );
    }, this.options.leaseMs / 3);
    renew.unref();
    try {
      while (!this.over) {
        let conn: MailboxConnection | undefined;
        try {
          conn = connectionOf(deps, row);
          await this.session(conn);
        } catch (error) {
          if (this.over) break;
          this.failures++;
          const message = conn ? describeFailure(error, conn) : String(error);
          const retryInMs = mailboxRetryDelay(
            this.failures,
            this.options.retryMs,
            this.options.maxRetryMs,
          );
          deps.log.warn({ ...log, error: message, retryInMs }, "mailbox fetch failed");
          await repo.recordError(deps.db, row.id, message).catch(() => {});
          await this.pause(retryInMs);
        }
      }
    } finally {
      clearInterval(renew);
      if (!this.lost) await repo.releaseMailbox(deps.db, row.id, token).catch(() => {});
    }
  }

  private async session(conn: MailboxConnection): Promise<void> {
    const { ImapFlow } = await import("imapflow");
    const client = new ImapFlow({
      host: conn.imap.host,
      port: conn.imap.port,
      secure: conn.imap.tls === "tls",
      doSTARTTLS: conn.imap.tls === "starttls",
      auth:
        conn.imap.auth === "oauth2"
          ? { user: conn.imap.user, accessToken: conn.imap.secret }
          : { user: conn.imap.user, pass: conn.imap.secret },
      logger: false,
      disableAutoIdle: true,
      connectionTimeout: 30_000,
      greetingTimeout: 16_000,
      clientInfo: { name: "Tessera" },
    });
    let closed = false;
    let failure: unknown;
    client.on("error", (error: unknown) => {
      failure = error;
      this.kick();
    });
    client.on("close", () => {
      closed = true;
      this.kick();
    });
    client.on("exists", () => this.kick());
    this.client = client;
    try {
      await client.connect();
      if (conn.afterImport === "move" && conn.moveTo) {
        // Made once when missing; "already exists" is the usual answer.
        await client.mailboxCreate(conn.moveTo).catch(() => {});
      }
      for (;;) {
        const lock = await client.getMailboxLock(conn.folder);
        try {
          for (;;) {
            this.kicked = false;
            const uidValidity = await this.importNew(client, conn);
            this.failures = 0;
            await repo.recordSuccess(this.deps.db, conn.id, uidValidity);
            if (this.over) return;
            // IDLE: the server tells of new mail (an `exists` event ends the pause).
            client.idle().catch(() => {});
            const woken = await this.pause(Math.min(this.options.pollMs, MAX_IDLE_MS));
            if (closed || failure) throw failure ?? new Error("the server closed the connection");
            if (this.over) return;
            // The poll: the folder is selected again, which also shows a folder made
            // anew (a new UIDVALIDITY) that the open selection would not.
            if (!woken) break;
          }
        } finally {
          if (!closed) lock.release();
        }
        await client.mailboxClose();
      }
    } finally {
      this.client = undefined;
      if (!closed) await client.logout().catch(() => client.close());
    }
  }

  /** Stores every message waiting in the folder, then flags or moves it; returns the UIDVALIDITY. */
  private async importNew(client: ImapFlow, conn: MailboxConnection): Promise<number> {
    const { deps } = this;
    const mailbox = client.mailbox;
    if (!mailbox) throw new Error(`folder ${conn.folder} is not open`);
    const uidValidity = Number(mailbox.uidValidity);
    if (this.row.uidValidity !== null && this.row.uidValidity !== uidValidity) {
      deps.log.warn(
        { mailboxId: conn.id, from: this.row.uidValidity, to: uidValidity },
        "mailbox UIDVALIDITY changed: waiting messages are fetched again; ones received before are recognised by Message-ID",
      );
      this.row.uidValidity = uidValidity;
    }
    const found = await client.search(
      conn.afterImport === "seen" ? { seen: false } : { all: true },
      { uid: true },
    );
    const uids = (found || []).sort((a, b) => a - b);
    for (let i = 0; i < uids.length && !this.over; i += this.options.batch) {
      const chunk = uids.slice(i, i + this.options.batch);
      const known = await repo.knownUids(deps.db, conn.id, uidValidity, chunk);
      const wanted = chunk.filter((uid) => !known.has(uid));
      const done = [...known];
      // Sizes first (cheap), so a message over INBOUND_MAX_MB is never downloaded whole and
      // one fetch never holds more than FETCH_BYTES of mail in memory.
      const sizes = new Map<number, number>();
      if (wanted.length > 0) {
        // Collected first: no other command may run inside imapflow's fetch loop.
        for await (const message of client.fetch(
          wanted,
          { uid: true, size: true },
          { uid: true },
        )) {
          sizes.set(message.uid, message.size ?? 0);
        }
      }
      const tooLarge = wanted.filter((uid) => (sizes.get(uid) ?? 0) > deps.config.inboundMaxBytes);
      for (const uid of tooLarge) {
        if (this.over) break;
        await this.keepTooLarge(client, conn, uidValidity, uid, sizes.get(uid) ?? 0);
        done.push(uid);
      }
      for (const group of byBytes(
        wanted.filter((uid) => !tooLarge.includes(uid)),
        sizes,
        FETCH_BYTES,
      )) {
        if (this.over) break;
        const fetched: { uid: number; source: Buffer }[] = [];
        for await (const message of client.fetch(
          group,
          { uid: true, source: true },
          { uid: true },
        )) {
          if (message.source) fetched.push({ uid: message.uid, source: message.source });
        }
        for (const message of fetched) {
          if (this.over) break;
          await this.store(conn, uidValidity, message);
          done.push(message.uid);
        }
      }
      if (done.length === 0) continue;
      if (conn.afterImport === "move" && conn.moveTo) {
        await client.messageMove(done, conn.moveTo, { uid: true });
      } else {
        await client.messageFlagsAdd(done, ["\\Seen"], { uid: true });
      }
    }
    return uidValidity;
  }

  /** A message over INBOUND_MAX_MB: its headers only, kept as failed, so admins see it. */
  private async keepTooLarge(
    client: ImapFlow,
    conn: MailboxConnection,
    uidValidity: number,
    uid: number,
    size: number,
  ): Promise<void> {
    const headers = await client.fetchOne(String(uid), { headers: true }, { uid: true });
    const raw = headers ? (headers.headers ?? Buffer.alloc(0)) : Buffer.alloc(0);
    const megabytes = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
    await keepUnprocessedEmail(
      this.deps,
      raw,
      { to: [conn.address] },
      { mailboxId: conn.id, address: conn.address, uidValidity, uid },
      `larger than INBOUND_MAX_MB (${megabytes(size)} over ${megabytes(this.deps.config.inboundMaxBytes)}): only its headers are kept; it stays on the mail server`,
    );
    this.deps.log.warn({ mailboxId: conn.id, uid, size }, "a fetched message is too large");
  }

  private async store(
    conn: MailboxConnection,
    uidValidity: number,
    message: { uid: number; source: Buffer },
  ): Promise<void> {
    const source = { mailboxId: conn.id, address: conn.address, uidValidity, uid: message.uid };
    const envelope = { to: [conn.address] };
    try {
      await receiveEmail(this.deps, message.source, envelope, source);
    } catch (error) {
      // Kept raw and shown to admins as failed, so the messages after it are not held up.
      this.deps.log.error(
        { mailboxId: conn.id, uid: message.uid, err: error },
        "a fetched message could not be handled; kept raw as failed",
      );
      await keepUnprocessedEmail(this.deps, message.source, envelope, source);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.kick();
    // A connection attempt or command that hangs is cut after a moment.
    const timer = setTimeout(() => this.client?.close(), 2_000);
    try {
      await this.done;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** The most mail one fetch command brings into memory (a single message may be up to INBOUND_MAX_MB). */
const FETCH_BYTES = 32 * 1024 * 1024;

/** `uids` in order, cut into groups of at most `max` bytes (a bigger message alone). */
function byBytes(uids: number[], sizes: ReadonlyMap<number, number>, max: number): number[][] {
  const groups: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  for (const uid of uids) {
    const size = sizes.get(uid) ?? 0;
    if (current.length > 0 && bytes + size > max) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(uid);
    bytes += size;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/** Starts fetching every enabled mailbox this node can claim, now and every poll interval. */
export function startMailboxes(deps: Deps, options: MailboxOptions = {}): MailboxFetching {
  const settings = {
    pollMs: options.pollMs ?? deps.config.mailboxPollMs,
    leaseMs: options.leaseMs ?? deps.config.mailboxLeaseMs,
    retryMs: options.retryMs ?? DEFAULT_RETRY_MS,
    maxRetryMs: options.maxRetryMs ?? DEFAULT_MAX_RETRY_MS,
    batch: options.batch ?? DEFAULT_BATCH,
  };
  const running = new Map<number, Fetcher>();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let scanning: Promise<void> | undefined;

  const scan = async () => {
    for (const id of await repo.listClaimable(deps.db)) {
      if (stopped || running.has(id)) continue;
      const token = randomUUID();
      const row = await repo.claimMailbox(deps.db, id, token, settings.leaseMs);
      if (!row || stopped) {
        if (row) await repo.releaseMailbox(deps.db, id, token);
        continue;
      }
      deps.log.info({ mailboxId: row.id, address: row.address }, "fetching mailbox");
      const fetcher = new Fetcher(deps, row, token, settings);
      running.set(id, fetcher);
      fetcher.done.then(
        () => running.delete(id),
        (error: unknown) => {
          running.delete(id);
          deps.log.error({ mailboxId: id, err: error }, "mailbox fetcher failed");
        },
      );
    }
  };
  const loop = () => {
    scanning = scan()
      .catch((error: unknown) => deps.log.error({ err: error }, "looking for mailboxes failed"))
      .finally(() => {
        if (stopped) return;
        timer = setTimeout(loop, settings.pollMs);
        timer.unref();
      });
  };
  scanning = (options.exclusive ? repo.releaseAllMailboxes(deps.db) : Promise.resolve()).then(
    loop,
    (error: unknown) => {
      deps.log.error({ err: error }, "could not clear old mailbox claims");
      loop();
    },
  );

  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await scanning;
      await Promise.all([...running.values()].map((f) => f.stop()));
    },
    active: () => [...running.keys()],
  };
}
