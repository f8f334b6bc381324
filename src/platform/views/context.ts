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

// Notices are looked up by key so a URL cannot make the page say anything else;
// each is a catalog message, shown in the reader's language.
const NOTICES: Record<string, MessageKey> = {
  created: "notice.created",
  replied: "notice.replied",
  noted: "notice.noted",
  "cc-added": "notice.ccAdded",
  "cc-removed": "notice.ccRemoved",
  linked: "notice.linked",
  unlinked: "notice.unlinked",
  merged: "merge.notice.merged",
  split: "split.notice.split",
  "tags-added": "tags.notice.added",
  "tag-removed": "tags.notice.removed",
  "tag-renamed": "tags.notice.renamed",
  "tags-merged": "tags.notice.merged",
  "tag-deleted": "tags.notice.deleted",
  "field-created": "fields.notice.created",
  "field-saved": "fields.notice.saved",
  "field-deleted": "fields.notice.deleted",
  "fields-saved": "fields.notice.valuesSaved",
  updated: "notice.updated",
  "follow-up": "notice.followUp",
  "follow-up-mailed": "notice.followUpMailed",
  "ticket-link": "notice.ticketLink",
  "password-changed": "notice.passwordChanged",
  "user-created": "notice.userCreated",
  "user-updated": "notice.userUpdated",
  "settings-saved": "notice.settingsSaved",
  "recovery-code-used": "notice.recoveryCodeUsed",
  "two-factor-off": "notice.twoFactorOff",
  "signed-out-elsewhere": "notice.signedOutElsewhere",
  "sessions-ended": "notice.sessionsEnded",
  "mail-retried": "notice.mailRetried",
  "rule-saved": "notice.ruleSaved",
  "rule-deleted": "notice.ruleDeleted",
  "mailbox-saved": "notice.mailboxSaved",
  "mailbox-deleted": "notice.mailboxDeleted",
  "token-revoked": "notice.tokenRevoked",
  "calendar-saved": "notice.calendarSaved",
  "calendar-default": "notice.calendarDefault",
  "calendar-deleted": "notice.calendarDeleted",
  "policy-saved": "notice.policySaved",
  "policy-removed": "notice.policyRemoved",
  "condition-saved": "notice.conditionSaved",
  "condition-deleted": "notice.conditionDeleted",
  "condition-moved": "notice.conditionMoved",
  "team-saved": "notice.teamSaved",
  "organisation-saved": "notice.organisationSaved",
  "sso-saved": "notice.ssoSaved",
  "sso-deleted": "notice.ssoDeleted",
  "webhook-saved": "notice.webhookSaved",
  "webhook-deleted": "notice.webhookDeleted",
  "webhook-resent": "notice.webhookResent",
  "canned-saved": "canned.notice.saved",
  "canned-deleted": "canned.notice.deleted",
  "macro-saved": "macros.notice.saved",
  "macro-deleted": "macros.notice.deleted",
  "macro-applied": "macros.notice.applied",
  "view-saved": "views.notice.saved",
  "view-changed": "views.notice.changed",
  "view-deleted": "views.notice.deleted",

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
    typeof key === "string" && Object.hasOwn(NOTICES, key)
      ? i18n.t(NOTICES[key] as MessageKey)
      : undefined;
  return {
    actor: req.actor ?? req.ticketVisitor,
    csrfToken: reply.generateCsrf({ userInfo: csrfUserInfo(req) }),
    path: req.url.split("?")[0] ?? "/",
    notice,
    i18n,
  };
}
