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
  return (
    <Layout ctx={ctx} title="Reset your password">
      <section class="narrow">
        <h1>Reset your password</h1>
        {sent ? (
          <CheckInbox />
        ) : (
          <>
            <p>
              Type the address of your account and we will mail you a link to choose a new password.
            </p>
            <form method="post" action="/password/forgot" class="stack" novalidate>
              <Csrf token={ctx.csrfToken} />
              <FormErrors form={form} />
              <Field form={form} name="email" label="Email">
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
                Send the link
              </button>
            </form>
          </>
        )}
        <p>
          <a href="/login">Back to sign in</a>
        </p>
      </section>
    </Layout>
  );
}

/** The one answer to a reset or sign-up request, whatever the address. */
export function CheckInbox() {
  return (
    <div class="notice" role="status">
      <p>
        <strong>Check your inbox.</strong> We have sent a mail to the address you gave, with a link
        that works once. If nothing arrives within a few minutes, look in your spam folder, or check
        the address and try again.
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
  return (
    <Layout ctx={ctx} title="Choose a new password">
      <section class="narrow">
        <h1>Choose a new password</h1>
        <form
          method="post"
          action={`/password/reset?token=${encodeURIComponent(token)}`}
          class="stack"
          novalidate
        >
          <Csrf token={ctx.csrfToken} />
          <FormErrors form={form} />
          <Field
            form={form}
            name="password"
            label="New password"
            hint={`At least ${PASSWORD_MIN} characters. Every other session is signed out.`}
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
            Set password and sign in
          </button>
        </form>
      </section>
    </Layout>
  );
}

/** The button a sign-up confirmation link leads to (a GET never uses a link: mail scanners open them). */
export function ConfirmSignupPage({ ctx, token }: { ctx: PageContext; token: string }) {
  return (
    <Layout ctx={ctx} title="Confirm your account">
      <section class="narrow">
        <h1>Confirm your account</h1>
        <p>Confirm this address to finish creating your account and sign in.</p>
        <form
          method="post"
          action={`/signup/confirm?token=${encodeURIComponent(token)}`}
          class="stack"
        >
          <Csrf token={ctx.csrfToken} />
          <button type="submit" class="primary">
            Confirm and sign in
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
  return (
    <Layout ctx={ctx} title="This link no longer works">
      <section class="narrow">
        <h1>This link no longer works</h1>
        {kind === "taken" ? (
          <p>
            This address already has an account. <a href="/login">Sign in</a>, or{" "}
            <a href="/password/forgot">choose a new password</a> if you forgot it.
          </p>
        ) : (
          <p>
            Links we mail work once and for a limited time: this one was used already, has expired,
            or was not copied in full.{" "}
            {kind === "reset" ? (
              <a href="/password/forgot">Ask for a new link</a>
            ) : kind === "ticket" ? (
              <>
                <a href="/login">Sign in</a> to see your tickets, or reply to the mail
              </>
            ) : (
              <a href="/signup">Sign up again</a>
            )}
            .
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
