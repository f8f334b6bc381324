import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { type Actor, isAdmin, isStaff } from "../accounts/index.ts";
import * as canned from "../canned/canned.service.ts";
import type { Deps } from "../deps.ts";
import { AppError, Forbidden, NotFound } from "../lib/errors.ts";
import { parseId } from "../lib/ids.ts";
import { requireActor } from "../platform/auth.ts";
import { attempt, formFields, refusedForm } from "../platform/forms.ts";
import { pageContext } from "../platform/views/context.ts";
import { emptyForm, errorText, type FormState } from "../platform/views/forms.tsx";
import { MACRO_ACTIONS_MAX, type MacroActionInput, type MacroInput } from "./macros.schemas.ts";
import * as macros from "./macros.service.ts";
import {
  ChooseMacroPage,
  MacroEditPage,
  type MacroFormValues,
  MacroPreviewPage,
  MacrosPage,
} from "./views/macros.tsx";

/** Staff only: to a customer these pages do not exist. */
function requireStaffPage(req: FastifyRequest): Actor {
  const actor = requireActor(req);
  if (!isStaff(actor)) throw new NotFound("page");
  return actor;
}

function idParam(req: FastifyRequest, name: string, what: string): number {
  const id = parseId((req.params as Record<string, string>)[name] ?? "");
  if (id === undefined) throw new NotFound(what);
  return id;
}

/** The form as typed: its action rows up to the last one used. */
function formValues(fields: Record<string, string>): MacroFormValues {
  const rows = Array.from({ length: MACRO_ACTIONS_MAX }, (_, i) => ({
    type: fields[`actions.${i}.type`] ?? "",
    value: fields[`actions.${i}.value`] ?? "",
    body: fields[`actions.${i}.body`] ?? "",
  }));
  let used = 0;
  rows.forEach((row, i) => {
    if (row.type !== "" || macros.actionRowUsed(row)) used = i + 1;
  });
  return { name: fields.name ?? "", shared: fields.shared ?? "", actions: rows.slice(0, used) };
}

/** The rows as the service takes them; a row left wholly empty is dropped (its number kept for errors). */
function toInput(values: MacroFormValues, shared: boolean): MacroInput {
  return {
    name: values.name,
    shared,
    actions: values.actions.map((row) => ({
      type: row.type as MacroActionInput["type"],
      value: row.value,
      body: row.body,
    })),
  };
}

/** Macros: the page to manage them, and applying one to a ticket (src/macros). */
export async function macrosPages(app: FastifyInstance, deps: Deps) {
  async function renderList(
    req: FastifyRequest,
    reply: FastifyReply,
    actor: Actor,
    form: FormState<MacroFormValues> = emptyForm(),
    status?: number,
  ) {
    const [list, placeholders] = await Promise.all([
      macros.listMacros(deps, actor),
      canned.knownPlaceholders(deps),
    ]);
    const typed = await Promise.all(
      list.map(async (m) => ({ ...m, typed: await macros.actionsAsTyped(deps, actor, m.actions) })),
    );
    return reply.render(
      <MacrosPage
        ctx={pageContext(req, reply)}
        macros={typed}
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
    form?: FormState<MacroFormValues>,
  ) {
    const current = await macros.getMacro(deps, actor, id);
    if (!current.editable) {
      throw new Forbidden("Only admins change shared macros.", "error.macros.onlyAdminsEdit");
    }
    const shown =
      form ??
      emptyForm<MacroFormValues>({
        name: current.name,
        shared: "",
        actions: await macros.actionsAsTyped(deps, actor, current.actions),
      });
    return reply.render(
      <MacroEditPage
        ctx={pageContext(req, reply)}
        macro={current}
        placeholders={await canned.knownPlaceholders(deps)}
        form={shown}
      />,
      form ? 422 : undefined,
    );
  }

  app.get("/macros", async (req, reply) => renderList(req, reply, requireStaffPage(req)));

  app.post("/macros", async (req, reply) => {
    const actor = requireStaffPage(req);
    const values = formValues(formFields(req));
    const result = await attempt(() =>
      macros.createMacro(deps, actor, toInput(values, values.shared === "true" && isAdmin(actor))),
    );
    if (!result.ok) return renderList(req, reply, actor, refusedForm(values, result), 422);
    return reply.redirect(`/macros?notice=macro-saved#macro-${result.value.id}`, 303);
  });

  app.get("/macros/:id", async (req, reply) => {
    const actor = requireStaffPage(req);
    return renderEdit(req, reply, actor, idParam(req, "id", "macro"));
  });

  app.post("/macros/:id", async (req, reply) => {
    const actor = requireStaffPage(req);
    const id = idParam(req, "id", "macro");
    const values = formValues(formFields(req));
    const result = await attempt(() => macros.updateMacro(deps, actor, id, toInput(values, false)));
    if (!result.ok) return renderEdit(req, reply, actor, id, refusedForm(values, result));
    return reply.redirect(`/macros?notice=macro-saved#macro-${id}`, 303);
  });

  app.post("/macros/:id/delete", async (req, reply) => {
    const actor = requireStaffPage(req);
    await macros.deleteMacro(deps, actor, idParam(req, "id", "macro"));
    return reply.redirect("/macros?notice=macro-deleted", 303);
  });

  // Applying one to a ticket: choose, preview (nothing changes), confirm.
  app.get("/tickets/:id/macros", async (req, reply) => {
    const actor = requireStaffPage(req);
    const ticketId = idParam(req, "id", "ticket");
    const [list] = await Promise.all([
      macros.listMacros(deps, actor),
      // The ticket must be one the agent sees (else 404).
      macros.checkTicket(deps, actor, ticketId),
    ]);
    return reply.render(
      <ChooseMacroPage ctx={pageContext(req, reply)} ticketId={ticketId} macros={list} />,
    );
  });

  app.get("/tickets/:id/macros/preview", async (req, reply) => {
    const actor = requireStaffPage(req);
    const ticketId = idParam(req, "id", "ticket");
    const macroId = parseId(String((req.query as Record<string, unknown>).macro ?? ""));
    if (macroId === undefined) throw new NotFound("macro");
    const preview = await macros.previewMacro(deps, actor, ticketId, macroId);
    return reply.render(<MacroPreviewPage ctx={pageContext(req, reply)} preview={preview} />);
  });

  app.post("/tickets/:id/macros/:macroId/apply", async (req, reply) => {
    const actor = requireStaffPage(req);
    const ticketId = idParam(req, "id", "ticket");
    const macroId = idParam(req, "macroId", "macro");
    const fields = formFields(req);
    try {
      await macros.applyMacro(deps, actor, ticketId, macroId, {
        solveWithOpenChildren: fields.solveWithOpenChildren === "true",
      });
    } catch (error) {
      // Refused (closed meanwhile, open children not confirmed, a value no longer valid):
      // the preview again, as the ticket is now, saying why.
      if (!(error instanceof AppError) || error instanceof NotFound) throw error;
      const preview = await macros.previewMacro(deps, actor, ticketId, macroId);
      const ctx = pageContext(req, reply);
      return reply.render(
        <MacroPreviewPage ctx={ctx} preview={preview} refusal={errorText(error, ctx.i18n.t)} />,
        error.status >= 400 && error.status < 500 ? error.status : 409,
      );
    }
    return reply.redirect(`/tickets/${ticketId}?notice=macro-applied`, 303);
  });
}
