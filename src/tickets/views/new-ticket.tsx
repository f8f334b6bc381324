import type { FieldDef } from "../../fields/index.ts";
import { DEFAULT_TRANSLATOR, type Translator } from "../../i18n/i18n.ts";
import type { PageContext } from "../../platform/views/context.ts";
import {
  Csrf,
  Field,
  FormErrors,
  type FormState,
  fieldErrorText,
} from "../../platform/views/forms.tsx";
import { Layout } from "../../platform/views/layout.tsx";
import { PRIORITIES } from "../lifecycle.ts";
import { CONTENT_MAX, MAX_FILES, TITLE_MAX } from "../tickets.schemas.ts";
import { priorityLabel } from "./badges.tsx";
import { FieldInputs } from "./fields.tsx";

type Values = { title: string; description: string; priority: string; teamId: string } & Record<
  string,
  string | string[]
>;

/** A file input with its limits spelled out; used on new tickets and replies. */
export function AttachmentsField({
  form,
  maxMb,
  id = "field-attachments",
  t = DEFAULT_TRANSLATOR.t,
}: {
  form: FormState<unknown>;
  maxMb: number;
  id?: string;
  /** The page's translator (English where a page is not converted yet). */
  t?: Translator["t"];
}) {
  const error = form.errors.find((e) => e.field === "attachments");
  return (
    <div class={error ? "field has-error" : "field"}>
      <label for={id}>{t("attachments.label")}</label>
      <p class="hint" id={`${id}-hint`}>
        {t("attachments.hint", { files: MAX_FILES, mb: maxMb })}
      </p>
      <input
        id={id}
        type="file"
        name="attachments"
        multiple
        aria-describedby={error ? `${id}-hint ${id}-error` : `${id}-hint`}
      />
      {error && (
        <p class="error" id={`${id}-error`}>
          {fieldErrorText(error, t("ticket.attachments"), t)}
        </p>
      )}
    </div>
  );
}

/** The sketch's `ticket_submission` page. */
export function NewTicketPage({
  ctx,
  form,
  maxMb,
  categories,
  fields = [],
}: {
  ctx: PageContext;
  form: FormState<Values>;
  maxMb: number;
  /** Teams offered as categories; the choice puts the ticket in that team. */
  categories: readonly { id: number; name: string }[];
  /** Custom fields to fill in (customers: those shown to them), none required here. */
  fields?: readonly FieldDef[];
}) {
  const priority = form.values.priority ?? "normal";
  const { t } = ctx.i18n;
  return (
    <Layout ctx={ctx} title={t("newTicket.title")}>
      <section class="narrow">
        <h1>{t("newTicket.heading")}</h1>
        <form
          method="post"
          action="/tickets"
          enctype="multipart/form-data"
          class="stack"
          novalidate
        >
          <Csrf token={ctx.csrfToken} />
          <FormErrors form={form} t={t} />
          <Field
            form={form}
            name="title"
            label={t("newTicket.subject")}
            hint={t("newTicket.subjectHint")}
          >
            {(a) => (
              <input
                {...a}
                type="text"
                name="title"
                value={form.values.title ?? ""}
                required
                maxLength={TITLE_MAX}
              />
            )}
          </Field>
          <Field
            form={form}
            name="description"
            label={t("newTicket.description")}
            hint={t("newTicket.descriptionHint")}
          >
            {(a) => (
              <textarea {...a} name="description" rows={10} required maxLength={CONTENT_MAX}>
                {form.values.description ?? ""}
              </textarea>
            )}
          </Field>
          <Field form={form} name="priority" label={t("newTicket.priority")}>
            {(a) => (
              <select {...a} name="priority">
                {PRIORITIES.map((p) => (
                  <option value={p} selected={p === priority}>
                    {priorityLabel(p, t)}
                  </option>
                ))}
              </select>
            )}
          </Field>
          {categories.length > 0 && (
            <Field form={form} name="teamId" label={t("newTicket.category")}>
              {(a) => (
                <select {...a} name="teamId">
                  <option value="" selected={!form.values.teamId}>
                    {t("newTicket.notSure")}
                  </option>
                  {categories.map((c) => (
                    <option value={String(c.id)} selected={String(c.id) === form.values.teamId}>
                      {c.name}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          )}
          <FieldInputs
            t={t}
            defs={fields}
            values={(def) => form.values[`fields.${def.name}`] ?? ""}
            form={form}
          />
          <AttachmentsField form={form} maxMb={maxMb} t={t} />
          <button type="submit" class="primary">
            {t("newTicket.submit")}
          </button>
        </form>
      </section>
    </Layout>
  );
}
