import type { ComponentChildren } from "preact";
import type { Translator } from "../../i18n/i18n.ts";
import type { PageContext } from "../../platform/views/context.ts";
import { Csrf, emptyForm, Field, FormErrors, type FormState } from "../../platform/views/forms.tsx";
import { Layout } from "../../platform/views/layout.tsx";
import type { Enrolment, TwoFactorStatus } from "../two-factor.service.ts";

const strong = (chunks: ComponentChildren) => <strong>{chunks}</strong>;

/** The second step of a sign-in: a code from the app, or a recovery code. */
export function SecondStepPage({
  ctx,
  form,
}: {
  ctx: PageContext;
  form: FormState<{ next: string }>;
}) {
  const { t } = ctx.i18n;
  return (
    <Layout ctx={ctx} title={t("twoFactor.title")}>
      <section class="narrow">
        <h1>{t("twoFactor.title")}</h1>
        <p>{t("twoFactor.enterCode")}</p>
        <form method="post" action="/login/two-factor" class="stack" novalidate>
          <Csrf token={ctx.csrfToken} />
          <input type="hidden" name="next" value={form.values.next ?? ""} />
          <FormErrors form={form} t={t} />
          <Field form={form} name="code" label={t("twoFactor.code")} hint={t("twoFactor.codeHint")}>
            {(a) => (
              <input
                {...a}
                type="text"
                name="code"
                autocomplete="one-time-code"
                autocapitalize="off"
                spellcheck={false}
                maxLength={20}
                required
              />
            )}
          </Field>
          <button type="submit" class="primary">
            {t("signIn.submit")}
          </button>
        </form>
        <p>
          <a href="/login">{t("twoFactor.startAgain")}</a>
        </p>
      </section>
    </Layout>
  );
}

/** Recovery codes just made: shown this once. */
function RecoveryCodes({ ctx, codes }: { ctx: PageContext; codes: string[] }) {
  return (
    <div class="notice recovery-codes" role="status">
      <p>{ctx.i18n.rich("twoFactor.recoveryCodes", { strong })}</p>
      <ul class="codes">
        {codes.map((code) => (
          <li>
            <code>{code}</code>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** Which of the page's forms a refused form state belongs to. */
export type ProofForm = "recovery-codes" | "disable";

/** A current code or the password, asked before a change to two-factor. */
function ProofField({
  form,
  id,
  t,
}: {
  form: FormState<Record<string, string>>;
  id: ProofForm;
  t: Translator["t"];
}) {
  return (
    <Field
      form={form}
      name="proof"
      id={`proof-${id}`}
      label={t("twoFactor.proof")}
      hint={t("twoFactor.proofHint")}
    >
      {(a) => (
        <input {...a} type="password" name="proof" autocomplete="current-password" required />
      )}
    </Field>
  );
}

/**
 * Two-factor sign-in for the account: the enrolment (QR code, secret, first
 * code) while it is off; the recovery codes and the switch-off while it is on.
 */
export function TwoFactorPage({
  ctx,
  status,
  enrolment,
  form,
  codes,
  enrolling = false,
  refused,
}: {
  ctx: PageContext;
  status: TwoFactorStatus;
  /** While off: the secret to add to an app. */
  enrolment?: Enrolment | undefined;
  form: FormState<Record<string, string>>;
  /** While on: the form `form` was sent from (its errors show there). */
  refused?: ProofForm | undefined;
  /** Recovery codes made by this request, shown once. */
  codes?: string[] | undefined;
  /** An enrolment-only session: required, and nothing else opens until it is on. */
  enrolling?: boolean;
}) {
  const { t, rich } = ctx.i18n;
  return (
    <Layout ctx={ctx} title={t("twoFactor.title")}>
      <section class="narrow">
        {!enrolling && (
          <p>
            <a href="/account">{t("account.title")}</a>
          </p>
        )}
        <h1>{t("twoFactor.title")}</h1>
        {enrolling && (
          <div class="notice" role="status">
            <p>{t("twoFactor.required")}</p>
            <form method="post" action="/logout" class="inline">
              <Csrf token={ctx.csrfToken} />
              <button type="submit" class="link">
                {t("twoFactor.signOutInstead")}
              </button>
            </form>
          </div>
        )}
        {codes && <RecoveryCodes ctx={ctx} codes={codes} />}
        {codes && enrolling === false && status.enabled && (
          <p>
            <a href="/" class="button primary">
              {t("twoFactor.continue")}
            </a>
          </p>
        )}
        {status.enabled ? (
          <>
            <p>{rich("twoFactor.isOn", { strong })}</p>
            <p>
              {t("twoFactor.codesLeft", { left: status.recoveryCodesLeft })}
              {status.recoveryCodesLeft <= 3 && ` ${t("twoFactor.codesLow")}`}
            </p>
            <h2>{t("twoFactor.newCodesHeading")}</h2>
            <p>{t("twoFactor.newCodesIntro")}</p>
            <form
              method="post"
              action="/account/two-factor/recovery-codes"
              class="stack"
              novalidate
            >
              <Csrf token={ctx.csrfToken} />
              <FormErrors form={refused === "recovery-codes" ? form : emptyForm()} t={t} />
              <ProofField
                form={refused === "recovery-codes" ? form : emptyForm()}
                id="recovery-codes"
                t={t}
              />
              <button type="submit">{t("twoFactor.newCodesSubmit")}</button>
            </form>
            {status.required && refused === "disable" && <FormErrors form={form} t={t} />}
            {!status.required && (
              <>
                <h2>{t("twoFactor.turnOffHeading")}</h2>
                <form method="post" action="/account/two-factor/disable" class="stack" novalidate>
                  <Csrf token={ctx.csrfToken} />
                  <FormErrors form={refused === "disable" ? form : emptyForm()} t={t} />
                  <ProofField
                    form={refused === "disable" ? form : emptyForm()}
                    id="disable"
                    t={t}
                  />
                  <button type="submit" class="danger">
                    {t("twoFactor.turnOffSubmit")}
                  </button>
                </form>
              </>
            )}
          </>
        ) : (
          enrolment && (
            <>
              <p>{rich("twoFactor.isOff", { strong })}</p>
              <ol class="steps">
                <li>
                  <p>{t("twoFactor.scan")}</p>
                  <img
                    class="qr-code"
                    src={`data:image/svg+xml;base64,${Buffer.from(enrolment.qrSvg).toString("base64")}`}
                    alt={t("twoFactor.qrAlt")}
                    width={200}
                    height={200}
                  />
                  <p>
                    {rich("twoFactor.typeKey", {
                      key: <code class="secret">{enrolment.secret}</code>,
                    })}
                  </p>
                </li>
                <li>
                  <form method="post" action="/account/two-factor" class="stack" novalidate>
                    <Csrf token={ctx.csrfToken} />
                    <FormErrors form={form} t={t} />
                    <Field form={form} name="code" label={t("twoFactor.codeFromApp")}>
                      {(a) => (
                        <input
                          {...a}
                          type="text"
                          name="code"
                          inputMode="numeric"
                          autocomplete="one-time-code"
                          maxLength={10}
                          required
                        />
                      )}
                    </Field>
                    <button type="submit" class="primary">
                      {t("twoFactor.turnOnSubmit")}
                    </button>
                  </form>
                </li>
              </ol>
            </>
          )
        )}
      </section>
    </Layout>
  );
}
