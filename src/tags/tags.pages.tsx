import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Actor } from "../accounts/index.ts";
import type { Deps } from "../deps.ts";
import type { MessageKey } from "../i18n/i18n.ts";
import { Invalid, NotFound } from "../lib/errors.ts";
import { parseId } from "../lib/ids.ts";
import { requireAdmin } from "../platform/auth.ts";
import { formFields } from "../platform/forms.ts";
import { pageContext } from "../platform/views/context.ts";
import { errorText, fieldErrorText } from "../platform/views/forms.tsx";
import * as tags from "./tags.service.ts";
import { TagsPage } from "./views/tags.tsx";

/** The tag in the URL (admins only: others are refused before anything is looked up). */
function tagId(req: FastifyRequest): number {
  requireAdmin(req);
  const id = parseId((req.params as { id: string }).id);
  if (id === undefined) throw new NotFound("tag");
  return id;
}

/** Each form field's name in the catalogs, the `{label}` of the sentence about its problem. */
const FIELD_KEYS: Record<string, MessageKey> = {
  name: "tags.admin.name",
  into: "tags.admin.name",
};

/** Admin → Tags: rename, merge and delete tags (src/tags). */
export async function tagsPages(app: FastifyInstance, deps: Deps) {
  async function render(
    req: FastifyRequest,
    reply: FastifyReply,
    actor: Actor,
    error?: Invalid | tags.TagInUse,
  ) {
    const ctx = pageContext(req, reply);
    const { t } = ctx.i18n;
    const problem = !error
      ? undefined
      : error instanceof Invalid && error.errors.length > 0
        ? error.errors
            .map((e) => `${fieldErrorText(e, t(FIELD_KEYS[e.field] ?? "tags.admin.name"), t)}.`)
            .join(" ")
        : errorText(error, t);
    return reply.render(
      <TagsPage ctx={ctx} tags={await tags.listTags(deps, actor)} problem={problem} />,
      error instanceof Invalid ? 422 : error ? 409 : undefined,
    );
  }

  /** Runs a change and goes back to the list with its notice, or shows why it was refused. */
  async function change(
    req: FastifyRequest,
    reply: FastifyReply,
    notice: string,
    run: (actor: Actor) => Promise<unknown>,
  ) {
    const actor = requireAdmin(req);
    try {
      await run(actor);
    } catch (error) {
      if (!(error instanceof Invalid || error instanceof tags.TagInUse)) throw error;
      return render(req, reply, actor, error);
    }
    return reply.redirect(`/admin/tags?notice=${notice}`, 303);
  }

  app.get("/admin/tags", async (req, reply) => render(req, reply, requireAdmin(req)));

  app.post("/admin/tags/:id/rename", async (req, reply) => {
    const id = tagId(req);
    const { name = "" } = formFields(req);
    return change(req, reply, "tag-renamed", (actor) => tags.renameTag(deps, actor, id, name));
  });

  app.post("/admin/tags/:id/merge", async (req, reply) => {
    const id = tagId(req);
    const { into = "" } = formFields(req);
    return change(req, reply, "tags-merged", (actor) => tags.mergeTag(deps, actor, id, into));
  });

  app.post("/admin/tags/:id/delete", async (req, reply) => {
    const id = tagId(req);
    return change(req, reply, "tag-deleted", (actor) => tags.deleteTag(deps, actor, id));
  });
}
