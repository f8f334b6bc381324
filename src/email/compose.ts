import {
  CATALOGS,
  isLocale,
  isTimeZone,
  LOCALES,
  type Locale,
  type Translator,
  translator,
} from "../i18n/i18n.ts";
import { escapeHtml } from "../lib/html.ts";
import { renderMarkdown } from "../lib/markdown.ts";

/**
 * The words of every notification, as plain text and HTML, in the
 * recipient's language. Pure: the outbox service decides who gets what and
 * in which language; this only writes it.
 */

/** The English reply line (mail sent before issue 20 carries it; see hasReplyAbove). */
export const REPLY_ABOVE = "##- Please type your reply above this line -##";

/** The first line of a mail in the reader's language: inbound mail is cut here. */
export function replyAbove(t: Translator): string {
  return `##- ${t.t("mail.replyAbove")} -##`;
}

// The reply line in every language Tessera writes mail in.
const REPLY_ABOVE_LINES: readonly string[] = LOCALES.map(
  (locale) => `##- ${CATALOGS[locale]["mail.replyAbove"]} -##`,
);

/**
 * Whether a line holds our reply line, in any language: a reply is cut there
 * whatever language its mail was sent in (or the reader's language since).
 */
export function hasReplyAbove(line: string): boolean {
  // Most lines have no "##-": one search for them, not one per language.
  return line.includes("##-") && REPLY_ABOVE_LINES.some((marker) => line.includes(marker));
}

/** Someone mail is written for: their own language and zone, when their account has them. */
export interface MailReader {
  locale?: string | null | undefined;
  timeZone?: string | null | undefined;
}

/**
 * The language and zone of a mail to `reader`: their own when set, else the
 * instance's (`defaults`); a bare address (a CC, a rule's address) has none of its own.
 */
export function mailTranslator(
  defaults: { locale: Locale; timeZone: string },
  reader: MailReader | undefined,
): Translator {
  return translator(
    isLocale(reader?.locale) ? reader.locale : defaults.locale,
    isTimeZone(reader?.timeZone) ? reader.timeZone : defaults.timeZone,
  );
}

/** Headers every composed mail carries: the language it is written in. */
export function languageHeaders(t: Translator): Record<string, string> {
  return { "Content-Language": t.locale };
}

/** The opening of a mail's HTML: its language and direction (Arabic reads right to left). */
export function htmlStart(t: Translator): string {
  return `<!doctype html><html lang="${t.locale}" dir="${t.dir}"><body>`;
}

export type NotificationKind =
  | "ticket.received"
  | "ticket.new"
  | "reply.public"
  | "reply.customer"
  | "ticket.assigned"
  | "ticket.merged";

export interface NotificationInput {
  kind: NotificationKind;
  ticket: { id: number; title: string };
  recipientName: string;
  /** Who did it (the customer, or the agent). */
  actorName: string;
  /** The text of the message the mail is about (Markdown), if any. */
  content?: string | undefined;
  /** Link to the ticket. */
  url: string;
  /** Whether the ticket was opened by staff on the recipient's behalf. */
  onBehalf?: boolean | undefined;
  /** `url` is the recipient's own ticket link, which opens the ticket without a password. */
  personalLink?: boolean | undefined;
  /** `ticket.merged`: the recipient's ticket that continues in `ticket`. */
  mergedFrom?: { id: number; title: string } | undefined;
}

export interface ComposedMail {
  subject: string;
  text: string;
  html: string;
}

// Header-safe: no line breaks, bounded.
function oneLine(value: string, max = 200): string {
  return value.replace(/[\r\n\t]+/g, " ").slice(0, max);
}

/** The `[#id]` token inbound mail is threaded by (inbound.service.ts): never translated. */
function subjectOf(ticketId: number, rest: string): string {
  return oneLine(`[#${ticketId}] ${rest}`, 250);
}

function lead(
  t: Translator,
  input: NotificationInput,
): { subject: string; intro: string; outro: string } {
  const actor = oneLine(input.actorName, 100);
  const title = input.ticket.title;
  const answerCustomer = t.t("mail.outro.answerCustomer");
  switch (input.kind) {
    case "ticket.received":
      return {
        subject: title,
        intro: input.onBehalf
          ? t.t("mail.received.onBehalf", { actor })
          : t.t("mail.received.intro"),
        outro: t.t("mail.received.outro"),
      };
    case "ticket.new":
      return {
        subject: t.t("mail.new.subject", { title }),
        intro: t.t("mail.new.intro", { actor }),
        outro: answerCustomer,
      };
    case "reply.public":
      return {
        subject: title,
        intro: t.t("mail.replied", { actor }),
        outro: t.t("mail.outro.answer"),
      };
    case "reply.customer":
      return { subject: title, intro: t.t("mail.replied", { actor }), outro: answerCustomer };
    case "ticket.assigned":
      return {
        subject: t.t("mail.assigned.subject", { title }),
        intro: t.t("mail.assigned.intro", { actor }),
        outro: answerCustomer,
      };
    case "ticket.merged":
      return {
        subject: title,
        intro: t.t("merge.mail.intro", {
          actor,
          // Strings, not numbers: ICU would group the digits.
          source: String(input.mergedFrom?.id ?? ""),
          sourceTitle: oneLine(input.mergedFrom?.title ?? "", 200),
          target: String(input.ticket.id),
        }),
        outro: t.t("mail.outro.answer"),
      };
  }
}

/**
 * Subject, text and HTML of one notification in `t`'s language; the subject
 * starts with [#id] in every language.
 */
export function composeNotification(t: Translator, input: NotificationInput): ComposedMail {
  const { subject, intro, outro } = lead(t, input);
  const name = oneLine(input.recipientName, 100);
  const content = input.content?.trim() ?? "";
  // A string, not a number: ICU would group the digits (#1,234).
  const id = String(input.ticket.id);
  const personalLink = t.t("mail.personalLink");
  const text = [
    replyAbove(t),
    "",
    t.t("mail.greeting", { name }),
    "",
    intro,
    ...(content ? ["", content] : []),
    "",
    `-- ${outro}`,
    t.t("mail.ticketLine", { id, url: input.url }),
    ...(input.personalLink ? [personalLink] : []),
    "",
  ].join("\n");
  const html = [
    htmlStart(t),
    `<p style="color:#888">${escapeHtml(replyAbove(t))}</p>`,
    `<p>${escapeHtml(t.t("mail.greeting", { name }))}</p>`,
    `<p>${escapeHtml(intro)}</p>`,
    content ? `<div>${renderMarkdown(content)}</div>` : "",
    `<p style="color:#555">${escapeHtml(outro)}<br>`,
    `<a href="${escapeHtml(input.url)}">${escapeHtml(t.t("mail.ticketLabel", { id }))}</a></p>`,
    input.personalLink ? `<p style="color:#555">${escapeHtml(personalLink)}</p>` : "",
    "</body></html>",
  ].join("\n");
  return { subject: subjectOf(input.ticket.id, subject), text, html };
}

/**
 * A mail written by an automation rule: `html` is the body already rendered
 * and escaped from the rule's template; this frames it like every ticket mail,
 * the frame in `t`'s language (the rule's own words stay as the admin wrote them).
 */
export function composeRuleMail(
  t: Translator,
  input: {
    subject: string;
    text: string;
    html: string;
    ticketId: number;
    url: string;
  },
): ComposedMail {
  const id = String(input.ticketId);
  const text = [
    replyAbove(t),
    "",
    input.text.trim(),
    "",
    t.t("mail.ticketLine", { id, url: input.url }),
    "",
  ].join("\n");
  const html = [
    htmlStart(t),
    `<p style="color:#888">${escapeHtml(replyAbove(t))}</p>`,
    input.html,
    `<p style="color:#555"><a href="${escapeHtml(input.url)}">${escapeHtml(t.t("mail.ticketLabel", { id }))}</a></p>`,
    "</body></html>",
  ].join("\n");
  return { subject: subjectOf(input.ticketId, input.subject), text, html };
}
