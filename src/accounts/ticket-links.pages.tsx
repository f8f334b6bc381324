import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Deps } from "../deps.ts";
import { NotFound } from "../lib/errors.ts";
import { parseId } from "../lib/ids.ts";
import { setSessionCookie } from "../platform/auth.ts";
import { attempt, formFields, refusedForm } from "../platform/forms.ts";
import { pageContext } from "../platform/views/context.ts";
import { emptyForm } from "../platform/views/forms.tsx";
import { getTicket } from "../tickets/tickets.service.ts";
import * as accounts from "./accounts.service.ts";
import type { Actor } from "./actor.ts";
import * as ticketLinks from "./ticket-links.service.ts";
import { ClaimWithTicketLinkPage, DeadLinkPage, OpenTicketLinkPage } from "./views/recovery.tsx";

/**
 * `/tickets/{id}/open?token=...`: the ticket link of a customer's
 * notification (src/accounts/ticket-links.service.ts). The GET shows where it
 * leads and changes nothing (mail scanners open links; a page that signed in
 * on GET would let any site swap a visitor's session); the POST opens the
 * ticket or sets the password.
 */
export async function ticketLinksPages(app: FastifyInstance, deps: Deps) {
  function params(req: FastifyRequest): { ticketId: number; token: string } {
    const ticketId = parseId((req.params as { id?: string }).id);
    if (ticketId === undefined) throw new NotFound("ticket");
    const { token } = req.query as { token?: unknown };
    return { ticketId, token: typeof token === "string" ? token : "" };
  }

  // The secret is in the URL: nothing is cached or referred.
  const linkPage = (reply: FastifyReply) =>
    reply.header("cache-control", "no-store").header("referrer-policy", "no-referrer");

  const dead = (req: FastifyRequest, reply: FastifyReply) =>
    reply.render(<DeadLinkPage ctx={pageContext(req, reply)} kind="ticket" />, 404);

  /** Whether the link's account may see the ticket (its requester), asked of the one access policy. */
  async function seesTicket(actor: Actor, ticketId: number): Promise<boolean> {
    try {
      await getTicket(deps, { ...actor, onlyTicketId: ticketId }, ticketId);
      return true;
    } catch (error) {
      if (error instanceof NotFound) return false;
      throw error;
    }
  }

  async function newSession(
    req: FastifyRequest,
    reply: FastifyReply,
    actor: Actor,
    onlyTicket?: { ticketId: number; until: Date },
  ): Promise<void> {
    // Never reusing the session the browser sent (no fixation).
    if (req.sessionToken) await accounts.endSession(deps, req.sessionToken);
    const client = { ip: req.ip, userAgent: req.headers["user-agent"] };
    setSessionCookie(
      deps,
      reply,
      await accounts.startSession(deps, actor.id, client, { onlyTicket }),
    );
  }

  app.get("/tickets/:id/open", async (req, reply) => {
    const { ticketId, token } = params(req);
    linkPage(reply);
    const target = await ticketLinks.followTicketLink(deps, ticketId, token);
    if (target.kind === "dead" || !(await seesTicket(target.actor, ticketId))) {
      return dead(req, reply);
    }
    const ticketUrl = `/tickets/${ticketId}`;
    const signedIn = req.actor ?? req.ticketVisitor;
    // Already in, as this account and able to see the ticket: straight to it.
    if (
      signedIn?.id === target.actor.id &&
      (signedIn.onlyTicketId === undefined || signedIn.onlyTicketId === ticketId)
    ) {
      return reply.redirect(ticketUrl, 303);
    }
    if (target.kind === "sign_in") {
      return reply.redirect(`/login?next=${encodeURIComponent(ticketUrl)}`, 303);
    }
    const ctx = pageContext(req, reply);
    if (target.kind === "set_password") {
      return reply.render(
        <ClaimWithTicketLinkPage
          ctx={ctx}
          ticketId={ticketId}
          token={token}
          email={target.actor.email}
          form={emptyForm()}
        />,
      );
    }
    return reply.render(
      <OpenTicketLinkPage ctx={ctx} ticketId={ticketId} token={token} name={target.actor.name} />,
    );
  });

  app.post("/tickets/:id/open", async (req, reply) => {
    const { ticketId, token } = params(req);
    linkPage(reply);
    const target = await ticketLinks.followTicketLink(deps, ticketId, token);
    if (target.kind === "dead" || !(await seesTicket(target.actor, ticketId))) {
      return dead(req, reply);
    }
    const ticketUrl = `/tickets/${ticketId}`;
    if (target.kind === "sign_in") {
      return reply.redirect(`/login?next=${encodeURIComponent(ticketUrl)}`, 303);
    }
    if (target.kind === "open") {
      await newSession(req, reply, target.actor, { ticketId, until: target.until });
      return reply.redirect(`${ticketUrl}?notice=ticket-link`, 303);
    }
    const { password = "" } = formFields(req);
    const result = await attempt(() =>
      ticketLinks.claimWithTicketLink(deps, ticketId, token, { password }),
    );
    if (!result.ok) {
      return reply.render(
        <ClaimWithTicketLinkPage
          ctx={pageContext(req, reply)}
          ticketId={ticketId}
          token={token}
          email={target.actor.email}
          form={refusedForm({}, result)}
        />,
        422,
      );
    }
    if (!result.value) return dead(req, reply);
    // Every session of the account has ended; this browser gets a full one.
    await newSession(req, reply, result.value);
    return reply.redirect(`${ticketUrl}?notice=password-set`, 303);
  });
}
