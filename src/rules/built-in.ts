import { DEFAULT_TRANSLATOR, type Translator } from "../i18n/i18n.ts";
import type { Action } from "./rules.schemas.ts";

type SendMailAction = Extract<Action, { type: "send_mail" }>;

/**
 * The reminder mail of the built-in rule "Remind the customer of a pending
 * ticket after 3 days" (migration 0005 stores it in English): while its
 * subject and body are as shipped, each recipient gets it from the catalogs
 * in their own language; once an admin edits either, their text is sent as
 * they wrote it. The catalog's words are made into a template with the same
 * placeholders, so both are filled in (and escaped) the same way, and a
 * translation can bring in no placeholder but these.
 */
const SLOTS = {
  title: "{{ticket.title}}",
  name: "{{requester.name}}",
  id: "{{ticket.id}}",
  url: "{{ticket.url}}",
};

/** The reminder's template in the reader's language. */
export function reminderTemplate(t: Translator["t"]): { subject: string; body: string } {
  return { subject: t("i18n2.reminder.subject", SLOTS), body: t("i18n2.reminder.body", SLOTS) };
}

const SHIPPED = reminderTemplate(DEFAULT_TRANSLATOR.t);

/** Whether a mail action is the built-in reminder as shipped (checked against migration 0005 by a test). */
export function isShippedReminder(action: Pick<SendMailAction, "subject" | "body">): boolean {
  return action.subject === SHIPPED.subject && action.body === SHIPPED.body;
}
