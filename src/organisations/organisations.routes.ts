import type { FastifyInstance } from "fastify";
import Type from "typebox";
import type { Deps } from "../deps.ts";
import { problems } from "../platform/api.schemas.ts";
import type { ApiModule } from "../platform/api.ts";
import { requireActor } from "../platform/auth.ts";
import { OrganisationJson } from "./organisations.schemas.ts";
import * as organisations from "./organisations.service.ts";

/** The organisations API: the list staff need to filter tickets by `organisationId`. */
export const organisationsApi: ApiModule = {
  schemas: [OrganisationJson],
  routes: organisationsRoutes,
};

async function organisationsRoutes(app: FastifyInstance, deps: Deps) {
  app.get(
    "/organisations",
    {
      schema: {
        tags: ["organisations"],
        summary: "List organisations (staff)",
        description:
          "Every customers' organisation with its mail domains, its sharing setting and its " +
          "members' ids, by name. Filter tickets by one with `organisationId`.",
        response: {
          200: Type.Object({ data: Type.Array(Type.Ref("Organisation")) }),
          ...problems(403),
        },
      },
    },
    async (req) => {
      const list = await organisations.listOrganisations(deps, requireActor(req));
      return {
        data: list.map((o) => ({
          id: o.id,
          name: o.name,
          domains: o.domains,
          shareTickets: o.shareTickets,
          memberIds: o.members.map((m) => m.userId),
        })),
      };
    },
  );
}
