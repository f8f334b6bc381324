import type { FastifyInstance } from "fastify";
import Type, { type Static } from "typebox";
import type { Actor } from "../accounts/index.ts";
import type { Deps } from "../deps.ts";
import { IdParam, problems } from "../platform/api.schemas.ts";
import type { ApiModule } from "../platform/api.ts";
import { requireActor } from "../platform/auth.ts";
import {
  MACRO_NAME_MAX,
  MacroActionInput,
  MacroInput,
  MacroJson,
  MacroPreviewJson,
} from "./macros.schemas.ts";
import * as macros from "./macros.service.ts";

const tags = ["macros"];

/** Macros for integrations (staff; customers get 404). */
export const macrosApi: ApiModule = {
  schemas: [MacroJson, MacroPreviewJson],
  routes: macrosRoutes,
};

const MacroPatch = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: MACRO_NAME_MAX })),
    actions: Type.Optional(Type.Array(MacroActionInput, { maxItems: 10 })),
  },
  { additionalProperties: false },
);
type MacroPatch = Static<typeof MacroPatch>;

const TicketMacroParams = Type.Object(
  { id: IdParam.properties.id, macroId: IdParam.properties.id },
  { additionalProperties: false },
);

const ApplyInput = Type.Object(
  {
    solveWithOpenChildren: Type.Optional(
      Type.Boolean({ description: "Solve a parent although child tickets are still open" }),
    ),
  },
  { additionalProperties: false },
);

const AppliedJson = Type.Object(
  {
    id: Type.Integer({ minimum: 1 }),
    status: Type.String(),
    priority: Type.String(),
    assigneeId: Type.Union([Type.Integer(), Type.Null()]),
    teamId: Type.Union([Type.Integer(), Type.Null()]),
    version: Type.Integer(),
  },
  { description: "The ticket after the macro", additionalProperties: false },
);

async function macroJson(deps: Deps, actor: Actor, m: macros.Macro) {
  const actions = await macros.actionsAsTyped(deps, actor, m.actions);
  return {
    id: m.id,
    name: m.name,
    shared: m.shared,
    actions: actions.map((a) =>
      a.type === "add_reply" || a.type === "add_note"
        ? { type: a.type as MacroActionInput["type"], body: a.body }
        : { type: a.type as MacroActionInput["type"], value: a.value },
    ),
    updatedAt: m.updatedAt.toISOString(),
  };
}

const DESCRIBE_ACTIONS =
  "Actions, in order: `add_reply` and `add_note` (`body`: Markdown with the canned replies' " +
  "placeholders, filled in for the ticket), `set_status`, `set_priority` (`value`: a name), " +
  "`set_assignee` (`value`: an agent's address or `nobody`), `set_team` (a team's name or " +
  "`none`), `add_tag`, `remove_tag` (a tag's name). Problems are named per field (`actions.2.value`).";

async function macrosRoutes(app: FastifyInstance, deps: Deps) {
  app.get(
    "/macros",
    {
      schema: {
        tags,
        summary: "Macros you may apply (staff)",
        description: "The shared macros, then your own, each by name. Customers get 404.",
        response: { 200: Type.Object({ data: Type.Array(Type.Ref("Macro")) }), ...problems(404) },
      },
    },
    async (req) => {
      const actor = requireActor(req);
      const list = await macros.listMacros(deps, actor);
      return { data: await Promise.all(list.map((m) => macroJson(deps, actor, m))) };
    },
  );

  app.post(
    "/macros",
    {
      schema: {
        tags,
        summary: "Create a macro (staff; shared ones admins only)",
        description: DESCRIBE_ACTIONS,
        body: MacroInput,
        response: { 201: Type.Ref("Macro"), ...problems(403, 404, 413, 415) },
      },
    },
    async (req, reply) => {
      const actor = requireActor(req);
      const created = await macros.createMacro(deps, actor, req.body as MacroInput);
      return reply.code(201).send(await macroJson(deps, actor, created));
    },
  );

  app.get(
    "/macros/:id",
    {
      schema: {
        tags,
        summary: "One macro (staff)",
        params: IdParam,
        response: { 200: Type.Ref("Macro"), ...problems(404) },
      },
    },
    async (req) => {
      const actor = requireActor(req);
      const { id } = req.params as { id: number };
      return macroJson(deps, actor, await macros.getMacro(deps, actor, id));
    },
  );

  app.patch(
    "/macros/:id",
    {
      schema: {
        tags,
        summary: "Change a macro's name or actions (its owner; shared ones admins)",
        description: `${DESCRIBE_ACTIONS} Given actions replace all of them.`,
        params: IdParam,
        body: MacroPatch,
        response: { 200: Type.Ref("Macro"), ...problems(403, 404, 413, 415) },
      },
    },
    async (req) => {
      const actor = requireActor(req);
      const { id } = req.params as { id: number };
      const patch = req.body as MacroPatch;
      const current = await macros.getMacro(deps, actor, id);
      const actions =
        patch.actions ??
        (await macros.actionsAsTyped(deps, actor, current.actions)).map((a) => ({
          type: a.type as MacroActionInput["type"],
          value: a.value,
          body: a.body,
        }));
      const updated = await macros.updateMacro(deps, actor, id, {
        name: patch.name ?? current.name,
        actions,
      });
      return macroJson(deps, actor, updated);
    },
  );

  app.delete(
    "/macros/:id",
    {
      schema: {
        tags,
        summary: "Delete a macro (its owner; shared ones admins)",
        params: IdParam,
        response: { 204: Type.Null({ description: "Deleted" }), ...problems(403, 404) },
      },
    },
    async (req, reply) => {
      const { id } = req.params as { id: number };
      await macros.deleteMacro(deps, requireActor(req), id);
      return reply.code(204).send();
    },
  );

  app.get(
    "/tickets/:id/macros/:macroId/preview",
    {
      schema: {
        tags,
        summary: "What a macro would change on a ticket, changing nothing (staff)",
        description:
          "Each field's old and new value, the tags put on and taken off, the replies and notes " +
          "with their placeholders filled in, the open children when it solves a parent, and " +
          "whether the ticket is closed.",
        params: TicketMacroParams,
        response: { 200: Type.Ref("MacroPreview"), ...problems(404) },
      },
    },
    async (req) => {
      const { id, macroId } = req.params as { id: number; macroId: number };
      return macros.previewMacro(deps, requireActor(req), id, macroId);
    },
  );

  app.post(
    "/tickets/:id/macros/:macroId",
    {
      schema: {
        tags,
        summary: "Apply a macro to a ticket (staff)",
        description:
          "All its actions in one transaction, as you, each change in the audit trail under the " +
          "macro's name (`viaMacro`); rules and notifications follow as for a hand edit. 409 for " +
          "a closed ticket, and for solving a parent with open children unless " +
          "`solveWithOpenChildren`.",
        params: TicketMacroParams,
        body: Type.Optional(ApplyInput),
        response: { 200: AppliedJson, ...problems(404, 409, 415) },
      },
    },
    async (req) => {
      const { id, macroId } = req.params as { id: number; macroId: number };
      const body = (req.body ?? {}) as Static<typeof ApplyInput>;
      const t = await macros.applyMacro(deps, requireActor(req), id, macroId, {
        solveWithOpenChildren: body.solveWithOpenChildren,
      });
      return {
        id: t.id,
        status: t.status,
        priority: t.priority,
        assigneeId: t.assigneeId,
        teamId: t.teamId,
        version: t.version,
      };
    },
  );
}
