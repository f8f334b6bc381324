import type { Translator } from "../i18n/i18n.ts";
import { escapeHtml } from "../lib/html.ts";

/**
 * The words of the mails about an account, as plain text and HTML, in the
 * reader's language (`t`). Pure: the recovery service decides who gets which,
 * in which language, and makes the links.
 */

export interface AccountMail {
  subject: string;
  text: string;
  html: string;
  /** The language it is written in (the mail's Content-Language). */
  locale: string;
}

type Part = { text: string } | { link: string; label: string };

function mail(t: Translator, subject: string, greeting: string, parts: Part[]): AccountMail {
  const footer = t.t("mail.account.notYou");
  const text = [
    greeting,
    "",
    ...parts.flatMap((p) =>
      "text" in p ? [p.text, ""] : [t.t("mail.account.linkLabel", { label: p.label }), p.link, ""],
    ),
    `-- ${footer}`,
    "",
  ].join("\n");
  const html = [
    `<!doctype html><html lang="${t.locale}" dir="${t.dir}"><body>`,
    `<p>${escapeHtml(greeting)}</p>`,
    ...parts.map((p) =>
      "text" in p
        ? `<p>${escapeHtml(p.text)}</p>`
        : `<p><a href="${escapeHtml(p.link)}">${escapeHtml(p.label)}</a></p>`,
    ),
    `<p style="color:#555">${escapeHtml(footer)}</p>`,
    "</body></html>",
  ].join("\n");
  return { subject, text, html, locale: t.locale };
}

// Header- and line-safe, bounded.
function oneLine(value: string, max = 100): string {
  return value.replace(/[\r\n\t]+/g, " ").slice(0, max);
}

const hello = (t: Translator, name: string) => t.t("mail.greeting", { name: oneLine(name) });

/** A password reset link (valid for an hour, once). */
export function resetMail(t: Translator, input: { name: string; resetUrl: string }): AccountMail {
  return mail(t, t.t("mail.reset.subject"), hello(t, input.name), [
    { text: t.t("mail.reset.asked") },
    { label: t.t("mail.reset.link"), link: input.resetUrl },
    { text: t.t("mail.reset.signsOut") },
  ]);
}

/** A reset asked for an address that has no active account here. */
export function resetNoAccountMail(
  t: Translator,
  input: { email: string; signupUrl: string },
): AccountMail {
  return mail(t, t.t("mail.reset.subject"), t.t("mail.greetingNoName"), [
    { text: t.t("mail.resetNoAccount.text", { email: oneLine(input.email, 254) }) },
    { label: t.t("mail.resetNoAccount.link"), link: input.signupUrl },
  ]);
}

/** The confirmation of a sign-up (a new account, or claiming one made for the address). */
export function confirmSignupMail(
  t: Translator,
  input: { name: string; confirmUrl: string },
): AccountMail {
  return mail(t, t.t("mail.signup.subject"), hello(t, input.name), [
    { text: t.t("mail.signup.text") },
    { label: t.t("mail.signup.link"), link: input.confirmUrl },
  ]);
}

/** Someone signed up with an address that already has an account. */
export function alreadySignedUpMail(
  t: Translator,
  input: {
    name: string;
    signInUrl: string;
    resetUrl: string | undefined;
  },
): AccountMail {
  return mail(t, t.t("mail.signupExists.subject"), hello(t, input.name), [
    { text: t.t("mail.signupExists.text") },
    { label: t.t("mail.signupExists.signIn"), link: input.signInUrl },
    input.resetUrl
      ? { label: t.t("mail.signupExists.reset"), link: input.resetUrl }
      : { text: t.t("mail.signupExists.disabled") },
  ]);
}
