import assert from "node:assert/strict";
import { test } from "node:test";
import type { FastifyRequest } from "fastify";
import type { StagedFile } from "../tickets/attachments.storage.ts";
import { filesFrom } from "./uploads.ts";

const staged = (name: string): StagedFile => ({
  tmpPath: `/data/tmp/${name}`,
  filename: name,
  contentType: "text/plain",
  size: 1,
  sha256: "0".repeat(64),
});

function request(body: unknown, stagedFiles: StagedFile[]): FastifyRequest {
  return { body, stagedFiles } as unknown as FastifyRequest;
}

test("only files staged by this request are taken from the body", () => {
  const a = staged("a.txt");
  const b = staged("b.txt");
  assert.deepEqual(filesFrom(request({ attachments: a }, [a]), "attachments"), [a]);
  assert.deepEqual(filesFrom(request({ attachments: [a, b] }, [a, b]), "attachments"), [a, b]);
  assert.deepEqual(filesFrom(request({ other: a }, [a]), "attachments"), []);
});

test("a look-alike object in the body is ignored", () => {
  const real = staged("real.txt");
  const forged = { ...staged("passwd"), tmpPath: "/etc/passwd" };
  assert.deepEqual(filesFrom(request({ attachments: forged }, [real]), "attachments"), []);
  assert.deepEqual(filesFrom(request({ attachments: [forged, real] }, [real]), "attachments"), [
    real,
  ]);
});
