import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { simpleParser } from "mailparser";
import { REPLIES_DIR } from "../../test/fixtures/replies/cases.ts";
import { repairForParsing } from "./charset.ts";

const CHARSETS = path.join(REPLIES_DIR, "charsets");

test("mail in windows-1252, ISO-8859-1, KOI8-R and Shift_JIS that declares no charset reads right, subject and body", async () => {
  const files = fs.readdirSync(CHARSETS).filter((f) => f.endsWith(".eml"));
  assert.ok(files.length >= 8);
  for (const f of files) {
    const raw = fs.readFileSync(path.join(CHARSETS, f));
    const expected = fs.readFileSync(
      path.join(CHARSETS, f.replace(/\.eml$/, ".expected.txt")),
      "utf8",
    );
    const subject = expected.slice(0, expected.indexOf("\n\n"));
    const body = expected.slice(expected.indexOf("\n\n") + 2);
    const before = await simpleParser(raw);
    assert.match(before.text ?? "", /\uFFFD/, `${f}: mailparser alone shows U+FFFD`);
    const parsed = await simpleParser(repairForParsing(raw));
    assert.equal(parsed.subject, subject, f);
    assert.equal(parsed.text?.trim(), body.trim(), f);
  }
});

const mail = (headers: string[], body: string) =>
  Buffer.from(`${headers.join("\r\n")}\r\n\r\n${body}`, "utf8");

test("a base64 transfer encoding over a body that is not base64 falls back to the body as it is", async () => {
  const raw = mail(
    [
      "From: a@example.org",
      "Subject: x",
      "Content-Type: text/plain; charset=utf-8",
      "Content-Transfer-Encoding: base64",
    ],
    "Hello, the printer on floor 3 is broken again.\r\n",
  );
  assert.doesNotMatch((await simpleParser(raw)).text ?? "", /printer/);
  const parsed = await simpleParser(repairForParsing(raw));
  assert.equal(parsed.text?.trim(), "Hello, the printer on floor 3 is broken again.");
});

test("inside a multipart message, only the broken part is repaired; real base64 still decodes", async () => {
  const good = Buffer.from("Attached, as promised.").toString("base64");
  const raw = mail(
    [
      "From: a@example.org",
      "Subject: x",
      "MIME-Version: 1.0",
      'Content-Type: multipart/mixed; boundary="b1"',
    ],
    [
      "--b1",
      "Content-Type: text/plain; charset=utf-8",
      "Content-Transfer-Encoding: base64",
      "",
      "Grüße, das ist kein base64!",
      "--b1",
      'Content-Type: text/plain; name="note.txt"',
      "Content-Disposition: attachment; filename=note.txt",
      "Content-Transfer-Encoding: base64",
      "",
      good,
      "--b1--",
      "",
    ].join("\r\n"),
  );
  const parsed = await simpleParser(repairForParsing(raw));
  assert.equal(parsed.text?.trim(), "Grüße, das ist kein base64!");
  assert.equal(parsed.attachments[0]?.content.toString(), "Attached, as promised.");
});

test("mail that is already right is passed through untouched", () => {
  const raw = mail(
    ["From: a@example.org", "Subject: x", "Content-Type: text/plain; charset=utf-8"],
    "Grüße, alles gut.",
  );
  assert.equal(repairForParsing(raw), raw);
  const ascii = Buffer.from("From: a@example.org\r\nSubject: x\r\n\r\nplain\r\n");
  assert.equal(repairForParsing(ascii), ascii);
});
