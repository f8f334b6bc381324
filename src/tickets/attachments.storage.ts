import { createHash, randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

/**
 * Attachment files, stored once per content under
 * `DATA_DIR/attachments/<first two hex digits>/<sha256>`. Uploads are first
 * written to `DATA_DIR/tmp` while hashed, then moved into place when the ticket
 * or reply they belong to is accepted.
 */

/** An upload written to a temporary file, not yet part of any ticket. */
export interface StagedFile {
  readonly tmpPath: string;
  readonly filename: string;
  readonly contentType: string;
  readonly size: number;
  readonly sha256: string;
}

/** Most file systems allow 255 bytes (not characters) per name. */
const MAX_FILENAME_BYTES = 255;

// C0 and C1 control characters, and the invisible and bidi-control characters
// that make "gpj.exe" read as "exe.jpg".
const UNSAFE_IN_NAMES =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
  /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;
/** Characters Windows refuses in a name. */
const RESERVED_ON_WINDOWS = /[<>:"|?*]/g;
/** Names Windows gives to devices, with any extension: `NUL.txt` opens the null device. */
const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\.|$)/i;

/**
 * A file name safe to store, show and save on any system: no path, no control,
 * invisible or bidi characters, none Windows refuses, no device name, no
 * trailing dot or space, at most 255 UTF-8 bytes (the extension kept).
 */
export function cleanFilename(raw: string): string {
  const base = raw.split(/[\\/]/).pop() ?? "";
  let name = base
    .normalize("NFC")
    .replace(UNSAFE_IN_NAMES, "")
    .replace(RESERVED_ON_WINDOWS, "_")
    .trim()
    .replace(/[. ]+$/, "");
  if (name === "" || /^\.+$/.test(name)) return "attachment";
  if (WINDOWS_DEVICE.test(name)) name = `_${name}`;
  return truncateBytes(name, MAX_FILENAME_BYTES);
}

/** Cuts `name` to `max` UTF-8 bytes on a character boundary, keeping a short extension. */
function truncateBytes(name: string, max: number): string {
  if (Buffer.byteLength(name) <= max) return name;
  const dot = name.lastIndexOf(".");
  const extension = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : "";
  let stem = "";
  let bytes = Buffer.byteLength(extension);
  for (const char of name.slice(0, name.length - extension.length)) {
    const size = Buffer.byteLength(char);
    if (bytes + size > max) break;
    stem += char;
    bytes += size;
  }
  return stem + extension;
}

export async function stageUpload(
  dataDir: string,
  stream: Readable,
  filename: string,
  contentType: string,
): Promise<StagedFile> {
  const tmpDir = path.join(dataDir, "tmp");
  await fs.promises.mkdir(tmpDir, { recursive: true });
  const tmpPath = path.join(tmpDir, randomUUID());
  const hash = createHash("sha256");
  let size = 0;
  stream.on("data", (chunk: Buffer) => {
    hash.update(chunk);
    size += chunk.length;
  });
  try {
    await pipeline(stream, fs.createWriteStream(tmpPath, { flags: "wx" }));
  } catch (error) {
    await fs.promises.rm(tmpPath, { force: true });
    throw error;
  }
  return {
    tmpPath,
    filename: cleanFilename(filename),
    contentType: /^[\w.+-]+\/[\w.+-]+$/.test(contentType)
      ? contentType.toLowerCase()
      : "application/octet-stream",
    size,
    sha256: hash.digest("hex"),
  };
}

function storedPath(dataDir: string, sha256: string): string {
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error("not a sha256");
  return path.join(dataDir, "attachments", sha256.slice(0, 2), sha256);
}

/** Moves a staged upload into the content store (a no-op for content already there). */
export async function commitStaged(dataDir: string, file: StagedFile): Promise<void> {
  const target = storedPath(dataDir, file.sha256);
  await fs.promises.mkdir(path.dirname(target), { recursive: true });
  await fs.promises.rename(file.tmpPath, target);
}

/**
 * Removes temporary uploads older than `olderThanMs`: what a crash or a killed
 * process left behind (a live request's files are minutes old at most).
 */
export async function sweepStaged(dataDir: string, olderThanMs: number): Promise<number> {
  const tmpDir = path.join(dataDir, "tmp");
  let removed = 0;
  let names: string[];
  try {
    names = await fs.promises.readdir(tmpDir);
  } catch {
    return 0;
  }
  for (const name of names) {
    const file = path.join(tmpDir, name);
    const stat = await fs.promises.stat(file).catch(() => undefined);
    if (stat && Date.now() - stat.mtimeMs > olderThanMs) {
      await fs.promises.rm(file, { force: true });
      removed++;
    }
  }
  return removed;
}

export async function discardStaged(files: readonly StagedFile[]): Promise<void> {
  await Promise.all(files.map((f) => fs.promises.rm(f.tmpPath, { force: true })));
}

export function openStored(dataDir: string, sha256: string): Readable {
  return fs.createReadStream(storedPath(dataDir, sha256));
}

// Types a browser may show inline without running anything; the rest download as bytes.
const PASSIVE_TYPES = new Set([
  "image/png",
  "image/jpeg",
  "image/gif",
  "image/webp",
  "application/pdf",
  "text/plain",
]);

/** Every Content-Type a download may carry. */
export const SERVED_TYPES = [...PASSIVE_TYPES, "application/octet-stream"];

/** The Content-Type an attachment is served with: its own if passive, else octet-stream. */
export function servedContentType(contentType: string): string {
  return PASSIVE_TYPES.has(contentType) ? contentType : "application/octet-stream";
}
