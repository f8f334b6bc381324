import type { PageContext } from "../../platform/views/context.ts";
import { Csrf, emptyForm, Field, FormErrors, type FormState } from "../../platform/views/forms.tsx";
import { Layout } from "../../platform/views/layout.tsx";
import type { Enrolment, TwoFactorStatus } from "../two-factor.service.ts";

/** The second step of a sign-in: a code from the app, or a recovery code. */
export function SecondStepPage({
  ctx,
  form,
}: {
  ctx: PageContext;
  form: FormState<{ next: string }>;
}) {
  return (
    <Layout ctx={ctx} title="Two-factor sign-in">
      <section class="narrow">
        <h1>Two-factor sign-in</h1>
        <p>Enter the 6-digit code your authenticator app shows for Tessera.</p>
        <form method="post" action="/login/two-factor" class="stack" novalidate>
          <Csrf token={ctx.csrfToken} />
          <input type="hidden" name="next" value={form.values.next ?? ""} />
          <FormErrors form={form} />
          <Field
            form={form}
            name="code"
            label="Code"
            hint="Lost your phone? Enter one of your recovery codes instead."
          >
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
            Sign in
          </button>
        </form>
        <p>
          <a href="/login">Start again</a>
        </p>
      </section>
    </Layout>
  );
}

/** Recovery codes just made: shown this once. */
function RecoveryCodes({ codes }: { codes: string[] }) {
  return (
    <div class="notice recovery-codes" role="status">
      <p>
        <strong>Your recovery codes.</strong> Save them somewhere safe now: they are not shown
        again. Each one signs you in once if you lose your phone.
      </p>
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
function ProofField({ form, id }: { form: FormState<Record<string, string>>; id: ProofForm }) {
  return (
    <Field
      form={form}
      name="proof"
      id={`proof-${id}`}
      label="Current code or password"
      hint="A 6-digit code from your app, or your password."
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
  return (
    <Layout ctx={ctx} title="Two-factor sign-in">
      <section class="narrow">
        {!enrolling && (
          <p>
            <a href="/account">Your account</a>
          </p>
        )}
        <h1>Two-factor sign-in</h1>
        {enrolling && (
          <div class="notice" role="status">
            <p>Two-factor sign-in is required for staff on this helpdesk. Set it up to continue.</p>
            <form method="post" action="/logout" class="inline">
              <Csrf token={ctx.csrfToken} />
              <button type="submit" class="link">
                Sign out instead
              </button>
            </form>
          </div>
        )}
        {codes && <RecoveryCodes codes={codes} />}
        {codes && enrolling === false && status.enabled && (
          <p>
            <a href="/" class="button primary">
              Continue
            </a>
          </p>
        )}
        {status.enabled ? (
          <>
            <p>
              Two-factor sign-in is <strong>on</strong>: signing in asks for a code from your
              authenticator app after your password.
            </p>
            <p>
              {`${status.recoveryCodesLeft} of 10 recovery codes left.`}
              {status.recoveryCodesLeft <= 3 && " Make new ones before they run out."}
            </p>
            <h2>New recovery codes</h2>
            <p>Makes ten new codes; the old ones stop working.</p>
            <form
              method="post"
              action="/account/two-factor/recovery-codes"
              class="stack"
              novalidate
            >
              <Csrf token={ctx.csrfToken} />
              <FormErrors form={refused === "recovery-codes" ? form : emptyForm()} />
              <ProofField
                form={refused === "recovery-codes" ? form : emptyForm()}
                id="recovery-codes"
              />
              <button type="submit">Make new recovery codes</button>
            </form>
            {status.required && refused === "disable" && <FormErrors form={form} />}
            {!status.required && (
              <>
                <h2>Turn off</h2>
                <form method="post" action="/account/two-factor/disable" class="stack" novalidate>
                  <Csrf token={ctx.csrfToken} />
                  <FormErrors form={refused === "disable" ? form : emptyForm()} />
                  <ProofField form={refused === "disable" ? form : emptyForm()} id="disable" />
                  <button type="submit" class="danger">
                    Turn off two-factor sign-in
                  </button>
                </form>
              </>
            )}
          </>
        ) : (
          enrolment && (
            <>
              <p>
                Two-factor sign-in is <strong>off</strong>. With it on, signing in asks for a code
                from an authenticator app on your phone (such as Aegis, Google Authenticator or
                1Password) after your password, so a stolen password alone is not enough.
              </p>
              <ol class="steps">
                <li>
                  <p>Scan this QR code with your authenticator app.</p>
                  <img
                    class="qr-code"
                    src={`data:image/svg+xml;base64,${Buffer.from(enrolment.qrSvg).toString("base64")}`}
                    alt="QR code for your authenticator app (the key below holds the same)"
                    width={200}
                    height={200}
                  />
                  <p>
                    Or type this key into the app: <code class="secret">{enrolment.secret}</code>
                  </p>
                </li>
                <li>
                  <form method="post" action="/account/two-factor" class="stack" novalidate>
                    <Csrf token={ctx.csrfToken} />
                    <FormErrors form={form} />
                    <Field form={form} name="code" label="Code from the app">
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
                      Turn on two-factor sign-in
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
