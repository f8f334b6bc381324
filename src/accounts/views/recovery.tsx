import type { ComponentChildren } from "preact";
import type { PageContext } from "../../platform/views/context.ts";
import { Csrf, Field, FormErrors, type FormState } from "../../platform/views/forms.tsx";
import { Layout } from "../../platform/views/layout.tsx";
import { PASSWORD_MIN } from "../passwords.ts";

/** "Forgot your password?": the address form, and the same answer for every address once sent. */
export function ForgotPasswordPage({
  ctx,
  form,
  sent = false,
}: {
  ctx: PageContext;
  form: FormState<{ email: string }>;
  sent?: boolean;
}) {
  const { t } = ctx.i18n;
  return (
    <Layout ctx={ctx} title={t("forgot.title")}>
      <section class="narrow">
        <h1>{t("forgot.title")}</h1>
        {sent ? (
          <CheckInbox ctx={ctx} />
        ) : (
          <>
            <p>{t("forgot.intro")}</p>
            <form method="post" action="/password/forgot" class="stack" novalidate>
              <Csrf token={ctx.csrfToken} />
              <FormErrors form={form} t={t} />
              <Field form={form} name="email" label={t("field.email")}>
                {(a) => (
                  <input
                    {...a}
                    type="email"
                    name="email"
                    value={form.values.email ?? ""}
                    autocomplete="email"
                    required
                  />
                )}
              </Field>
              <button type="submit" class="primary">
                {t("forgot.submit")}
              </button>
            </form>
          </>
        )}
        <p>
          <a href="/login">{t("forgot.backToSignIn")}</a>
        </p>
      </section>
    </Layout>
  );
}

/** The one answer to a reset or sign-up request, whatever the address. */
export function CheckInbox({ ctx }: { ctx: PageContext }) {
  const { t } = ctx.i18n;
  return (
    <div class="notice" role="status">
      <p>
        <strong>{t("checkInbox.title")}</strong> {t("checkInbox.body")}
      </p>
    </div>
  );
}

/** The form a reset link leads to. */
export function ResetPasswordPage({
  ctx,
  form,
  token,
}: {
  ctx: PageContext;
  form: FormState<Record<string, string>>;
  token: string;
}) {
  const { t } = ctx.i18n;
  return (
    <Layout ctx={ctx} title={t("reset.title")}>
      <section class="narrow">
        <h1>{t("reset.title")}</h1>
        <form
          method="post"
          action={`/password/reset?token=${encodeURIComponent(token)}`}
          class="stack"
          novalidate
        >
          <Csrf token={ctx.csrfToken} />
          <FormErrors form={form} t={t} />
          <Field
            form={form}
            name="password"
            label={t("field.newPassword")}
            hint={t("reset.passwordHint", { min: PASSWORD_MIN })}
          >
            {(a) => (
              <input
                {...a}
                type="password"
                name="password"
                autocomplete="new-password"
                required
                minLength={PASSWORD_MIN}
              />
            )}
          </Field>
          <button type="submit" class="primary">
            {t("reset.submit")}
          </button>
        </form>
      </section>
    </Layout>
  );
}

/** The button a sign-up confirmation link leads to (a GET never uses a link: mail scanners open them). */
export function ConfirmSignupPage({ ctx, token }: { ctx: PageContext; token: string }) {
  const { t } = ctx.i18n;
  return (
    <Layout ctx={ctx} title={t("confirm.title")}>
      <section class="narrow">
        <h1>{t("confirm.title")}</h1>
        <p>{t("confirm.intro")}</p>
        <form
          method="post"
          action={`/signup/confirm?token=${encodeURIComponent(token)}`}
          class="stack"
        >
          <Csrf token={ctx.csrfToken} />
          <button type="submit" class="primary">
            {t("confirm.submit")}
          </button>
        </form>
      </section>
    </Layout>
  );
}

/** A link that is unknown, used, expired or meant for something else: all look alike. */
export function DeadLinkPage({
  ctx,
  kind,
}: {
  ctx: PageContext;
  kind: "reset" | "signup" | "taken" | "ticket";
}) {
  const { t, rich } = ctx.i18n;
  const signIn = (chunks: ComponentChildren) => <a href="/login">{chunks}</a>;
  return (
    <Layout ctx={ctx} title={t("deadLink.title")}>
      <section class="narrow">
        <h1>{t("deadLink.title")}</h1>
        {kind === "taken" ? (
          <p>
            {rich("deadLink.taken", {
              signIn,
              reset: (chunks: ComponentChildren) => <a href="/password/forgot">{chunks}</a>,
            })}
          </p>
        ) : (
          <p>
            {t("deadLink.explain")}{" "}
            {kind === "reset"
              ? rich("deadLink.askAgain", {
                  link: (chunks: ComponentChildren) => <a href="/password/forgot">{chunks}</a>,
                })
              : kind === "ticket"
                ? rich("deadLink.ticket", { signIn })
                : rich("deadLink.signUpAgain", {
                    link: (chunks: ComponentChildren) => <a href="/signup">{chunks}</a>,
                  })}
          </p>
        )}
      </section>
    </Layout>
  );
}

/** Where a ticket link leads when it opens the ticket: a button (a GET changes nothing). */
export function OpenTicketLinkPage({
  ctx,
  ticketId,
  token,
  name,
}: {
  ctx: PageContext;
  ticketId: number;
  token: string;
  name: string;
}) {
  const signedInAsOther = ctx.actor !== undefined && ctx.actor.onlyTicketId === undefined;
  const { t, rich } = ctx.i18n;
  const id = String(ticketId);
  return (
    <Layout ctx={ctx} title={t("ticketLinks.title", { id })}>
      <section class="narrow">
        <h1>{t("ticketLinks.title", { id })}</h1>
        <p>{t("ticketLinks.hello", { name, id })}</p>
        {signedInAsOther && <p class="notice">{t("ticketLinks.signedInAsOther")}</p>}
        <form
          method="post"
          action={`/tickets/${ticketId}/open?token=${encodeURIComponent(token)}`}
          class="stack"
        >
          <Csrf token={ctx.csrfToken} />
          <button type="submit" class="primary">
            {t("ticketLinks.open")}
          </button>
        </form>
        <p>
          {rich("ticketLinks.signInForAll", {
            link: (chunks: ComponentChildren) => <a href="/login">{chunks}</a>,
          })}
        </p>
      </section>
    </Layout>
  );
}

/** Where a ticket link leads when an account without a password must choose one first. */
export function ClaimWithTicketLinkPage({
  ctx,
  ticketId,
  token,
  email,
  form,
}: {
  ctx: PageContext;
  ticketId: number;
  token: string;
  email: string;
  form: FormState<Record<string, string>>;
}) {
  const { t } = ctx.i18n;
  return (
    <Layout ctx={ctx} title={t("ticketLinks.claimTitle")}>
      <section class="narrow">
        <h1>{t("ticketLinks.claimTitle")}</h1>
        <p>{t("ticketLinks.claimIntro", { id: String(ticketId), email })}</p>
        <form
          method="post"
          action={`/tickets/${ticketId}/open?token=${encodeURIComponent(token)}`}
          class="stack"
          novalidate
        >
          <Csrf token={ctx.csrfToken} />
          <FormErrors form={form} t={t} />
          <Field
            form={form}
            name="password"
            label={t("field.password")}
            hint={t("ticketLinks.passwordHint", { min: PASSWORD_MIN })}
          >
            {(a) => (
              <input
                {...a}
                type="password"
                name="password"
                autocomplete="new-password"
                required
                minLength={PASSWORD_MIN}
              />
            )}
          </Field>
          <button type="submit" class="primary">
            {t("ticketLinks.claimSubmit")}
          </button>
        </form>
      </section>
    </Layout>
  );
}
