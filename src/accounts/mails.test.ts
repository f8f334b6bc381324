import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_TRANSLATOR as en } from "../i18n/i18n.ts";
import { alreadySignedUpMail, confirmSignupMail, resetMail, resetNoAccountMail } from "./mails.ts";

test("account mails: text and HTML carry the link; names are escaped and kept on one line", () => {
  const name = 'Eve <img src=x onerror="alert(1)">\r\nBcc: victim@example.test';
  const link = "https://help.example.test/password/reset?token=abc&x=1";
  for (const mail of [
    resetMail(en, { name, resetUrl: link }),
    confirmSignupMail(en, { name, confirmUrl: link }),
    alreadySignedUpMail(en, { name, signInUrl: "https://help.example.test/login", resetUrl: link }),
  ]) {
    assert.ok(mail.text.includes(link), mail.subject);
    assert.ok(
      mail.html.includes('href="https://help.example.test/password/reset?token=abc&amp;x=1"'),
    );
    assert.ok(!mail.html.includes("<img"), "names are text in HTML");
    assert.ok(!/\r|\nBcc:/.test(mail.text), "a name cannot add lines");
    assert.doesNotMatch(mail.subject, /[\r\n]/);
  }
  const none = resetNoAccountMail(en, { email: "a@example.test", signupUrl: "https://h/signup" });
  assert.doesNotMatch(none.text, /token=/);
  const disabled = alreadySignedUpMail(en, {
    name: "Dee",
    signInUrl: "https://h/login",
    resetUrl: undefined,
  });
  assert.match(disabled.text, /disabled/);
  assert.doesNotMatch(disabled.text, /token=/);
});
