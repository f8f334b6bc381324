import type { ComponentChildren } from "preact";
import type { Locale, MessageKey, Translator } from "../../i18n/i18n.ts";
import type { PageContext } from "../../platform/views/context.ts";
import {
  Csrf,
  Field,
  FormErrors,
  type FormState,
  fieldErrorText,
} from "../../platform/views/forms.tsx";
import { Layout } from "../../platform/views/layout.tsx";
import { Time } from "../../platform/views/time.tsx";
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from "../webhooks.events.ts";
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

type T = Translator["t"];

/** What each event type means, in the catalogs (the API documents them from webhooks.events.ts). */
const EVENT_KEYS: Record<WebhookEventType, MessageKey> = {
  "ticket.created": "webhooks.event.ticketCreated",
  "ticket.updated": "webhooks.event.ticketUpdated",
  "ticket.solved": "webhooks.event.ticketSolved",
  "message.created": "webhooks.event.messageCreated",
  "ticket.tags_changed": "tags.webhooks.event",
  "ticket.field_changed": "fields.webhooks.event",
};

const STATUS_KEYS: Record<WebhookDelivery["status"], MessageKey> = {
  pending: "webhooks.status.pending",
  delivered: "webhooks.status.delivered",
  failed: "webhooks.status.failed",
};

/** A secret just made (create or rotate): shown this once. */
function SecretShown({ secret, rotated, t }: { secret: string; rotated: boolean; t: T }) {
  return (
    <div class="token-created" role="status">
      <p>{rotated ? t("webhooks.secret.rotated") : t("webhooks.secret.created")}</p>
      <label for="webhook-secret">{t("webhooks.secret.label")}</label>
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
  const { t } = ctx.i18n;
  const v = form.values;
  const chosen = new Set(v.eventTypes ?? []);
  const eventsLabel = t("webhooks.field.events");
  const eventsError = form.errors.find((e) => e.field === "eventTypes");
  return (
    <form method="post" action={action} class="stack" novalidate>
      <Csrf token={ctx.csrfToken} />
      <FormErrors form={form} t={t} />
      <Field
        form={form}
        name="url"
        label={t("webhooks.field.url")}
        hint={t("webhooks.field.urlHint")}
      >
        {(a) => (
          <input {...a} type="url" name="url" value={v.url ?? ""} maxLength={URL_MAX} required />
        )}
      </Field>
      <Field
        form={form}
        name="description"
        label={t("webhooks.field.description")}
        hint={t("webhooks.field.descriptionHint")}
      >
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
        <legend>{eventsLabel}</legend>
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
              <code>{type}</code> {t(EVENT_KEYS[type])}
            </label>
          </div>
        ))}
        {eventsError && (
          <p class="error" id="field-eventTypes-error">
            {fieldErrorText(eventsError, eventsLabel, t)}
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
        <label for="field-enabled">{t("webhooks.enabled")}</label>
      </div>
      <button type="submit" class="primary">
        {submit}
      </button>
    </form>
  );
}

/** Event type names (the API's, shown as they are) listed the reader's way. */
/**
 * Why a delivery failed, as the worker stores it (English, also the API's
 * `lastError`): its own known forms in the reader's language; the network's or
 * the guard's words as stored.
 */
function deliveryError(stored: string, t: T): string {
  const answered = /^answered (\d+)$/.exec(stored);
  if (answered) return t("i18n2.webhooks.answered", { status: answered[1] ?? "" });
  if (stored === "gave up") return t("i18n2.webhooks.gaveUp");
  const timeout = /^no answer within (\d+(?:\.\d+)?) s$/.exec(stored);
  if (timeout) return t("i18n2.webhooks.noAnswer", { seconds: Number(timeout[1]) });
  const unresolved = /^could not resolve ([^:]+): (.*)$/s.exec(stored);
  if (unresolved) {
    return t("i18n2.webhooks.notResolved", {
      host: unresolved[1] ?? "",
      reason: unresolved[2] ?? "",
    });
  }
  return stored;
}

function eventList(types: readonly WebhookEventType[], locale: Locale): string {
  return new Intl.ListFormat(locale, { type: "conjunction" }).format(types);
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
  const { t, rich, locale } = ctx.i18n;
  return (
    <Layout ctx={ctx} title={t("webhooks.title")}>
      <section>
        <h1>{t("webhooks.title")}</h1>
        <p>
          {rich("webhooks.intro", {
            link: (chunks: ComponentChildren) => (
              <a href="https://www.standardwebhooks.com/">{chunks}</a>
            ),
          })}
        </p>
        {created && (
          <>
            <p>
              {rich("webhooks.added", {
                url: created.endpoint.url,
                link: (chunks: ComponentChildren) => (
                  <a href={`/admin/webhooks/${created.endpoint.id}`}>{chunks}</a>
                ),
              })}
            </p>
            <SecretShown secret={created.secret} rotated={false} t={t} />
          </>
        )}
        <h2>{t("webhooks.endpoints")}</h2>
        {endpoints.length === 0 ? (
          <p>{t("webhooks.none")}</p>
        ) : (
          <table class="webhooks">
            <caption class="visually-hidden">{t("webhooks.caption")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("webhooks.field.url")}</th>
                <th scope="col">{t("webhooks.field.events")}</th>
                <th scope="col">{t("webhooks.col.state")}</th>
              </tr>
            </thead>
            <tbody>
              {endpoints.map((e) => (
                <tr>
                  <td>
                    <a href={`/admin/webhooks/${e.id}`}>{e.url}</a>
                    {e.description && <div class="hint">{e.description}</div>}
                  </td>
                  <td>{eventList(e.eventTypes, locale)}</td>
                  <td>{e.enabled ? t("webhooks.enabled") : t("webhooks.disabled")}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <h2>{t("webhooks.newEndpoint")}</h2>
        <EndpointForm
          ctx={ctx}
          form={form}
          action="/admin/webhooks"
          submit={t("webhooks.addEndpoint")}
        />
      </section>
    </Layout>
  );
}

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
  const { t, rich } = ctx.i18n;
  const now = new Date();
  const base = `/admin/webhooks/${endpoint.id}`;
  return (
    <Layout ctx={ctx} title={t("webhooks.endpointTitle", { url: endpoint.url })}>
      <section>
        <p>
          <a href="/admin/webhooks">{t("webhooks.title")}</a>
        </p>
        <h1>{endpoint.url}</h1>
        {rotatedSecret && <SecretShown secret={rotatedSecret} rotated={true} t={t} />}
        <EndpointForm ctx={ctx} form={form} action={base} submit={t("webhooks.saveEndpoint")} />
        <h2>{t("webhooks.signingSecret")}</h2>
        {endpoint.previousSecretExpiresAt ? (
          <p>
            {rich("webhooks.previousUntil", {
              time: <Time date={endpoint.previousSecretExpiresAt} now={now} />,
            })}
          </p>
        ) : (
          <p>{t("webhooks.oneSecret")}</p>
        )}
        <form method="post" action={`${base}/rotate`} class="inline">
          <Csrf token={ctx.csrfToken} />
          <button type="submit">{t("webhooks.rotate")}</button>
        </form>{" "}
        <form method="post" action={`${base}/delete`} class="inline">
          <Csrf token={ctx.csrfToken} />
          <button type="submit" class="danger">
            {t("webhooks.deleteEndpoint")}
          </button>
        </form>
        <h2>{t("webhooks.deliveries")}</h2>
        {deliveries.length === 0 ? (
          <p>{t("webhooks.noDeliveries")}</p>
        ) : (
          <table class="deliveries">
            <caption class="visually-hidden">{t("webhooks.deliveriesCaption")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("webhooks.col.event")}</th>
                <th scope="col">{t("webhooks.col.state")}</th>
                <th scope="col">{t("webhooks.col.tries")}</th>
                <th scope="col">{t("webhooks.col.lastAttempt")}</th>
                <th scope="col">{t("webhooks.col.answer")}</th>
                <th scope="col">
                  <span class="visually-hidden">{t("webhooks.resend")}</span>
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
                    {t(STATUS_KEYS[d.status])}
                    {d.nextAttemptAt && (
                      <div class="hint">
                        {rich("webhooks.nextAttempt", {
                          time: <Time date={d.nextAttemptAt} now={now} />,
                        })}
                      </div>
                    )}
                  </td>
                  <td>{d.attempts}</td>
                  <td>
                    {d.lastAttemptAt ? (
                      <Time date={d.lastAttemptAt} now={now} />
                    ) : (
                      t("webhooks.notYet")
                    )}
                  </td>
                  <td>
                    {d.responseStatus !== null && (
                      <strong>
                        {t("webhooks.answerIn", {
                          status: String(d.responseStatus),
                          ms: String(d.responseMs ?? 0),
                        })}
                      </strong>
                    )}
                    {d.lastError && <div>{deliveryError(d.lastError, t)}</div>}
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
                          {t("webhooks.resend")}
                          <span class="visually-hidden">{` ${d.webhookId}`}</span>
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
            <a href={`${base}?cursor=${encodeURIComponent(nextCursor)}`}>{t("webhooks.older")}</a>
          </p>
        )}
      </section>
    </Layout>
  );
}
