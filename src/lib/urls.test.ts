import assert from "node:assert/strict";
import { test } from "node:test";
import { localPath, safeHref } from "./urls.ts";

test("safe links keep http, https, mailto and relative URLs", () => {
  for (const url of [
    "https://example.com/a?b=c",
    "http://example.com",
    "mailto:help@example.com",
    "/tickets/1",
    "#top",
    "page?x=1",
  ]) {
    assert.equal(safeHref(url), url);
  }
});

test("script and data URLs become #, however they are disguised", () => {
  for (const url of [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "vbscript:msgbox(1)",
    "data:text/html,<script>alert(1)</script>",
    "file:///etc/passwd",
  ]) {
    assert.equal(safeHref(url), "#", JSON.stringify(url));
  }
});

test("redirect targets after sign-in are local paths only", () => {
  assert.equal(localPath("/tickets/5?x=1", "/"), "/tickets/5?x=1");
  for (const next of [
    "//evil.example",
    "/\\evil.example",
    "https://evil.example",
    "evil",
    "",
    undefined,
    42,
    "/\u0000x",
    "/a\\b",
    "/€",
    "/a b",
  ]) {
    assert.equal(localPath(next, "/home"), "/home", JSON.stringify(next));
  }
});
