import assert from "node:assert/strict";
import { test } from "node:test";
import {
  loadReplyCases,
  lostLines,
  normalizeVisible,
  score,
} from "../../test/fixtures/replies/cases.ts";
import { splitReply } from "./quotes.ts";

test("the reply fixture set shows the right text in at least 97% of replies and never loses reply text", async () => {
  const cases = await loadReplyCases();
  assert.ok(cases.length >= 120, `only ${cases.length} fixtures`);
  const result = score(cases, (c) => splitReply(c.body, { subject: c.subject }).visible);
  const ratio = result.exact / result.total;
  assert.deepEqual(result.lost, [], "reply text lost");
  assert.ok(
    ratio >= 0.97,
    `${result.exact}/${result.total} exact (${(ratio * 100).toFixed(1)}%); wrong: ${result.wrong.join(", ")}`,
  );
});

test("every fixture keeps what it trims: visible and quoted together hold every line of the body", async () => {
  for (const c of await loadReplyCases()) {
    const split = splitReply(c.body, { subject: c.subject });
    const together = `${split.visible}\n${split.quoted ?? ""}`;
    assert.deepEqual(lostLines(c.body, together), [], c.name);
  }
});

test("a top-posted Gmail reply keeps the attribution and quote behind quoted", () => {
  const split = splitReply(
    "Thanks!\n\nOn Mon, 2 Mar 2026 at 10:14, Ann <ann@example.com> wrote:\n> Is it fixed?\n",
  );
  assert.equal(split.visible, "Thanks!");
  assert.equal(
    split.quoted,
    "On Mon, 2 Mar 2026 at 10:14, Ann <ann@example.com> wrote:\n> Is it fixed?",
  );
});

test("bottom-posting shows the text below the quote and keeps the quote", () => {
  const split = splitReply("> Which browser?\n\nFirefox.\n");
  assert.equal(split.visible, "Firefox.");
  assert.equal(split.quoted, "> Which browser?");
});

test("a forwarded mail is kept whole and says where the forward starts", () => {
  const body =
    "See below.\n\n---------- Forwarded message ---------\nFrom: Billing <b@vendor.example>\nDate: Mon, 2 Mar 2026 at 08:00\nSubject: Invoice 7\nTo: <a@example.org>\n\nTotal 980.00 EUR\n";
  const split = splitReply(body, { subject: "Fwd: Invoice 7" });
  assert.equal(split.quoted, undefined);
  assert.equal(split.forwardAt, 2);
  assert.equal(normalizeVisible(split.visible), normalizeVisible(body));
});

test("an Outlook header block under FW: is a forward, under RE: it is history", () => {
  const body =
    "Look at this.\n\nFrom: Shop <s@shop.example>\nSent: Monday, March 2, 2026 9:00 AM\nTo: Carl <c@example.org>\nSubject: Order\n\nOrder 7781\n";
  assert.equal(splitReply(body, { subject: "FW: Order" }).forwardAt, 2);
  assert.equal(splitReply(body, { subject: "FW: Order" }).quoted, undefined);
  assert.equal(splitReply(body, { subject: "RE: Order" }).visible, "Look at this.");
});

test("text that is only a quote stays visible rather than leaving an empty message", () => {
  const split = splitReply("> just a quote\n");
  assert.equal(split.visible, "> just a quote");
  assert.equal(split.quoted, undefined);
});

test("a very long mail is split in linear time", () => {
  const body = Array.from({ length: 60_000 }, (_, i) =>
    i % 3 === 0 ? `> quoted line ${i}` : i % 3 === 1 ? "" : `answer ${i}:`,
  ).join("\n");
  const started = performance.now();
  const split = splitReply(`Top line.\n\n${body}`);
  const ms = performance.now() - started;
  assert.ok(split.visible.startsWith("Top line."));
  assert.ok(ms < 2000, `${Math.round(ms)} ms`);
});
