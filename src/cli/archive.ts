import fs from "node:fs";

/**
 * A minimal POSIX ustar archive: regular files only, written and read with
 * positional I/O so large attachments are copied in chunks, never held whole.
 * `tar tf backup` lists it with any tar.
 */

const BLOCK = 512;
const CHUNK = 1024 * 1024;

export class ArchiveError extends Error {}

function header(name: string, size: number): Buffer {
  if (Buffer.byteLength(name) > 100)
    throw new ArchiveError(`name too long for the archive: ${name}`);
  const block = Buffer.alloc(BLOCK);
  const field = (offset: number, length: number, value: string) =>
    block.write(value, offset, length, "ascii");
  block.write(name, 0, 100, "utf8");
  field(100, 8, "0000600\0");
  field(108, 8, "0000000\0");
  field(116, 8, "0000000\0");
  field(124, 12, `${size.toString(8).padStart(11, "0")}\0`);
  field(
    136,
    12,
    `${Math.floor(Date.now() / 1000)
      .toString(8)
      .padStart(11, "0")}\0`,
  );
  field(148, 8, "        ");
  field(156, 1, "0");
  field(257, 6, "ustar\0");
  field(263, 2, "00");
  field(148, 8, `${checksum(block).toString(8).padStart(6, "0")}\0 `);
  return block;
}

function checksum(block: Buffer): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : (block[i] ?? 0);
  return sum;
}

function padding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

/** Writes an archive entry by entry to an open file descriptor. */
export class ArchiveWriter {
  constructor(private readonly fd: number) {}

  addBuffer(name: string, data: Buffer): void {
    fs.writeSync(this.fd, header(name, data.length));
    fs.writeSync(this.fd, data);
    fs.writeSync(this.fd, padding(data.length));
  }

  addFile(name: string, source: string): void {
    const input = fs.openSync(source, "r");
    try {
      const size = fs.fstatSync(input).size;
      fs.writeSync(this.fd, header(name, size));
      const buffer = Buffer.alloc(Math.min(CHUNK, Math.max(size, 1)));
      let done = 0;
      while (done < size) {
        const n = fs.readSync(input, buffer, 0, Math.min(buffer.length, size - done), done);
        if (n === 0) throw new ArchiveError(`${source} shrank while it was copied`);
        fs.writeSync(this.fd, buffer, 0, n);
        done += n;
      }
      fs.writeSync(this.fd, padding(size));
    } finally {
      fs.closeSync(input);
    }
  }

  finish(): void {
    fs.writeSync(this.fd, Buffer.alloc(2 * BLOCK));
  }
}

export interface ArchiveEntry {
  name: string;
  size: number;
  /** Where the entry's data starts in the archive file. */
  offset: number;
}

/** The entries of an archive; throws ArchiveError when the file is not one. */
export function readEntries(fd: number): ArchiveEntry[] {
  const total = fs.fstatSync(fd).size;
  const entries: ArchiveEntry[] = [];
  const block = Buffer.alloc(BLOCK);
  let position = 0;
  for (;;) {
    if (position + BLOCK > total) throw new ArchiveError("the archive ends early");
    fs.readSync(fd, block, 0, BLOCK, position);
    if (block.every((b) => b === 0)) return entries;
    const stored = Number.parseInt(
      block.toString("ascii", 148, 156).replace(/\0.*$/s, "").trim(),
      8,
    );
    if (stored !== checksum(block)) throw new ArchiveError("damaged archive header");
    const name = block.toString("utf8", 0, 100).replace(/\0.*$/s, "");
    const size = Number.parseInt(block.toString("ascii", 124, 136).replace(/\0.*$/s, "").trim(), 8);
    const type = block.toString("ascii", 156, 157);
    if (!Number.isSafeInteger(size) || size < 0) throw new ArchiveError("damaged archive header");
    const offset = position + BLOCK;
    if (offset + size > total) throw new ArchiveError("the archive ends early");
    if (type === "0" || type === "\0") entries.push({ name, size, offset });
    position = offset + size + padding(size).length;
  }
}

/** Reads an entry whole (for small entries). */
export function readEntry(fd: number, entry: ArchiveEntry): Buffer {
  const data = Buffer.alloc(entry.size);
  let done = 0;
  while (done < entry.size) {
    const n = fs.readSync(fd, data, done, entry.size - done, entry.offset + done);
    if (n === 0) throw new ArchiveError("the archive ends early");
    done += n;
  }
  return data;
}

/** Copies an entry to a new file in chunks, feeding each chunk to `onChunk` (e.g. a hash). */
export function extractEntry(
  fd: number,
  entry: ArchiveEntry,
  target: string,
  onChunk: (chunk: Buffer) => void,
): void {
  const output = fs.openSync(target, "wx", 0o600);
  try {
    const buffer = Buffer.alloc(Math.min(CHUNK, Math.max(entry.size, 1)));
    let done = 0;
    while (done < entry.size) {
      const n = fs.readSync(
        fd,
        buffer,
        0,
        Math.min(buffer.length, entry.size - done),
        entry.offset + done,
      );
      if (n === 0) throw new ArchiveError("the archive ends early");
      const chunk = buffer.subarray(0, n);
      onChunk(chunk);
      fs.writeSync(output, chunk);
      done += n;
    }
    fs.fsyncSync(output);
  } finally {
    fs.closeSync(output);
  }
}
