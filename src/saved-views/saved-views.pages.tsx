import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { type Actor, isAdmin, isStaff } from "../accounts/index.ts";
import type { Deps } from "../deps.ts";
import { NotFound } from "../lib/errors.ts";
import { parseId } from "../lib/ids.ts";
import { requireActor } from "../platform/auth.ts";
import { attempt, formFields, refusedForm } from "../platform/forms.ts";
import { pageContext } from "../platform/views/context.ts";
import type { FormState } from "../platform/views/forms.tsx";
import type { DeskViewsExtension } from "../tickets/desk-views.ts";
import { VIEW_FILTERS } from "./saved-views.schemas.ts";
import * as views from "./saved-views.service.ts";
import { SavedViewsPage, SaveViewForm, ViewsNav, viewHref } from "./views/saved-views.tsx";

/** Staff only: to a customer these pages do not exist. */
function requireStaffPage(req: FastifyRequest): Actor {
  const actor = requireActor(req);
  if (!isStaff(actor)) throw new NotFound("page");
  return actor;
}

function viewId(req: FastifyRequest): number {
  const id = parseId((req.params as { id: string }).id);
  if (id === undefined) throw new NotFound("view");
  return id;
}

/** Saved views' pages: saving the desk's search, and the page to rename, order and delete them. */
export async function savedViewsPages(app: FastifyInstance, deps: Deps) {
  async function renderList(
    req: FastifyRequest,
    reply: FastifyReply,
    actor: Actor,
    form?: FormState,
    status?: number,
  ) {
    const list = await views.listViews(deps, actor);
    return reply.render(
      <SavedViewsPage ctx={pageContext(req, reply)} views={list} form={form} />,
      status,
    );
  }

  app.get("/desk/views", async (req, reply) => renderList(req, reply, requireStaffPage(req)));

  // "Save this search" on the desk: the name, and the filters shown as hidden fields.
  app.post("/desk/views", async (req, reply) => {
    const actor = requireStaffPage(req);
    const fields = formFields(req);
    const { name = "", shared = "" } = fields;
    const filters = Object.fromEntries(
      VIEW_FILTERS.flatMap((key) => (fields[key] ? [[key, fields[key]]] : [])),
    );
    const result = await attempt(() =>
      views.createView(deps, actor, {
        name,
        filters,
        shared: shared === "true" && isAdmin(actor),
      }),
    );
    if (!result.ok) {
      const form = refusedForm({ name, shared }, result);
      const ctx = pageContext(req, reply);
      return reply.render(
        <SavedViewsPage ctx={ctx} views={await views.listViews(deps, actor)} form={form} />,
        422,
      );
    }
    const href = viewHref(result.value.filters);
    return reply.redirect(`${href}&notice=view-saved`, 303);
  });

  app.post("/desk/views/:id", async (req, reply) => {
    const actor = requireStaffPage(req);
    const id = viewId(req);
    const name = formFields(req).name ?? "";
    const result = await attempt(() => views.updateView(deps, actor, id, { name }));
    if (!result.ok) return renderList(req, reply, actor, refusedForm({ name }, result), 422);
    return reply.redirect(`/desk/views?notice=view-changed#view-${id}`, 303);
  });

  app.post("/desk/views/:id/move", async (req, reply) => {
    const actor = requireStaffPage(req);
    const id = viewId(req);
    const position = Math.max(1, Number.parseInt(formFields(req).position ?? "", 10) || 1);
    await views.updateView(deps, actor, id, { position });
    return reply.redirect(`/desk/views?notice=view-changed#view-${id}`, 303);
  });

  app.post("/desk/views/:id/delete", async (req, reply) => {
    const actor = requireStaffPage(req);
    await views.deleteView(deps, actor, viewId(req));
    return reply.redirect("/desk/views?notice=view-deleted", 303);
  });
}

/** Saved views on the desk: listed and counted there, and "Save this search". */
export function savedViewsDesk(deps: Deps): DeskViewsExtension {
  return {
    list: (actor) => views.listViews(deps, actor),
    nav: (input) => <ViewsNav {...input} />,
    saveForm: (input) => <SaveViewForm {...input} />,
  };
}
