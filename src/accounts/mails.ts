import { escapeHtml } from "../lib/html.ts";

/**
 * The words of the mails about an account, as plain text and HTML. Pure: the
 * recovery service decides who gets which and makes the links.
 */

export interface AccountMail {
  subject: string;
  text: string;
  html: string;
}

type Part = { text: string } | { link: string; label: string };

function mail(subject: string, greeting: string, parts: Part[], footer: string): AccountMail {
  const text = [
    greeting,
    "",
    ...parts.flatMap((p) => ("text" in p ? [p.text, ""] : [`${p.label}:`, p.link, ""])),
    `-- ${footer}`,
    "",
  ].join("\n");
  const html = [
    "<!doctype html><html><body>",
    `<p>${escapeHtml(greeting)}</p>`,
    ...parts.map((p) =>
      "text" in p
        ? `<p>${escapeHtml(p.text)}</p>`
        : `<p><a href="${escapeHtml(p.link)}">${escapeHtml(p.label)}</a></p>`,
    ),
    `<p style="color:#555">${escapeHtml(footer)}</p>`,
    "</body></html>",
  ].join("\n");
  return { subject, text, html };
}

const NOT_YOU = "If you did not ask for this, ignore this mail: nothing changes.";

// Header- and line-safe, bounded.
function oneLine(value: string, max = 100): string {
  return value.replace(/[\r\n\t]+/g, " ").slice(0, max);
}

/** A password reset link (valid for an hour, once). */
export function resetMail(input: { name: string; resetUrl: string }): AccountMail {
  return mail(
    "Reset your password",
    `Hello ${oneLine(input.name)},`,
    [
      { text: "Someone (hopefully you) asked to set a new password for your account." },
      { label: "Choose a new password (this link works once, for one hour)", link: input.resetUrl },
      { text: "Setting it signs you out everywhere else." },
    ],
    NOT_YOU,
  );
}

/** A reset asked for an address that has no active account here. */
export function resetNoAccountMail(input: { email: string; signupUrl: string }): AccountMail {
  return mail(
    "Reset your password",
    "Hello,",
    [
      {
        text: `Someone asked to reset the password of ${oneLine(input.email, 254)}, but there is no active account for this address here.`,
      },
      { label: "You can create one", link: input.signupUrl },
    ],
    NOT_YOU,
  );
}

/** The confirmation of a sign-up (a new account, or claiming one made for the address). */
export function confirmSignupMail(input: { name: string; confirmUrl: string }): AccountMail {
  return mail(
    "Confirm your email address",
    `Hello ${oneLine(input.name)},`,
    [
      { text: "Confirm this address to finish creating your account." },
      { label: "Confirm and sign in (this link works once, for 24 hours)", link: input.confirmUrl },
    ],
    NOT_YOU,
  );
}

/** Someone signed up with an address that already has an account. */
export function alreadySignedUpMail(input: {
  name: string;
  signInUrl: string;
  resetUrl: string | undefined;
}): AccountMail {
  return mail(
    "You already have an account",
    `Hello ${oneLine(input.name)},`,
    [
      {
        text: "Someone (hopefully you) tried to sign up with this address, which already has an account. No new account was made.",
      },
      { label: "Sign in", link: input.signInUrl },
      input.resetUrl
        ? {
            label: "Forgot your password? Choose a new one (works once, for one hour)",
            link: input.resetUrl,
          }
        : { text: "This account is disabled: ask the support team to enable it." },
    ],
    NOT_YOU,
  );
}
