import type { ComponentChildren } from "preact";
import type { MessageKey } from "../../i18n/i18n.ts";
import type { PageContext } from "../../platform/views/context.ts";
import { Csrf, Field, FormErrors, type FormState } from "../../platform/views/forms.tsx";
import { Layout } from "../../platform/views/layout.tsx";
import { Time } from "../../platform/views/time.tsx";
import type { MailboxInput, MailboxView } from "../mailboxes.service.ts";
import { Tabs } from "./email.tsx";

// Secrets are never put back into a page: these fields always render empty.
const SECRET_FIELDS = new Set(["imapSecret", "smtpSecret"]);

const TLS_KEYS: Record<string, MessageKey> = {
  tls: "mailboxes.tls.tls",
  starttls: "mailboxes.tls.starttls",
  off: "mailboxes.tls.off",
};

const hidden = (chunks: ComponentChildren) => <span class="visually-hidden">{chunks}</span>;

function NoKeyWarning({ keySet, ctx }: { keySet: boolean; ctx: PageContext }) {
  if (keySet) return null;
  return (
    <div class="form-errors" role="note">
      <p>
        {ctx.i18n.rich("mailboxes.noKey", {
          code: (chunks: ComponentChildren) => <code>{chunks}</code>,
        })}
      </p>
    </div>
  );
}

/** The state of a mailbox in words: fetching fine, failing (with the error), or off. */
function Health({ mailbox, ctx }: { mailbox: MailboxView; ctx: PageContext }) {
  const { t, rich } = ctx.i18n;
  if (!mailbox.enabled) return <span>{t("mailboxes.health.off")}</span>;
  const failingSince =
    mailbox.lastErrorAt !== null &&
    (mailbox.lastSuccessAt === null || mailbox.lastErrorAt > mailbox.lastSuccessAt)
      ? mailbox.lastErrorAt
      : undefined;
  if (failingSince) {
    return (
      <span class="mailbox-error">
        {rich("mailboxes.health.failing", {
          error: mailbox.lastError ?? "",
          time: <Time date={failingSince} />,
        })}
      </span>
    );
  }
  if (mailbox.lastSuccessAt === null) return <span>{t("mailboxes.health.notFetched")}</span>;
  return <span>{t("mailboxes.health.ok")}</span>;
}

/** Admins: the IMAP mailboxes, their state (last error, last success) and their actions. */
export function MailboxesPage({
  ctx,
  mailboxes,
  keySet,
}: {
  ctx: PageContext;
  mailboxes: MailboxView[];
  keySet: boolean;
}) {
  const { t, rich } = ctx.i18n;
  return (
    <Layout ctx={ctx} title={t("outbox.tabs.mailboxes")}>
      <section>
        <div class="page-head">
          <h1>{t("outbox.title")}</h1>
          <a href="/admin/email/mailboxes/new" class="button primary">
            {t("mailboxes.add")}
          </a>
        </div>
        <Tabs current="mailboxes" t={t} />
        <NoKeyWarning keySet={keySet} ctx={ctx} />
        <p>{t("mailboxes.intro")}</p>
        {mailboxes.length === 0 ? (
          <p>{t("mailboxes.none")}</p>
        ) : (
          <table class="mailboxes">
            <caption class="visually-hidden">{t("outbox.tabs.mailboxes")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("mailboxes.field.address")}</th>
                <th scope="col">{t("mailboxes.col.server")}</th>
                <th scope="col">{t("mailboxes.col.state")}</th>
                <th scope="col">{t("mailboxes.col.lastSuccess")}</th>
                <th scope="col">{t("mailboxes.col.fetched")}</th>
                <th scope="col">{t("mailboxes.col.actions")}</th>
              </tr>
            </thead>
            <tbody>
              {mailboxes.map((m) => (
                <tr>
                  <th scope="row">
                    <a href={`/admin/email/mailboxes/${m.id}`}>{m.address}</a>
                    {m.name && <span class="muted">{` (${m.name})`}</span>}
                  </th>
                  <td>{`${m.imapHost}:${m.imapPort} · ${m.folder}`}</td>
                  <td>
                    <Health mailbox={m} ctx={ctx} />
                  </td>
                  <td>
                    {m.lastSuccessAt ? <Time date={m.lastSuccessAt} /> : t("mailboxes.never")}
                  </td>
                  <td>{m.messages}</td>
                  <td>
                    <form
                      method="post"
                      action={`/admin/email/mailboxes/${m.id}/enabled`}
                      class="inline"
                    >
                      <Csrf token={ctx.csrfToken} />
                      <input type="hidden" name="enabled" value={m.enabled ? "false" : "true"} />
                      <button type="submit">
                        {rich(m.enabled ? "mailboxes.disable" : "mailboxes.enable", {
                          address: m.address,
                          hidden,
                        })}
                      </button>
                    </form>{" "}
                    <form
                      method="post"
                      action={`/admin/email/mailboxes/${m.id}/delete`}
                      class="inline"
                    >
                      <Csrf token={ctx.csrfToken} />
                      <button type="submit" class="danger">
                        {rich("mailboxes.delete", { address: m.address, hidden })}
                      </button>
                    </form>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </Layout>
  );
}

type FormValues = Record<keyof MailboxInput, string>;

/** The form's values for an existing mailbox (never its secrets). */
export function formValuesOf(m: MailboxView): Partial<FormValues> {
  return {
    address: m.address,
    name: m.name,
    enabled: String(m.enabled),
    imapHost: m.imapHost,
    imapPort: String(m.imapPort),
    imapTls: m.imapTls,
    imapUser: m.imapUser,
    imapAuth: m.imapAuth,
    folder: m.folder,
    afterImport: m.afterImport,
    moveTo: m.moveTo ?? "",
    smtpHost: m.smtpHost ?? "",
    smtpPort: m.smtpPort === null ? "" : String(m.smtpPort),
    smtpTls: m.smtpTls ?? "starttls",
    smtpUser: m.smtpUser ?? "",
    teamId: m.teamId === null ? "" : String(m.teamId),
  };
}

/** Admins: add or edit a mailbox. A plain form: works without JavaScript. */
export function MailboxFormPage({
  ctx,
  form,
  mailbox,
  keySet,
  teams,
}: {
  ctx: PageContext;
  form: FormState<FormValues>;
  /** The mailbox being edited; undefined when adding one. */
  mailbox?: MailboxView | undefined;
  keySet: boolean;
  /** The teams its new tickets may go to, by name. */
  teams: readonly { id: number; name: string }[];
}) {
  const { t } = ctx.i18n;
  const v = (name: keyof FormValues) => (SECRET_FIELDS.has(name) ? "" : (form.values[name] ?? ""));
  const title = mailbox
    ? t("mailboxes.editTitle", { address: mailbox.address })
    : t("mailboxes.addTitle");
  const keep = t("mailboxes.field.keepSecret");
  const tlsLabels = Object.fromEntries(
    Object.entries(TLS_KEYS).map(([value, key]) => [value, t(key)]),
  );
  const text = (
    name: keyof FormValues,
    label: string,
    options: { hint?: string; type?: string; required?: boolean; placeholder?: string } = {},
  ) => (
    <Field form={form} name={name} label={label} hint={options.hint}>
      {(a) => (
        <input
          {...a}
          name={name}
          type={options.type ?? "text"}
          value={v(name)}
          required={options.required}
          placeholder={options.placeholder}
          autocomplete={SECRET_FIELDS.has(name) ? "new-password" : "off"}
          maxLength={SECRET_FIELDS.has(name) ? 8192 : 320}
        />
      )}
    </Field>
  );
  const select = (name: keyof FormValues, label: string, options: Record<string, string>) => (
    <Field form={form} name={name} label={label}>
      {(a) => (
        <select {...a} name={name}>
          {Object.entries(options).map(([value, text]) => (
            <option value={value} selected={v(name) === value}>
              {text}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
  return (
    <Layout ctx={ctx} title={title}>
      <section>
        <h1>{title}</h1>
        <p>
          <a href="/admin/email/mailboxes">{t("mailboxes.back")}</a>
        </p>
        <NoKeyWarning keySet={keySet} ctx={ctx} />
        {mailbox && (
          <dl>
            <dt>{t("mailboxes.col.state")}</dt>
            <dd>
              <Health mailbox={mailbox} ctx={ctx} />
            </dd>
            <dt>{t("mailboxes.col.lastSuccess")}</dt>
            <dd>
              {mailbox.lastSuccessAt ? (
                <Time date={mailbox.lastSuccessAt} absolute />
              ) : (
                t("mailboxes.never")
              )}
            </dd>
            {mailbox.lastError && (
              <>
                <dt>{t("mailboxes.lastError")}</dt>
                <dd>
                  {mailbox.lastError}
                  {mailbox.lastErrorAt && (
                    <>
                      {" ("}
                      <Time date={mailbox.lastErrorAt} absolute />
                      {")"}
                    </>
                  )}
                </dd>
              </>
            )}
          </dl>
        )}
        <FormErrors form={form} t={t} />
        <form
          method="post"
          action={mailbox ? `/admin/email/mailboxes/${mailbox.id}` : "/admin/email/mailboxes"}
          novalidate
        >
          <Csrf token={ctx.csrfToken} />
          <fieldset>
            <legend>{t("mailboxes.field.address")}</legend>
            {text("address", t("mailboxes.field.address"), {
              type: "email",
              required: true,
              placeholder: "support@example.com",
            })}
            {text("name", t("mailboxes.field.name"), {
              hint: t("mailboxes.field.nameHint"),
            })}
            {select("enabled", t("mailboxes.field.enabled"), {
              true: t("mailboxes.field.on"),
              false: t("mailboxes.field.off"),
            })}
            <Field
              form={form}
              name="teamId"
              label={t("mailboxes.field.team")}
              hint={t("mailboxes.field.teamHint")}
            >
              {(a) => (
                <select {...a} name="teamId">
                  <option value="" selected={v("teamId") === ""}>
                    {t("mailboxes.field.noTeam")}
                  </option>
                  {teams.map((team) => (
                    <option value={String(team.id)} selected={v("teamId") === String(team.id)}>
                      {team.name}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          </fieldset>
          <fieldset>
            <legend>{t("mailboxes.imap.legend")}</legend>
            {text("imapHost", t("mailboxes.imap.host"), {
              required: true,
              placeholder: "imap.example.com",
            })}
            {select("imapTls", t("mailboxes.imap.security"), tlsLabels)}
            {text("imapPort", t("mailboxes.imap.port"), {
              hint: t("mailboxes.imap.portHint"),
              type: "text",
            })}
            {text("imapUser", t("mailboxes.imap.user"), { required: true })}
            {select("imapAuth", t("mailboxes.imap.auth"), {
              password: t("mailboxes.imap.authPassword"),
              oauth2: t("mailboxes.imap.authOauth2"),
            })}
            {text("imapSecret", t("mailboxes.imap.secret"), {
              type: "password",
              hint: mailbox ? keep : t("mailboxes.field.storedEncrypted"),
            })}
            {text("folder", t("mailboxes.imap.folder"), {
              hint: t("mailboxes.imap.folderHint"),
              placeholder: "INBOX",
            })}
            {select("afterImport", t("mailboxes.imap.afterImport"), {
              seen: t("mailboxes.imap.markSeen"),
              move: t("mailboxes.imap.move"),
            })}
            {text("moveTo", t("mailboxes.imap.moveTo"), {
              hint: t("mailboxes.imap.moveToHint"),
            })}
          </fieldset>
          <fieldset>
            <legend>{t("mailboxes.smtp.legend")}</legend>
            <p class="hint">{t("mailboxes.smtp.intro")}</p>
            {text("smtpHost", t("mailboxes.smtp.host"), { placeholder: "smtp.example.com" })}
            {select("smtpTls", t("mailboxes.smtp.security"), tlsLabels)}
            {text("smtpPort", t("mailboxes.smtp.port"), {
              hint: t("mailboxes.smtp.portHint"),
            })}
            {text("smtpUser", t("mailboxes.smtp.user"))}
            {text("smtpSecret", t("mailboxes.smtp.secret"), {
              type: "password",
              hint: mailbox?.hasSmtpSecret ? keep : undefined,
            })}
          </fieldset>
          <button type="submit" class="primary">
            {mailbox ? t("mailboxes.save") : t("mailboxes.add")}
          </button>
        </form>
      </section>
    </Layout>
  );
}
