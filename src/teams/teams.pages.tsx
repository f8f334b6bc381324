import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Actor } from "../accounts/index.ts";
import type { Deps } from "../deps.ts";
import type { MessageKey, Translator } from "../i18n/i18n.ts";
import { Invalid, NotFound } from "../lib/errors.ts";
import { parseId } from "../lib/ids.ts";
import { requireAdmin } from "../platform/auth.ts";
import { formFields } from "../platform/forms.ts";
import { pageContext } from "../platform/views/context.ts";
import { errorText, fieldErrorText } from "../platform/views/forms.tsx";
import { listCalendarChoices } from "../sla/sla.service.ts";
import type { AssignmentMode, TeamInput } from "./teams.schemas.ts";
import * as teams from "./teams.service.ts";
import { type TeamFormValues, TeamsPage } from "./views/teams.tsx";

/** The team in the URL (admins only: others are refused before anything is looked up). */
function teamId(req: FastifyRequest): number {
  requireAdmin(req);
  const id = parseId((req.params as { id: string }).id);
  if (id === undefined) throw new NotFound("team");
  return id;
}

function formValues(fields: Record<string, string>): TeamFormValues {
  return {
    name: fields.name ?? "",
    description: fields.description ?? "",
    offeredOnForm: fields.offeredOnForm === "true",
    restricted: fields.restricted === "true",
    assignment: fields.assignment ?? "off",
    maxOpenPerAgent: (fields.maxOpenPerAgent ?? "").trim(),
    handBackWhenAway: fields.handBackWhenAway === "true",
    calendarId: (fields.calendarId ?? "").trim(),
  };
}

/** The form as the service's input; the service checks every value. */
function toInput(values: TeamFormValues): TeamInput {
  const cap = values.maxOpenPerAgent;
  if (cap !== "" && !/^[0-9]{1,9}$/.test(cap)) {
    throw Invalid.field(
      "maxOpenPerAgent",
      "must be a whole number, or empty for no limit",
      "error.teams.capNumber",
    );
  }
  const calendar = values.calendarId;
  if (calendar !== "" && !/^[1-9][0-9]{0,8}$/.test(calendar)) {
    throw Invalid.field("calendarId", "is not a calendar", "error.field.notACalendar");
  }
  return {
    name: values.name,
    description: values.description,
    offeredOnForm: values.offeredOnForm,
    restricted: values.restricted,
    assignment: values.assignment as AssignmentMode,
    maxOpenPerAgent: cap === "" ? null : Number(cap),
    handBackWhenAway: values.handBackWhenAway,
    calendarId: calendar === "" ? null : Number(calendar),
  };
}

/** Each form field's name in the catalogs, the `{label}` of the sentence about its problem. */
const FIELD_KEYS: Record<string, MessageKey> = {
  name: "teams.name",
  description: "teams.description",
  assignment: "teams.assignment",
  maxOpenPerAgent: "teams.field.cap",
  calendarId: "teams.field.calendar",
  email: "teams.field.email",
};

/** Why a change was not saved, in the reader's language. */
function describe(error: Invalid, t: Translator["t"]): string {
  if (error.errors.length === 0) {
    return errorText(error, t);
  }
  const problems = error.errors.map((e) => {
    const label = Object.hasOwn(FIELD_KEYS, e.field)
      ? t(FIELD_KEYS[e.field] as MessageKey)
      : e.field;
    return `${fieldErrorText(e, label, t)}.`;
  });
  return t("teams.notSaved", { problems: problems.join(" ") });
}

/** Teams and their members, for admins (src/teams). */
export async function teamsPages(app: FastifyInstance, deps: Deps) {
  async function render(
    req: FastifyRequest,
    reply: FastifyReply,
    actor: Actor,
    refused?: { error: Invalid; newTeam?: TeamFormValues },
  ) {
    const ctx = pageContext(req, reply);
    return reply.render(
      <TeamsPage
        ctx={ctx}
        teams={await teams.listTeams(deps, actor)}
        calendars={await listCalendarChoices(deps)}
        problem={refused ? describe(refused.error, ctx.i18n.t) : undefined}
        newTeam={refused?.newTeam}
      />,
      refused ? 422 : undefined,
    );
  }

  /** Runs a change and goes back to the list, or shows the list with why it was refused. */
  async function change(
    req: FastifyRequest,
    reply: FastifyReply,
    run: (actor: Actor) => Promise<unknown>,
    newTeam?: TeamFormValues,
  ) {
    const actor = requireAdmin(req);
    try {
      await run(actor);
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      return render(req, reply, actor, { error, ...(newTeam ? { newTeam } : {}) });
    }
    return reply.redirect("/admin/teams?notice=team-saved", 303);
  }

  app.get("/admin/teams", async (req, reply) => render(req, reply, requireAdmin(req)));

  app.post("/admin/teams", async (req, reply) => {
    requireAdmin(req);
    const values = formValues(formFields(req));
    return change(req, reply, (actor) => teams.createTeam(deps, actor, toInput(values)), values);
  });

  app.post("/admin/teams/:id", async (req, reply) => {
    const id = teamId(req);
    const values = formValues(formFields(req));
    return change(req, reply, (actor) => teams.updateTeam(deps, actor, id, toInput(values)));
  });

  app.post("/admin/teams/:id/delete", async (req, reply) => {
    const id = teamId(req);
    return change(req, reply, (actor) => teams.deleteTeam(deps, actor, id));
  });

  app.post("/admin/teams/:id/members", async (req, reply) => {
    const id = teamId(req);
    const { email = "" } = formFields(req);
    return change(req, reply, (actor) => teams.addMember(deps, actor, id, email));
  });

  app.post("/admin/teams/:id/members/:userId/remove", async (req, reply) => {
    const id = teamId(req);
    const userId = parseId((req.params as { userId: string }).userId);
    if (userId === undefined) throw new NotFound("member");
    return change(req, reply, (actor) => teams.removeMember(deps, actor, id, userId));
  });
}
