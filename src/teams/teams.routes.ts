import type { FastifyInstance } from "fastify";
import Type from "typebox";
import type { Deps } from "../deps.ts";
import { problems } from "../platform/api.schemas.ts";
import type { ApiModule } from "../platform/api.ts";
import { requireActor } from "../platform/auth.ts";
import { TeamJson } from "./teams.schemas.ts";
import * as teams from "./teams.service.ts";

/** The teams API: the list staff need to route tickets by `teamId`. */
export const teamsApi: ApiModule = { schemas: [TeamJson], routes: teamsRoutes };

async function teamsRoutes(app: FastifyInstance, deps: Deps) {
  app.get(
    "/teams",
    {
      schema: {
        tags: ["teams"],
        summary: "List teams (staff)",
        description:
          "Every team with its settings and members' ids, by name. Put a ticket in a team with " +
          "`teamId` when creating or updating it.",
        response: {
          200: Type.Object({ data: Type.Array(Type.Ref("Team")) }),
          ...problems(403),
        },
      },
    },
    async (req) => {
      const list = await teams.listTeams(deps, requireActor(req));
      return {
        data: list.map((t) => ({
          id: t.id,
          name: t.name,
          description: t.description,
          offeredOnForm: t.offeredOnForm,
          restricted: t.restricted,
          assignment: t.assignment,
          maxOpenPerAgent: t.maxOpenPerAgent,
          calendarId: t.calendarId,
          memberIds: t.members.map((m) => m.userId),
        })),
      };
    },
  );
}
