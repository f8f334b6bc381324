import type { PageContext } from "../../platform/views/context.ts";
import { Csrf, Field, FormErrors, type FormState } from "../../platform/views/forms.tsx";
import { Layout } from "../../platform/views/layout.tsx";
import { Time } from "../../platform/views/time.tsx";
import type { MailboxInput, MailboxView } from "../mailboxes.service.ts";

// Secrets are never put back into a page: these fields always render empty.
const SECRET_FIELDS = new Set(["imapSecret", "smtpSecret"]);

const TLS_LABELS = {
  tls: "TLS (e.g. IMAP 993, SMTP 465)",
  starttls: "STARTTLS (e.g. IMAP 143, SMTP 587)",
  off: "Off (plain text: a trusted network only)",
};

function NoKeyWarning({ keySet }: { keySet: boolean }) {
  if (keySet) return null;
  return (
    <div class="form-errors" role="note">
      <p>
        MAILBOX_SECRET_KEY is not set, so mailbox passwords and tokens cannot be stored. Set it to
        32 random bytes (for example the output of <code>openssl rand -base64 32</code>) in the
        environment of every node, and restart Tessera.
      </p>
    </div>
  );
}

/** The state of a mailbox in words: fetching fine, failing (with the error), or off. */
function Health({ mailbox }: { mailbox: MailboxView }) {
  if (!mailbox.enabled) return <span>Off</span>;
  const failing =
    mailbox.lastErrorAt !== null &&
    (mailbox.lastSuccessAt === null || mailbox.lastErrorAt > mailbox.lastSuccessAt);
  if (failing) {
    return (
      <span class="mailbox-error">
        {"Failing: "}
        {mailbox.lastError}
        {mailbox.lastErrorAt && (
          <>
            {" ("}
            <Time date={mailbox.lastErrorAt} />
            {")"}
          </>
        )}
      </span>
    );
  }
  if (mailbox.lastSuccessAt === null) return <span>Not fetched yet</span>;
  return <span>OK</span>;
}

function Tabs() {
  return (
    <nav aria-label="Email" class="filters">
      <a href="/admin/email">Outgoing mail</a> <a href="/admin/email?tab=inbound">Incoming mail</a>{" "}
      <a href="/admin/email/mailboxes" aria-current="page">
        Mailboxes
      </a>
    </nav>
  );
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
  return (
    <Layout ctx={ctx} title="Mailboxes">
      <section>
        <div class="page-head">
          <h1>Email</h1>
          <a href="/admin/email/mailboxes/new" class="button primary">
            Add mailbox
          </a>
        </div>
        <Tabs />
        <NoKeyWarning keySet={keySet} />
        <p>
          Tessera fetches mail from these IMAP mailboxes and turns it into tickets and replies. Mail
          about those tickets is sent from the mailbox it came in on.
        </p>
        {mailboxes.length === 0 ? (
          <p>No mailboxes yet.</p>
        ) : (
          <table class="mailboxes">
            <caption class="visually-hidden">Mailboxes</caption>
            <thead>
              <tr>
                <th scope="col">Address</th>
                <th scope="col">Server</th>
                <th scope="col">State</th>
                <th scope="col">Last success</th>
                <th scope="col">Fetched</th>
                <th scope="col">Actions</th>
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
                    <Health mailbox={m} />
                  </td>
                  <td>{m.lastSuccessAt ? <Time date={m.lastSuccessAt} /> : "Never"}</td>
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
                        {m.enabled ? "Disable" : "Enable"}
                        <span class="visually-hidden">{` ${m.address}`}</span>
                      </button>
                    </form>{" "}
                    <form
                      method="post"
                      action={`/admin/email/mailboxes/${m.id}/delete`}
                      class="inline"
                    >
                      <Csrf token={ctx.csrfToken} />
                      <button type="submit" class="danger">
                        Delete<span class="visually-hidden">{` ${m.address}`}</span>
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
  const v = (name: keyof FormValues) => (SECRET_FIELDS.has(name) ? "" : (form.values[name] ?? ""));
  const title = mailbox ? `Mailbox ${mailbox.address}` : "Add a mailbox";
  const keep = "Leave blank to keep the one stored (it is never shown again).";
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
          <a href="/admin/email/mailboxes">Back to mailboxes</a>
        </p>
        <NoKeyWarning keySet={keySet} />
        {mailbox && (
          <dl>
            <dt>State</dt>
            <dd>
              <Health mailbox={mailbox} />
            </dd>
            <dt>Last success</dt>
            <dd>
              {mailbox.lastSuccessAt ? <Time date={mailbox.lastSuccessAt} absolute /> : "Never"}
            </dd>
            {mailbox.lastError && (
              <>
                <dt>Last error</dt>
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
        <FormErrors form={form} />
        <form
          method="post"
          action={mailbox ? `/admin/email/mailboxes/${mailbox.id}` : "/admin/email/mailboxes"}
          novalidate
        >
          <Csrf token={ctx.csrfToken} />
          <fieldset>
            <legend>Address</legend>
            {text("address", "Address", {
              type: "email",
              required: true,
              placeholder: "support@example.com",
            })}
            {text("name", "Display name", {
              hint: "Shown as the sender of mail about its tickets.",
            })}
            {select("enabled", "Fetching", { true: "On", false: "Off" })}
            <Field
              form={form}
              name="teamId"
              label="Team"
              hint="New tickets from its mail go to this team, whatever the sender writes."
            >
              {(a) => (
                <select {...a} name="teamId">
                  <option value="" selected={v("teamId") === ""}>
                    No team
                  </option>
                  {teams.map((t) => (
                    <option value={String(t.id)} selected={v("teamId") === String(t.id)}>
                      {t.name}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          </fieldset>
          <fieldset>
            <legend>IMAP (incoming)</legend>
            {text("imapHost", "IMAP host", { required: true, placeholder: "imap.example.com" })}
            {select("imapTls", "IMAP security", TLS_LABELS)}
            {text("imapPort", "IMAP port", {
              hint: "Blank: 993 with TLS, else 143.",
              type: "text",
            })}
            {text("imapUser", "IMAP user", { required: true })}
            {select("imapAuth", "Sign in with", {
              password: "Password",
              oauth2: "OAuth2 access token (XOAUTH2)",
            })}
            {text("imapSecret", "Password or access token", {
              type: "password",
              hint: mailbox ? keep : "Stored encrypted; never shown again.",
            })}
            {text("folder", "Folder", { hint: "Blank: INBOX.", placeholder: "INBOX" })}
            {select("afterImport", "After import", {
              seen: "Mark as read (\\Seen)",
              move: "Move to a folder",
            })}
            {text("moveTo", "Move to folder", {
              hint: "Only when moving after import; made when missing.",
            })}
          </fieldset>
          <fieldset>
            <legend>SMTP (outgoing, optional)</legend>
            <p class="hint">Blank host: mail is sent through SMTP_URL, From this address.</p>
            {text("smtpHost", "SMTP host", { placeholder: "smtp.example.com" })}
            {select("smtpTls", "SMTP security", TLS_LABELS)}
            {text("smtpPort", "SMTP port", {
              hint: "Blank: 465 with TLS, 587 with STARTTLS, else 25.",
            })}
            {text("smtpUser", "SMTP user")}
            {text("smtpSecret", "SMTP password", {
              type: "password",
              hint: mailbox?.hasSmtpSecret ? keep : undefined,
            })}
          </fieldset>
          <button type="submit" class="primary">
            {mailbox ? "Save mailbox" : "Add mailbox"}
          </button>
        </form>
      </section>
    </Layout>
  );
}
