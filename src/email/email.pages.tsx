import type { FastifyInstance } from "fastify";
import type { Deps } from "../deps.ts";
import { NotFound } from "../lib/errors.ts";
import { parseId } from "../lib/ids.ts";
import { requireActor, requireAdmin } from "../platform/auth.ts";
import { formFields } from "../platform/forms.ts";
import { pageContext } from "../platform/views/context.ts";
import * as inbound from "./inbound.service.ts";
import { mailboxesPages } from "./mailboxes.pages.tsx";
import * as outbox from "./outbox.service.ts";
import {
  InboundListPage,
  InboundPage,
  type InboundStatus,
  OutboxPage,
  type OutboxStatus,
} from "./views/email.tsx";

const OUTBOX_STATUSES: readonly OutboxStatus[] = ["failed", "pending", "sent"];
const INBOUND_STATUSES: readonly InboundStatus[] = [
  "received",
  "ticket",
  "reply",
  "ignored",
  "failed",
];

function idParam(raw: string, what: string): number {
  const id = parseId(raw);
  if (id === undefined) throw new NotFound(what);
  return id;
}

/** Admins: outgoing mail (failed deliveries, with retry) and incoming mail (raw originals). */
export async function emailPages(app: FastifyInstance, deps: Deps) {
  await mailboxesPages(app, deps);
  app.get("/admin/email", async (req, reply) => {
    const actor = requireAdmin(req);
    const query = req.query as Record<string, unknown>;
    const ctx = pageContext(req, reply);
    if (query.tab === "inbound") {
      const status = INBOUND_STATUSES.find((s) => s === query.status);
      const rows = await inbound.listInbound(deps, actor, { status });
      return reply.render(<InboundListPage ctx={ctx} status={status} rows={rows} />);
    }
    const status = OUTBOX_STATUSES.find((s) => s === query.status) ?? "failed";
    const { rows, counts } = await outbox.listOutbox(deps, actor, status);
    return reply.render(
      <OutboxPage
        ctx={ctx}
        status={status}
        rows={rows}
        counts={counts}
        deliveryOn={deps.config.smtpUrl !== undefined}
      />,
    );
  });

  app.post<{ Params: { id: string } }>("/admin/email/outbox/:id/retry", async (req, reply) => {
    const actor = requireAdmin(req);
    await outbox.retryOutbox(deps, actor, idParam(req.params.id, "mail"));
    return reply.redirect("/admin/email?notice=mail-retried", 303);
  });

  app.post("/account/notifications", async (req, reply) => {
    const actor = requireActor(req);
    const { emailNotifications } = formFields(req);
    await outbox.setNotificationPreference(deps, actor, emailNotifications === "true");
    return reply.redirect("/account?notice=settings-saved", 303);
  });

  app.get<{ Params: { id: string } }>("/admin/email/inbound/:id", async (req, reply) => {
    const actor = requireAdmin(req);
    const row = await inbound.getInbound(deps, actor, idParam(req.params.id, "inbound mail"));
    return reply.render(<InboundPage ctx={pageContext(req, reply)} row={row} />);
  });

  // Staff, from the ticket page: the original of a message that came in by mail.
  app.get<{ Params: { id: string } }>("/messages/:id/original.eml", async (req, reply) => {
    const actor = requireActor(req);
    const id = idParam(req.params.id, "original mail");
    const original = await inbound.getOriginalOfMessage(deps, actor, id);
    if (req.headers["hx-request"]) {
      return reply.header("hx-redirect", req.url).code(204).send();
    }
    return reply
      .header("cache-control", "private, no-store")
      .header("x-content-type-options", "nosniff")
      .header("content-security-policy", "default-src 'none'; sandbox")
      .header(
        "content-disposition",
        `attachment; filename="message-${id}-inbound-${original.inboundId}.eml"`,
      )
      .type("message/rfc822")
      .send(original.raw);
  });

  app.get<{ Params: { id: string } }>("/admin/email/inbound/:id/raw", async (req, reply) => {
    const actor = requireAdmin(req);
    const row = await inbound.getInbound(deps, actor, idParam(req.params.id, "inbound mail"));
    return reply
      .header("cache-control", "private, no-store")
      .header("content-disposition", `attachment; filename="inbound-${row.id}.eml"`)
      .type("message/rfc822")
      .send(row.raw);
  });
}
