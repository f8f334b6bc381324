import type { FastifyInstance } from "fastify";
import type { Deps } from "../deps.ts";
import { NotFound } from "../lib/errors.ts";
import { parseId } from "../lib/ids.ts";
import { requireActor, requireAdmin } from "../platform/auth.ts";
import { attempt, formFields, refusedForm } from "../platform/forms.ts";
import { pageContext } from "../platform/views/context.ts";
import { emptyForm } from "../platform/views/forms.tsx";
import * as tokens from "./tokens.service.ts";
import { AdminTokensPage, TokensPage } from "./views/tokens.tsx";

/** The account's API tokens page: create (secret shown once), list, revoke. */
export async function tokensPages(app: FastifyInstance, deps: Deps) {
  app.get("/account/tokens", async (req, reply) => {
    const actor = requireActor(req);
    return reply.render(
      <TokensPage
        ctx={pageContext(req, reply)}
        tokens={await tokens.listTokens(deps, actor)}
        form={emptyForm()}
      />,
    );
  });

  app.post("/account/tokens", async (req, reply) => {
    const actor = requireActor(req);
    const { name = "" } = formFields(req);
    const result = await attempt(() => tokens.createToken(deps, actor, { name }));
    // Rendered, not redirected: the secret must not travel in a URL.
    return reply.render(
      <TokensPage
        ctx={pageContext(req, reply)}
        tokens={await tokens.listTokens(deps, actor)}
        form={result.ok ? emptyForm() : refusedForm({ name }, result)}
        created={
          result.ok ? { token: result.value.token, name: result.value.record.name } : undefined
        }
      />,
      result.ok ? 201 : 422,
    );
  });

  app.post("/account/tokens/:id/revoke", async (req, reply) => {
    const actor = requireActor(req);
    const id = parseId((req.params as { id: string }).id);
    if (id === undefined) throw new NotFound("token");
    await tokens.revokeToken(deps, actor, id);
    return reply.redirect("/account/tokens?notice=token-revoked", 303);
  });

  app.get("/admin/tokens", async (req, reply) => {
    const actor = requireAdmin(req);
    return reply.render(
      <AdminTokensPage
        ctx={pageContext(req, reply)}
        tokens={await tokens.listAllTokens(deps, actor)}
      />,
    );
  });

  app.post("/admin/tokens/:id/revoke", async (req, reply) => {
    const actor = requireAdmin(req);
    const id = parseId((req.params as { id: string }).id);
    if (id === undefined) throw new NotFound("token");
    await tokens.revokeToken(deps, actor, id, { anyOwner: true });
    return reply.redirect("/admin/tokens?notice=token-revoked", 303);
  });
}
