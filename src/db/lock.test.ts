import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
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

/** Another process that takes the lock on `dataDir` and holds it until killed. */
async function holdInChild(dataDir: string): Promise<ChildProcess> {
  const script = `
    const { lockDataDir } = await import(${JSON.stringify(LOCK_MODULE)});
    await lockDataDir(${JSON.stringify(dataDir)});
    process.stdout.write("locked\\n");
    setInterval(() => {}, 60_000);
  `;
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "--input-type=module", "--eval", script],
    { stdio: ["ignore", "pipe", "pipe"] },
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
});
