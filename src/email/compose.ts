import { escapeHtml } from "../lib/html.ts";
import { renderMarkdown } from "../lib/markdown.ts";

/**
 * The words of every notification, as plain text and HTML. Pure: the outbox
 * service decides who gets what; this only writes it.
 */

/** First line of every mail: inbound mail is cut here, so quoted history never lands on a ticket. */
export const REPLY_ABOVE = "##- Please type your reply above this line -##";

export type NotificationKind =
  | "ticket.received"
  | "ticket.new"
  | "reply.public"
  | "reply.customer"
  | "ticket.assigned";

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
}

const PERSONAL_LINK =
  "This link opens the ticket for you without a password for 30 days: please do not forward this mail.";

export interface ComposedMail {
  subject: string;
  text: string;
  html: string;
}

// Header-safe: no line breaks, bounded.
function oneLine(value: string, max = 200): string {
  return value.replace(/[\r\n\t]+/g, " ").slice(0, max);
}

function lead(input: NotificationInput): { prefix: string; intro: string; outro: string } {
  const who = oneLine(input.actorName, 100);
  switch (input.kind) {
    case "ticket.received":
      return {
        prefix: "",
        intro: input.onBehalf
          ? `${who} opened this request for you. We will get back to you here.`
          : "We received your request and will get back to you soon.",
        outro: "Reply to this mail to add anything.",
      };
    case "ticket.new":
      return {
        prefix: "New: ",
        intro: `${who} opened a new ticket. Nobody is assigned yet.`,
        outro: "Reply to this mail to answer the customer (your reply is public).",
      };
    case "reply.public":
      return { prefix: "", intro: `${who} replied:`, outro: "Reply to this mail to answer." };
    case "reply.customer":
      return {
        prefix: "",
        intro: `${who} replied:`,
        outro: "Reply to this mail to answer the customer (your reply is public).",
      };
    case "ticket.assigned":
      return {
        prefix: "Assigned to you: ",
        intro: `${who} assigned this ticket to you.`,
        outro: "Reply to this mail to answer the customer (your reply is public).",
      };
  }
}

/** Subject, text and HTML of one notification; the subject carries [#id]. */
export function composeNotification(input: NotificationInput): ComposedMail {
  const { prefix, intro, outro } = lead(input);
  const subject = oneLine(`[#${input.ticket.id}] ${prefix}${input.ticket.title}`, 250);
  const name = oneLine(input.recipientName, 100);
  const content = input.content?.trim() ?? "";
  const text = [
    REPLY_ABOVE,
    "",
    `Hello ${name},`,
    "",
    intro,
    ...(content ? ["", content] : []),
    "",
    `-- ${outro}`,
    `Ticket #${input.ticket.id}: ${input.url}`,
    ...(input.personalLink ? [PERSONAL_LINK] : []),
    "",
  ].join("\n");
  const html = [
    "<!doctype html><html><body>",
    `<p style="color:#888">${escapeHtml(REPLY_ABOVE)}</p>`,
    `<p>Hello ${escapeHtml(name)},</p>`,
    `<p>${escapeHtml(intro)}</p>`,
    content ? `<div>${renderMarkdown(content)}</div>` : "",
    `<p style="color:#555">${escapeHtml(outro)}<br>`,
    `<a href="${escapeHtml(input.url)}">Ticket #${input.ticket.id}</a></p>`,
    input.personalLink ? `<p style="color:#555">${escapeHtml(PERSONAL_LINK)}</p>` : "",
    "</body></html>",
  ].join("\n");
  return { subject, text, html };
}

/**
 * A mail written by an automation rule: `html` is the body already rendered
 * and escaped from the rule's template; this frames it like every ticket mail.
 */
export function composeRuleMail(input: {
  subject: string;
  text: string;
  html: string;
  ticketId: number;
  url: string;
}): ComposedMail {
  const subject = oneLine(`[#${input.ticketId}] ${input.subject}`, 250);
  const text = [
    REPLY_ABOVE,
    "",
    input.text.trim(),
    "",
    `Ticket #${input.ticketId}: ${input.url}`,
    "",
  ].join("\n");
  const html = [
    "<!doctype html><html><body>",
    `<p style="color:#888">${escapeHtml(REPLY_ABOVE)}</p>`,
    input.html,
    `<p style="color:#555"><a href="${escapeHtml(input.url)}">Ticket #${input.ticketId}</a></p>`,
    "</body></html>",
  ].join("\n");
  return { subject, text, html };
}
