import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { type Actor, isAdmin, isStaff } from "../accounts/index.ts";
import type { Deps } from "../deps.ts";
import { Forbidden, Invalid, NotFound } from "../lib/errors.ts";
import { parseId } from "../lib/ids.ts";
import { requireActor } from "../platform/auth.ts";
import { attempt, formFields, refusedForm } from "../platform/forms.ts";
import { pageContext } from "../platform/views/context.ts";
import { emptyForm, type FormState } from "../platform/views/forms.tsx";
import type { ReplyBoxExtension } from "../tickets/reply-box.ts";
import * as canned from "./canned.service.ts";
import { appendToDraft } from "./placeholders.ts";
import {
  CannedEditPage,
  type CannedFormValues,
  CannedPicker,
  CannedRepliesPage,
} from "./views/canned.tsx";

/** Staff only: to a customer these pages do not exist. */
function requireStaffPage(req: FastifyRequest): Actor {
  const actor = requireActor(req);
  if (!isStaff(actor)) throw new NotFound("page");
  return actor;
}

function cannedId(req: FastifyRequest): number {
  const id = parseId((req.params as { id: string }).id);
  if (id === undefined) throw new NotFound("canned reply");
  return id;
}

function formValues(fields: Record<string, string>): CannedFormValues {
  return { title: fields.title ?? "", body: fields.body ?? "", shared: fields.shared ?? "" };
}

/** Canned replies: the page to manage them (src/canned). */
export async function cannedPages(app: FastifyInstance, deps: Deps) {
  async function renderList(
    req: FastifyRequest,
    reply: FastifyReply,
    actor: Actor,
    form: FormState<CannedFormValues> = emptyForm(),
    status?: number,
  ) {
    const [replies, placeholders] = await Promise.all([
      canned.listCannedReplies(deps, actor),
      canned.knownPlaceholders(deps),
    ]);
    return reply.render(
      <CannedRepliesPage
        ctx={pageContext(req, reply)}
        replies={replies}
        placeholders={placeholders}
        form={form}
      />,
      status,
    );
  }

  async function renderEdit(
    req: FastifyRequest,
    reply: FastifyReply,
    actor: Actor,
    id: number,
    form?: FormState<CannedFormValues>,
  ) {
    const current = await canned.getCannedReply(deps, actor, id);
    if (!current.editable) {
      // Shared ones are read on the list; only admins change them.
      throw new Forbidden(
        "Only admins change shared canned replies.",
        "error.canned.onlyAdminsEdit",
      );
    }
    return reply.render(
      <CannedEditPage
        ctx={pageContext(req, reply)}
        reply={current}
        placeholders={await canned.knownPlaceholders(deps)}
        form={form ?? emptyForm({ title: current.title, body: current.body, shared: "" })}
      />,
      form ? 422 : undefined,
    );
  }

  app.get("/canned-replies", async (req, reply) => renderList(req, reply, requireStaffPage(req)));

  app.post("/canned-replies", async (req, reply) => {
    const actor = requireStaffPage(req);
    const values = formValues(formFields(req));
    const result = await attempt(() =>
      canned.createCannedReply(deps, actor, {
        title: values.title,
        body: values.body,
        shared: values.shared === "true" && isAdmin(actor),
      }),
    );
    if (!result.ok) return renderList(req, reply, actor, refusedForm(values, result), 422);
    return reply.redirect(`/canned-replies?notice=canned-saved#canned-${result.value.id}`, 303);
  });

  app.get("/canned-replies/:id", async (req, reply) => {
    const actor = requireStaffPage(req);
    return renderEdit(req, reply, actor, cannedId(req));
  });

  app.post("/canned-replies/:id", async (req, reply) => {
    const actor = requireStaffPage(req);
    const id = cannedId(req);
    const values = formValues(formFields(req));
    const result = await attempt(() =>
      canned.updateCannedReply(deps, actor, id, { title: values.title, body: values.body }),
    );
    if (!result.ok) return renderEdit(req, reply, actor, id, refusedForm(values, result));
    return reply.redirect(`/canned-replies?notice=canned-saved#canned-${id}`, 303);
  });

  app.post("/canned-replies/:id/delete", async (req, reply) => {
    const actor = requireStaffPage(req);
    await canned.deleteCannedReply(deps, actor, cannedId(req));
    return reply.redirect("/canned-replies?notice=canned-deleted", 303);
  });
}

/** Canned replies in the ticket page's reply box: the list to choose from, and "Insert". */
export function cannedReplyBox(deps: Deps): ReplyBoxExtension {
  return {
    async controls(actor, ticketId, i18n) {
      const replies = await canned.listCannedReplies(deps, actor);
      return <CannedPicker ticketId={ticketId} replies={replies} t={i18n.t} />;
    },
    async insert(actor, ticketId, fields) {
      const id = parseId(fields.cannedId ?? "");
      if (id === undefined) {
        throw new Invalid([], "Choose a canned reply to insert.", "invalid", "error.canned.choose");
      }
      // Deleted (or never one's own) since the page was shown: say so, and keep the draft.
      await canned.getCannedReply(deps, actor, id).catch((error: unknown) => {
        if (!(error instanceof NotFound)) throw error;
        throw new Invalid(
          [],
          "That canned reply no longer exists.",
          "invalid",
          "error.canned.gone",
        );
      });
      const rendered = await canned.renderCannedReply(deps, actor, ticketId, id);
      return appendToDraft(fields.content ?? "", rendered.body);
    },
  };
}
