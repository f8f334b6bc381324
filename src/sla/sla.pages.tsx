import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Deps } from "../deps.ts";
import { Conflict, NotFound } from "../lib/errors.ts";
import { parseId } from "../lib/ids.ts";
import { requireAdmin } from "../platform/auth.ts";
import { attempt, formFields } from "../platform/forms.ts";
import { pageContext } from "../platform/views/context.ts";
import { emptyForm } from "../platform/views/forms.tsx";
import { PRIORITIES, type Priority } from "../tickets/lifecycle.ts";
import { calendarOf, calendarToForm } from "./sla.schemas.ts";
import * as sla from "./sla.service.ts";
import { CalendarFormPage, type RefusedPolicy, SlaPage } from "./views/sla.tsx";

const TIME_ZONES: readonly string[] = Intl.supportedValuesOf("timeZone");

function calendarId(raw: string): number {
  const id = parseId(raw);
  if (id === undefined) throw new NotFound("calendar");
  return id;
}

function teamIdOf(req: FastifyRequest): number {
  const id = parseId((req.params as { teamId: string }).teamId);
  if (id === undefined) throw new NotFound("team");
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
    problem?: Conflict,
  ) {
    const actor = requireAdmin(req);
    const settings = await sla.getSlaSettings(deps, actor);
    return reply.render(
      <SlaPage
        ctx={pageContext(req, reply)}
        {...settings}
        refused={refused}
        problem={problem?.message}
      />,
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
      <CalendarFormPage
        ctx={pageContext(req, reply)}
        id={undefined}
        form={form}
        timeZones={TIME_ZONES}
      />,
    );
  });

  app.get("/admin/sla/calendars/:id", async (req, reply) => {
    const actor = requireAdmin(req);
    const id = calendarId((req.params as { id: string }).id);
    const row = await sla.getCalendar(deps, actor, id);
    const form = emptyForm(calendarToForm({ name: row.name, ...calendarOf(row) }));
    return reply.render(
      <CalendarFormPage ctx={pageContext(req, reply)} id={id} form={form} timeZones={TIME_ZONES} />,
    );
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
          form={{ values, errors: result.errors, message: result.message }}
          timeZones={TIME_ZONES}
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
      if (error instanceof Conflict) return renderSla(req, reply, undefined, error);
      throw error;
    }
    return reply.redirect("/admin/sla?notice=calendar-deleted", 303);
  });

  /** Saves a policy (general: `teamId` null) and goes back, or shows its form with the problems. */
  async function savePolicy(
    req: FastifyRequest,
    reply: FastifyReply,
    teamId: number | null,
    priority: Priority,
    refusedAs: Priority | "new",
  ) {
    const actor = requireAdmin(req);
    const values = formFields(req);
    const result = await attempt(() => sla.savePolicy(deps, actor, priority, values, teamId));
    if (!result.ok) {
      return renderSla(req, reply, {
        teamId,
        priority: refusedAs,
        form: { values, errors: result.errors, message: result.message },
      });
    }
    return reply.redirect("/admin/sla?notice=policy-saved", 303);
  }

  app.post("/admin/sla/policies/:priority", async (req, reply) => {
    requireAdmin(req);
    const priority = priorityOf((req.params as { priority: string }).priority);
    return savePolicy(req, reply, null, priority, priority);
  });

  app.post("/admin/sla/teams/:teamId/policies", async (req, reply) => {
    requireAdmin(req);
    const priority = priorityOf(formFields(req).priority);
    return savePolicy(req, reply, teamIdOf(req), priority, "new");
  });

  app.post("/admin/sla/teams/:teamId/policies/:priority", async (req, reply) => {
    requireAdmin(req);
    const priority = priorityOf((req.params as { priority: string }).priority);
    return savePolicy(req, reply, teamIdOf(req), priority, priority);
  });

  app.post("/admin/sla/teams/:teamId/policies/:priority/remove", async (req, reply) => {
    const actor = requireAdmin(req);
    const priority = priorityOf((req.params as { priority: string }).priority);
    await sla.removeTeamPolicy(deps, actor, teamIdOf(req), priority);
    return reply.redirect("/admin/sla?notice=policy-removed", 303);
  });
}
