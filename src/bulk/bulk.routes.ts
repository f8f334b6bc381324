import type { FastifyInstance } from "fastify";
import Type from "typebox";
import type { Deps } from "../deps.ts";
import { problems } from "../platform/api.schemas.ts";
import type { ApiModule } from "../platform/api.ts";
import { requireActor } from "../platform/auth.ts";
import { BULK_MAX, BulkInput, BulkResultJson } from "./bulk.schemas.ts";
import { bulkChange } from "./bulk.service.ts";

/** Bulk changes to tickets (staff). */
export const bulkApi: ApiModule = {
  schemas: [BulkResultJson],
  routes: bulkRoutes,
};

async function bulkRoutes(app: FastifyInstance, deps: Deps) {
  app.post(
    "/tickets/bulk",
    {
      schema: {
        tags: ["tickets"],
        summary: "Change many tickets at once (staff)",
        description:
          `Makes the same changes to each ticket (at most ${BULK_MAX} ids; more: 422), each in ` +
          "its own transaction as a hand edit would (rules and notifications fire for each). " +
          "`changes`: `status`, `priority`, `assigneeId` (an id, `me`, or null), `teamId`, " +
          "`addTags`, `removeTags`, or `macroId` alone. The answer lists each ticket: `changed`, " +
          "`unchanged` (already so), or `refused` with the error's code and message (a closed " +
          "ticket, one you do not see: `not_found`).",
        body: BulkInput,
        response: {
          200: Type.Object({ data: Type.Array(Type.Ref("BulkResult")) }),
          ...problems(403, 413, 415, 422),
        },
      },
    },
    async (req) => {
      const input = req.body as BulkInput;
      const results = await bulkChange(deps, requireActor(req), input.ids, input.changes);
      return {
        data: results.map((r) =>
          r.outcome === "refused"
            ? { id: r.id, outcome: r.outcome, code: r.code, message: r.message }
            : { id: r.id, outcome: r.outcome },
        ),
      };
    },
  );
}
