import type { Translator } from "../../i18n/i18n.ts";
import type { PageContext } from "../../platform/views/context.ts";
import { Csrf, Field, FormErrors, type FormState } from "../../platform/views/forms.tsx";
import { Layout } from "../../platform/views/layout.tsx";
import type { SsoProvider } from "../sso.service.ts";
import { hidden } from "./admin.tsx";

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
  t,
}: {
  prefix: string;
  form: FormState<SsoFormValues>;
  hasSecret: boolean;
  t: Translator["t"];
}) {
  const v = form.values;
  const id = (name: string) => `${prefix}-${name}`;
  return (
    <>
      <Field form={form} name="name" label={t("sso.buttonName")} id={id("name")}>
        {(a) => <input {...a} name="name" required maxLength={100} value={v.name ?? ""} />}
      </Field>
      <Field
        form={form}
        name="issuer"
        label={t("sso.issuer")}
        id={id("issuer")}
        hint={t("sso.issuerHint", { example: "https://login.example.com/realms/staff" })}
      >
        {(a) => (
          <input {...a} name="issuer" type="url" required maxLength={2000} value={v.issuer ?? ""} />
        )}
      </Field>
      <Field form={form} name="clientId" label={t("sso.clientId")} id={id("clientId")}>
        {(a) => <input {...a} name="clientId" required maxLength={500} value={v.clientId ?? ""} />}
      </Field>
      <Field
        form={form}
        name="clientSecret"
        label={t("sso.clientSecret")}
        id={id("clientSecret")}
        hint={hasSecret ? t("sso.secretStored") : t("sso.secretPublic")}
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
        label={t("sso.newStaffDomains")}
        id={id("newStaffDomains")}
        hint={t("sso.newStaffDomainsHint")}
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
        <label for={id("enabled")}>{t("sso.enabled")}</label>
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
  const { t, rich } = ctx.i18n;
  return (
    <Layout ctx={ctx} title={t("sso.title")}>
      <h1>{t("sso.title")}</h1>
      <p>{t("sso.intro")}</p>
      <p>{rich("sso.register", { uri: <code>{redirectUri}</code> })}</p>
      {providers.length === 0 && <p class="muted">{t("sso.none")}</p>}
      {providers.map((provider) => {
        const action = `/admin/sso/${provider.id}`;
        return (
          <section class="team" aria-labelledby={`provider-${provider.id}`}>
            <h2 id={`provider-${provider.id}`}>
              {provider.name}
              {!provider.enabled && <span class="badge">{` ${t("sso.off")}`}</span>}
            </h2>
            <form method="post" action={action} class="stack" novalidate>
              <Csrf token={ctx.csrfToken} />
              <FormErrors form={formOf(provider.id, valuesOf(provider))} t={t} />
              <ProviderFields
                prefix={`provider-${provider.id}`}
                form={formOf(provider.id, valuesOf(provider))}
                hasSecret={provider.hasSecret}
                t={t}
              />
              <button type="submit">{rich("sso.save", { name: provider.name, hidden })}</button>
            </form>
            <form method="post" action={`${action}/delete`} class="inline">
              <Csrf token={ctx.csrfToken} />
              <button type="submit" class="danger">
                {rich("sso.delete", { name: provider.name, hidden })}
              </button>
            </form>
          </section>
        );
      })}
      <section aria-labelledby="new-provider">
        <h2 id="new-provider">{t("sso.newHeading")}</h2>
        <form method="post" action="/admin/sso" class="stack" novalidate>
          <Csrf token={ctx.csrfToken} />
          <FormErrors form={formOf(undefined, EMPTY)} t={t} />
          <ProviderFields prefix="new" form={formOf(undefined, EMPTY)} hasSecret={false} t={t} />
          <button type="submit">{t("sso.add")}</button>
        </form>
      </section>
    </Layout>
  );
}
