import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Deps } from "../deps.ts";
import { NotFound } from "../lib/errors.ts";
import { parseId } from "../lib/ids.ts";
import { requireAdmin } from "../platform/auth.ts";
import { attempt, formFields, refusedForm } from "../platform/forms.ts";
import { pageContext } from "../platform/views/context.ts";
import { emptyForm, type FormState } from "../platform/views/forms.tsx";
import { teamNames } from "../teams/index.ts";
import * as mailboxes from "./mailboxes.service.ts";
import { formValuesOf, MailboxesPage, MailboxFormPage } from "./views/mailboxes.tsx";

const FIELDS = [
  "address",
  "name",
  "enabled",
  "imapHost",
  "imapPort",
  "imapTls",
  "imapUser",
  "imapAuth",
  "imapSecret",
  "folder",
  "afterImport",
  "moveTo",
  "smtpHost",
  "smtpPort",
  "smtpTls",
  "smtpUser",
  "smtpSecret",
  "teamId",
] as const satisfies readonly (keyof mailboxes.MailboxInput)[];

function mailboxId(req: FastifyRequest): number {
  const id = parseId((req.params as { id: string }).id);
  if (id === undefined) throw new NotFound("mailbox");
  return id;
}

/** Only the form's known fields, as strings. */
function inputOf(req: FastifyRequest): mailboxes.MailboxInput {
  const fields = formFields(req);
  return Object.fromEntries(FIELDS.flatMap((f) => (f in fields ? [[f, fields[f]]] : [])));
}

/** Admins: the IMAP mailboxes (Email > Mailboxes): list, add, edit, disable, delete. */
export async function mailboxesPages(app: FastifyInstance, deps: Deps) {
  const keySet = deps.config.mailboxSecretKey !== undefined;
  const renderForm = async (
    req: FastifyRequest,
    reply: FastifyReply,
    form: FormState<Record<string, string>>,
    mailbox: mailboxes.MailboxView | undefined,
    status?: number,
  ) =>
    reply.render(
      <MailboxFormPage
        ctx={pageContext(req, reply)}
        form={form}
        mailbox={mailbox}
        keySet={keySet}
        teams={[...(await teamNames(deps, requireAdmin(req)))].map(([id, name]) => ({ id, name }))}
      />,
      status,
    );

  app.get("/admin/email/mailboxes", async (req, reply) => {
    const actor = requireAdmin(req);
    const list = await mailboxes.listMailboxes(deps, actor);
    return reply.render(
      <MailboxesPage ctx={pageContext(req, reply)} mailboxes={list} keySet={keySet} />,
    );
  });

  app.get("/admin/email/mailboxes/new", async (req, reply) => {
    requireAdmin(req);
    return renderForm(
      req,
      reply,
      emptyForm({ enabled: "true", imapTls: "tls", folder: "INBOX", afterImport: "seen" }),
      undefined,
    );
  });

  app.post("/admin/email/mailboxes", async (req, reply) => {
    const actor = requireAdmin(req);
    const input = inputOf(req);
    const result = await attempt(() => mailboxes.createMailbox(deps, actor, input));
    if (!result.ok) {
      const values = { ...input } as Record<string, string>;
      return renderForm(req, reply, refusedForm(values, result), undefined, 422);
    }
    return reply.redirect("/admin/email/mailboxes?notice=mailbox-saved", 303);
  });

  app.get("/admin/email/mailboxes/:id", async (req, reply) => {
    const actor = requireAdmin(req);
    const mailbox = await mailboxes.getMailbox(deps, actor, mailboxId(req));
    return renderForm(req, reply, emptyForm(formValuesOf(mailbox)), mailbox);
  });

  app.post("/admin/email/mailboxes/:id", async (req, reply) => {
    const actor = requireAdmin(req);
    const id = mailboxId(req);
    const input = inputOf(req);
    const result = await attempt(() => mailboxes.updateMailbox(deps, actor, id, input));
    if (!result.ok) {
      const mailbox = await mailboxes.getMailbox(deps, actor, id);
      const values = { ...input } as Record<string, string>;
      return renderForm(req, reply, refusedForm(values, result), mailbox, 422);
    }
    return reply.redirect("/admin/email/mailboxes?notice=mailbox-saved", 303);
  });

  app.post("/admin/email/mailboxes/:id/enabled", async (req, reply) => {
    const actor = requireAdmin(req);
    const { enabled } = formFields(req);
    await mailboxes.setMailboxEnabled(deps, actor, mailboxId(req), enabled === "true");
    return reply.redirect("/admin/email/mailboxes?notice=mailbox-saved", 303);
  });

  app.post("/admin/email/mailboxes/:id/delete", async (req, reply) => {
    const actor = requireAdmin(req);
    await mailboxes.deleteMailbox(deps, actor, mailboxId(req));
    return reply.redirect("/admin/email/mailboxes?notice=mailbox-deleted", 303);
  });
}
