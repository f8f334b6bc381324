import type { PageContext } from "../../platform/views/context.ts";
import { Csrf, Field, FormErrors, type FormState } from "../../platform/views/forms.tsx";
import { Layout } from "../../platform/views/layout.tsx";
import { Time } from "../../platform/views/time.tsx";
import { TOKEN_NAME_MAX } from "../tokens.schemas.ts";
import type { ApiToken, OwnedToken } from "../tokens.service.ts";

/** The account's API tokens: create, list (name, prefix, created, last used), revoke. */
export function TokensPage({
  ctx,
  tokens,
  form,
  created,
}: {
  ctx: PageContext;
  tokens: ApiToken[];
  form: FormState<{ name: string }>;
  /** A token just made: its secret is shown this once and never again. */
  created?: { token: string; name: string } | undefined;
}) {
  return (
    <Layout ctx={ctx} title="API tokens">
      <section class="narrow">
        <p>
          <a href="/account">Your account</a>
        </p>
        <h1>API tokens</h1>
        <p>
          A token lets a script or integration use the <a href="/api/docs">REST API</a> as you, with
          everything you are allowed to do. Send it as{" "}
          <code>Authorization: Bearer &lt;token&gt;</code>.
        </p>
        {created && (
          <div class="token-created" role="status">
            <p>
              Your new token <strong>{created.name}</strong>. Copy it now: it is not shown again.
            </p>
            <label for="new-token">Token</label>
            <input id="new-token" type="text" readOnly value={created.token} class="token-value" />
          </div>
        )}
        <h2>New token</h2>
        <form method="post" action="/account/tokens" class="stack" novalidate>
          <Csrf token={ctx.csrfToken} />
          <FormErrors form={form} />
          <Field form={form} name="name" label="Name" hint="What it is for, e.g. “CRM sync”.">
            {(a) => (
              <input
                {...a}
                type="text"
                name="name"
                value={form.values.name ?? ""}
                maxLength={TOKEN_NAME_MAX}
                required
              />
            )}
          </Field>
          <button type="submit" class="primary">
            Create token
          </button>
        </form>
        <h2>Your tokens</h2>
        {tokens.length === 0 ? (
          <p>You have no API tokens.</p>
        ) : (
          <TokenTable
            ctx={ctx}
            caption="Your API tokens"
            tokens={tokens}
            revokeAction={(t) => `/account/tokens/${t.id}/revoke`}
          />
        )}
      </section>
    </Layout>
  );
}

/** Every API token on the instance with its owner (admins): who can reach the API, and a revoke for each. */
export function AdminTokensPage({ ctx, tokens }: { ctx: PageContext; tokens: OwnedToken[] }) {
  return (
    <Layout ctx={ctx} title="API tokens of all users">
      <section>
        <p>
          <a href="/admin/users">Users</a>
        </p>
        <h1>API tokens of all users</h1>
        <p>
          Each token acts as its owner. Revoking one stops it at once; its owner can make a new one
          on their own tokens page. A disabled user's tokens stop working while they are disabled.
        </p>
        {tokens.length === 0 ? (
          <p>No one has an API token.</p>
        ) : (
          <TokenTable
            ctx={ctx}
            caption="API tokens of all users"
            tokens={tokens}
            revokeAction={(t) => `/admin/tokens/${t.id}/revoke`}
          />
        )}
      </section>
    </Layout>
  );
}

/** A table of tokens (with their owners when given), each with a revoke form posting to `revokeAction`. */
function TokenTable<T extends ApiToken & { owner?: OwnedToken["owner"] }>({
  ctx,
  caption,
  tokens,
  revokeAction,
}: {
  ctx: PageContext;
  caption: string;
  tokens: T[];
  revokeAction: (token: T) => string;
}) {
  const now = new Date();
  const owners = tokens.some((t) => t.owner !== undefined);
  return (
    <table class="tokens">
      <caption class="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          {owners && <th scope="col">Owner</th>}
          <th scope="col">Name</th>
          <th scope="col">Starts with</th>
          <th scope="col">Created</th>
          <th scope="col">Last used</th>
          <th scope="col">
            <span class="visually-hidden">Revoke</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {tokens.map((t) => (
          <tr>
            {owners && (
              <td>
                {t.owner?.name} <span class="muted">{t.owner?.email}</span>
                {t.owner?.disabled && <span class="badge">disabled</span>}
              </td>
            )}
            <td>{t.name}</td>
            <td>
              <code>{t.prefix}…</code>
            </td>
            <td>
              <Time date={t.createdAt} now={now} />
            </td>
            <td>{t.lastUsedAt ? <Time date={t.lastUsedAt} now={now} /> : "Never"}</td>
            <td>
              <form method="post" action={revokeAction(t)}>
                <Csrf token={ctx.csrfToken} />
                <button
                  type="submit"
                  class="danger"
                  aria-label={
                    t.owner ? `Revoke ${t.owner.name}'s token ${t.name}` : `Revoke ${t.name}`
                  }
                >
                  Revoke
                </button>
              </form>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
