import contentDisposition from "content-disposition";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { type Actor, isStaff, listAssignableStaff } from "../accounts/index.ts";
import type { Deps } from "../deps.ts";
import type { TicketRelation } from "../events/events.ts";
import { Invalid, NotFound, PreconditionFailed, Unauthorized } from "../lib/errors.ts";
import { parseId } from "../lib/ids.ts";
import { renderMailHtml } from "../lib/mail-html.ts";
import { requireActor, requireTicketReader } from "../platform/auth.ts";
import { type Attempt, attempt, formFields, refusedForm } from "../platform/forms.ts";
import { readerOf } from "../platform/i18n.ts";
import { filesFrom } from "../platform/uploads.ts";
import { pageContext } from "../platform/views/context.ts";
import { ErrorPage } from "../platform/views/error-page.tsx";
import { emptyForm, type FormState } from "../platform/views/forms.tsx";
import { listCategories } from "../teams/index.ts";
import { openStored, servedContentType } from "./attachments.storage.ts";
import { type Priority, REFUSAL_KEYS, type Status } from "./lifecycle.ts";
import * as merging from "./merge.service.ts";
import * as relations from "./relations.service.ts";
import type { ReplyBoxExtension } from "./reply-box.ts";
import * as tickets from "./tickets.service.ts";
import { type FieldFormValues, postedFieldValues } from "./views/fields.tsx";
import { MergeConfirmPage, type MergeValues } from "./views/merge.tsx";
import { MyTicketsPage } from "./views/my-tickets.tsx";
import { NewTicketPage } from "./views/new-ticket.tsx";
import type { LinkValues } from "./views/relations.tsx";
import {
  type CcValues,
  type MailHtml,
  type ReplyConflict,
  type TagValues,
  TicketPage,
} from "./views/ticket.tsx";

/** A positive integer id from the URL, or 404 (never a 500 for `/tickets/abc`). */
export function idParam(req: FastifyRequest, what: string): number {
  const id = parseId((req.params as { id?: string }).id);
  if (id === undefined) throw new NotFound(what);
  return id;
}

/** An optional id from a form: "" means none, digits mean that id, anything else is refused. */
function optionalId(value: string, field: string): number | null {
  if (value === "") return null;
  const id = parseId(value);
  if (id === undefined) {
    throw Invalid.field(field, "is not a valid choice", "error.field.notAChoice");
  }
  return id;
}

/** A ticket number typed into a form, with or without its "#". */
function ticketNumber(value: string): number {
  const digits = value.trim().replace(/^#/, "");
  if (digits === "") throw Invalid.field("ticketId", "is required", "error.field.required");
  const id = parseId(digits);
  if (id === undefined)
    throw Invalid.field("ticketId", "is not a ticket number", "error.field.ticketNumber");
  return id;
}

/**
 * A change the ticket's lifecycle refused, as the error page says it but in the
 * reader's language (the error handler would show the API's English).
 */
function refusedChange(
  req: FastifyRequest,
  reply: FastifyReply,
  error: tickets.TicketClosed | tickets.StatusNotAllowed,
) {
  const ctx = pageContext(req, reply);
  const { t } = ctx.i18n;
  return reply.render(
    <ErrorPage
      ctx={{ ...ctx, notice: undefined }}
      status={error.status}
      title={t(error.status === 409 ? "error.title409" : "error.title403")}
      message={t(REFUSAL_KEYS[error.refusal])}
    />,
    error.status,
  );
}

/**
 * Customer and shared ticket pages: my tickets, new ticket, the ticket itself,
 * downloads. `replyBox` adds to the staff reply form (composed in src/app.ts).
 */
export async function ticketsPages(
  app: FastifyInstance,
  { replyBox, ...deps }: Deps & { replyBox?: ReplyBoxExtension | undefined },
) {
  const maxMb = Math.round(deps.config.maxAttachmentBytes / 1048576);

  async function renderTicket(
    req: FastifyRequest,
    reply: FastifyReply,
    actor: Actor,
    id: number,
    replyForm: FormState<{ content: string; internal: string; waitOnCustomer: string }>,
    status = 200,
    conflict?: ReplyConflict,
    ccForm: FormState<CcValues> = emptyForm(),
    controlsStale = false,
    extra: {
      linkForm?: FormState<LinkValues>;
      openChildren?: { children: tickets.OpenChildren["children"]; fields: Record<string, string> };
      tagForm?: FormState<TagValues>;
      mergeForm?: FormState<MergeValues>;
      fieldForm?: FormState<FieldFormValues>;
    } = {},
  ) {
    // Side by side: getTicketView refuses a ticket this reader may not see, and then
    // nothing read beside it is shown.
    const [view, staffList, replyTools, links, recent] = await Promise.all([
      tickets.getTicketView(deps, actor, id),
      isStaff(actor) ? listAssignableStaff(deps) : Promise.resolve([]),
      isStaff(actor) && replyBox ? replyBox.controls(actor, id, readerOf(req)) : undefined,
      isStaff(actor) ? relations.visibleRelations(deps, actor, id) : Promise.resolve([]),
      isStaff(actor) ? tickets.requesterRecentTickets(deps, actor, id) : Promise.resolve([]),
    ]);
    const mergedInto = await merging.mergedInto(deps, actor, view.ticket, view.messages.length);
    // Remote images of one message, only when the reader asked for them (a link per message).
    const { images } = req.query as { images?: string };
    const mailHtml = await renderMailBodies(view, parseId(images));
    if ([...mailHtml.values()].some((h) => h.remoteShown)) allowRemoteImages(reply);
    return reply.render(
      <TicketPage
        ctx={pageContext(req, reply)}
        view={view}
        staffList={staffList}
        replyForm={replyForm}
        maxMb={maxMb}
        conflict={conflict}
        mailHtml={mailHtml}
        ccForm={ccForm}
        tagForm={extra.tagForm ?? emptyForm()}
        fieldForm={extra.fieldForm ?? emptyForm()}
        controlsStale={controlsStale}
        links={links}
        recent={recent}
        linkForm={extra.linkForm ?? emptyForm()}
        mergeForm={extra.mergeForm}
        mergedInto={mergedInto}
        openChildren={extra.openChildren}
        replyTools={replyTools}
      />,
      status,
    );
  }

  app.get("/tickets", async (req, reply) => {
    const actor = requireActor(req);
    const { cursor } = req.query as { cursor?: string };
    const page = await tickets.listTickets(deps, actor, {
      requesterId: actor.id,
      cursor,
      sort: "-updatedAt",
    });
    return reply.render(
      <MyTicketsPage
        ctx={pageContext(req, reply)}
        tickets={page.tickets}
        nextCursor={page.nextCursor}
        isFirstPage={!cursor}
      />,
    );
  });

  app.get("/tickets/new", async (req, reply) => {
    const actor = requireActor(req);
    return reply.render(
      <NewTicketPage
        ctx={pageContext(req, reply)}
        form={emptyForm()}
        maxMb={maxMb}
        categories={await listCategories(deps)}
        fields={await tickets.visibleFields(deps, actor)}
      />,
    );
  });

  app.post("/tickets", async (req, reply) => {
    const actor = requireActor(req);
    const { title = "", description = "", priority = "normal", teamId = "" } = formFields(req);
    // Custom fields (customers: those shown to them); empty ones are left unset.
    const { values, posted } = postedFieldValues(req.body, false);
    const fieldValues = Object.fromEntries(
      Object.entries(values).filter(([, v]) => v !== "" && v !== "false" && v.length !== 0),
    );
    const result = await attempt(() =>
      tickets.createTicket(
        deps,
        actor,
        {
          title,
          description,
          priority: priority as Priority,
          ...(teamId === "" ? {} : { teamId: optionalId(teamId, "teamId") }),
          ...(Object.keys(fieldValues).length > 0 ? { fields: fieldValues } : {}),
        },
        filesFrom(req, "attachments"),
      ),
    );
    if (!result.ok) {
      return reply.render(
        <NewTicketPage
          ctx={pageContext(req, reply)}
          form={refusedForm({ title, description, priority, teamId, ...posted }, result)}
          maxMb={maxMb}
          categories={await listCategories(deps)}
          fields={await tickets.visibleFields(deps, actor)}
        />,
        422,
      );
    }
    return reply.redirect(`/tickets/${result.value.id}?notice=created`, 303);
  });

  // These two and downloads are all a ticket link's session reaches (src/accounts/ticket-links.service.ts).
  app.get("/tickets/:id", async (req, reply) => {
    const id = idParam(req, "ticket");
    return renderTicket(req, reply, requireTicketReader(req, id), id, emptyForm());
  });

  app.post("/tickets/:id/replies", async (req, reply) => {
    const id = idParam(req, "ticket");
    const actor = requireTicketReader(req, id);
    const {
      content = "",
      internal = "",
      waitOnCustomer = "",
      lastSeenMessageId = "",
    } = formFields(req);
    let lastSeen: number | undefined;
    let result: Attempt<tickets.ReplyResult>;
    try {
      result = await attempt(() => {
        lastSeen = optionalId(lastSeenMessageId, "lastSeenMessageId") ?? undefined;
        return tickets.addReply(
          deps,
          actor,
          id,
          { content, internal: internal === "true", waitOnCustomer: waitOnCustomer === "true" },
          filesFrom(req, "attachments"),
          { lastSeenMessageId: lastSeen },
        );
      });
    } catch (error) {
      if (error instanceof tickets.TicketClosed) return refusedChange(req, reply, error);
      if (!(error instanceof tickets.RepliedMeanwhile) || lastSeen === undefined) throw error;
      // Asked first: the draft is kept, the new messages are shown, "Send anyway" sends it.
      const form = { values: { content, internal, waitOnCustomer }, errors: [] };
      return renderTicket(req, reply, actor, id, form, 409, {
        authors: error.authors,
        lastSeenMessageId: lastSeen,
      });
    }
    if (!result.ok) {
      const form = refusedForm({ content, internal, waitOnCustomer }, result);
      return renderTicket(req, reply, actor, id, form, 422);
    }
    const { ticket, message } = result.value;
    if (ticket.id !== id) {
      // A ticket link's session reaches only its own ticket; the follow-up's mail brings a link.
      const linkOnly = actor.onlyTicketId !== undefined;
      return reply.redirect(
        linkOnly
          ? `/tickets/${id}?notice=follow-up-mailed`
          : `/tickets/${ticket.id}?notice=follow-up`,
        303,
      );
    }
    return reply.redirect(
      `/tickets/${id}?notice=${message.internal ? "noted" : "replied"}#message-${message.id}`,
      303,
    );
  });

  // The reply box's own button (a canned reply chosen without JavaScript): the
  // page comes back with the draft, as typed, and what was chosen put in.
  app.post("/tickets/:id/replies/insert", async (req, reply) => {
    const actor = requireActor(req);
    const id = idParam(req, "ticket");
    if (!isStaff(actor) || !replyBox) throw new NotFound("page");
    const fields = formFields(req);
    const { content = "", internal = "", waitOnCustomer = "" } = fields;
    // The page stays the ticket's: a boosted form must not put this address in the history.
    reply.header("hx-push-url", "false");
    const result = await attempt(() => replyBox.insert(actor, id, fields));
    if (!result.ok) {
      const form = refusedForm({ content, internal, waitOnCustomer }, result);
      return renderTicket(req, reply, actor, id, form, 422);
    }
    const values = { content: result.value, internal, waitOnCustomer };
    return renderTicket(req, reply, actor, id, { values, errors: [] });
  });

  app.post("/tickets/:id", async (req, reply) => {
    const actor = requireActor(req);
    const id = idParam(req, "ticket");
    const fields = formFields(req);
    // The controls form posts every field with what it showed (`statusWas`...):
    // only what this person changed is applied, so a form opened before a
    // colleague's change does not undo it.
    const changed = (name: "status" | "priority" | "assigneeId" | "teamId") =>
      fields[name] !== undefined && fields[name] !== fields[`${name}Was`];
    // The version the controls were shown with: a ticket changed since is not
    // overwritten; the page comes back as it is now, saying so.
    const version = optionalId(fields.version ?? "", "version");
    try {
      await tickets.updateTicket(
        deps,
        actor,
        id,
        {
          ...(changed("status") ? { status: fields.status as Status } : {}),
          ...(changed("priority") ? { priority: fields.priority as Priority } : {}),
          ...(changed("assigneeId")
            ? { assigneeId: optionalId(fields.assigneeId ?? "", "assigneeId") }
            : {}),
          ...(changed("teamId") ? { teamId: optionalId(fields.teamId ?? "", "teamId") } : {}),
          ...(fields.solveWithOpenChildren === "true" ? { solveWithOpenChildren: true } : {}),
        },
        { ifVersion: version === null ? undefined : [version] },
      );
    } catch (error) {
      if (error instanceof tickets.TicketClosed || error instanceof tickets.StatusNotAllowed) {
        return refusedChange(req, reply, error);
      }
      if (error instanceof tickets.OpenChildren) {
        return renderTicket(
          req,
          reply,
          actor,
          id,
          emptyForm(),
          409,
          undefined,
          emptyForm(),
          false,
          {
            openChildren: { children: error.children, fields },
          },
        );
      }
      // Solving without a field required before solving: said next to each field.
      if (error instanceof Invalid && error.code === "fields_required") {
        return renderTicket(
          req,
          reply,
          actor,
          id,
          emptyForm(),
          422,
          undefined,
          emptyForm(),
          false,
          {
            fieldForm: {
              values: {},
              errors: error.errors,
              message: error.message,
              messageKey: error.messageKey,
              messageValues: error.messageValues,
            },
          },
        );
      }
      if (!(error instanceof PreconditionFailed)) throw error;
      return renderTicket(req, reply, actor, id, emptyForm(), 409, undefined, emptyForm(), true);
    }
    return reply.redirect(`/tickets/${id}?notice=updated`, 303);
  });

  app.post("/tickets/:id/ccs", async (req, reply) => {
    const actor = requireActor(req);
    const id = idParam(req, "ticket");
    const { ccAddress = "", ccName = "" } = formFields(req);
    const result = await attempt(() =>
      tickets.addCc(deps, actor, id, { address: ccAddress, ...(ccName ? { name: ccName } : {}) }),
    );
    if (!result.ok) {
      const form = refusedForm<CcValues>(
        { ccAddress, ccName },
        {
          ...result,
          errors: result.errors.map((e) => ({
            ...e,
            field: e.field === "address" ? "ccAddress" : e.field === "name" ? "ccName" : e.field,
          })),
        },
      );
      return renderTicket(req, reply, actor, id, emptyForm(), 422, undefined, form);
    }
    return reply.redirect(`/tickets/${id}?notice=cc-added#ccs`, 303);
  });

  app.post("/tickets/:id/links", async (req, reply) => {
    const actor = requireActor(req);
    const id = idParam(req, "ticket");
    const { relation = "", linkTicketId = "" } = formFields(req);
    const result = await attempt(() =>
      relations.addRelation(deps, actor, id, {
        relation: relation as TicketRelation,
        ticketId: ticketNumber(linkTicketId),
      }),
    );
    if (!result.ok) {
      const form = refusedForm<LinkValues>(
        { relation, linkTicketId },
        {
          ...result,
          errors: result.errors.map((e) => ({
            ...e,
            field: e.field === "ticketId" ? "linkTicketId" : e.field,
          })),
        },
      );
      return renderTicket(req, reply, actor, id, emptyForm(), 422, undefined, emptyForm(), false, {
        linkForm: form,
      });
    }
    return reply.redirect(`/tickets/${id}?notice=linked#links`, 303);
  });

  app.post("/tickets/:id/links/remove", async (req, reply) => {
    const actor = requireActor(req);
    const id = idParam(req, "ticket");
    const { linkId = "" } = formFields(req);
    await relations.removeRelation(deps, actor, id, optionalId(linkId, "linkId") ?? 0);
    return reply.redirect(`/tickets/${id}?notice=unlinked#links`, 303);
  });

  // Merging: the number, then a confirmation page naming both tickets and their
  // requesters, whose button posts again with `confirm` (and, when the requesters
  // differ, `confirmDifferentRequester`: the page said so).
  app.post("/tickets/:id/merge", async (req, reply) => {
    const actor = requireActor(req);
    const id = idParam(req, "ticket");
    const { mergeTicketId = "", confirm = "", confirmDifferentRequester = "" } = formFields(req);
    const result = await attempt(async () => {
      try {
        const input = {
          targetId: ticketNumber(mergeTicketId),
          confirmDifferentRequester: confirmDifferentRequester === "true",
        };
        if (confirm !== "true") return { plan: await merging.previewMerge(deps, actor, id, input) };
        return { merged: await merging.mergeTicket(deps, actor, id, input) };
      } catch (error) {
        if (error instanceof merging.TargetNotFound)
          throw Invalid.field("targetId", "is not a ticket you can see", "error.merge.unknown");
        throw error;
      }
    });
    if (!result.ok) {
      const form = refusedForm<MergeValues>(
        { mergeTicketId },
        {
          ...result,
          errors: result.errors.map((e) => ({
            ...e,
            field: e.field === "targetId" ? "mergeTicketId" : e.field,
          })),
        },
      );
      return renderTicket(req, reply, actor, id, emptyForm(), 422, undefined, emptyForm(), false, {
        mergeForm: form,
      });
    }
    const { plan, merged } = result.value;
    if (plan) return reply.render(<MergeConfirmPage ctx={pageContext(req, reply)} plan={plan} />);
    return reply.redirect(`/tickets/${merged?.target.id ?? id}?notice=merged`, 303);
  });

  app.post("/tickets/:id/messages/:messageId/split", async (req, reply) => {
    const actor = requireActor(req);
    const id = idParam(req, "ticket");
    const messageId = parseId((req.params as { messageId?: string }).messageId);
    if (messageId === undefined) throw new NotFound("message");
    const { title = "" } = formFields(req);
    const created = await merging.splitMessage(
      deps,
      actor,
      id,
      messageId,
      title.trim() === "" ? {} : { title },
    );
    return reply.redirect(`/tickets/${created.id}?notice=split`, 303);
  });

  app.post("/tickets/:id/ccs/remove", async (req, reply) => {
    const actor = requireActor(req);
    const id = idParam(req, "ticket");
    const { address = "" } = formFields(req);
    await tickets.removeCc(deps, actor, id, address);
    return reply.redirect(`/tickets/${id}?notice=cc-removed#ccs`, 303);
  });

  // Tags: several at once, separated by commas (a tag name has none).
  app.post("/tickets/:id/tags", async (req, reply) => {
    const actor = requireActor(req);
    const id = idParam(req, "ticket");
    const { tag = "" } = formFields(req);
    const names = tag.split(",").filter((n) => n.trim() !== "");
    const result = await attempt(() =>
      tickets.changeTags(deps, actor, id, { add: names.length > 0 ? names : [""] }),
    );
    if (!result.ok) {
      const form = refusedForm<TagValues>(
        { tag },
        { ...result, errors: result.errors.map((e) => ({ ...e, field: "tag" })) },
      );
      return renderTicket(req, reply, actor, id, emptyForm(), 422, undefined, emptyForm(), false, {
        tagForm: form,
      });
    }
    return reply.redirect(`/tickets/${id}?notice=tags-added#tags`, 303);
  });

  // Custom fields: the whole form, of which only what this person changed is applied.
  app.post("/tickets/:id/fields", async (req, reply) => {
    const actor = requireActor(req);
    const id = idParam(req, "ticket");
    const { values, posted } = postedFieldValues(req.body, true);
    const result = await attempt(() => tickets.updateTicket(deps, actor, id, { fields: values }));
    if (!result.ok) {
      return renderTicket(req, reply, actor, id, emptyForm(), 422, undefined, emptyForm(), false, {
        fieldForm: refusedForm(posted, result),
      });
    }
    return reply.redirect(`/tickets/${id}?notice=fields-saved#fields`, 303);
  });

  app.post("/tickets/:id/tags/remove", async (req, reply) => {
    const actor = requireActor(req);
    const id = idParam(req, "ticket");
    const { tag = "" } = formFields(req);
    await tickets.changeTags(deps, actor, id, { remove: [tag] });
    return reply.redirect(`/tickets/${id}?notice=tag-removed#tags`, 303);
  });

  app.get("/attachments/:id", async (req, reply) => {
    const actor = requireTicketReader(req);
    const attachment = await tickets
      .getAttachment(deps, actor, idParam(req, "attachment"))
      .catch((error: unknown) => {
        // A ticket link's visitor: any other file asks for a full sign-in, as every other page.
        if (error instanceof NotFound && actor.onlyTicketId !== undefined) throw new Unauthorized();
        throw error;
      });
    // A file is never content for htmx to swap into a page (it would run any hx-*
    // attributes inside it): tell htmx to navigate instead, which downloads it.
    if (req.headers["hx-request"]) {
      return reply.header("hx-redirect", req.url).code(204).send();
    }
    return reply
      .header("content-type", servedContentType(attachment.contentType))
      .header("content-length", String(attachment.size))
      .header("content-disposition", contentDisposition(attachment.filename))
      .header("x-content-type-options", "nosniff")
      .header("cache-control", "private, no-store")
      .header("content-security-policy", "default-src 'none'; sandbox")
      .send(openStored(deps.config.dataDir, attachment.sha256));
  });
}

/**
 * The HTML of the ticket's HTML-only mails, sanitised again for the page:
 * inline images from the message's attachments; remote images only for the
 * message `remoteFor` (the reader clicked "Load remote images" on it).
 */
async function renderMailBodies(
  view: tickets.TicketView,
  remoteFor: number | undefined,
): Promise<MailHtml> {
  const out = new Map<number, { html: string; blocked: number; remoteShown: boolean }>();
  for (const m of view.messages) {
    if (!m.html) continue;
    const files = view.attachments
      .filter((a) => a.messageId === m.id)
      .sort((a, b) => a.id - b.id)
      .map((a) => `/attachments/${a.id}`);
    const remote = remoteFor === m.id;
    const rendered = await renderMailHtml(m.html, files, remote);
    out.set(m.id, {
      ...rendered,
      remoteShown: remote && /<img[^>]+src="https:/.test(rendered.html),
    });
  }
  return out;
}

/**
 * This one response may load images from https: sites (the reader asked to
 * see a mail's remote images); everything else in the policy stays as strict.
 */
function allowRemoteImages(reply: FastifyReply): void {
  const policy = reply.getHeader("content-security-policy");
  if (typeof policy !== "string") return;
  reply.header(
    "content-security-policy",
    policy.replace(/img-src ([^;]*)/, (_all, sources: string) => `img-src ${sources} https:`),
  );
}
