import type { FastifyReply, FastifyRequest } from "fastify";
import type { Actor } from "../../accounts/index.ts";
import type { MessageKey, Translator } from "../../i18n/i18n.ts";
import { csrfUserInfo } from "../auth.ts";
import { readerOf } from "../i18n.ts";

/** What every page needs besides its own data. */
export interface PageContext {
  /** The signed-in person, or the visitor of a ticket link (`actor.onlyTicketId` set). */
  readonly actor: Actor | undefined;
  readonly csrfToken: string;
  /** The current path, for highlighting navigation and `next=` links. */
  readonly path: string;
  /** A short confirmation from the previous action (fixed texts only, never user input). */
  readonly notice: string | undefined;
  /** The reader's language and time zone: `ctx.i18n.t("key")` for every fixed text. */
  readonly i18n: Translator;
}

// Notices are looked up by key so a URL cannot make the page say anything else.
const NOTICES: Record<string, string> = {
  created: "Ticket created.",
  replied: "Reply added.",
  noted: "Internal note added.",
  "cc-added": "CC added: they get a copy of every public reply.",
  "cc-removed": "CC removed.",
  updated: "Ticket updated.",
  "follow-up": "That ticket was closed, so your reply opened this follow-up ticket.",
  "follow-up-mailed":
    "This ticket was closed, so your reply opened a follow-up ticket. We have mailed you a link to it.",
  "ticket-link": "You are reading this ticket from the link in your mail.",
  "password-changed": "Password changed. Your other sessions have been signed out.",
  "user-created": "User created.",
  "user-updated": "User updated.",
  "settings-saved": "Settings saved.",
  "recovery-code-used":
    "You signed in with a recovery code, which is now used up. Make new codes below if you are running low.",
  "two-factor-off": "Two-factor sign-in is off.",
  "signed-out-elsewhere": "Every other session has been signed out.",
  "sessions-ended": "Every session of that user has been signed out.",
  "mail-retried": "The mail is queued again.",
  "rule-saved": "Rule saved.",
  "rule-deleted": "Rule deleted.",
  "mailbox-saved": "Mailbox saved. Fetching starts again with these settings within a minute.",
  "mailbox-deleted": "Mailbox deleted. Mail fetched from it stays.",
  "token-revoked": "Token revoked. Requests using it are refused from now on.",
  "calendar-saved": "Calendar saved. Due times of open tickets are being recomputed.",
  "calendar-default": "Default calendar changed.",
  "calendar-deleted": "Calendar deleted. Due times of open tickets are being recomputed.",
  "policy-saved": "SLA policy saved. Due times of open tickets are being recomputed.",
  "policy-removed":
    "The policy is removed: its tickets get the next one that applies. Due times of open tickets are being recomputed.",
  "condition-saved": "SLA condition saved. Due times of open tickets are being recomputed.",
  "condition-deleted":
    "SLA condition deleted, with its policies. Due times of open tickets are being recomputed.",
  "condition-moved": "SLA condition moved. Due times of open tickets are being recomputed.",
  "team-saved": "Teams saved.",
  "organisation-saved": "Organisations saved.",
  "sso-saved": "Sign-in provider saved.",
  "sso-deleted": "Sign-in provider deleted. Accounts that used it keep their other ways in.",
  "webhook-saved": "Webhook endpoint saved.",
  "webhook-deleted": "Webhook endpoint deleted, with its deliveries.",
  "webhook-resent": "The delivery is queued again.",
};

// Notices of the pages already in the catalogs, in the reader's language; the rest follow.
const TRANSLATED_NOTICES: Record<string, MessageKey> = {
  "language-saved": "notice.languageSaved",
  "signed-out": "notice.signedOut",
  "password-reset": "notice.passwordReset",
  "password-set": "notice.passwordSet",
  "sign-in-expired": "notice.signInExpired",
  welcome: "notice.welcome",
};

export function pageContext(req: FastifyRequest, reply: FastifyReply): PageContext {
  const query = req.query as Record<string, unknown> | undefined;
  const key = query?.notice;
  const i18n = readerOf(req);
  const notice =
    typeof key !== "string"
      ? undefined
      : Object.hasOwn(TRANSLATED_NOTICES, key)
        ? i18n.t(TRANSLATED_NOTICES[key] as MessageKey)
        : Object.hasOwn(NOTICES, key)
          ? NOTICES[key]
          : undefined;
  return {
    actor: req.actor ?? req.ticketVisitor,
    csrfToken: reply.generateCsrf({ userInfo: csrfUserInfo(req) }),
    path: req.url.split("?")[0] ?? "/",
    notice,
    i18n,
  };
}
