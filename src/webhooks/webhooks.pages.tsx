import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Deps } from "../deps.ts";
import { Conflict, type MessageArgs, NotFound } from "../lib/errors.ts";
import { parseId } from "../lib/ids.ts";
import { requireAdmin } from "../platform/auth.ts";
import { type Attempt, attempt, formFields, refusedForm } from "../platform/forms.ts";
import { pageContext } from "../platform/views/context.ts";
import { emptyForm, type FormState } from "../platform/views/forms.tsx";
import {
  type EndpointFormValues,
  formValuesOf,
  WebhookPage,
  WebhooksPage,
} from "./views/webhooks.tsx";
import { type CreateEndpointInput, ENDPOINTS_MAX } from "./webhooks.schemas.ts";
import * as webhooks from "./webhooks.service.ts";

function idOf(raw: unknown, what: string): number {
  const id = parseId(raw);
  if (id === undefined) throw new NotFound(what);
  return id;
}

/** The endpoint form as typed: text fields, the ticked event types (one or many), the flag. */
function valuesOf(req: FastifyRequest): EndpointFormValues {
  const fields = formFields(req);
  const raw = (req.body as Record<string, unknown> | undefined)?.eventTypes;
  const eventTypes = (Array.isArray(raw) ? raw : [raw]).filter(
    (t): t is string => typeof t === "string",
  );
  return {
    url: fields.url ?? "",
    description: fields.description ?? "",
    eventTypes,
    enabled: fields.enabled === "true",
  };
}

/** Form values as service input; the schema names a bad event type. */
function inputOf(values: EndpointFormValues): CreateEndpointInput {
  return { ...values, eventTypes: values.eventTypes as CreateEndpointInput["eventTypes"] };
}

/**
 * A full list of endpoints (409) said on the form like a refused field, in the
 * reader's language, with what was typed kept.
 */
function tooManyOnForm(error: unknown): Attempt<never> & Refusal {
  if (error instanceof Conflict && error.code === webhooks.TOO_MANY_WEBHOOKS) {
    return {
      ok: false,
      errors: [],
      message: error.message,
      messageKey: "webhooks.error.tooMany",
      messageValues: { max: ENDPOINTS_MAX },
      status: 409,
    };
  }
  throw error;
}

/** What a refusal other than Invalid adds to attempt()'s: its message's values, its status. */
interface Refusal {
  messageValues?: MessageArgs | undefined;
  status?: number | undefined;
}

type Created = Awaited<ReturnType<typeof webhooks.createEndpoint>>;

/** Admins: webhook endpoints (list, add, edit, rotate, delete) and their deliveries (resend). */
export async function webhooksPages(app: FastifyInstance, deps: Deps) {
  const renderEndpoint = async (
    req: FastifyRequest,
    reply: FastifyReply,
    id: number,
    form?: FormState<EndpointFormValues>,
    extra: { rotatedSecret?: string; status?: number } = {},
  ) => {
    const actor = requireAdmin(req);
    const endpoint = await webhooks.getEndpoint(deps, actor, id);
    const cursor = (req.query as Record<string, unknown> | undefined)?.cursor;
    const page = await webhooks.listDeliveries(deps, actor, id, {
      cursor: typeof cursor === "string" ? cursor : undefined,
    });
    return reply.render(
      <WebhookPage
        ctx={pageContext(req, reply)}
        endpoint={endpoint}
        form={form ?? emptyForm(formValuesOf(endpoint))}
        deliveries={page.deliveries}
        nextCursor={page.nextCursor}
        rotatedSecret={extra.rotatedSecret}
      />,
      extra.status,
    );
  };

  app.get("/admin/webhooks", async (req, reply) => {
    const actor = requireAdmin(req);
    return reply.render(
      <WebhooksPage
        ctx={pageContext(req, reply)}
        endpoints={await webhooks.listEndpoints(deps, actor)}
        form={emptyForm({ eventTypes: [], enabled: true })}
      />,
    );
  });

  app.post("/admin/webhooks", async (req, reply) => {
    const actor = requireAdmin(req);
    const values = valuesOf(req);
    const result: Attempt<Created> & Refusal = await attempt(() =>
      webhooks.createEndpoint(deps, actor, inputOf(values)),
    ).catch(tooManyOnForm);
    // Rendered, not redirected: the secret must not travel in a URL.
    return reply.render(
      <WebhooksPage
        ctx={pageContext(req, reply)}
        endpoints={await webhooks.listEndpoints(deps, actor)}
        form={
          result.ok
            ? emptyForm({ eventTypes: [], enabled: true })
            : {
                values,
                errors: result.errors,
                message: result.message,
                messageKey: result.messageKey,
                messageValues: result.messageValues,
              }
        }
        created={result.ok ? result.value : undefined}
      />,
      result.ok ? 201 : (result.status ?? 422),
    );
  });

  app.get("/admin/webhooks/:id", async (req, reply) => {
    requireAdmin(req);
    return renderEndpoint(req, reply, idOf((req.params as { id: string }).id, "webhook"));
  });

  app.post("/admin/webhooks/:id", async (req, reply) => {
    const actor = requireAdmin(req);
    const id = idOf((req.params as { id: string }).id, "webhook");
    const values = valuesOf(req);
    const result = await attempt(() => webhooks.updateEndpoint(deps, actor, id, inputOf(values)));
    if (!result.ok) {
      return renderEndpoint(req, reply, id, refusedForm(values, result), { status: 422 });
    }
    return reply.redirect(`/admin/webhooks/${id}?notice=webhook-saved`, 303);
  });

  app.post("/admin/webhooks/:id/rotate", async (req, reply) => {
    const actor = requireAdmin(req);
    const id = idOf((req.params as { id: string }).id, "webhook");
    const rotated = await webhooks.rotateEndpointSecret(deps, actor, id);
    return renderEndpoint(req, reply, id, undefined, { rotatedSecret: rotated.secret });
  });

  app.post("/admin/webhooks/:id/delete", async (req, reply) => {
    const actor = requireAdmin(req);
    await webhooks.deleteEndpoint(deps, actor, idOf((req.params as { id: string }).id, "webhook"));
    return reply.redirect("/admin/webhooks?notice=webhook-deleted", 303);
  });

  app.post("/admin/webhooks/:id/deliveries/:deliveryId/resend", async (req, reply) => {
    const actor = requireAdmin(req);
    const params = req.params as { id: string; deliveryId: string };
    const id = idOf(params.id, "webhook");
    await webhooks.resendDelivery(deps, actor, id, idOf(params.deliveryId, "delivery"));
    return reply.redirect(`/admin/webhooks/${id}?notice=webhook-resent`, 303);
  });
}
