import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { simpleParser } from "mailparser";
import { loadConfig } from "../config.ts";
import { acceptsRecipient, replyAddress, ticketFromReplyAddress } from "./addresses.ts";
import { REPLY_ABOVE } from "./compose.ts";
import { junkReason, titleFromSubject } from "./inbound.service.ts";
import { trimQuoted } from "./quotes.ts";

describe("trimming quoted history", () => {
  test("Gmail / Apple Mail: everything from 'On ... wrote:' goes", () => {
    const text =
      "Thanks, that worked.\n\nOn Tue, 24 Nov 2026 at 10:00, Support <s@x.test> wrote:\n> Try again.\n";
    assert.equal(trimQuoted(text), "Thanks, that worked.");
  });

  test("a wrapped 'On ... wrote:' line, and our own marker even when quoted", () => {
    assert.equal(
      trimQuoted("Yes.\n\nOn Tue, 24 Nov 2026 at 10:00, Support\n<s@x.test> wrote:\n> old"),
      "Yes.",
    );
    assert.equal(trimQuoted(`Done.\n\n> ${REPLY_ABOVE}\n> Hello Ann,`), "Done.");
    assert.equal(trimQuoted(`Done.\n${REPLY_ABOVE}\nHello Ann,`), "Done.");
  });

  test("Outlook: the From:/Sent: block and Original Message separators", () => {
    const outlook =
      "Fine by me.\r\n\r\nFrom: Support <s@x.test>\r\nSent: Tuesday, 24 November 2026 10:00\r\nTo: Ann\r\n\r\nTry again.";
    assert.equal(trimQuoted(outlook), "Fine by me.");
    assert.equal(trimQuoted("Ok\n-----Original Message-----\nold"), "Ok");
  });

  test("quotes in the middle of a reply stay; text with no history is unchanged", () => {
    const inline = "> Does it print?\nNo, it does not.\n> Is it on?\nYes.";
    assert.equal(trimQuoted(inline), inline);
    assert.equal(
      trimQuoted("From: my side, all good.\nSent: yesterday"),
      "From: my side, all good.\nSent: yesterday",
    );
    assert.equal(trimQuoted("  just text  "), "just text");
  });

  test("a message that is only history is kept whole rather than emptied", () => {
    assert.equal(trimQuoted("> only a quote"), "> only a quote");
  });
});

describe("addresses", () => {
  const config = loadConfig({
    MAIL_FROM: "help@example.test",
    INBOUND_SMTP_DOMAINS: "help@example.test, inbox.example.test",
  });

  test("a reply address names its ticket only with the right token", () => {
    const address = replyAddress(config, "secret-a", 42);
    assert.match(address, /^help\+42-[0-9a-f]{24}@example\.test$/);
    assert.equal(ticketFromReplyAddress("secret-a", address), 42);
    assert.equal(ticketFromReplyAddress("secret-a", address.toUpperCase()), 42, "case-insensitive");
    assert.equal(
      ticketFromReplyAddress("secret-b", address),
      undefined,
      "another instance's secret",
    );
    assert.equal(ticketFromReplyAddress("secret-a", address.replace("+42-", "+43-")), undefined);
    assert.equal(ticketFromReplyAddress("secret-a", "help@example.test"), undefined);
  });

  test("the listener accepts the support address, its +tags and listed domains, nothing else", () => {
    assert.ok(acceptsRecipient(config, "help@example.test"));
    assert.ok(acceptsRecipient(config, "Help+42-abc@Example.test"));
    assert.ok(acceptsRecipient(config, "anyone@inbox.example.test"));
    assert.ok(!acceptsRecipient(config, "sales@example.test"));
    assert.ok(!acceptsRecipient(config, "help@example.test.evil.org"));
    assert.ok(!acceptsRecipient(config, "nobody"));
  });

  test("ticket titles from subjects lose reply prefixes and control characters", () => {
    assert.equal(titleFromSubject("Re: AW: Fwd: Printer\r\n broken"), "Printer broken");
    assert.equal(titleFromSubject(""), "(no subject)");
    assert.equal(titleFromSubject(undefined), "(no subject)");
    assert.equal(titleFromSubject("x".repeat(500)).length, 200);
  });
});

describe("loops and junk", () => {
  const reason = async (headers: string, envelopeFrom = "ann@example.org") =>
    junkReason(
      await simpleParser(Buffer.from(`From: Ann <ann@example.org>\r\n${headers}\r\n\r\nhi\r\n`)),
      { from: envelopeFrom, to: [] },
      "help@example.test",
    );

  test("a person's mail passes, including Auto-Submitted: no with a comment", async () => {
    assert.equal(await reason("Subject: hello"), undefined);
    assert.equal(await reason("Auto-Submitted: no (sent by a person)"), undefined);
    assert.equal(await reason("Precedence: first-class"), undefined);
  });

  test("automatic, bulk and bounce mail is named for what it is", async () => {
    assert.match((await reason("Auto-Submitted: auto-replied")) ?? "", /Auto-Submitted/);
    assert.match((await reason("Auto-Submitted: auto-generated")) ?? "", /Auto-Submitted/);
    assert.match((await reason("Precedence: auto_reply")) ?? "", /Precedence/);
    assert.match((await reason("Precedence: LIST")) ?? "", /Precedence: list/);
    assert.match((await reason("X-Autoreply: yes")) ?? "", /automatic reply/);
    assert.match((await reason("Subject: x", "")) ?? "", /null sender/);
  });
});
