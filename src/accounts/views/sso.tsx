import type { PageContext } from "../../platform/views/context.ts";
import { Csrf, Field, FormErrors, type FormState } from "../../platform/views/forms.tsx";
import { Layout } from "../../platform/views/layout.tsx";
import type { SsoProvider } from "../sso.service.ts";

/** A provider's form as typed (kept when a save is refused). */
export interface SsoFormValues {
  name: string;
  issuer: string;
  clientId: string;
  newStaffDomains: string;
  enabled: boolean;
}

/** The form an admin last sent and why it was refused: `id` undefined for a new provider. */
export interface RefusedSsoForm {
  id: number | undefined;
  form: FormState<SsoFormValues>;
}

function ProviderFields({
  prefix,
  form,
  hasSecret,
}: {
  prefix: string;
  form: FormState<SsoFormValues>;
  hasSecret: boolean;
}) {
  const v = form.values;
  const id = (name: string) => `${prefix}-${name}`;
  return (
    <>
      <Field form={form} name="name" label="Name on the button" id={id("name")}>
        {(a) => <input {...a} name="name" required maxLength={100} value={v.name ?? ""} />}
      </Field>
      <Field
        form={form}
        name="issuer"
        label="Issuer URL"
        id={id("issuer")}
        hint="The provider's issuer, e.g. https://login.example.com/realms/staff: its discovery document is read from there when you save."
      >
        {(a) => (
          <input {...a} name="issuer" type="url" required maxLength={2000} value={v.issuer ?? ""} />
        )}
      </Field>
      <Field form={form} name="clientId" label="Client ID" id={id("clientId")}>
        {(a) => <input {...a} name="clientId" required maxLength={500} value={v.clientId ?? ""} />}
      </Field>
      <Field
        form={form}
        name="clientSecret"
        label="Client secret"
        id={id("clientSecret")}
        hint={
          hasSecret
            ? "Stored, and never shown again. Leave empty to keep it."
            : "Leave empty for a public client (PKCE only)."
        }
      >
        {(a) => (
          <input
            {...a}
            name="clientSecret"
            type="password"
            autocomplete="off"
            maxLength={2000}
            value=""
          />
        )}
      </Field>
      <Field
        form={form}
        name="newStaffDomains"
        label="New agents from these mail domains"
        id={id("newStaffDomains")}
        hint="One per line. A person the provider has verified at one of these addresses, with no account yet, gets an agent account on their first sign-in. Empty: only people with an account may sign in."
      >
        {(a) => (
          <textarea {...a} name="newStaffDomains" rows={2}>
            {v.newStaffDomains ?? ""}
          </textarea>
        )}
      </Field>
      <div class="field checkbox">
        <input
          type="checkbox"
          id={id("enabled")}
          name="enabled"
          value="true"
          checked={v.enabled ?? true}
        />
        <label for={id("enabled")}>Offered on the sign-in page</label>
      </div>
    </>
  );
}

function valuesOf(provider: SsoProvider): SsoFormValues {
  return {
    name: provider.name,
    issuer: provider.issuer,
    clientId: provider.clientId,
    newStaffDomains: provider.newStaffDomains.join("\n"),
    enabled: provider.enabled,
  };
}

const EMPTY: SsoFormValues = {
  name: "",
  issuer: "",
  clientId: "",
  newStaffDomains: "",
  enabled: true,
};

export function SsoPage({
  ctx,
  providers,
  redirectUri,
  refused,
}: {
  ctx: PageContext;
  providers: SsoProvider[];
  /** The redirect URI to register at every provider. */
  redirectUri: string;
  refused?: RefusedSsoForm | undefined;
}) {
  const formOf = (id: number | undefined, values: SsoFormValues): FormState<SsoFormValues> =>
    refused && refused.id === id ? refused.form : { values, errors: [], message: undefined };
  return (
    <Layout ctx={ctx} title="Single sign-on">
      <h1>Single sign-on</h1>
      <p>
        People sign in with an OpenID Connect provider (Keycloak, Microsoft Entra ID, Google, Okta,
        Authentik...) by the address it has verified. The provider replaces the password, not
        two-factor sign-in: an account with two-factor is still asked for its code.
      </p>
      <p>
        Register Tessera at the provider as a web application (authorization code flow) with this
        redirect URI: <code>{redirectUri}</code>
      </p>
      {providers.length === 0 && <p class="muted">No providers yet.</p>}
      {providers.map((provider) => {
        const action = `/admin/sso/${provider.id}`;
        return (
          <section class="team" aria-labelledby={`provider-${provider.id}`}>
            <h2 id={`provider-${provider.id}`}>
              {provider.name}
              {!provider.enabled && <span class="badge"> off</span>}
            </h2>
            <form method="post" action={action} class="stack" novalidate>
              <Csrf token={ctx.csrfToken} />
              <FormErrors form={formOf(provider.id, valuesOf(provider))} />
              <ProviderFields
                prefix={`provider-${provider.id}`}
                form={formOf(provider.id, valuesOf(provider))}
                hasSecret={provider.hasSecret}
              />
              <button type="submit">
                Save<span class="visually-hidden">{` provider ${provider.name}`}</span>
              </button>
            </form>
            <form method="post" action={`${action}/delete`} class="inline">
              <Csrf token={ctx.csrfToken} />
              <button type="submit" class="danger">
                Delete provider<span class="visually-hidden">{` ${provider.name}`}</span>
              </button>
            </form>
          </section>
        );
      })}
      <section aria-labelledby="new-provider">
        <h2 id="new-provider">New provider</h2>
        <form method="post" action="/admin/sso" class="stack" novalidate>
          <Csrf token={ctx.csrfToken} />
          <FormErrors form={formOf(undefined, EMPTY)} />
          <ProviderFields prefix="new" form={formOf(undefined, EMPTY)} hasSecret={false} />
          <button type="submit">Add provider</button>
        </form>
      </section>
    </Layout>
  );
}
