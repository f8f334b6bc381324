import type { FastifyInstance } from "fastify";
import Type, { type Static } from "typebox";
import type { Deps } from "../deps.ts";
import { problems } from "../platform/api.schemas.ts";
import type { ApiModule } from "../platform/api.ts";
import { requireActor } from "../platform/auth.ts";
import { setAway } from "./assignment.service.ts";

const AwayInput = Type.Object(
  {
    away: Type.Boolean({ description: "true: away (automatic assignment skips you); false: back" }),
  },
  { additionalProperties: false },
);

/** Staff mark themselves away and back. */
export const assignmentApi: ApiModule = { schemas: [], routes: assignmentRoutes };

async function assignmentRoutes(app: FastifyInstance, deps: Deps) {
  app.patch(
    "/me",
    {
      schema: {
        tags: ["users"],
        summary: "Mark yourself away or back (staff)",
        description:
          "Automatic assignment skips away agents. Going away hands your unanswered tickets back " +
          "to the teams that ask for it.",
        body: AwayInput,
        response: {
          200: Type.Object({ away: Type.Boolean() }),
          ...problems(400, 403, 413, 415),
        },
      },
    },
    async (req) => {
      const { away } = req.body as Static<typeof AwayInput>;
      await setAway(deps, requireActor(req), away);
      return { away };
    },
  );
}
