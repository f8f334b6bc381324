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

test("file names lose paths, control, invisible and direction-override characters", () => {
  assert.equal(cleanFilename("../../etc/passwd"), "passwd");
  assert.equal(cleanFilename("C:\\Users\\me\\report.pdf"), "report.pdf");
  assert.equal(cleanFilename("a\u0000b\nc\u0085.txt"), "abc.txt");
  assert.equal(cleanFilename("invoice\u202Egpj.exe"), "invoicegpj.exe");
  assert.equal(cleanFilename("in\u2066voi\u200Bce\u061C.pdf"), "invoice.pdf");
  assert.equal(cleanFilename("   "), "attachment");
  assert.equal(cleanFilename(".."), "attachment");
  assert.equal(cleanFilename("report.pdf"), "report.pdf");
  assert.equal(cleanFilename("Café Menü.pdf"), "Café Menü.pdf");
});

test("file names Windows would refuse or treat as devices are made safe", () => {
  assert.equal(cleanFilename("what?<now>:*|.txt"), "what__now____.txt");
  assert.equal(cleanFilename("CON"), "_CON");
  assert.equal(cleanFilename("nul.txt"), "_nul.txt");
  assert.equal(cleanFilename("Com1.tar.gz"), "_Com1.tar.gz");
  assert.equal(cleanFilename("LPT9"), "_LPT9");
  assert.equal(cleanFilename("CON."), "_CON");
  assert.equal(cleanFilename("console.log"), "console.log");
  assert.equal(cleanFilename("report. . "), "report");
});

test("file names are cut to 255 UTF-8 bytes on a character boundary, keeping the extension", () => {
  const long = cleanFilename(`${"x".repeat(300)}.pdf`);
  assert.equal(long, `${"x".repeat(251)}.pdf`);
  // Three bytes per character: 255 characters would be 765 bytes.
  const wide = cleanFilename(`${"漢".repeat(255)}.txt`);
  assert.ok(Buffer.byteLength(wide) <= 255, `${Buffer.byteLength(wide)} bytes`);
  assert.equal(wide, `${"漢".repeat(83)}.txt`);
  // A character outside the BMP (two UTF-16 units, four bytes) is never split.
  const emoji = cleanFilename("😀".repeat(100));
  assert.equal(emoji, "😀".repeat(63));
  assert.ok(!emoji.includes("\uFFFD"));
});
