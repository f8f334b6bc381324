import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { cleanFilename, sweepStaged } from "./attachments.storage.ts";

test("abandoned temporary uploads are swept, recent ones are kept", async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tessera-sweep-"));
  try {
    const tmp = path.join(dataDir, "tmp");
    fs.mkdirSync(tmp);
    fs.writeFileSync(path.join(tmp, "old"), "x");
    fs.writeFileSync(path.join(tmp, "new"), "x");
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    fs.utimesSync(path.join(tmp, "old"), twoHoursAgo, twoHoursAgo);
    assert.equal(await sweepStaged(dataDir, 3600_000), 1);
    assert.deepEqual(fs.readdirSync(tmp), ["new"]);
    assert.equal(await sweepStaged(path.join(dataDir, "missing"), 0), 0);
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

test("file names lose paths, control and direction-override characters", () => {
  assert.equal(cleanFilename("../../etc/passwd"), "passwd");
  assert.equal(cleanFilename("C:\\Users\\me\\report.pdf"), "report.pdf");
  assert.equal(cleanFilename("a\u0000b\nc.txt"), "abc.txt");
  assert.equal(cleanFilename("invoice\u202Egpj.exe"), "invoicegpj.exe");
  assert.equal(cleanFilename("   "), "attachment");
  assert.equal(cleanFilename("x".repeat(300)).length, 255);
});
