import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Deps } from "../deps.ts";
import { Invalid, NotFound } from "../lib/errors.ts";
import { parseId } from "../lib/ids.ts";
import { requireAdmin } from "../platform/auth.ts";
import { attempt, formFields, refusedForm } from "../platform/forms.ts";
import { pageContext } from "../platform/views/context.ts";
import { emptyForm, type FormState } from "../platform/views/forms.tsx";
import { conditionRowsOf, conditionRowUsed, lastUsed } from "../rules/rules.schemas.ts";
import { PRIORITIES, type Priority } from "../tickets/lifecycle.ts";
import {
  calendarOf,
  calendarToForm,
  conditionToForm,
  type SlaConditionForm,
} from "./sla.schemas.ts";
import * as sla from "./sla.service.ts";
import { CalendarFormPage, ConditionFormPage, type RefusedPolicy, SlaPage } from "./views/sla.tsx";

function calendarId(raw: string): number {
  const id = parseId(raw);
  if (id === undefined) throw new NotFound("calendar");
  return id;
}

/** A route's id parameter, or NotFound naming `what`. */
function idParam(req: FastifyRequest, name: string, what: string): number {
  const id = parseId((req.params as Record<string, string>)[name] ?? "");
  if (id === undefined) throw new NotFound(what);
  return id;
}

function priorityOf(raw: string | undefined): Priority {
  if (!(PRIORITIES as readonly string[]).includes(raw ?? "")) throw new NotFound("priority");
  return raw as Priority;
}

/** The SLA admin pages: calendars and the policy of each priority (admins only). */
export async function slaPages(app: FastifyInstance, deps: Deps) {
  async function renderSla(
    req: FastifyRequest,
    reply: FastifyReply,
    refused?: RefusedPolicy,
    problem?: sla.CalendarNotDeleted,
  ) {
    const actor = requireAdmin(req);
    const settings = await sla.getSlaSettings(deps, actor);
    return reply.render(
      <SlaPage ctx={pageContext(req, reply)} {...settings} refused={refused} problem={problem} />,
      refused ? 422 : problem ? problem.status : undefined,
    );
  }

  app.get("/admin/sla", async (req, reply) => renderSla(req, reply));

  app.get("/admin/sla/calendars/new", async (req, reply) => {
    requireAdmin(req);
    const form = emptyForm<Record<string, string>>({
      timeZone: "UTC",
      hours1: "09:00-17:00",
      hours2: "09:00-17:00",
      hours3: "09:00-17:00",
      hours4: "09:00-17:00",
      hours5: "09:00-17:00",
    });
    return reply.render(
      <CalendarFormPage ctx={pageContext(req, reply)} id={undefined} form={form} />,
    );
  });

  app.get("/admin/sla/calendars/:id", async (req, reply) => {
    const actor = requireAdmin(req);
    const id = calendarId((req.params as { id: string }).id);
    const row = await sla.getCalendar(deps, actor, id);
    const form = emptyForm(calendarToForm({ name: row.name, ...calendarOf(row) }));
    return reply.render(<CalendarFormPage ctx={pageContext(req, reply)} id={id} form={form} />);
  });

  async function saveCalendar(req: FastifyRequest, reply: FastifyReply, id: number | undefined) {
    const actor = requireAdmin(req);
    const values = formFields(req);
    const result = await attempt(() => sla.saveCalendar(deps, actor, values, id));
    if (!result.ok) {
      return reply.render(
        <CalendarFormPage
          ctx={pageContext(req, reply)}
          id={id}
          form={refusedForm(values, result)}
        />,
        422,
      );
    }
    return reply.redirect("/admin/sla?notice=calendar-saved", 303);
  }

  app.post("/admin/sla/calendars", async (req, reply) => saveCalendar(req, reply, undefined));
  app.post("/admin/sla/calendars/:id", async (req, reply) =>
    saveCalendar(req, reply, calendarId((req.params as { id: string }).id)),
  );

  app.post("/admin/sla/calendars/:id/default", async (req, reply) => {
    const actor = requireAdmin(req);
    await sla.makeDefaultCalendar(deps, actor, calendarId((req.params as { id: string }).id));
    return reply.redirect("/admin/sla?notice=calendar-default", 303);
  });

  app.post("/admin/sla/calendars/:id/delete", async (req, reply) => {
    const actor = requireAdmin(req);
    try {
      await sla.deleteCalendar(deps, actor, calendarId((req.params as { id: string }).id));
    } catch (error) {
      if (error instanceof sla.CalendarNotDeleted) return renderSla(req, reply, undefined, error);
      throw error;
    }
    return reply.redirect("/admin/sla?notice=calendar-deleted", 303);
  });

  /** Saves a policy (of `scope`) and goes back, or shows its form with the problems. */
  async function savePolicy(
    req: FastifyRequest,
    reply: FastifyReply,
    scope: sla.PolicyScope,
    priority: Priority,
    refusedAs: Priority | "new",
  ) {
    const actor = requireAdmin(req);
    const values = formFields(req);
    const result = await attempt(() => sla.savePolicy(deps, actor, priority, values, scope));
    if (!result.ok) {
      return renderSla(req, reply, {
        scope,
        priority: refusedAs,
        form: refusedForm(values, result),
      });
    }
    return reply.redirect("/admin/sla?notice=policy-saved", 303);
  }

  app.post("/admin/sla/policies/:priority", async (req, reply) => {
    requireAdmin(req);
    const priority = priorityOf((req.params as { priority: string }).priority);
    return savePolicy(req, reply, sla.GENERAL, priority, priority);
  });

  // A team's and an SLA condition's own policies: the same routes under each.
  const scopes = [
    {
      path: "/admin/sla/teams/:teamId",
      scopeOf: (req: FastifyRequest): sla.PolicyScope => ({
        teamId: idParam(req, "teamId", "team"),
        conditionId: null,
      }),
    },
    {
      path: "/admin/sla/conditions/:conditionId",
      scopeOf: (req: FastifyRequest): sla.PolicyScope => ({
        teamId: null,
        conditionId: idParam(req, "conditionId", "SLA condition"),
      }),
    },
  ];
  for (const { path, scopeOf } of scopes) {
    app.post(`${path}/policies`, async (req, reply) => {
      requireAdmin(req);
      const priority = priorityOf(formFields(req).priority);
      return savePolicy(req, reply, scopeOf(req), priority, "new");
    });

    app.post(`${path}/policies/:priority`, async (req, reply) => {
      requireAdmin(req);
      const priority = priorityOf((req.params as { priority: string }).priority);
      return savePolicy(req, reply, scopeOf(req), priority, priority);
    });

    app.post(`${path}/policies/:priority/remove`, async (req, reply) => {
      const actor = requireAdmin(req);
      const priority = priorityOf((req.params as { priority: string }).priority);
      await sla.removePolicy(deps, actor, priority, scopeOf(req));
      return reply.redirect("/admin/sla?notice=policy-removed", 303);
    });
  }

  // --- SLA conditions ---

  const conditionFormPage = (
    req: FastifyRequest,
    reply: FastifyReply,
    id: number | undefined,
    form: FormState<SlaConditionForm> & { values: SlaConditionForm },
    status?: number,
  ) =>
    reply.render(<ConditionFormPage ctx={pageContext(req, reply)} id={id} form={form} />, status);

  /** The submitted condition, every value as typed (kept on a 422). */
  function readConditionForm(req: FastifyRequest): SlaConditionForm {
    const f = formFields(req);
    const get = (name: string) => f[name] ?? "";
    return { name: get("name"), match: get("match"), conditions: conditionRowsOf(get) };
  }

  app.get("/admin/sla/conditions/new", async (req, reply) => {
    requireAdmin(req);
    return conditionFormPage(req, reply, undefined, {
      values: { name: "", match: "all", conditions: [] },
      errors: [],
    });
  });

  app.get("/admin/sla/conditions/:conditionId", async (req, reply) => {
    const actor = requireAdmin(req);
    const id = idParam(req, "conditionId", "SLA condition");
    const condition = await sla.getCondition(deps, actor, id);
    return conditionFormPage(req, reply, id, { values: conditionToForm(condition), errors: [] });
  });

  async function saveCondition(req: FastifyRequest, reply: FastifyReply, id: number | undefined) {
    const actor = requireAdmin(req);
    const form = readConditionForm(req);
    const result = await attempt(() => sla.saveCondition(deps, actor, form, id));
    if (!result.ok) {
      const values = { ...form, conditions: lastUsed(form.conditions, conditionRowUsed) };
      return conditionFormPage(req, reply, id, refusedForm(values, result), 422);
    }
    return reply.redirect("/admin/sla?notice=condition-saved#conditions", 303);
  }

  app.post("/admin/sla/conditions", async (req, reply) => saveCondition(req, reply, undefined));
  app.post("/admin/sla/conditions/:conditionId", async (req, reply) => {
    requireAdmin(req);
    return saveCondition(req, reply, idParam(req, "conditionId", "SLA condition"));
  });

  app.post("/admin/sla/conditions/:conditionId/delete", async (req, reply) => {
    const actor = requireAdmin(req);
    await sla.deleteCondition(deps, actor, idParam(req, "conditionId", "SLA condition"));
    return reply.redirect("/admin/sla?notice=condition-deleted#conditions", 303);
  });

  app.post("/admin/sla/conditions/:conditionId/move", async (req, reply) => {
    const actor = requireAdmin(req);
    const id = idParam(req, "conditionId", "SLA condition");
    const direction = formFields(req).direction;
    if (direction !== "up" && direction !== "down") {
      throw Invalid.field("direction", "must be one of: up, down", "error.field.oneOf", {
        choices: "up, down",
      });
    }
    await sla.moveCondition(deps, actor, id, direction);
    return reply.redirect("/admin/sla?notice=condition-moved#conditions", 303);
  });
}
