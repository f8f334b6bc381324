import type { FastifyInstance } from "fastify";
import Type from "typebox";
import { isAdmin } from "../accounts/index.ts";
import type { Deps } from "../deps.ts";
import { IdParam, Instant, Nullable, problems } from "../platform/api.schemas.ts";
import { API_PREFIX, type ApiModule } from "../platform/api.ts";
import { requireActor } from "../platform/auth.ts";
import { CreateTokenInput } from "./tokens.schemas.ts";
import * as tokens from "./tokens.service.ts";

const TokenJson = Type.Object(
  {
    id: Type.Integer({ minimum: 1 }),
    name: Type.String(),
    prefix: Type.String({ description: "The token's first characters, to recognise it by" }),
    createdAt: Instant,
    lastUsedAt: Nullable(Instant, {
      description: "To the minute; null if never used",
    }),
  },
  { $id: "Token", additionalProperties: false },
);

const CreatedTokenJson = Type.Object(
  {
    token: Type.String({ description: "The secret: shown in this answer only, never again" }),
    record: Type.Ref("Token"),
  },
  { additionalProperties: false },
);

function tokenJson(t: tokens.ApiToken) {
  return {
    id: t.id,
    name: t.name,
    prefix: t.prefix,
    createdAt: t.createdAt.toISOString(),
    lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
  };
}

const tags = ["tokens"];

/**
 * The caller's own API tokens: a script can rotate its token (create a new
 * one, then revoke the old) without a person at the tokens page.
 */
export const tokensApi: ApiModule = { schemas: [TokenJson], routes: tokensRoutes };

async function tokensRoutes(app: FastifyInstance, deps: Deps) {
  app.get(
    "/tokens",
    {
      schema: {
        tags,
        summary: "Your API tokens, oldest first (never their secrets)",
        description: "Admins may list another user's tokens with `userId`.",
        querystring: Type.Object(
          {
            userId: Type.Optional(
              Type.Integer({
                minimum: 1,
                description: "Whose tokens (admins only; default: yours)",
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ data: Type.Array(Type.Ref("Token")) }),
          ...problems(403),
        },
      },
    },
    async (req) => {
      const { userId } = req.query as { userId?: number };
      const list = await tokens.listTokens(deps, requireActor(req), userId);
      return { data: list.map(tokenJson) };
    },
  );

  app.post(
    "/tokens",
    {
      schema: {
        tags,
        summary: "Create an API token for yourself",
        description:
          "The answer holds the secret, once. It acts with your role; an account holds at most 50 tokens (409 beyond).",
        body: CreateTokenInput,
        response: { 201: CreatedTokenJson, ...problems(409, 413, 415) },
      },
    },
    async (req, reply) => {
      const created = await tokens.createToken(
        deps,
        requireActor(req),
        req.body as CreateTokenInput,
      );
      return reply
        .code(201)
        .header("location", `${API_PREFIX}/tokens/${created.record.id}`)
        .send({ token: created.token, record: tokenJson(created.record) });
    },
  );

  app.get(
    "/tokens/:id",
    {
      schema: {
        tags,
        summary: "One of your API tokens",
        params: IdParam,
        response: { 200: Type.Ref("Token"), ...problems(404) },
      },
    },
    async (req) => {
      const { id } = req.params as { id: number };
      return tokenJson(await tokens.getToken(deps, requireActor(req), id));
    },
  );

  app.delete(
    "/tokens/:id",
    {
      schema: {
        tags,
        summary: "Revoke an API token",
        description:
          "Your own, or (admins) anyone's. Requests with it are refused from the next one on; revoking the token that sends this request is allowed.",
        params: IdParam,
        response: { 204: Type.Null({ description: "Revoked" }), ...problems(404) },
      },
    },
    async (req, reply) => {
      const { id } = req.params as { id: number };
      const actor = requireActor(req);
      await tokens.revokeToken(deps, actor, id, { anyOwner: isAdmin(actor) });
      return reply.code(204).send();
    },
  );
}
