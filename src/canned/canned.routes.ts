import type { FastifyInstance } from "fastify";
import Type from "typebox";
import type { Deps } from "../deps.ts";
import { IdParam, problems } from "../platform/api.schemas.ts";
import type { ApiModule } from "../platform/api.ts";
import { requireActor } from "../platform/auth.ts";
import { CannedReplyJson, RenderedCannedReplyJson } from "./canned.schemas.ts";
import * as canned from "./canned.service.ts";

const tags = ["canned replies"];

/** Canned replies for integrations and the reply box's picker (staff; customers get 404). */
export const cannedApi: ApiModule = {
  schemas: [CannedReplyJson, RenderedCannedReplyJson],
  routes: cannedRoutes,
};

async function cannedRoutes(app: FastifyInstance, deps: Deps) {
  app.get(
    "/canned-replies",
    {
      schema: {
        tags,
        summary: "Canned replies you may use (staff)",
        description:
          "The shared canned replies, then your own, each by title, with placeholders as written. " +
          "Customers get 404.",
        response: {
          200: Type.Object({ data: Type.Array(Type.Ref("CannedReply")) }),
          ...problems(404),
        },
      },
    },
    async (req) => {
      const list = await canned.listCannedReplies(deps, requireActor(req));
      return {
        data: list.map((c) => ({
          id: c.id,
          title: c.title,
          body: c.body,
          shared: c.shared,
          updatedAt: c.updatedAt.toISOString(),
        })),
      };
    },
  );

  app.get(
    "/tickets/:id/canned-replies/:cannedId/rendered",
    {
      schema: {
        tags,
        summary: "A canned reply filled in for a ticket (staff)",
        description:
          "The body with `{{requester.name}}`, `{{requester.email}}`, `{{ticket.id}}`, " +
          "`{{ticket.title}}` and `{{agent.name}}` (you) filled in, each value escaped so it reads " +
          "as plain text in the Markdown. 404 for a ticket you do not see, another agent's own " +
          "canned reply, and for customers.",
        params: Type.Object(
          {
            id: IdParam.properties.id,
            cannedId: IdParam.properties.id,
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Ref("RenderedCannedReply"), ...problems(404) },
      },
    },
    async (req) => {
      const { id, cannedId } = req.params as { id: number; cannedId: number };
      return canned.renderCannedReply(deps, requireActor(req), id, cannedId);
    },
  );
}
