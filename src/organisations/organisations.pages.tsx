import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Actor } from "../accounts/index.ts";
import type { Deps } from "../deps.ts";
import type { MessageKey, Translator } from "../i18n/i18n.ts";
import { type AppError, Invalid, NotFound } from "../lib/errors.ts";
import { parseId } from "../lib/ids.ts";
import { requireAdmin } from "../platform/auth.ts";
import { formFields } from "../platform/forms.ts";
import { pageContext } from "../platform/views/context.ts";
import { errorText, fieldErrorText } from "../platform/views/forms.tsx";
import type { OrganisationInput } from "./organisations.schemas.ts";
import * as organisations from "./organisations.service.ts";
import { type OrganisationFormValues, OrganisationsPage } from "./views/organisations.tsx";

/** The organisation in the URL (admins only: others are refused before anything is looked up). */
function organisationId(req: FastifyRequest): number {
  requireAdmin(req);
  const id = parseId((req.params as { id: string }).id);
  if (id === undefined) throw new NotFound("organisation");
  return id;
}

function formValues(fields: Record<string, string>): OrganisationFormValues {
  return {
    name: fields.name ?? "",
    domains: fields.domains ?? "",
    shareTickets: fields.shareTickets === "true",
  };
}

const toInput = (values: OrganisationFormValues): OrganisationInput => ({ ...values });

const FIELD_LABELS: Record<string, MessageKey> = {
  name: "organisations.field.name",
  domains: "organisations.field.domains",
  email: "organisations.field.address",
};

/** Why a change was refused, as sentences in the reader's language naming each field by its label. */
function describe(error: AppError, t: Translator["t"]): string {
  if (error instanceof Invalid && error.errors.length > 0) {
    const problems = error.errors
      .map((e) => {
        const label = Object.hasOwn(FIELD_LABELS, e.field)
          ? t(FIELD_LABELS[e.field] as MessageKey)
          : e.field;
        return `${fieldErrorText(e, label, t)}.`;
      })
      .join(" ");
    return t("organisations.notSaved", { problems });
  }
  return errorText(error, t);
}

/** Customers' organisations, their domains and members, for admins (src/organisations). */
export async function organisationsPages(app: FastifyInstance, deps: Deps) {
  async function render(
    req: FastifyRequest,
    reply: FastifyReply,
    actor: Actor,
    refused?: { error: AppError; newOrganisation?: OrganisationFormValues },
  ) {
    const ctx = pageContext(req, reply);
    return reply.render(
      <OrganisationsPage
        ctx={ctx}
        organisations={await organisations.listOrganisations(deps, actor)}
        problem={refused ? describe(refused.error, ctx.i18n.t) : undefined}
        newOrganisation={refused?.newOrganisation}
      />,
      refused ? (refused.error instanceof Invalid ? 422 : refused.error.status) : undefined,
    );
  }

  /** Runs a change and goes back to the list, or shows the list with why it was refused. */
  async function change(
    req: FastifyRequest,
    reply: FastifyReply,
    run: (actor: Actor) => Promise<unknown>,
    newOrganisation?: OrganisationFormValues,
  ) {
    const actor = requireAdmin(req);
    try {
      await run(actor);
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      return render(req, reply, actor, { error, ...(newOrganisation ? { newOrganisation } : {}) });
    }
    return reply.redirect("/admin/organisations?notice=organisation-saved", 303);
  }

  app.get("/admin/organisations", async (req, reply) => render(req, reply, requireAdmin(req)));

  app.post("/admin/organisations", async (req, reply) => {
    requireAdmin(req);
    const values = formValues(formFields(req));
    return change(
      req,
      reply,
      (actor) => organisations.createOrganisation(deps, actor, toInput(values)),
      values,
    );
  });

  app.post("/admin/organisations/:id", async (req, reply) => {
    const id = organisationId(req);
    const values = formValues(formFields(req));
    return change(req, reply, (actor) =>
      organisations.updateOrganisation(deps, actor, id, toInput(values)),
    );
  });

  app.post("/admin/organisations/:id/delete", async (req, reply) => {
    const id = organisationId(req);
    return change(req, reply, (actor) => organisations.deleteOrganisation(deps, actor, id));
  });

  app.post("/admin/organisations/:id/members", async (req, reply) => {
    const id = organisationId(req);
    const { email = "" } = formFields(req);
    return change(req, reply, (actor) => organisations.addMember(deps, actor, id, email));
  });

  app.post("/admin/organisations/:id/members/:userId/remove", async (req, reply) => {
    const id = organisationId(req);
    const userId = parseId((req.params as { userId: string }).userId);
    if (userId === undefined) throw new NotFound("member");
    return change(req, reply, (actor) => organisations.removeMember(deps, actor, id, userId));
  });
}
