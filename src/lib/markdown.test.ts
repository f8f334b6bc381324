import assert from "node:assert/strict";
import { test } from "node:test";
import { escapeMarkdown, renderMarkdown } from "./markdown.ts";

test("markdown is rendered", () => {
  assert.equal(
    renderMarkdown("**bold** and `code`").trim(),
    "<p><strong>bold</strong> and <code>code</code></p>",
  );
});

test("raw HTML in a message is shown as text, never as markup", () => {
  const html = renderMarkdown(
    '<script>alert(1)</script><img src=x onerror="alert(2)"><svg onload=alert(3)>',
  );
  assert.doesNotMatch(html, /<script|<img|<svg/);
  assert.match(html, /&lt;script&gt;/);
});

test("javascript: and data: links are not links", () => {
  const html = renderMarkdown(
    "[a](javascript:alert(1)) [b](data:text/html,x) [c](JAVASCRIPT:alert(1)) ![d](javascript:alert(1))",
  );
  assert.doesNotMatch(html, /href="javascript|href="data|src="javascript/i);
});

test("safe links open in a new tab without leaking the referrer or passing rank", () => {
  const html = renderMarkdown("[docs](https://example.com/docs) and https://example.org");
  assert.match(
    html,
    /<a href="https:\/\/example.com\/docs" rel="nofollow noopener noreferrer" target="_blank">docs<\/a>/,
  );
  assert.match(html, /<a href="https:\/\/example.org"/);
});

test("escapeMarkdown: a value renders as exactly its text, never markup or a link", () => {
  const escapeHtml = (s: string) =>
    s
      .replaceAll("&", "&amp;")
      .replaceAll("<", "&lt;")
      .replaceAll(">", "&gt;")
      .replaceAll('"', "&quot;");
  for (const value of [
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "[x](https://evil.test) ![i](https://evil.test/i.png)",
    "www.evil.test and https://evil.test and <https://evil.test>",
    "ada@example.com",
    "1. Ada",
    "# Heading",
    "- item",
    "*b* _c_ `d` ~~e~~ **f**",
    "&amp; &#60;",
    "a | b",
    "===",
    "back\\slash",
    'O\'Brien, "Q"? 50% a/b $5',
  ]) {
    assert.equal(renderMarkdown(escapeMarkdown(value)), `<p>${escapeHtml(value)}</p>\n`, value);
  }
  assert.equal(escapeMarkdown("Ada\r\nLovelace"), "Ada Lovelace", "one line: no block can start");
});
