import type { FastifyInstance } from "fastify";
import Type from "typebox";
import type { Deps } from "../deps.ts";
import { problems } from "../platform/api.schemas.ts";
import type { ApiModule } from "../platform/api.ts";
import { requireActor } from "../platform/auth.ts";
import { FieldJson } from "./fields.schemas.ts";
import * as fields from "./fields.service.ts";

/** The custom fields API: what `fields` in a ticket means and takes. */
export const fieldsApi: ApiModule = { schemas: [FieldJson], routes: fieldsRoutes };

async function fieldsRoutes(app: FastifyInstance, deps: Deps) {
  app.get(
    "/fields",
    {
      schema: {
        tags: ["tickets"],
        summary: "List custom ticket fields",
        description:
          "The enabled custom fields in page order: staff get every one, customers those shown to " +
          "customers. Set a ticket's values with `fields: { <name>: value }` when creating or " +
          "updating it; find tickets by one with `q=field:<name>=<value>`.",
        response: {
          200: Type.Object({ data: Type.Array(Type.Ref("TicketField")) }),
          ...problems(401),
        },
      },
    },
    async (req) => {
      const list = await fields.fieldsFor(deps.db, requireActor(req));
      return {
        data: list.map((f) => ({
          id: f.id,
          name: f.name,
          label: f.label,
          type: f.type,
          choices: [...f.choices],
          customerVisible: f.customerVisible,
          requiredToSolve: f.requiredToSolve,
          position: f.position,
        })),
      };
    },
  );
}
