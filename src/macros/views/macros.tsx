import type { Translator } from "../../i18n/i18n.ts";
import { renderMarkdown } from "../../lib/markdown.ts";
import type { PageContext } from "../../platform/views/context.ts";
import {
  Csrf,
  Field,
  FormErrors,
  type FormState,
  fieldErrorText,
} from "../../platform/views/forms.tsx";
import { Layout } from "../../platform/views/layout.tsx";
import { SharedAndOwn } from "../../platform/views/owned.tsx";
import { PRIORITIES, type Priority, STATUSES, type Status } from "../../tickets/lifecycle.ts";
import { priorityLabel, statusLabel } from "../../tickets/views/badges.tsx";
import {
  MACRO_ACTION_TYPES,
  MACRO_ACTIONS_MAX,
  MACRO_NAME_MAX,
  MACRO_TEXT_MAX,
  type MacroActionType,
} from "../macros.schemas.ts";
import type { Macro, MacroActionForm, MacroPreview } from "../macros.service.ts";

type T = Translator["t"];

/** A macro's form as typed: its name, "true" for a ticked box, and its action rows. */
export interface MacroFormValues {
  name: string;
  shared: string;
  actions: MacroActionForm[];
}

const ACTION_KEYS = {
  add_reply: "macros.action.addReply",
  add_note: "macros.action.addNote",
  set_status: "macros.action.setStatus",
  set_priority: "macros.action.setPriority",
  set_assignee: "macros.action.setAssignee",
  set_team: "macros.action.setTeam",
  add_tag: "macros.action.addTag",
  remove_tag: "macros.action.removeTag",
  set_field: "fields.actions.set",
} as const satisfies Record<MacroActionType, string>;

const FIELD_KEYS = {
  status: "macros.preview.status",
  priority: "macros.preview.priority",
  assignee: "macros.preview.assignee",
  team: "macros.preview.team",
} as const;

/** One action as a short line: "Set status: solved". */
export function actionLabel(a: MacroActionForm, t: T): string {
  const name = (MACRO_ACTION_TYPES as readonly string[]).includes(a.type)
    ? t(ACTION_KEYS[a.type as MacroActionType])
    : a.type;
  return a.value ? `${name}: ${a.value}` : name;
}

/** Empty rows up to the form's size, after the ones used. */
function rowsToShow(actions: readonly MacroActionForm[]): MacroActionForm[] {
  const shown = Math.min(MACRO_ACTIONS_MAX, Math.max(actions.length + 2, 4));
  return Array.from({ length: shown }, (_, i) => actions[i] ?? { type: "", value: "", body: "" });
}

function ActionRows({
  form,
  t,
  rich,
}: {
  form: FormState<MacroFormValues>;
  t: T;
  rich: Translator["rich"];
}) {
  const rows = rowsToShow(form.values.actions ?? []);
  const errorOf = (name: string, label: string) => {
    const e = form.errors.find((x) => x.field === name);
    return e ? (
      <p class="error" id={`field-${name}-error`}>
        {fieldErrorText(e, label, t)}
      </p>
    ) : null;
  };
  return (
    <fieldset class="macro-actions">
      <legend>{t("macros.field.actions")}</legend>
      <p class="hint">{t("macros.field.actionsHint")}</p>
      <ol>
        {rows.map((row, i) => (
          <li class="macro-action">
            <label for={`field-actions.${i}.type`}>{t("macros.field.type")}</label>
            <select id={`field-actions.${i}.type`} name={`actions.${i}.type`}>
              <option value="">{t("macros.field.typeNone")}</option>
              {MACRO_ACTION_TYPES.map((type) => (
                <option value={type} selected={row.type === type}>
                  {t(ACTION_KEYS[type])}
                </option>
              ))}
            </select>
            {errorOf(`actions.${i}.type`, t("macros.field.type"))}
            <label for={`field-actions.${i}.value`}>{t("macros.field.value")}</label>
            <input
              id={`field-actions.${i}.value`}
              name={`actions.${i}.value`}
              value={row.value}
              maxLength={500}
            />
            {errorOf(`actions.${i}.value`, t("macros.field.value"))}
            <label for={`field-actions.${i}.body`}>{t("macros.field.body")}</label>
            <textarea
              id={`field-actions.${i}.body`}
              name={`actions.${i}.body`}
              rows={3}
              maxLength={MACRO_TEXT_MAX}
            >
              {row.body}
            </textarea>
            {errorOf(`actions.${i}.body`, t("macros.field.body"))}
          </li>
        ))}
      </ol>
      <p class="hint">
        {rich("macros.field.valueHint", {
          statuses: <code>{STATUSES.filter((s) => s !== "new").join(", ")}</code>,
          priorities: <code>{PRIORITIES.join(", ")}</code>,
          nobody: <code>nobody</code>,
          none: <code>none</code>,
        })}
      </p>
      <p class="hint">{rich("fields.actions.hint", { example: <code>product=Printer</code> })}</p>
    </fieldset>
  );
}

function MacroFields({
  form,
  placeholders,
  t,
  rich,
}: {
  form: FormState<MacroFormValues>;
  placeholders: readonly string[];
  t: T;
  rich: Translator["rich"];
}) {
  return (
    <>
      <Field form={form} name="name" label={t("macros.field.name")}>
        {(a) => (
          <input
            {...a}
            name="name"
            required
            maxLength={MACRO_NAME_MAX}
            value={form.values.name ?? ""}
          />
        )}
      </Field>
      <ActionRows form={form} t={t} rich={rich} />
      <p class="hint">
        {t("macros.placeholders")}{" "}
        {placeholders.map((name, i) => (
          <>
            {i > 0 && ", "}
            <code>{`{{${name}}}`}</code>
          </>
        ))}
      </p>
    </>
  );
}

function MacroList({ list, t }: { list: readonly (Macro & { typed: MacroActionForm[] })[]; t: T }) {
  return (
    <ul class="macro-list">
      {list.map((m) => (
        <li id={`macro-${m.id}`}>
          <strong>{m.name}</strong>{" "}
          {m.editable && (
            <a href={`/macros/${m.id}`} aria-label={t("macros.editNamed", { name: m.name })}>
              {t("macros.edit")}
            </a>
          )}
          <ul class="macro-steps">
            {m.typed.map((a) => (
              <li>{actionLabel(a, t)}</li>
            ))}
          </ul>
        </li>
      ))}
    </ul>
  );
}

/** The macros page: the shared ones, the reader's own, and a form for a new one. */
export function MacrosPage({
  ctx,
  macros,
  placeholders,
  form,
}: {
  ctx: PageContext;
  macros: readonly (Macro & { typed: MacroActionForm[] })[];
  placeholders: readonly string[];
  form: FormState<MacroFormValues>;
}) {
  const { t } = ctx.i18n;
  const admin = ctx.actor?.role === "admin";
  return (
    <Layout ctx={ctx} title={t("macros.title")}>
      <h1>{t("macros.title")}</h1>
      <p>{t("macros.intro")}</p>
      <SharedAndOwn
        id="macros"
        items={macros}
        admin={admin}
        text={{
          shared: t("macros.shared"),
          mine: t("macros.mine"),
          noneShared: t("macros.noneShared"),
          noneMine: t("macros.noneMine"),
          byAdmins: t("macros.sharedByAdmins"),
        }}
        list={(list) => <MacroList list={list} t={t} />}
      />
      <section aria-labelledby="macros-new">
        <h2 id="macros-new">{t("macros.new")}</h2>
        <form method="post" action="/macros" class="stack" novalidate>
          <Csrf token={ctx.csrfToken} />
          <FormErrors form={form} t={t} />
          <MacroFields form={form} placeholders={placeholders} t={t} rich={ctx.i18n.rich} />
          {admin && (
            <div class="field checkbox">
              <input
                type="checkbox"
                id="field-shared"
                name="shared"
                value="true"
                checked={form.values.shared === "true"}
              />
              <label for="field-shared">{t("macros.field.shared")}</label>
            </div>
          )}
          <button type="submit" class="primary">
            {t("macros.create")}
          </button>
        </form>
      </section>
    </Layout>
  );
}

/** One macro's edit page, with its delete button. */
export function MacroEditPage({
  ctx,
  macro,
  placeholders,
  form,
}: {
  ctx: PageContext;
  macro: Macro;
  placeholders: readonly string[];
  form: FormState<MacroFormValues>;
}) {
  const { t } = ctx.i18n;
  return (
    <Layout ctx={ctx} title={t("macros.editTitle", { name: macro.name })}>
      <p>
        <a href="/macros">{t("macros.back")}</a>
      </p>
      <h1>{t("macros.editTitle", { name: macro.name })}</h1>
      <p class="muted">{t(macro.shared ? "macros.isShared" : "macros.isMine")}</p>
      <form method="post" action={`/macros/${macro.id}`} class="stack" novalidate>
        <Csrf token={ctx.csrfToken} />
        <FormErrors form={form} t={t} />
        <MacroFields form={form} placeholders={placeholders} t={t} rich={ctx.i18n.rich} />
        <button type="submit" class="primary">
          {t("macros.save")}
        </button>
      </form>
      <form method="post" action={`/macros/${macro.id}/delete`} class="inline">
        <Csrf token={ctx.csrfToken} />
        <button type="submit" class="danger">
          {t("macros.delete")}
        </button>
      </form>
    </Layout>
  );
}

/** Choosing a macro for a ticket: a plain list, then its preview (a GET form). */
export function ChooseMacroPage({
  ctx,
  ticketId,
  macros,
}: {
  ctx: PageContext;
  ticketId: number;
  macros: readonly Macro[];
}) {
  const { t } = ctx.i18n;
  return (
    <Layout ctx={ctx} title={t("macros.choose.title", { id: String(ticketId) })}>
      <p>
        <a href={`/tickets/${ticketId}`}>{t("macros.backToTicket", { id: String(ticketId) })}</a>
      </p>
      <h1>{t("macros.choose.title", { id: String(ticketId) })}</h1>
      {macros.length === 0 ? (
        <p class="muted">
          {t("macros.choose.none")} <a href="/macros">{t("macros.nav")}</a>
        </p>
      ) : (
        <form method="get" action={`/tickets/${ticketId}/macros/preview`} class="stack">
          <div class="field">
            <label for="field-macro">{t("macros.choose.label")}</label>
            <select id="field-macro" name="macro">
              {macros.map((m) => (
                <option value={String(m.id)}>
                  {m.shared ? m.name : t("macros.choose.mineOption", { name: m.name })}
                </option>
              ))}
            </select>
          </div>
          <button type="submit" class="primary">
            {t("macros.choose.preview")}
          </button>
        </form>
      )}
    </Layout>
  );
}

/** What a macro will change on a ticket, old → new, and the button that applies it. */
export function MacroPreviewPage({
  ctx,
  preview,
  refusal,
}: {
  ctx: PageContext;
  preview: MacroPreview;
  /** Applying was refused (the ticket changed meanwhile): why. */
  refusal?: string | undefined;
}) {
  const { t } = ctx.i18n;
  const id = String(preview.ticketId);
  const value = (field: string, v: string | null) =>
    v === null
      ? t(field === "team" ? "macros.preview.noTeam" : "macros.preview.nobody")
      : field === "status"
        ? statusLabel(v as Status, t)
        : field === "priority"
          ? priorityLabel(v as Priority, t)
          : v;
  const nothing =
    preview.changes.length === 0 &&
    preview.fieldChanges.length === 0 &&
    preview.tagsAdded.length === 0 &&
    preview.tagsRemoved.length === 0 &&
    preview.replies.length === 0;
  return (
    <Layout ctx={ctx} title={t("macros.preview.title", { name: preview.macro.name, id })}>
      <p>
        <a href={`/tickets/${id}`}>{t("macros.backToTicket", { id })}</a>
      </p>
      <h1>{t("macros.preview.title", { name: preview.macro.name, id })}</h1>
      {refusal && (
        <p class="notice is-error" role="alert">
          {refusal}
        </p>
      )}
      {preview.closed && (
        <p class="notice is-warning" role="status" id="macro-closed">
          {t("macros.preview.closed")}
        </p>
      )}
      {nothing && <p class="muted">{t("macros.preview.nothing")}</p>}
      {(preview.changes.length > 0 || preview.fieldChanges.length > 0) && (
        <table class="macro-changes">
          <caption>{t("macros.preview.changes")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("macros.preview.field")}</th>
              <th scope="col">{t("macros.preview.from")}</th>
              <th scope="col">{t("macros.preview.to")}</th>
            </tr>
          </thead>
          <tbody>
            {preview.changes.map((c) => (
              <tr data-change={c.field}>
                <th scope="row">{t(FIELD_KEYS[c.field])}</th>
                <td>{value(c.field, c.from)}</td>
                <td>{value(c.field, c.to)}</td>
              </tr>
            ))}
            {preview.fieldChanges.map((c) => (
              <tr data-change={`fields.${c.name}`}>
                <th scope="row">{c.label}</th>
                <td>{c.from ?? t("fields.actions.unset")}</td>
                <td>{c.to ?? t("fields.actions.unset")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {preview.tagsAdded.length > 0 && (
        <p data-tags-added>
          {t("macros.preview.tagsAdded")} {preview.tagsAdded.join(", ")}
        </p>
      )}
      {preview.tagsRemoved.length > 0 && (
        <p data-tags-removed>
          {t("macros.preview.tagsRemoved")} {preview.tagsRemoved.join(", ")}
        </p>
      )}
      {preview.replies.map((r) => (
        <section class={r.internal ? "message internal" : "message"}>
          <h2>{t(r.internal ? "macros.preview.note" : "macros.preview.reply")}</h2>
          {/* Markdown rendered safely (placeholder values were escaped as text). */}
          <div class="content" dangerouslySetInnerHTML={{ __html: renderMarkdown(r.body) }} />
        </section>
      ))}
      {!preview.closed && (
        <form
          method="post"
          action={`/tickets/${id}/macros/${preview.macro.id}/apply`}
          class="stack"
        >
          <Csrf token={ctx.csrfToken} />
          {preview.openChildren.length > 0 && (
            <div class="notice is-warning" role="status" id="macro-open-children">
              <p>
                {t("macros.preview.openChildren", {
                  ids: preview.openChildren.map((c) => `#${c}`).join(", "),
                  count: preview.openChildren.length,
                })}
              </p>
              <div class="field checkbox">
                <input
                  type="checkbox"
                  id="field-solveWithOpenChildren"
                  name="solveWithOpenChildren"
                  value="true"
                />
                <label for="field-solveWithOpenChildren">
                  {t("macros.preview.confirmChildren")}
                </label>
              </div>
            </div>
          )}
          <button type="submit" class="primary">
            {t("macros.preview.apply")}
          </button>
        </form>
      )}
    </Layout>
  );
}
