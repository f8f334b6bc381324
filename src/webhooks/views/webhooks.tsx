import type { PageContext } from "../../platform/views/context.ts";
import {
  Csrf,
  Field,
  FormErrors,
  type FormState,
  fieldError,
} from "../../platform/views/forms.tsx";
import { Layout } from "../../platform/views/layout.tsx";
import { Time } from "../../platform/views/time.tsx";
import {
  WEBHOOK_EVENT_DESCRIPTIONS,
  WEBHOOK_EVENT_TYPES,
  type WebhookEventType,
} from "../webhooks.events.ts";
import { DESCRIPTION_MAX, URL_MAX } from "../webhooks.schemas.ts";
import type { WebhookDelivery, WebhookEndpoint } from "../webhooks.service.ts";

/** What the endpoint form holds: the text fields, the chosen event types, the enabled flag. */
export interface EndpointFormValues {
  url: string;
  description: string;
  eventTypes: string[];
  enabled: boolean;
}

export function formValuesOf(endpoint: WebhookEndpoint): EndpointFormValues {
  return {
    url: endpoint.url,
    description: endpoint.description,
    eventTypes: endpoint.eventTypes,
    enabled: endpoint.enabled,
  };
}

/** A secret just made (create or rotate): shown this once. */
function SecretShown({ secret, rotated }: { secret: string; rotated: boolean }) {
  return (
    <div class="token-created" role="status">
      <p>
        {rotated
          ? "The new signing secret. Copy it now: it is not shown again. The previous secret keeps signing alongside it for the grace period."
          : "The endpoint's signing secret. Copy it now: it is not shown again."}
      </p>
      <label for="webhook-secret">Secret</label>
      <input id="webhook-secret" type="text" readOnly value={secret} class="token-value" />
    </div>
  );
}

function EndpointForm({
  ctx,
  form,
  action,
  submit,
}: {
  ctx: PageContext;
  form: FormState<EndpointFormValues>;
  action: string;
  submit: string;
}) {
  const v = form.values;
  const chosen = new Set(v.eventTypes ?? []);
  const eventsError = fieldError(form, "eventTypes");
  return (
    <form method="post" action={action} class="stack" novalidate>
      <Csrf token={ctx.csrfToken} />
      <FormErrors form={form} />
      <Field
        form={form}
        name="url"
        label="URL"
        hint="https:// (or http://). Private, loopback and link-local addresses are refused unless WEBHOOK_ALLOW_HOSTS lists the host:port."
      >
        {(a) => (
          <input {...a} type="url" name="url" value={v.url ?? ""} maxLength={URL_MAX} required />
        )}
      </Field>
      <Field form={form} name="description" label="Description" hint="What it is for (optional).">
        {(a) => (
          <input
            {...a}
            type="text"
            name="description"
            value={v.description ?? ""}
            maxLength={DESCRIPTION_MAX}
          />
        )}
      </Field>
      <fieldset
        class={eventsError ? "has-error" : undefined}
        aria-describedby={eventsError ? "field-eventTypes-error" : undefined}
      >
        <legend>Events</legend>
        {WEBHOOK_EVENT_TYPES.map((type) => (
          <div class="field checkbox">
            <input
              id={`field-event-${type}`}
              type="checkbox"
              name="eventTypes"
              value={type}
              checked={chosen.has(type)}
            />
            <label for={`field-event-${type}`}>
              <code>{type}</code> {WEBHOOK_EVENT_DESCRIPTIONS[type]}
            </label>
          </div>
        ))}
        {eventsError && (
          <p class="error" id="field-eventTypes-error">
            {`Events ${eventsError}`}
          </p>
        )}
      </fieldset>
      <div class="field checkbox">
        <input
          id="field-enabled"
          type="checkbox"
          name="enabled"
          value="true"
          checked={v.enabled ?? true}
        />
        <label for="field-enabled">Enabled</label>
      </div>
      <button type="submit" class="primary">
        {submit}
      </button>
    </form>
  );
}

function eventList(types: readonly WebhookEventType[]): string {
  return types.join(", ");
}

/** Admins: the webhook endpoints, and a form to add one. */
export function WebhooksPage({
  ctx,
  endpoints,
  form,
  created,
}: {
  ctx: PageContext;
  endpoints: WebhookEndpoint[];
  form: FormState<EndpointFormValues>;
  created?: { secret: string; endpoint: WebhookEndpoint } | undefined;
}) {
  return (
    <Layout ctx={ctx} title="Webhooks">
      <section>
        <h1>Webhooks</h1>
        <p>
          Ticket events are sent as signed JSON (
          <a href="https://www.standardwebhooks.com/">Standard Webhooks</a>) to each endpoint that
          wants them, retried with backoff until the endpoint answers 2xx.
        </p>
        {created && (
          <>
            <p>
              Endpoint <a href={`/admin/webhooks/${created.endpoint.id}`}>{created.endpoint.url}</a>{" "}
              added.
            </p>
            <SecretShown secret={created.secret} rotated={false} />
          </>
        )}
        <h2>Endpoints</h2>
        {endpoints.length === 0 ? (
          <p>No webhook endpoints yet.</p>
        ) : (
          <table class="webhooks">
            <caption class="visually-hidden">Webhook endpoints</caption>
            <thead>
              <tr>
                <th scope="col">URL</th>
                <th scope="col">Events</th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              {endpoints.map((e) => (
                <tr>
                  <td>
                    <a href={`/admin/webhooks/${e.id}`}>{e.url}</a>
                    {e.description && <div class="hint">{e.description}</div>}
                  </td>
                  <td>{eventList(e.eventTypes)}</td>
                  <td>{e.enabled ? "Enabled" : "Disabled"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <h2>New endpoint</h2>
        <EndpointForm ctx={ctx} form={form} action="/admin/webhooks" submit="Add endpoint" />
      </section>
    </Layout>
  );
}

const STATUS_LABELS: Record<WebhookDelivery["status"], string> = {
  pending: "Pending",
  delivered: "Delivered",
  failed: "Failed",
};

/** Admins: one endpoint: edit, rotate its secret, delete; its deliveries with a resend button. */
export function WebhookPage({
  ctx,
  endpoint,
  form,
  deliveries,
  nextCursor,
  rotatedSecret,
}: {
  ctx: PageContext;
  endpoint: WebhookEndpoint;
  form: FormState<EndpointFormValues>;
  deliveries: WebhookDelivery[];
  nextCursor: string | null;
  rotatedSecret?: string | undefined;
}) {
  const now = new Date();
  const base = `/admin/webhooks/${endpoint.id}`;
  return (
    <Layout ctx={ctx} title={`Webhook ${endpoint.url}`}>
      <section>
        <p>
          <a href="/admin/webhooks">Webhooks</a>
        </p>
        <h1>{endpoint.url}</h1>
        {rotatedSecret && <SecretShown secret={rotatedSecret} rotated={true} />}
        <EndpointForm ctx={ctx} form={form} action={base} submit="Save endpoint" />
        <h2>Signing secret</h2>
        {endpoint.previousSecretExpiresAt ? (
          <p>
            The previous secret signs alongside the current one until{" "}
            <Time date={endpoint.previousSecretExpiresAt} now={now} />.
          </p>
        ) : (
          <p>One secret signs every delivery.</p>
        )}
        <form method="post" action={`${base}/rotate`} class="inline">
          <Csrf token={ctx.csrfToken} />
          <button type="submit">Rotate secret</button>
        </form>{" "}
        <form method="post" action={`${base}/delete`} class="inline">
          <Csrf token={ctx.csrfToken} />
          <button type="submit" class="danger">
            Delete endpoint
          </button>
        </form>
        <h2>Deliveries</h2>
        {deliveries.length === 0 ? (
          <p>No deliveries yet.</p>
        ) : (
          <table class="deliveries">
            <caption class="visually-hidden">Deliveries, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">State</th>
                <th scope="col">Tries</th>
                <th scope="col">Last attempt</th>
                <th scope="col">Answer</th>
                <th scope="col">
                  <span class="visually-hidden">Resend</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {deliveries.map((d) => (
                <tr>
                  <td>
                    <code>{d.eventType}</code>
                    {d.ticketId && (
                      <>
                        {" "}
                        <a href={`/tickets/${d.ticketId}`}>{`#${d.ticketId}`}</a>
                      </>
                    )}
                    <div class="hint">{d.webhookId}</div>
                  </td>
                  <td>
                    {STATUS_LABELS[d.status]}
                    {d.nextAttemptAt && (
                      <div class="hint">
                        next <Time date={d.nextAttemptAt} now={now} />
                      </div>
                    )}
                  </td>
                  <td>{d.attempts}</td>
                  <td>{d.lastAttemptAt ? <Time date={d.lastAttemptAt} now={now} /> : "Not yet"}</td>
                  <td>
                    {d.responseStatus !== null && (
                      <strong>{`${d.responseStatus} in ${d.responseMs ?? 0} ms`}</strong>
                    )}
                    {d.lastError && <div>{d.lastError}</div>}
                    {d.responseExcerpt && <pre class="excerpt">{d.responseExcerpt}</pre>}
                  </td>
                  <td>
                    {d.status !== "pending" && (
                      <form
                        method="post"
                        action={`${base}/deliveries/${d.id}/resend`}
                        class="inline"
                      >
                        <Csrf token={ctx.csrfToken} />
                        <button type="submit">
                          Resend<span class="visually-hidden">{` ${d.webhookId}`}</span>
                        </button>
                      </form>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {nextCursor && (
          <p>
            <a href={`${base}?cursor=${encodeURIComponent(nextCursor)}`}>Older deliveries</a>
          </p>
        )}
      </section>
    </Layout>
  );
}
