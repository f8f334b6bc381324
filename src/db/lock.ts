import fs from "node:fs";
import net from "node:net";
import path from "node:path";

/** Another live process holds the data directory. */
export class DataDirLocked extends Error {
  constructor(readonly dataDir: string) {
    super(
      `The data directory ${dataDir} is in use by another Tessera process; stop it first, or point DATA_DIR elsewhere.`,
    );
    this.name = "DataDirLocked";
  }
}

export interface DataDirLock {
  release(): Promise<void>;
}

/**
 * Takes an exclusive lock on a data directory: a Unix socket listening at
 * `<dataDir>/.lock`. The OS closes it when the process dies, and a socket
 * nobody listens on refuses connections, so a crashed holder's lock is taken over
 * rather than left stuck. PGlite has no lock of its own (DESIGN.md, section 2).
 */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  fs.mkdirSync(dataDir, { recursive: true });
  // Socket paths are limited to ~107 bytes; a relative path keeps deep directories usable.
  const absolute = path.join(dataDir, ".lock");
  const relative = path.relative(process.cwd(), absolute);
  // "" when the working directory is a directory named .lock in the way: then the
  // absolute path, which reports it (listen("") would take a TCP port instead).
  const socketPath = relative !== "" && relative.length < absolute.length ? relative : absolute;
  if (socketPath.length > 100) {
    throw new Error(`The data directory path is too long for its lock socket: ${dataDir}`);
  }

  const server = net.createServer((socket) => socket.end());
  server.unref();
  const release = () => new Promise<void>((resolve) => server.close(() => resolve()));
  try {
    await listen(server, socketPath);
    return { release };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE") throw error;
  }
  if (await isAlive(socketPath)) throw new DataDirLocked(dataDir);

  // The holder died and left its socket file. Taking it over means deleting the
  // file and listening anew; two processes doing that at once could each delete
  // the other's fresh socket, so the takeover itself is serialised by a
  // directory that only one process can create.
  const takeover = `${socketPath}.takeover`;
  const deadline = Date.now() + TAKEOVER_WAIT_MS;
  for (;;) {
    try {
      fs.mkdirSync(takeover);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      removeIfStale(takeover);
      if (Date.now() > deadline) throw new DataDirLocked(dataDir);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  try {
    // Someone may have completed a takeover while we waited.
    if (await isAlive(socketPath)) throw new DataDirLocked(dataDir);
    fs.rmSync(socketPath, { force: true });
    await listen(server, socketPath);
    return { release };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") throw new DataDirLocked(dataDir);
    throw error;
  } finally {
    fs.rmSync(takeover, { recursive: true, force: true });
  }
}

// How long a process waits for another's takeover before giving up.
const TAKEOVER_WAIT_MS = 5_000;
// A takeover takes milliseconds; a marker this old was left by a process that died during one.
const STALE_TAKEOVER_MS = 10_000;

function removeIfStale(marker: string): void {
  try {
    if (Date.now() - fs.statSync(marker).mtimeMs > STALE_TAKEOVER_MS) {
      fs.rmSync(marker, { recursive: true, force: true });
    }
  } catch {
    // Gone already: the next mkdir decides.
  }
}

function listen(server: net.Server, socketPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      server.off("listening", onListening);
      reject(error);
    };
    const onListening = () => {
      server.off("error", onError);
      resolve();
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen(socketPath);
  });
}

function isAlive(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(socketPath);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
