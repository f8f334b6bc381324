import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Actor } from "../accounts/index.ts";
import type { Deps } from "../deps.ts";
import type { MessageKey } from "../i18n/i18n.ts";
import { Invalid, NotFound } from "../lib/errors.ts";
import { parseId } from "../lib/ids.ts";
import { requireAdmin } from "../platform/auth.ts";
import { formFields } from "../platform/forms.ts";
import { pageContext } from "../platform/views/context.ts";
import { fieldErrorText, isMessageKey } from "../platform/views/forms.tsx";
import * as fields from "./fields.service.ts";
import { FieldsPage } from "./views/fields.tsx";

/** The field in the URL (admins only: others are refused before anything is looked up). */
function fieldId(req: FastifyRequest): number {
  requireAdmin(req);
  const id = parseId((req.params as { id: string }).id);
  if (id === undefined) throw new NotFound("field");
  return id;
}

/** Each form field's name in the catalogs, the `{label}` of the sentence about its problem. */
const FORM_LABELS: Record<string, MessageKey> = {
  name: "fields.admin.name",
  label: "fields.admin.label",
  type: "fields.admin.type",
  choices: "fields.admin.choices",
  position: "fields.admin.position",
};

/** A definition as the admin's form sends it (checkboxes: present or not). */
function definitionOf(form: Record<string, string>): fields.FieldInput {
  return {
    name: form.name,
    label: form.label,
    type: form.type,
    choices: form.choices,
    position: form.position,
    customerVisible: form.customerVisible === "true",
    requiredToSolve: form.requiredToSolve === "true",
    disabled: form.disabled === "true",
  };
}

/** Admin → Fields: define, change, disable and delete custom ticket fields (src/fields). */
export async function fieldsPages(app: FastifyInstance, deps: Deps) {
  async function render(req: FastifyRequest, reply: FastifyReply, actor: Actor, error?: Invalid) {
    const ctx = pageContext(req, reply);
    const { t } = ctx.i18n;
    const problem = error
      ? error.errors.length === 0
        ? isMessageKey(error.messageKey)
          ? t(error.messageKey)
          : error.message
        : error.errors
            .map((e) => `${fieldErrorText(e, t(FORM_LABELS[e.field] ?? "fields.admin.label"), t)}.`)
            .join(" ")
      : undefined;
    return reply.render(
      <FieldsPage
        ctx={ctx}
        fields={await fields.listFieldsForAdmin(deps, actor)}
        problem={problem}
        draft={error ? formFields(req) : undefined}
      />,
      error ? 422 : undefined,
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
      if (!(error instanceof Invalid)) throw error;
      return render(req, reply, actor, error);
    }
    return reply.redirect(`/admin/fields?notice=${notice}`, 303);
  }

  app.get("/admin/fields", async (req, reply) => render(req, reply, requireAdmin(req)));

  app.post("/admin/fields", async (req, reply) => {
    const form = definitionOf(formFields(req));
    return change(req, reply, "field-created", (actor) => fields.createField(deps, actor, form));
  });

  app.post("/admin/fields/:id", async (req, reply) => {
    const id = fieldId(req);
    const form = definitionOf(formFields(req));
    return change(req, reply, "field-saved", (actor) => fields.updateField(deps, actor, id, form));
  });

  app.post("/admin/fields/:id/delete", async (req, reply) => {
    const id = fieldId(req);
    return change(req, reply, "field-deleted", (actor) => fields.deleteField(deps, actor, id));
  });
}
