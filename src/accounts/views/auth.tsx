import type { ComponentChildren } from "preact";
import { NotificationsForm } from "../../email/views/notifications.tsx";
import { LANGUAGE_NAMES, LOCALES } from "../../i18n/i18n.ts";
import type { PageContext } from "../../platform/views/context.ts";
import {
  Csrf,
  Field,
  FormErrors,
  type FormState,
  TimeZoneInput,
} from "../../platform/views/forms.tsx";
import { Layout } from "../../platform/views/layout.tsx";
import { PASSWORD_MIN } from "../passwords.ts";
import type { SsoChoice } from "../sso.service.ts";
import type { TwoFactorStatus } from "../two-factor.service.ts";
import { AccountFields } from "./account-fields.tsx";
import { CheckInbox } from "./recovery.tsx";

type Values = { email: string; name: string; next: string };

export function LoginPage({
  ctx,
  form,
  needsSetup = false,
  providers = [],
}: {
  ctx: PageContext;
  form: FormState<Values>;
  needsSetup?: boolean;
  /** Single sign-on providers, one button each. */
  providers?: SsoChoice[];
}) {
  const next = form.values.next ? `?next=${encodeURIComponent(form.values.next)}` : "";
  const { t, rich } = ctx.i18n;
  return (
    <Layout ctx={ctx} title={t("signIn.title")}>
      <section class="narrow">
        <h1>{t("signIn.title")}</h1>
        {needsSetup && (
          <p class="notice" role="status">
            {t("signIn.needsSetup")}
          </p>
        )}
        {providers.length > 0 && (
          // Not boosted: the link redirects to the provider, another origin htmx cannot fetch.
          <ul class="sso-providers" aria-label={t("signIn.sso")} hx-boost="false">
            {providers.map((p) => (
              <li>
                <a class="button" href={`/login/sso/${p.id}${next}`}>
                  {t("signIn.withProvider", { provider: p.name })}
                </a>
              </li>
            ))}
          </ul>
        )}
        <form method="post" action="/login" class="stack" novalidate>
          <Csrf token={ctx.csrfToken} />
          <input type="hidden" name="next" value={form.values.next ?? ""} />
          <FormErrors form={form} t={t} />
          <Field form={form} name="email" label={t("field.email")}>
            {(a) => (
              <input
                {...a}
                type="email"
                name="email"
                value={form.values.email ?? ""}
                autocomplete="username"
                required
              />
            )}
          </Field>
          <Field form={form} name="password" label={t("field.password")}>
            {(a) => (
              <input
                {...a}
                type="password"
                name="password"
                autocomplete="current-password"
                required
              />
            )}
          </Field>
          <button type="submit" class="primary">
            {t("signIn.submit")}
          </button>
        </form>
        <p>
          <a href="/password/forgot">{t("signIn.forgot")}</a>
        </p>
        <p>
          {rich("signIn.noAccount", {
            link: (chunks: ComponentChildren) => <a href="/signup">{chunks}</a>,
          })}
        </p>
      </section>
    </Layout>
  );
}

export function SignupPage({
  ctx,
  form,
  enabled,
  sent = false,
}: {
  ctx: PageContext;
  form: FormState<Values>;
  enabled: boolean;
  /** The request went through: the same answer whatever the address. */
  sent?: boolean;
}) {
  const { t, rich } = ctx.i18n;
  return (
    <Layout ctx={ctx} title={t("signUp.title")}>
      <section class="narrow">
        <h1>{t("signUp.heading")}</h1>
        {sent ? (
          <CheckInbox ctx={ctx} />
        ) : enabled ? (
          <form method="post" action="/signup" class="stack" novalidate>
            <Csrf token={ctx.csrfToken} />
            <FormErrors form={form} t={t} />
            <AccountFields form={form} t={t} />
            <button type="submit" class="primary">
              {t("signUp.submit")}
            </button>
          </form>
        ) : (
          <p>{t("signUp.disabled")}</p>
        )}
        <p>
          {rich("signUp.haveAccount", {
            link: (chunks: ComponentChildren) => <a href="/login">{chunks}</a>,
          })}
        </p>
      </section>
    </Layout>
  );
}

export function SetupPage({
  ctx,
  form,
  token,
}: {
  ctx: PageContext;
  form: FormState<Values>;
  token: string;
}) {
  const { t } = ctx.i18n;
  return (
    <Layout ctx={ctx} title={t("setup.title")}>
      <section class="narrow">
        <h1>{t("setup.title")}</h1>
        <p>{t("setup.intro")}</p>
        <form
          method="post"
          action={`/setup?token=${encodeURIComponent(token)}`}
          class="stack"
          novalidate
        >
          <Csrf token={ctx.csrfToken} />
          <FormErrors form={form} t={t} />
          <AccountFields form={form} t={t} />
          <button type="submit" class="primary">
            {t("setup.submit")}
          </button>
        </form>
      </section>
    </Layout>
  );
}

/** The account's own language and time zone; empty means the instance's default. */
export type LanguageValues = { locale: string; timeZone: string };

/** Language and time zone on the account page: a plain form, validated on the server. */
function LanguageForm({
  ctx,
  form,
  instanceTimeZone,
}: {
  ctx: PageContext;
  form: FormState<LanguageValues>;
  instanceTimeZone: string;
}) {
  const { t } = ctx.i18n;
  const locale = form.values.locale ?? "";
  return (
    <>
      <h2>{t("account.languageHeading")}</h2>
      <form method="post" action="/account/language" class="stack" novalidate>
        <Csrf token={ctx.csrfToken} />
        <FormErrors form={form} t={t} />
        <Field form={form} name="locale" label={t("account.language")} id="field-locale">
          {(a) => (
            <select {...a} name="locale">
              <option value="" selected={locale === ""}>
                {t("account.languageDefault")}
              </option>
              {LOCALES.map((l) => (
                <option value={l} lang={l} selected={l === locale}>
                  {LANGUAGE_NAMES[l]}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field
          form={form}
          name="timeZone"
          label={t("account.timeZone")}
          hint={t("account.timeZoneHint", { zone: instanceTimeZone })}
        >
          {(a) => <TimeZoneInput field={a} name="timeZone" value={form.values.timeZone ?? ""} />}
        </Field>
        {/* Shown by script.js with the browser's own zone when it is not the one in the box. */}
        <p class="browser-zone" hidden>
          <button type="button" class="link" data-browser-zone-for="field-timeZone">
            {ctx.i18n.rich("account.useBrowserZone", { zone: <span data-browser-zone /> })}
          </button>
        </p>
        <button type="submit" class="primary">
          {t("account.saveLanguage")}
        </button>
      </form>
    </>
  );
}

export function AccountPage({
  ctx,
  form,
  languageForm,
  instanceTimeZone,
  emailNotifications,
  twoFactor,
}: {
  ctx: PageContext;
  form: FormState<Record<string, string>>;
  /** The language and time zone form: the saved values, or what was typed with its errors. */
  languageForm: FormState<LanguageValues>;
  /** The zone used while the account has none of its own. */
  instanceTimeZone: string;
  /** Staff: whether they get notification mail (undefined: the switch is not shown). */
  emailNotifications?: boolean | undefined;
  twoFactor: TwoFactorStatus;
}) {
  const actor = ctx.actor;
  const { t, rich } = ctx.i18n;
  return (
    <Layout ctx={ctx} title={t("account.title")}>
      <section class="narrow">
        <h1>{t("account.title")}</h1>
        {actor && (
          <dl class="facts">
            <dt>{t("field.name")}</dt>
            <dd>{actor.name}</dd>
            <dt>{t("field.email")}</dt>
            <dd>{actor.email}</dd>
            <dt>{t("account.role")}</dt>
            <dd>{t("account.roleName", { role: actor.role })}</dd>
          </dl>
        )}
        <LanguageForm ctx={ctx} form={languageForm} instanceTimeZone={instanceTimeZone} />
        {emailNotifications !== undefined && (
          <NotificationsForm ctx={ctx} enabled={emailNotifications} />
        )}
        <h2>{t("account.securityHeading")}</h2>
        <p>
          {rich(twoFactor.enabled ? "account.twoFactorOn" : "account.twoFactorOff", {
            link: (chunks: ComponentChildren) => <a href="/account/two-factor">{chunks}</a>,
          })}
        </p>
        <p>
          <a href="/account/sessions">{t("account.sessionsLink")}</a>
        </p>
        <h2>{t("account.tokensHeading")}</h2>
        <p>
          {rich("account.tokensIntro", {
            link: (chunks: ComponentChildren) => <a href="/account/tokens">{chunks}</a>,
          })}
        </p>
        <h2>{t("account.passwordHeading")}</h2>
        <form method="post" action="/account/password" class="stack" novalidate>
          <Csrf token={ctx.csrfToken} />
          <FormErrors form={form} t={t} />
          <Field form={form} name="currentPassword" label={t("account.currentPassword")}>
            {(a) => (
              <input
                {...a}
                type="password"
                name="currentPassword"
                autocomplete="current-password"
                required
              />
            )}
          </Field>
          <Field
            form={form}
            name="newPassword"
            label={t("field.newPassword")}
            hint={t("field.passwordHint", { min: PASSWORD_MIN })}
          >
            {(a) => (
              <input
                {...a}
                type="password"
                name="newPassword"
                autocomplete="new-password"
                required
                minLength={PASSWORD_MIN}
              />
            )}
          </Field>
          <button type="submit" class="primary">
            {t("account.changePassword")}
          </button>
        </form>
      </section>
    </Layout>
  );
}
