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
  return (
    <Layout ctx={ctx} title={`Ticket #${ticketId}`}>
      <section class="narrow">
        <h1>{`Ticket #${ticketId}`}</h1>
        <p>{`Hello ${name}, this link from your mail opens ticket #${ticketId}, so you can read it and reply.`}</p>
        {signedInAsOther && (
          <p class="notice">
            You are signed in with another account here; opening the ticket signs you out of it.
          </p>
        )}
        <form
          method="post"
          action={`/tickets/${ticketId}/open?token=${encodeURIComponent(token)}`}
          class="stack"
        >
          <Csrf token={ctx.csrfToken} />
          <button type="submit" class="primary">
            Open the ticket
          </button>
        </form>
        <p>
          To see all your tickets, <a href="/login">sign in</a>.
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
  return (
    <Layout ctx={ctx} title="Choose a password">
      <section class="narrow">
        <h1>Choose a password</h1>
        <p>{`To read ticket #${ticketId} and your other tickets, choose a password for ${email}. You sign in with it from now on.`}</p>
        <form
          method="post"
          action={`/tickets/${ticketId}/open?token=${encodeURIComponent(token)}`}
          class="stack"
          novalidate
        >
          <Csrf token={ctx.csrfToken} />
          <FormErrors form={form} />
          <Field
            form={form}
            name="password"
            label="Password"
            hint={`At least ${PASSWORD_MIN} characters. This link works once.`}
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
            Set password and open the ticket
          </button>
        </form>
      </section>
    </Layout>
  );
}
