import type { ComponentChildren } from "preact";
import type { Actor } from "../accounts/index.ts";
import type { Translator } from "../i18n/i18n.ts";

/**
 * What another feature adds to the staff reply box (canned replies), handed to
 * `ticketsPages` when the app is composed (src/app.ts): tickets know no such feature.
 */
export interface ReplyBoxExtension {
  /** Controls shown in a staff member's reply form, above the message box; posted with it. */
  controls(actor: Actor, ticketId: number, i18n: Translator): Promise<ComponentChildren>;
  /**
   * `POST /tickets/:id/replies/insert` (the controls' button, posting the draft
   * along): the draft with what was chosen put in. Throws Invalid to say why not.
   */
  insert(actor: Actor, ticketId: number, fields: Readonly<Record<string, string>>): Promise<string>;
}
