import { NotificationsForm } from "../../email/views/notifications.tsx";
import type { PageContext } from "../../platform/views/context.ts";
import { Csrf, Field, FormErrors, type FormState } from "../../platform/views/forms.tsx";
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
  return (
    <Layout ctx={ctx} title="Sign in">
      <section class="narrow">
        <h1>Sign in</h1>
        {needsSetup && (
          <p class="notice" role="status">
            Tessera has no accounts yet. Open the one-time setup link printed in the server log to
            create the first administrator.
          </p>
        )}
        {providers.length > 0 && (
          // Not boosted: the link redirects to the provider, another origin htmx cannot fetch.
          <ul class="sso-providers" aria-label="Single sign-on" hx-boost="false">
            {providers.map((p) => (
              <li>
                <a class="button" href={`/login/sso/${p.id}${next}`}>
                  Sign in with {p.name}
                </a>
              </li>
            ))}
          </ul>
        )}
        <form method="post" action="/login" class="stack" novalidate>
          <Csrf token={ctx.csrfToken} />
          <input type="hidden" name="next" value={form.values.next ?? ""} />
          <FormErrors form={form} />
          <Field form={form} name="email" label="Email">
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
          <Field form={form} name="password" label="Password">
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
            Sign in
          </button>
        </form>
        <p>
          <a href="/password/forgot">Forgot your password?</a>
        </p>
        <p>
          No account yet? <a href="/signup">Sign up</a>
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
  return (
    <Layout ctx={ctx} title="Sign up">
      <section class="narrow">
        <h1>Create your account</h1>
        {sent ? (
          <CheckInbox />
        ) : enabled ? (
          <form method="post" action="/signup" class="stack" novalidate>
            <Csrf token={ctx.csrfToken} />
            <FormErrors form={form} />
            <AccountFields form={form} />
            <button type="submit" class="primary">
              Create account
            </button>
          </form>
        ) : (
          <p>Sign-up is switched off here. Ask the support team to create an account for you.</p>
        )}
        <p>
          Already have an account? <a href="/login">Sign in</a>
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
  return (
    <Layout ctx={ctx} title="Set up Tessera">
      <section class="narrow">
        <h1>Set up Tessera</h1>
        <p>
          Create the first administrator account. This page works once, from the link in the server
          log.
        </p>
        <form
          method="post"
          action={`/setup?token=${encodeURIComponent(token)}`}
          class="stack"
          novalidate
        >
          <Csrf token={ctx.csrfToken} />
          <FormErrors form={form} />
          <AccountFields form={form} />
          <button type="submit" class="primary">
            Create admin account
          </button>
        </form>
      </section>
    </Layout>
  );
}

export function AccountPage({
  ctx,
  form,
  emailNotifications,
  twoFactor,
}: {
  ctx: PageContext;
  form: FormState<Record<string, string>>;
  /** Staff: whether they get notification mail (undefined: the switch is not shown). */
  emailNotifications?: boolean | undefined;
  twoFactor: TwoFactorStatus;
}) {
  const actor = ctx.actor;
  return (
    <Layout ctx={ctx} title="Your account">
      <section class="narrow">
        <h1>Your account</h1>
        {actor && (
          <dl class="facts">
            <dt>Name</dt>
            <dd>{actor.name}</dd>
            <dt>Email</dt>
            <dd>{actor.email}</dd>
            <dt>Role</dt>
            <dd>{actor.role}</dd>
          </dl>
        )}
        {emailNotifications !== undefined && (
          <NotificationsForm ctx={ctx} enabled={emailNotifications} />
        )}
        <h2>Sign-in security</h2>
        <p>
          {twoFactor.enabled
            ? "Two-factor sign-in is on."
            : "Two-factor sign-in is off: a password alone signs in to your account."}{" "}
          <a href="/account/two-factor">
            {twoFactor.enabled ? "Manage two-factor sign-in" : "Set up two-factor sign-in"}
          </a>
        </p>
        <p>
          <a href="/account/sessions">See where you are signed in</a>
        </p>
        <h2>API tokens</h2>
        <p>
          Scripts and integrations use the REST API with a personal token.{" "}
          <a href="/account/tokens">Manage your API tokens</a>
        </p>
        <h2>Change password</h2>
        <form method="post" action="/account/password" class="stack" novalidate>
          <Csrf token={ctx.csrfToken} />
          <FormErrors form={form} />
          <Field form={form} name="currentPassword" label="Current password">
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
            label="New password"
            hint={`At least ${PASSWORD_MIN} characters.`}
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
            Change password
          </button>
        </form>
      </section>
    </Layout>
  );
}
