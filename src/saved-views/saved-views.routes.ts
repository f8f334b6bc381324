import type { FastifyInstance } from "fastify";
import Type from "typebox";
import type { Deps } from "../deps.ts";
import { Cursor, IdParam, Limit, Nullable, problems } from "../platform/api.schemas.ts";
import { API_PREFIX, type ApiModule } from "../platform/api.ts";
import { requireActor } from "../platform/auth.ts";
import { snippetHtml } from "../tickets/search-query.ts";
import { staffRowJson } from "../tickets/tickets.routes.ts";
import { visibleFields } from "../tickets/tickets.service.ts";
import {
  SavedViewJson,
  type ViewChange,
  ViewChange as ViewChangeSchema,
  type ViewInput,
  ViewInput as ViewInputSchema,
} from "./saved-views.schemas.ts";
import * as views from "./saved-views.service.ts";

const tags = ["saved views"];

function viewJson(view: views.SavedView, count?: number) {
  const filters: Record<string, string> = {};
  for (const [key, value] of Object.entries(view.filters)) {
    if (value && key !== "requester" && key !== "requesterId" && key !== "cursor") {
      filters[key] = value;
    }
  }
  return {
    id: view.id,
    name: view.name,
    shared: view.shared,
    position: view.position,
    filters,
    ...(count === undefined ? {} : { count }),
    updatedAt: view.updatedAt.toISOString(),
  };
}

/** Saved views: desk searches kept as queues (staff; customers get 404). */
export const savedViewsApi: ApiModule = {
  schemas: [SavedViewJson],
  routes: savedViewsRoutes,
};

async function savedViewsRoutes(app: FastifyInstance, deps: Deps) {
  app.get(
    "/views",
    {
      schema: {
        tags,
        summary: "Saved views you may use, with their counts (staff)",
        description:
          "The shared views, then your own, each in its order, each with how many tickets it " +
          "holds (up to 10,001: more reads as 10,000+; none for a view whose search can no longer " +
          "be read). Customers get 404.",
        response: {
          200: Type.Object({ data: Type.Array(Type.Ref("SavedView")) }),
          ...problems(404),
        },
      },
    },
    async (req) => {
      const actor = requireActor(req);
      const list = await views.listViews(deps, actor);
      const counts = await views.countViews(deps, actor, list);
      return { data: list.map((v) => viewJson(v, counts.get(v.id))) };
    },
  );

  app.post(
    "/views",
    {
      schema: {
        tags,
        summary: "Save a search as a view (staff)",
        description:
          "`filters` are the desk's (as in its address): `q` in the search language, `queue`, " +
          "`status`, `priority`, `assignee`, `team`, `organisation`, `tag`, `sort`. A filter the " +
          "desk would refuse answers 400. `shared: true` (admins only) shares it with all staff. " +
          "Customers get 404.",
        body: ViewInputSchema,
        response: { 201: Type.Ref("SavedView"), ...problems(400, 403, 404, 415, 422) },
      },
    },
    async (req, reply) => {
      const view = await views.createView(deps, requireActor(req), req.body as ViewInput);
      return reply
        .code(201)
        .header("location", `${API_PREFIX}/views/${view.id}`)
        .send(viewJson(view));
    },
  );

  app.get(
    "/views/:id",
    {
      schema: {
        tags,
        summary: "One saved view (staff)",
        description: "404 for another agent's own view, and for customers.",
        params: IdParam,
        response: { 200: Type.Ref("SavedView"), ...problems(404) },
      },
    },
    async (req) => {
      const { id } = req.params as { id: number };
      return viewJson(await views.getView(deps, requireActor(req), id));
    },
  );

  app.patch(
    "/views/:id",
    {
      schema: {
        tags,
        summary: "Rename a saved view or move it in the list (its owner; admins for shared ones)",
        description:
          "`position` (from 1) places it among its owner's views, or among the shared ones; the " +
          "others close up around it. 403 for a shared view unless you are an admin; 404 for " +
          "another agent's own view.",
        params: IdParam,
        body: ViewChangeSchema,
        response: { 200: Type.Ref("SavedView"), ...problems(400, 403, 404, 415, 422) },
      },
    },
    async (req) => {
      const { id } = req.params as { id: number };
      return viewJson(await views.updateView(deps, requireActor(req), id, req.body as ViewChange));
    },
  );

  app.delete(
    "/views/:id",
    {
      schema: {
        tags,
        summary: "Delete a saved view (its owner; admins for shared ones)",
        params: IdParam,
        response: { 204: Type.Null({ description: "Deleted" }), ...problems(403, 404) },
      },
    },
    async (req, reply) => {
      const { id } = req.params as { id: number };
      await views.deleteView(deps, requireActor(req), id);
      return reply.code(204).send();
    },
  );

  app.get(
    "/views/:id/tickets",
    {
      schema: {
        tags,
        summary: "A saved view's tickets (staff)",
        description:
          "The tickets the view's search finds, as `GET /tickets` lists them, in the view's sort. " +
          "Keyset-paginated: pass `nextCursor` back as `cursor`.",
        params: IdParam,
        querystring: Type.Object(
          { cursor: Type.Optional(Cursor), limit: Type.Optional(Limit) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            data: Type.Array(Type.Ref("Ticket")),
            nextCursor: Nullable(Type.String()),
          }),
          ...problems(400, 404),
        },
      },
    },
    async (req) => {
      const { id } = req.params as { id: number };
      const { cursor, limit } = req.query as { cursor?: string; limit?: number };
      const actor = requireActor(req);
      const [page, defs] = await Promise.all([
        views.listViewTickets(deps, actor, id, { cursor, limit: limit ?? 25 }),
        visibleFields(deps, actor),
      ]);
      const data = page.tickets.map((t) => {
        const json = staffRowJson(t, defs);
        return t.snippet ? { ...json, snippet: snippetHtml(t.snippet) } : json;
      });
      return { data, nextCursor: page.nextCursor ?? null };
    },
  );
}
