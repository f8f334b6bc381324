// A throwaway Dovecot (Debian's `dovecot-imapd`, installed by scripts/ensure-dovecot.sh) for
// tests and the benchmark: its own config, one passwd-file user and a maildir under a
// temporary directory, listening on a free high port on 127.0.0.1. Never a mock.
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { ImapFlow } from "imapflow";
import { freePort } from "./net.ts";

export interface Dovecot {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** The temporary directory holding the config, state and maildir. */
  readonly dir: string;
  /** An IMAP client signed in as the test user (the caller logs it out). */
  client(): Promise<ImapFlow>;
  /** Appends raw messages to `folder` (created when missing) over one connection. */
  append(messages: (string | Buffer)[], folder?: string): Promise<void>;
  /** Writes raw messages straight into `folder`'s maildir (fast, for big backlogs). */
  deliver(messages: (string | Buffer)[], folder: string): Promise<void>;
  /** How many messages in `folder` are not \Seen yet, and how many there are. */
  status(folder?: string): Promise<{ messages: number; unseen: number }>;
  /** Stops the server (its files stay); start() brings it back on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and removes the directory. */
  close(): Promise<void>;
}

const groups = new Set<number>();
// An interrupted run must not leave Dovecot behind.
process.once("exit", () => {
  for (const pid of groups) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // gone already
    }
  }
});

// Debian puts it in /usr/sbin, which is not on every user's PATH.
const DOVECOT = fs.existsSync("/usr/sbin/dovecot") ? "/usr/sbin/dovecot" : "dovecot";

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: "utf8" }).trim();
}

/** Whether `dovecot` can be run here (scripts/ensure-dovecot.sh installs it). */
export function dovecotAvailable(): boolean {
  return spawnSync(DOVECOT, ["--version"], { stdio: "ignore" }).status === 0;
}

/**
 * Starts Dovecot as a throwaway instance. `tls`: a self-signed certificate
 * made with openssl and TLS required on the port (implicit TLS).
 */
export async function startDovecot(options: { tls?: boolean } = {}): Promise<Dovecot> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dovecot-"));
  const port = await freePort();
  const user = "support";
  const password = randomBytes(9).toString("hex");
  const root = process.getuid?.() === 0;
  // Dovecot never gives mail access to uid 0: as root, the mail user is `nobody`.
  const mailUid = root ? sh("id", ["-u", "nobody"]) : String(process.getuid?.());
  const mailGid = root ? sh("id", ["-g", "nobody"]) : String(process.getgid?.());
  const me = sh("id", ["-un"]);
  const home = path.join(dir, "home");
  fs.mkdirSync(home);
  for (const sub of ["run", "state"]) fs.mkdirSync(path.join(dir, sub));
  fs.writeFileSync(path.join(dir, "passwd"), `${user}:{PLAIN}${password}::::::\n`);
  if (root) {
    fs.chmodSync(dir, 0o755);
    fs.chownSync(home, Number(mailUid), Number(mailGid));
  }
  let ssl = "ssl = no";
  if (options.tls) {
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=localhost",
        "-keyout",
        path.join(dir, "key.pem"),
        "-out",
        path.join(dir, "cert.pem"),
      ],
      { stdio: "ignore" },
    );
    ssl = `ssl = required\nssl_cert = <${dir}/cert.pem\nssl_key = <${dir}/key.pem`;
  }
  const conf = path.join(dir, "dovecot.conf");
  fs.writeFileSync(
    conf,
    `# Throwaway Dovecot for Tessera's tests (test/helpers/dovecot.ts)
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
instance_name = tessera-test-${port}
protocols = imap
listen = 127.0.0.1
${ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = ${root ? "dovecot" : me}
default_login_user = ${root ? "dovenull" : me}
${root ? "" : `default_internal_group = ${sh("id", ["-gn"])}`}
first_valid_uid = 1
mail_location = maildir:${home}/%u/Maildir
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/passwd
}
userdb {
  driver = static
  args = uid=${mailUid} gid=${mailGid} home=${home}/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${options.tls ? 0 : port}
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = ${options.tls ? port : 0}
  }
}
service stats {
  unix_listener stats-reader {
    mode = 0666
  }
  unix_listener stats-writer {
    mode = 0666
  }
}
`,
  );
  if (root) {
    const homeDir = path.join(home, user);
    fs.mkdirSync(homeDir, { recursive: true });
    fs.chownSync(homeDir, Number(mailUid), Number(mailGid));
  }

  const waitFor = async (up: boolean) => {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const open = await new Promise<boolean>((resolve) => {
        const socket = new net.Socket();
        socket.once("connect", () => {
          socket.destroy();
          resolve(true);
        });
        socket.once("error", () => resolve(false));
        socket.connect(port, "127.0.0.1");
      });
      if (open === up) return;
      if (Date.now() > deadline) {
        const log = fs.existsSync(path.join(dir, "dovecot.log"))
          ? fs.readFileSync(path.join(dir, "dovecot.log"), "utf8")
          : "";
        throw new Error(`Dovecot did not ${up ? "start" : "stop"} on port ${port}:\n${log}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  let master: ChildProcess | undefined;
  const start = async () => {
    // In the foreground (-F): this process owns the master and sees it exit.
    // A process group of its own, so stop() can end the children the master leaves behind.
    const child = spawn(DOVECOT, ["-F", "-c", conf], { stdio: "ignore", detached: true });
    master = child;
    if (child.pid) groups.add(child.pid);
    const failed = new Promise<never>((_, reject) =>
      child.once("exit", (code) => {
        const log = path.join(dir, "dovecot.log");
        reject(
          new Error(
            `dovecot exited (${code}):\n${fs.existsSync(log) ? fs.readFileSync(log, "utf8") : ""}`,
          ),
        );
      }),
    );
    failed.catch(() => {});
    await Promise.race([waitFor(true), failed]);
  };
  const stop = async () => {
    const child = master;
    master = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
    // Its imap processes outlive the master: end them too, as a real restart does.
    try {
      if (child.pid) process.kill(-child.pid, "SIGKILL");
    } catch {
      // none left
    }
    if (child.pid) groups.delete(child.pid);
    await waitFor(false);
  };
  await start();

  const client = async () => {
    const c = new ImapFlow({
      host: "127.0.0.1",
      port,
      secure: options.tls ?? false,
      doSTARTTLS: false,
      auth: { user, pass: password },
      logger: false,
      tls: { rejectUnauthorized: false },
    });
    await c.connect();
    return c;
  };
  return {
    host: "127.0.0.1",
    port,
    user,
    password,
    dir,
    client,
    async append(messages, folder = "INBOX") {
      const c = await client();
      try {
        if (folder !== "INBOX") await c.mailboxCreate(folder).catch(() => {});
        for (const m of messages) await c.append(folder, m);
      } finally {
        await c.logout();
      }
    },
    async deliver(messages, folder) {
      const c = await client();
      try {
        await c.mailboxCreate(folder).catch(() => {});
      } finally {
        await c.logout();
      }
      const target = path.join(home, user, "Maildir", folder === "INBOX" ? "" : `.${folder}`);
      const tmp = path.join(target, "tmp");
      const stamp = Date.now();
      messages.forEach((m, i) => {
        // Maildir: written under tmp/, then renamed into new/ (never seen half-written).
        const name = `${Math.floor(stamp / 1000)}.M${i}P${process.pid}R${randomBytes(4).toString("hex")}.tessera`;
        fs.writeFileSync(path.join(tmp, name), m);
        if (root) fs.chownSync(path.join(tmp, name), Number(mailUid), Number(mailGid));
        fs.renameSync(path.join(tmp, name), path.join(target, "new", name));
      });
    },
    async status(folder = "INBOX") {
      const c = await client();
      try {
        const s = await c.status(folder, { messages: true, unseen: true });
        if (!s) throw new Error(`no status for ${folder}`);
        return { messages: s.messages ?? 0, unseen: s.unseen ?? 0 };
      } finally {
        await c.logout();
      }
    },
    stop,
    start,
    async close() {
      await stop();
      // Its last children may still be writing their log as they exit: removed in the background.
      fs.promises.rm(dir, { recursive: true, force: true, maxRetries: 10 }).catch(() => {});
    },
  };
}

let counter = 0;

/** A plain mail from `from`, with a unique Message-ID unless one is given. */
export function mail(
  options: { from?: string; subject?: string; body?: string; messageId?: string } = {},
): string {
  counter++;
  const messageId =
    options.messageId ?? `<m${counter}.${randomBytes(6).toString("hex")}@customer.example>`;
  return [
    `From: ${options.from ?? "Carol Customer <carol@customer.example>"}`,
    "To: support@example.test",
    `Subject: ${options.subject ?? `Question ${counter}`}`,
    `Message-ID: ${messageId}`,
    `Date: ${new Date().toUTCString()}`,
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "",
    options.body ?? `Hello, this is question ${counter}.`,
    "",
  ].join("\r\n");
}

/** A MAILBOX_SECRET_KEY for tests. */
export const TEST_SECRET_KEY = randomBytes(32).toString("base64");
