import type { Translator } from "../../i18n/i18n.ts";
import type { PageContext } from "../../platform/views/context.ts";
import { Csrf, Field, FormErrors, type FormState } from "../../platform/views/forms.tsx";
import { Layout } from "../../platform/views/layout.tsx";
import { SharedAndOwn } from "../../platform/views/owned.tsx";
import { CANNED_BODY_MAX, CANNED_TITLE_MAX } from "../canned.schemas.ts";
import type { CannedReply } from "../canned.service.ts";

type T = Translator["t"];

/** A canned reply's form as typed ("true" for a ticked box). */
export interface CannedFormValues {
  title: string;
  body: string;
  shared: string;
}

/** The placeholders a body may use, each as it is typed. */
function PlaceholderHelp({ names, t }: { names: readonly string[]; t: T }) {
  return (
    <p class="hint" id="canned-placeholders">
      {t("canned.placeholders")}{" "}
      {names.map((name, i) => (
        <>
          {i > 0 && ", "}
          <code>{`{{${name}}}`}</code>
        </>
      ))}
    </p>
  );
}

function CannedFields({
  form,
  placeholders,
  t,
}: {
  form: FormState<CannedFormValues>;
  placeholders: readonly string[];
  t: T;
}) {
  return (
    <>
      <Field form={form} name="title" label={t("canned.field.title")}>
        {(a) => (
          <input
            {...a}
            name="title"
            required
            maxLength={CANNED_TITLE_MAX}
            value={form.values.title ?? ""}
          />
        )}
      </Field>
      <Field
        form={form}
        name="body"
        label={t("canned.field.body")}
        hint={t("canned.field.bodyHint")}
      >
        {(a) => (
          <textarea {...a} name="body" rows={8} required maxLength={CANNED_BODY_MAX}>
            {form.values.body ?? ""}
          </textarea>
        )}
      </Field>
      <PlaceholderHelp names={placeholders} t={t} />
    </>
  );
}

function CannedList({ replies, t }: { replies: readonly CannedReply[]; t: T }) {
  return (
    <ul class="canned-list">
      {replies.map((r) => (
        <li id={`canned-${r.id}`}>
          <strong>{r.title}</strong>{" "}
          {r.editable && (
            <a
              href={`/canned-replies/${r.id}`}
              aria-label={t("canned.editNamed", { title: r.title })}
            >
              {t("canned.edit")}
            </a>
          )}
          <pre class="canned-body">{r.body}</pre>
        </li>
      ))}
    </ul>
  );
}

/** The canned replies page: the shared ones, the reader's own, and a form for a new one. */
export function CannedRepliesPage({
  ctx,
  replies,
  placeholders,
  form,
}: {
  ctx: PageContext;
  replies: readonly CannedReply[];
  placeholders: readonly string[];
  /** The new-reply form (as typed, with its problems, when saving it was refused). */
  form: FormState<CannedFormValues>;
}) {
  const { t } = ctx.i18n;
  const admin = ctx.actor?.role === "admin";
  return (
    <Layout ctx={ctx} title={t("canned.title")}>
      <h1>{t("canned.title")}</h1>
      <p>{t("canned.intro")}</p>
      <SharedAndOwn
        id="canned"
        items={replies}
        admin={admin}
        text={{
          shared: t("canned.shared"),
          mine: t("canned.mine"),
          noneShared: t("canned.noneShared"),
          noneMine: t("canned.noneMine"),
          byAdmins: t("canned.sharedByAdmins"),
        }}
        list={(list) => <CannedList replies={list} t={t} />}
      />
      <section aria-labelledby="canned-new">
        <h2 id="canned-new">{t("canned.new")}</h2>
        <form method="post" action="/canned-replies" class="stack" novalidate>
          <Csrf token={ctx.csrfToken} />
          <FormErrors form={form} t={t} />
          <CannedFields form={form} placeholders={placeholders} t={t} />
          {admin && (
            <div class="field checkbox">
              <input
                type="checkbox"
                id="field-shared"
                name="shared"
                value="true"
                checked={form.values.shared === "true"}
              />
              <label for="field-shared">{t("canned.field.shared")}</label>
            </div>
          )}
          <button type="submit" class="primary">
            {t("canned.create")}
          </button>
        </form>
      </section>
    </Layout>
  );
}

/** One canned reply's edit page, with its delete button. */
export function CannedEditPage({
  ctx,
  reply,
  placeholders,
  form,
}: {
  ctx: PageContext;
  reply: CannedReply;
  placeholders: readonly string[];
  form: FormState<CannedFormValues>;
}) {
  const { t } = ctx.i18n;
  return (
    <Layout ctx={ctx} title={t("canned.editTitle", { title: reply.title })}>
      <p>
        <a href="/canned-replies">{t("canned.back")}</a>
      </p>
      <h1>{t("canned.editTitle", { title: reply.title })}</h1>
      <p class="muted">{t(reply.shared ? "canned.isShared" : "canned.isMine")}</p>
      <form method="post" action={`/canned-replies/${reply.id}`} class="stack" novalidate>
        <Csrf token={ctx.csrfToken} />
        <FormErrors form={form} t={t} />
        <CannedFields form={form} placeholders={placeholders} t={t} />
        <button type="submit" class="primary">
          {t("canned.save")}
        </button>
      </form>
      <form method="post" action={`/canned-replies/${reply.id}/delete`} class="inline">
        <Csrf token={ctx.csrfToken} />
        <button type="submit" class="danger">
          {t("canned.delete")}
        </button>
      </form>
    </Layout>
  );
}

/**
 * In the staff reply form: a canned reply chosen from a plain list and put into
 * the draft by the server ("Insert" posts the draft along). script.js adds the
 * `/` picker in the message box, reading the same list.
 */
export function CannedPicker({
  ticketId,
  replies,
  t,
}: {
  ticketId: number;
  replies: readonly Pick<CannedReply, "id" | "title" | "shared">[];
  t: T;
}) {
  if (replies.length === 0) return null;
  return (
    <div class="field canned-insert" data-canned-ticket={String(ticketId)}>
      <label for="canned-choice">{t("canned.insert.label")}</label>
      <p class="hint" id="canned-slash-hint" data-canned-hint hidden>
        {t("canned.insert.slashHint")}
      </p>
      <div class="inline">
        <select id="canned-choice" name="cannedId">
          {replies.map((r) => (
            <option value={String(r.id)} data-title={r.title}>
              {r.shared ? r.title : t("canned.insert.mineOption", { title: r.title })}
            </option>
          ))}
        </select>{" "}
        <button
          type="submit"
          formaction={`/tickets/${ticketId}/replies/insert`}
          formenctype="application/x-www-form-urlencoded"
          formnovalidate
        >
          {t("canned.insert.button")}
        </button>
      </div>
      {/* The picker's messages, for script.js (swapped with the page). */}
      <span
        hidden
        data-canned-messages={JSON.stringify({
          label: t("canned.picker.label"),
          none: t("canned.picker.none"),
          inserted: t("canned.picker.inserted"),
          failed: t("canned.picker.failed"),
        })}
      />
    </div>
  );
}
