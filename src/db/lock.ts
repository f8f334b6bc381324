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
  const relative = path.relative(process.cwd(), absolute) || ".lock";
  const socketPath = relative.length < absolute.length ? relative : absolute;
  if (socketPath.length > 100) {
    throw new Error(`The data directory path is too long for its lock socket: ${dataDir}`);
  }

  const server = net.createServer((socket) => socket.end());
  server.unref();
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await listen(server, socketPath);
      return {
        release: () =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
          }),
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE") throw error;
      if (await isAlive(socketPath)) throw new DataDirLocked(dataDir);
      // The holder died without cleaning up: the socket file is stale.
      fs.rmSync(socketPath, { force: true });
    }
  }
  throw new DataDirLocked(dataDir);
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
