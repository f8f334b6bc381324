import type { ComponentChildren } from "preact";
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
  const { t, rich } = ctx.i18n;
  return (
    <Layout ctx={ctx} title={t("tokens.title")}>
      <section class="narrow">
        <p>
          <a href="/account">{t("account.title")}</a>
        </p>
        <h1>{t("tokens.title")}</h1>
        <p>
          {rich("tokens.intro", {
            link: (chunks: ComponentChildren) => <a href="/api/docs">{chunks}</a>,
            header: <code>Authorization: Bearer &lt;token&gt;</code>,
          })}
        </p>
        {created && (
          <div class="token-created" role="status">
            <p>
              {rich("tokens.created", {
                name: created.name,
                strong: (chunks: ComponentChildren) => <strong>{chunks}</strong>,
              })}
            </p>
            <label for="new-token">{t("tokens.token")}</label>
            <input id="new-token" type="text" readOnly value={created.token} class="token-value" />
          </div>
        )}
        <h2>{t("tokens.newHeading")}</h2>
        <form method="post" action="/account/tokens" class="stack" novalidate>
          <Csrf token={ctx.csrfToken} />
          <FormErrors form={form} t={t} />
          <Field form={form} name="name" label={t("field.name")} hint={t("tokens.nameHint")}>
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
            {t("tokens.create")}
          </button>
        </form>
        <h2>{t("tokens.yours")}</h2>
        {tokens.length === 0 ? (
          <p>{t("tokens.none")}</p>
        ) : (
          <TokenTable
            ctx={ctx}
            caption={t("tokens.yoursCaption")}
            tokens={tokens}
            revokeAction={(token) => `/account/tokens/${token.id}/revoke`}
          />
        )}
      </section>
    </Layout>
  );
}

/** Every API token on the instance with its owner (admins): who can reach the API, and a revoke for each. */
export function AdminTokensPage({ ctx, tokens }: { ctx: PageContext; tokens: OwnedToken[] }) {
  const { t } = ctx.i18n;
  return (
    <Layout ctx={ctx} title={t("tokens.allTitle")}>
      <section>
        <p>
          <a href="/admin/users">{t("users.title")}</a>
        </p>
        <h1>{t("tokens.allTitle")}</h1>
        <p>{t("tokens.allIntro")}</p>
        {tokens.length === 0 ? (
          <p>{t("tokens.allNone")}</p>
        ) : (
          <TokenTable
            ctx={ctx}
            caption={t("tokens.allTitle")}
            tokens={tokens}
            revokeAction={(token) => `/admin/tokens/${token.id}/revoke`}
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
  const { t } = ctx.i18n;
  const now = new Date();
  const owners = tokens.some((token) => token.owner !== undefined);
  return (
    <table class="tokens">
      <caption class="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          {owners && <th scope="col">{t("tokens.owner")}</th>}
          <th scope="col">{t("field.name")}</th>
          <th scope="col">{t("tokens.startsWith")}</th>
          <th scope="col">{t("tokens.createdAt")}</th>
          <th scope="col">{t("tokens.lastUsed")}</th>
          <th scope="col">
            <span class="visually-hidden">{t("tokens.revoke")}</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {tokens.map((token) => (
          <tr>
            {owners && (
              <td>
                {token.owner?.name} <span class="muted">{token.owner?.email}</span>
                {token.owner?.disabled && <span class="badge">{t("tokens.ownerDisabled")}</span>}
              </td>
            )}
            <td>{token.name}</td>
            <td>
              <code>{token.prefix}…</code>
            </td>
            <td>
              <Time date={token.createdAt} now={now} />
            </td>
            <td>
              {token.lastUsedAt ? <Time date={token.lastUsedAt} now={now} /> : t("tokens.never")}
            </td>
            <td>
              <form method="post" action={revokeAction(token)}>
                <Csrf token={ctx.csrfToken} />
                <button
                  type="submit"
                  class="danger"
                  aria-label={
                    token.owner
                      ? t("tokens.revokeOwned", { owner: token.owner.name, name: token.name })
                      : t("tokens.revokeOwn", { name: token.name })
                  }
                >
                  {t("tokens.revoke")}
                </button>
              </form>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
