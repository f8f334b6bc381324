import type { FastifyInstance } from "fastify";
import Type from "typebox";
import type { Deps } from "../deps.ts";
import { decodeCursor, encodeCursor } from "../lib/cursor.ts";
import { Invalid } from "../lib/errors.ts";
import { parseId } from "../lib/ids.ts";
import { IdParam, Nullable, problems } from "../platform/api.schemas.ts";
import { API_PREFIX, type ApiModule } from "../platform/api.ts";
import { requireActor } from "../platform/auth.ts";
import {
  CreateUserInput,
  MeJson,
  UpdateUserInput,
  UserJson,
  UserListQuery,
} from "./accounts.schemas.ts";
import * as accounts from "./accounts.service.ts";

function userJson(u: accounts.User) {
  return {
    id: u.id,
    email: u.email,
    name: u.name,
    role: u.role,
    disabled: u.disabled,
    hasPassword: u.hasPassword,
    createdAt: u.createdAt.toISOString(),
    updatedAt: u.updatedAt.toISOString(),
  };
}

function afterIdFrom(cursor: string | undefined): number | undefined {
  if (cursor === undefined) return undefined;
  const [id] = decodeCursor(cursor);
  const afterId = parseId(id);
  if (afterId === undefined)
    throw Invalid.field("cursor", "is not a cursor this server gave out", "error.field.notACursor");
  return afterId;
}

/** Who am I, and (staff, admins) the people in this helpdesk. */
export const accountsApi: ApiModule = { schemas: [MeJson, UserJson], routes: accountsRoutes };

async function accountsRoutes(app: FastifyInstance, deps: Deps) {
  app.get(
    "/me",
    {
      schema: {
        tags: ["users"],
        summary: "The account the credentials belong to",
        response: { 200: Type.Ref("Me"), ...problems() },
      },
    },
    async (req) => {
      const { id, email, name, role, away } = requireActor(req);
      return { id, email, name, role, away: away ?? false };
    },
  );

  app.get(
    "/users",
    {
      schema: {
        tags: ["users"],
        summary: "List users (staff)",
        querystring: UserListQuery,
        response: {
          200: Type.Object({
            data: Type.Array(Type.Ref("User")),
            nextCursor: Nullable(Type.String()),
          }),
          ...problems(400, 403),
        },
      },
    },
    async (req) => {
      const query = req.query as UserListQuery;
      const page = await accounts.listUsers(deps, requireActor(req), {
        role: query.role,
        q: query.q,
        afterId: afterIdFrom(query.cursor),
        limit: query.limit ?? 25,
      });
      return {
        data: page.users.map(userJson),
        nextCursor: page.nextAfterId === undefined ? null : encodeCursor([page.nextAfterId]),
      };
    },
  );

  app.post(
    "/users",
    {
      schema: {
        tags: ["users"],
        summary: "Create a user (admin)",
        description: "Without `password` the account cannot sign in until one is set.",
        body: CreateUserInput,
        response: { 201: Type.Ref("User"), ...problems(400, 403, 409, 413, 415) },
      },
    },
    async (req, reply) => {
      const user = await accounts.createUser(deps, requireActor(req), req.body as CreateUserInput);
      return reply
        .code(201)
        .header("location", `${API_PREFIX}/users/${user.id}`)
        .send(userJson(user));
    },
  );

  app.get(
    "/users/:id",
    {
      schema: {
        tags: ["users"],
        summary: "Get a user (staff; anyone may read their own)",
        params: IdParam,
        response: { 200: Type.Ref("User"), ...problems(400, 404) },
      },
    },
    async (req) => {
      const { id } = req.params as { id: number };
      return userJson(await accounts.getUser(deps, requireActor(req), id));
    },
  );

  app.patch(
    "/users/:id",
    {
      schema: {
        tags: ["users"],
        summary: "Change a user's name, role or disabled flag (admin)",
        description:
          "Disabling ends the user's sessions and stops their API tokens at once. The last active admin cannot be demoted or disabled (409).",
        params: IdParam,
        body: UpdateUserInput,
        response: { 200: Type.Ref("User"), ...problems(400, 403, 404, 409, 413, 415) },
      },
    },
    async (req) => {
      const { id } = req.params as { id: number };
      return userJson(
        await accounts.updateUser(deps, requireActor(req), id, req.body as UpdateUserInput),
      );
    },
  );
}
