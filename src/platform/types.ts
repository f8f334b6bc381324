import "@fastify/cookie";
import "@fastify/csrf-protection";
import "@fastify/multipart";
import type { Actor } from "../accounts/index.ts";
import type { StagedFile } from "../tickets/attachments.storage.ts";

declare module "fastify" {
  interface FastifyRequest {
    /** The signed-in person, if any (set by the auth plugin). */
    actor: Actor | undefined;
    /** A session opened from a ticket link (it reaches one ticket; `actor` is then unset). */
    ticketVisitor: Actor | undefined;
    /** How the actor was authenticated: a session cookie or (API only) a bearer token. */
    authVia: "session" | "token" | undefined;
    /** The raw session cookie value, if the session is live (enrolment-only ones too). */
    sessionToken: string | undefined;
    /**
     * The person of an enrolment-only session (two-factor required and not set up):
     * `actor` stays unset, so every route refuses them but the two-factor page and sign-out.
     */
    enrollingActor: Actor | undefined;
    /** Uploads of this request written to temporary files (removed after the response). */
    stagedFiles: StagedFile[];
    /** The reader's language and time zone (pages only; set by the i18n plugin). */
    i18n: import("../i18n/i18n.ts").Translator | undefined;
  }
  interface FastifyReply {
    /** Renders a page component as a full HTML document. */
    render(node: import("preact").JSX.Element, status?: number): FastifyReply;
  }
}
