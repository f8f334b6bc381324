import fastifyMultipart, { type MultipartFile } from "@fastify/multipart";
import type { FastifyInstance, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import type { Deps } from "../deps.ts";
import { Unauthorized } from "../lib/errors.ts";
import { discardStaged, type StagedFile, stageUpload } from "../tickets/attachments.storage.ts";
import { MAX_FILES } from "../tickets/tickets.schemas.ts";

/** How long the rest of a refused request body is read (and discarded) before the connection is cut. */
const UNREAD_BODY_GRACE_MS = 2_000;

/** Whether a request's body is still arriving (light-my-request's injected requests never are). */
function unfinished(req: FastifyRequest): boolean {
  return req.raw.complete === false && typeof req.raw.socket?.destroy === "function";
}

/**
 * Multipart forms: fields land in `req.body`; each file is streamed to a
 * temporary file under DATA_DIR while hashed, and appears in the body as a
 * StagedFile. The size limit stops a file as soon as it passes the limit
 * (413, worded by the error handler), and temporary files are removed once the response has been sent.
 */
export const uploadsPlugin = fp(async (app: FastifyInstance, deps: Deps) => {
  app.decorateRequest("stagedFiles", null as unknown as StagedFile[]);
  app.addHook("onRequest", async (req) => {
    req.stagedFiles = [];
  });
  app.addHook("onResponse", async (req) => {
    if (req.stagedFiles.length > 0) await discardStaged(req.stagedFiles);
  });
  // A client that hangs up mid-upload gets no response; its files go all the same.
  app.addHook("onRequestAbort", async (req) => {
    if (req.stagedFiles.length > 0) await discardStaged(req.stagedFiles);
  });
  // An answer sent before the request body arrived in full (a refused upload).
  // Node would close the connection at once, and closing a socket with unread
  // data makes the kernel send a reset that can destroy the answer before the
  // client reads it. So the rest is read and thrown away for a short grace
  // period (a "lingering close"), and then the connection is cut.
  app.addHook("onSend", async (req, reply) => {
    if (unfinished(req)) reply.header("connection", "keep-alive");
  });
  app.addHook("onResponse", async (req) => {
    if (!unfinished(req)) return;
    const raw = req.raw;
    raw.resume();
    const cut = setTimeout(() => raw.socket?.destroy(), UNREAD_BODY_GRACE_MS);
    cut.unref();
    raw.once("end", () => clearTimeout(cut));
  });
  // Nobody who is not signed in may make the server write files: refuse before the body is read.
  app.addHook("preParsing", async (req) => {
    // (req.isMultipart() is only known after parsing; the header is known now.)
    const multipart = req.headers["content-type"]?.toLowerCase().startsWith("multipart/") ?? false;
    if (multipart && !req.actor && !req.ticketVisitor) throw new Unauthorized();
  });

  await app.register(fastifyMultipart, {
    attachFieldsToBody: "keyValues",
    limits: {
      fileSize: deps.config.maxAttachmentBytes,
      files: MAX_FILES,
      fields: 50,
      fieldSize: 256 * 1024,
      parts: MAX_FILES + 50,
    },
    throwFileSizeLimit: true,
    async onFile(this: FastifyRequest, part: MultipartFile) {
      if (!part.filename) {
        // An empty file input still sends a part with no name and no bytes.
        part.file.resume();
        return;
      }
      // busboy only truncates a file at the limit and goes on reading the
      // request to its end; stop at once instead, so the 413 goes back while
      // the client is still sending (and nothing more is read or written).
      part.file.once("limit", () =>
        part.file.destroy(new app.multipartErrors.RequestFileTooLargeError()),
      );
      const staged = await stageUpload(
        deps.config.dataDir,
        part.file,
        part.filename,
        part.mimetype,
      );
      this.stagedFiles.push(staged);
      (part as unknown as { value: StagedFile }).value = staged;
    },
  });
});

/**
 * The files this request uploaded under `field`. Only objects the upload hook
 * staged for this very request count: a JSON or urlencoded body that imitates
 * one (`{"attachments": {"tmpPath": "/etc/passwd"}}`) yields nothing.
 */
export function filesFrom(req: FastifyRequest, field: string): StagedFile[] {
  const value = (req.body as Record<string, unknown> | undefined)?.[field];
  const list: unknown[] = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return req.stagedFiles.filter((staged) => list.includes(staged));
}
