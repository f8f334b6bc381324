import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { DataDirLocked, lockDataDir } from "./lock.ts";

const LOCK_MODULE = path.join(import.meta.dirname, "lock.ts");
const tempDirs: string[] = [];

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tessera-lock-"));
  tempDirs.push(dir);
  return dir;
}

after(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/**
 * Another process that takes the lock on `dataDir` and holds it until killed, or until
 * this process is gone (its standard input closes), so a stopped test run leaves none.
 */
async function holdInChild(dataDir: string): Promise<ChildProcess> {
  const script = `
    const { lockDataDir } = await import(${JSON.stringify(LOCK_MODULE)});
    await lockDataDir(${JSON.stringify(dataDir)});
    process.stdout.write("locked\\n");
    process.stdin.on("end", () => process.exit(0)).resume();
  `;
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "--input-type=module", "--eval", script],
    { stdio: ["pipe", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("locked")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`lock holder exited (${code}): ${stderr}`)));
  });
  return child;
}

const TSX = fs.realpathSync(fileURLToPath(import.meta.resolve("tsx")));

interface LockOutcome {
  locked: boolean;
  /** Whether `<dataDir>/.lock` was a socket once locked. */
  socket?: boolean;
  name?: string;
  code?: string;
  message?: string;
  ms: number;
}

/**
 * Runs `lockDataDir` on each of `dataDirs` in turn in another process started in `cwd`,
 * holding what it locks until the last, and reports each outcome. The working directory
 * is the child's, never this process's: Stryker's tap runner writes its result file into
 * the working directory of a test file it stops. `unprivileged` runs it as nobody when
 * the tests run as root (who may write anywhere), else as this user. The module is
 * copied where either can read it (Stryker's sandbox is private to root).
 */
async function lockInChild(
  dataDirs: string[],
  options: { cwd?: string; unprivileged?: boolean } = {},
): Promise<LockOutcome[]> {
  const readable = tempDir();
  fs.chmodSync(readable, 0o755);
  const module = path.join(readable, "lock.mts");
  fs.copyFileSync(LOCK_MODULE, module);
  fs.chmodSync(module, 0o644);
  const script = `
    import fs from "node:fs";
    import path from "node:path";
    const { lockDataDir } = await import(${JSON.stringify(module)});
    const held = [];
    const outcomes = [];
    for (const dataDir of ${JSON.stringify(dataDirs)}) {
      const started = Date.now();
      try {
        held.push(await lockDataDir(dataDir));
        const socket = fs.statSync(path.join(dataDir, ".lock")).isSocket();
        outcomes.push({ locked: true, socket, ms: Date.now() - started });
      } catch (error) {
        const { name, code, message } = error;
        outcomes.push({ locked: false, name, code, message, ms: Date.now() - started });
      }
    }
    for (const lock of held) await lock.release();
    process.stdout.write(JSON.stringify(outcomes));
  `;
  const node = [process.execPath, "--import", TSX, "--input-type=module", "--eval", script];
  const dropRoot = options.unprivileged === true && process.getuid?.() === 0;
  const command = dropRoot
    ? ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", ...node]
    : node;
  const child = spawn(command[0] as string, command.slice(1), {
    cwd: options.cwd ?? readable,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    err += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", resolve);
  });
  assert.equal(code, 0, `the locking process failed: ${err}`);
  return JSON.parse(out) as LockOutcome[];
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGKILL");
  });
}

describe("data directory lock", () => {
  test("a second lock on the same directory is refused while the first is held", async () => {
    const dir = tempDir();
    const lock = await lockDataDir(dir);
    try {
      await assert.rejects(lockDataDir(dir), (error: unknown) => {
        assert.ok(error instanceof DataDirLocked);
        assert.equal(error.dataDir, dir);
        // What a failed start prints before the message.
        assert.ok(String(error).startsWith("DataDirLocked: The data directory"), String(error));
        assert.match(error.message, /in use by another Tessera process/);
        assert.ok(error.message.includes(dir), "the message names the directory");
        return true;
      });
    } finally {
      await lock.release();
    }
  });

  test("after release the directory can be locked again, and the socket file is gone", async () => {
    const dir = tempDir();
    const first = await lockDataDir(dir);
    await first.release();
    assert.equal(fs.existsSync(path.join(dir, ".lock")), false);
    const second = await lockDataDir(dir);
    await second.release();
  });

  test("a missing data directory is created", async () => {
    const dir = path.join(tempDir(), "nested", "data");
    const lock = await lockDataDir(dir);
    assert.ok(fs.statSync(dir).isDirectory());
    await lock.release();
  });

  test("locks on different directories do not interfere", async () => {
    const a = await lockDataDir(tempDir());
    const b = await lockDataDir(tempDir());
    await Promise.all([a.release(), b.release()]);
  });

  test("another live process's lock is refused", async () => {
    const dir = tempDir();
    const holder = await holdInChild(dir);
    try {
      await assert.rejects(lockDataDir(dir), DataDirLocked);
    } finally {
      await killed(holder);
    }
  });

  test("the stale lock of a process that was killed is taken over", async () => {
    const dir = tempDir();
    const holder = await holdInChild(dir);
    await killed(holder);
    // SIGKILL gives no chance to clean up: the socket file is still there.
    assert.ok(fs.statSync(path.join(dir, ".lock")).isSocket());
    const lock = await lockDataDir(dir);
    try {
      await assert.rejects(lockDataDir(dir), DataDirLocked);
    } finally {
      await lock.release();
    }
  });

  test("when several take over one stale lock at once, exactly one wins", async () => {
    const dir = tempDir();
    const holder = await holdInChild(dir);
    await killed(holder);
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => lockDataDir(dir)));
    const won = results.filter((r) => r.status === "fulfilled");
    const refused = results.filter(
      (r) => r.status === "rejected" && r.reason instanceof DataDirLocked,
    );
    assert.equal(won.length, 1, "one holder");
    assert.equal(refused.length, 5, "the others are told the directory is in use");
    assert.equal(
      fs.existsSync(path.join(dir, ".lock.takeover")),
      false,
      "no takeover marker is left",
    );
    await assert.rejects(lockDataDir(dir), DataDirLocked);
    for (const r of won) if (r.status === "fulfilled") await r.value.release();
  });

  test("a leftover .lock that nobody listens on is replaced", async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, ".lock"), "");
    const lock = await lockDataDir(dir);
    assert.ok(fs.statSync(path.join(dir, ".lock")).isSocket());
    await lock.release();
  });

  test("the lock answers connections, which is how other processes see it is alive", async () => {
    const dir = tempDir();
    const lock = await lockDataDir(dir);
    try {
      await new Promise<void>((resolve, reject) => {
        const socket = net.connect(path.join(dir, ".lock"));
        socket.once("connect", () => {
          socket.destroy();
          resolve();
        });
        socket.once("error", reject);
      });
    } finally {
      await lock.release();
    }
  });
  test("a data directory too deep for an absolute socket path is locked through a short relative one", async () => {
    const deep = path.join(tempDir(), "d".repeat(60), "e".repeat(60));
    fs.mkdirSync(deep, { recursive: true });
    const dataDir = path.join(deep, "data");
    assert.ok(path.join(dataDir, ".lock").length > 107, "too long for a Unix socket");
    // Run from `deep`: locked, then refused by absolute and by relative name while held.
    const [first, again, relative] = await lockInChild([dataDir, dataDir, "data"], { cwd: deep });
    assert.deepEqual(first && [first.locked, first.socket], [true, true], first?.message);
    assert.equal(again?.name, "DataDirLocked", again?.message);
    assert.equal(relative?.name, "DataDirLocked", "the same directory, named relatively");
  });

  test("a lock socket path of up to 100 characters is used; a longer one is refused, naming the directory", async () => {
    const base = tempDir();
    const within = path.join(base, "d".repeat(100 - base.length - "/".length - "/.lock".length));
    assert.equal(path.join(within, ".lock").length, 100);
    // From a working directory deep in another tree the relative path is the longer one, so
    // the absolute path (the one measured here) is used wherever the tests are checked out.
    const elsewhere = path.join(tempDir(), ...Array.from({ length: 12 }, () => "a"));
    fs.mkdirSync(elsewhere, { recursive: true });
    const beyond = `${within}d`;
    const [fits, tooLong] = await lockInChild([within, beyond], { cwd: elsewhere });
    assert.deepEqual(fits && [fits.locked, fits.socket], [true, true], fits?.message);
    assert.equal(tooLong?.locked, false);
    assert.notEqual(tooLong?.name, "DataDirLocked");
    assert.match(tooLong?.message ?? "", /too long for its lock socket/);
    assert.ok(tooLong?.message?.includes(beyond), "the message names the directory");
  });

  test("a data directory whose lock path is too long both absolute and relative is refused, naming it", async () => {
    // Far past 100 characters from any working directory outside it.
    const dataDir = path.join(tempDir(), "d".repeat(150), "e".repeat(150));
    await assert.rejects(lockDataDir(dataDir), (error: unknown) => {
      assert.ok(error instanceof Error && !(error instanceof DataDirLocked));
      assert.equal(
        error.message,
        `The data directory path is too long for its lock socket: ${dataDir}`,
      );
      return true;
    });
  });

  test("a process that holds the lock and has nothing else to do still exits", async () => {
    const dir = tempDir();
    const script = `
      const { lockDataDir } = await import(${JSON.stringify(LOCK_MODULE)});
      await lockDataDir(${JSON.stringify(dir)});
      process.stdout.write("locked\\n");
    `;
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "--eval", script],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    let out = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    const exited = await new Promise<number | null | "still running">((resolve) => {
      const timer = setTimeout(() => resolve("still running"), 15_000);
      child.once("exit", (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
    await killed(child);
    assert.equal(out, "locked\n");
    assert.equal(exited, 0);
  });

  test("a takeover marker left by a process that died during its takeover does not block the next one", async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, ".lock"), "");
    const marker = path.join(dir, ".lock.takeover");
    fs.mkdirSync(marker);
    const longAgo = new Date(Date.now() - 60_000);
    fs.utimesSync(marker, longAgo, longAgo);
    const started = Date.now();
    const lock = await lockDataDir(dir);
    assert.ok(Date.now() - started < 2_000, "taken over without waiting out the deadline");
    assert.ok(fs.statSync(path.join(dir, ".lock")).isSocket());
    assert.equal(fs.existsSync(marker), false);
    await lock.release();
  });

  test("while another process's takeover is in progress, the lock waits for it, then is refused", async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, ".lock"), "");
    const marker = path.join(dir, ".lock.takeover");
    fs.mkdirSync(marker);
    const started = Date.now();
    await assert.rejects(lockDataDir(dir), DataDirLocked);
    const waited = Date.now() - started;
    assert.ok(waited >= 4_500 && waited < 8_000, `waited ${waited} ms`);
    assert.ok(fs.existsSync(marker), "the other process's marker is left alone");
  });
  test("a takeover marker with no lock beside it does not delay the lock, nor a refusal while it is held", async () => {
    const dir = tempDir();
    const marker = path.join(dir, ".lock.takeover");
    fs.mkdirSync(marker);
    let started = Date.now();
    const lock = await lockDataDir(dir);
    try {
      assert.ok(Date.now() - started < 2_000, "locked at once");
      started = Date.now();
      await assert.rejects(lockDataDir(dir), DataDirLocked);
      assert.ok(Date.now() - started < 2_000, "refused at once");
    } finally {
      await lock.release();
    }
  });

  test("a directory in the way of the lock socket is reported as such, not as another process", async () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, ".lock"));
    await assert.rejects(lockDataDir(dir), (error: unknown) => {
      assert.ok(!(error instanceof DataDirLocked), String(error));
      assert.match(String(error), /directory/i);
      return true;
    });
    assert.equal(fs.existsSync(path.join(dir, ".lock.takeover")), false, "no marker left");
  });

  test("a data directory the process may not write to is reported as a permission error on the lock itself", async () => {
    const dir = tempDir();
    fs.chmodSync(dir, 0o555);
    const [outcome] = await lockInChild([dir], { unprivileged: true }).finally(() =>
      fs.chmodSync(dir, 0o755),
    );
    assert.ok(outcome);
    assert.equal(outcome.locked, false);
    assert.equal(outcome.code, "EACCES", outcome.message);
    assert.notEqual(outcome.name, "DataDirLocked");
    // The socket it could not create (named relative to the working directory when
    // shorter), not a takeover marker: a directory it cannot write is no stale lock.
    assert.match(outcome.message ?? "", /^listen EACCES: .*\.lock$/);
    assert.ok(outcome.message?.includes(`${path.basename(dir)}/.lock`), outcome.message);
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  test("a stale lock in a data directory the process may not write to is a permission error, not 'in use'", async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, ".lock"), "");
    fs.chmodSync(dir, 0o555);
    const [outcome] = await lockInChild([dir], { unprivileged: true }).finally(() =>
      fs.chmodSync(dir, 0o755),
    );
    assert.ok(outcome);
    assert.equal(outcome.locked, false);
    assert.equal(outcome.code, "EACCES", outcome.message);
    assert.notEqual(outcome.name, "DataDirLocked");
    assert.ok(outcome.message?.includes(".lock.takeover"), outcome.message);
    // Not after waiting out another process's takeover (5 s), which there is none of.
    assert.ok(outcome.ms < 4_000, `reported after ${outcome.ms} ms, not at once`);
    assert.deepEqual(fs.readdirSync(dir), [".lock"]);
  });
  test("a .lock directory in the way that is also the working directory is reported, not locked inside", async () => {
    const dir = tempDir();
    const inTheWay = path.join(dir, ".lock");
    fs.mkdirSync(inTheWay);
    const [outcome] = await lockInChild([dir], { cwd: inTheWay });
    assert.equal(outcome?.locked, false);
    assert.notEqual(outcome?.name, "DataDirLocked");
    assert.match(outcome?.message ?? "", /directory/i);
    assert.deepEqual(fs.readdirSync(inTheWay), [], "no socket made inside it");
  });

  test("the lock ends each connection made to it, so no client keeps its process alive", async () => {
    const dir = tempDir();
    const lock = await lockDataDir(dir);
    try {
      const socket = net.connect(path.join(dir, ".lock"));
      const ended = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 5_000);
        socket.once("end", () => {
          clearTimeout(timer);
          resolve(true);
        });
        socket.resume();
      });
      socket.destroy();
      assert.equal(ended, true, "the lock ended the connection");
    } finally {
      await lock.release();
    }
  });

  test("a stale lock another process took over and released while this one waited is taken", async () => {
    const dir = tempDir();
    const socketFile = path.join(dir, ".lock");
    fs.writeFileSync(socketFile, "");
    const marker = path.join(dir, ".lock.takeover");
    fs.mkdirSync(marker);
    const locking = lockDataDir(dir);
    // What the other process does: its takeover replaces the stale socket, then it
    // stops and its socket goes with it, then its marker goes. A second gives this one
    // time to find the marker (had it not, it would just lock, and the test pass anyway);
    // it waits 5 s for the marker to go.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    fs.rmSync(socketFile);
    fs.rmdirSync(marker);
    const lock = await locking;
    try {
      assert.ok(fs.statSync(socketFile).isSocket());
      await assert.rejects(lockDataDir(dir), DataDirLocked);
    } finally {
      await lock.release();
    }
  });
});
