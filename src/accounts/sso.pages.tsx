import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Deps } from "../deps.ts";
import { Invalid, NotFound } from "../lib/errors.ts";
import { parseId } from "../lib/ids.ts";
import { requireAdmin } from "../platform/auth.ts";
import { formFields } from "../platform/forms.ts";
import { pageContext } from "../platform/views/context.ts";
import type { SsoProviderInput } from "./accounts.schemas.ts";
import * as sso from "./sso.service.ts";
import { type RefusedSsoForm, type SsoFormValues, SsoPage } from "./views/sso.tsx";

/** The provider in the URL (admins only: others are refused before anything is looked up). */
function providerId(req: FastifyRequest): number {
  requireAdmin(req);
  const id = parseId((req.params as { id: string }).id);
  if (id === undefined) throw new NotFound("provider");
  return id;
}

function formValues(fields: Record<string, string>): SsoFormValues & { clientSecret: string } {
  return {
    name: fields.name ?? "",
    issuer: fields.issuer ?? "",
    clientId: fields.clientId ?? "",
    clientSecret: fields.clientSecret ?? "",
    newStaffDomains: fields.newStaffDomains ?? "",
    enabled: fields.enabled === "true",
  };
}

/** Single sign-on providers, for admins (Users → Single sign-on providers). */
export async function ssoPages(app: FastifyInstance, deps: Deps) {
  async function render(req: FastifyRequest, reply: FastifyReply, refused?: RefusedSsoForm) {
    const actor = requireAdmin(req);
    return reply.render(
      <SsoPage
        ctx={pageContext(req, reply)}
        providers={await sso.listProviders(deps, actor)}
        redirectUri={sso.redirectUri(deps)}
        refused={refused}
      />,
      refused ? 422 : undefined,
    );
  }

  /** Saves from the form, or shows it again as typed (never the secret) with why it was refused. */
  async function save(
    req: FastifyRequest,
    reply: FastifyReply,
    id: number | undefined,
    run: (input: SsoProviderInput) => Promise<unknown>,
  ) {
    const { clientSecret, ...values } = formValues(formFields(req));
    try {
      await run({ ...values, ...(clientSecret ? { clientSecret } : {}) });
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      return render(req, reply, {
        id,
        form: {
          values,
          errors: error.errors,
          ...(error.errors.length === 0
            ? {
                message: error.message,
                messageKey: error.messageKey,
                messageValues: error.messageValues,
              }
            : {}),
        },
      });
    }
    return reply.redirect("/admin/sso?notice=sso-saved", 303);
  }

  app.get("/admin/sso", async (req, reply) => render(req, reply));

  app.post("/admin/sso", async (req, reply) => {
    const actor = requireAdmin(req);
    return save(req, reply, undefined, (input) => sso.createProvider(deps, actor, input));
  });

  app.post("/admin/sso/:id", async (req, reply) => {
    const id = providerId(req);
    const actor = requireAdmin(req);
    return save(req, reply, id, (input) => sso.updateProvider(deps, actor, id, input));
  });

  app.post("/admin/sso/:id/delete", async (req, reply) => {
    const id = providerId(req);
    await sso.deleteProvider(deps, requireAdmin(req), id);
    return reply.redirect("/admin/sso?notice=sso-deleted", 303);
  });
}
