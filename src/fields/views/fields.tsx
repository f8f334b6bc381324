import type { MessageKey } from "../../i18n/i18n.ts";
import type { PageContext } from "../../platform/views/context.ts";
import { Csrf } from "../../platform/views/forms.tsx";
import { Layout } from "../../platform/views/layout.tsx";
import { FIELD_LABEL_MAX, FIELD_TYPES, type FieldType } from "../fields.schemas.ts";
import type { FieldDef } from "../values.ts";

/** Each type's name in the catalogs. */
export const TYPE_KEYS: Record<FieldType, MessageKey> = {
  text: "fields.type.text",
  number: "fields.type.number",
  date: "fields.type.date",
  choice: "fields.type.choice",
  choices: "fields.type.choices",
  checkbox: "fields.type.checkbox",
};

/** The settings every field has: label, choices, options, position (name and type are fixed once made). */
function Settings({
  ctx,
  field,
  idPrefix,
}: {
  ctx: PageContext;
  field: Partial<FieldDef> & { choicesText?: string | undefined };
  idPrefix: string;
}) {
  const { t } = ctx.i18n;
  return (
    <>
      <p>
        <label for={`${idPrefix}-label`}>{t("fields.admin.label")}</label>
        <input
          id={`${idPrefix}-label`}
          name="label"
          value={field.label ?? ""}
          maxLength={FIELD_LABEL_MAX}
          required
        />
      </p>
      <p>
        <label for={`${idPrefix}-choices`}>{t("fields.admin.choices")}</label>
        <textarea id={`${idPrefix}-choices`} name="choices" rows={3}>
          {field.choicesText ?? (field.choices ?? []).join("\n")}
        </textarea>
        <span class="hint">{t("fields.admin.choicesHint")}</span>
      </p>
      <p>
        <label for={`${idPrefix}-position`}>{t("fields.admin.position")}</label>
        <input
          id={`${idPrefix}-position`}
          name="position"
          type="number"
          min="0"
          max="10000"
          value={String(field.position ?? 0)}
        />
      </p>
      <p>
        <label>
          <input
            type="checkbox"
            name="customerVisible"
            value="true"
            checked={field.customerVisible ?? false}
          />{" "}
          {t("fields.admin.customerVisible")}
        </label>
      </p>
      <p>
        <label>
          <input
            type="checkbox"
            name="requiredToSolve"
            value="true"
            checked={field.requiredToSolve ?? false}
          />{" "}
          {t("fields.admin.requiredToSolve")}
        </label>
      </p>
    </>
  );
}

/**
 * Admin → Fields: every custom ticket field with its settings (each editable
 * in place), a form for a new one, and delete (which takes the field's values
 * off every ticket) or disable (which hides them and keeps them).
 */
export function FieldsPage({
  ctx,
  fields,
  problem,
  draft,
}: {
  ctx: PageContext;
  fields: readonly FieldDef[];
  /** Why the last change was refused, in the reader's language. */
  problem?: string | undefined;
  /** What was typed into the refused form (new fields keep it). */
  draft?: Record<string, string> | undefined;
}) {
  const { t } = ctx.i18n;
  const fresh = draft && draft.name !== undefined ? draft : undefined;
  return (
    <Layout ctx={ctx} title={t("fields.admin.title")}>
      <h1>{t("fields.admin.title")}</h1>
      <p class="hint">{t("fields.admin.hint")}</p>
      {problem && (
        <div class="form-errors" role="alert" tabIndex={-1}>
          <p>{problem}</p>
        </div>
      )}
      {fields.length === 0 ? (
        <p class="muted">{t("fields.admin.none")}</p>
      ) : (
        <ul class="fields-admin">
          {fields.map((field) => (
            <li>
              <details>
                <summary>
                  <strong>{field.label}</strong> <code>{field.name}</code> ·{" "}
                  {t(TYPE_KEYS[field.type])}
                  {field.customerVisible && <> · {t("fields.admin.shownToCustomers")}</>}
                  {field.requiredToSolve && <> · {t("fields.admin.required")}</>}
                  {field.disabled && <> · {t("fields.admin.disabled")}</>}
                </summary>
                <form method="post" action={`/admin/fields/${field.id}`}>
                  <Csrf token={ctx.csrfToken} />
                  <Settings ctx={ctx} field={field} idPrefix={`field-${field.id}`} />
                  <p>
                    <label>
                      <input
                        type="checkbox"
                        name="disabled"
                        value="true"
                        checked={field.disabled}
                      />{" "}
                      {t("fields.admin.disable")}
                    </label>
                  </p>
                  <button type="submit">{t("fields.admin.save")}</button>
                </form>
                <form method="post" action={`/admin/fields/${field.id}/delete`} class="inline">
                  <Csrf token={ctx.csrfToken} />
                  <button
                    type="submit"
                    class="danger"
                    aria-label={t("fields.admin.deleteField", { field: field.label })}
                  >
                    {t("fields.admin.delete")}
                  </button>{" "}
                  <span class="hint">{t("fields.admin.deleteHint")}</span>
                </form>
              </details>
            </li>
          ))}
        </ul>
      )}
      <h2>{t("fields.admin.new")}</h2>
      <form method="post" action="/admin/fields">
        <Csrf token={ctx.csrfToken} />
        <p>
          <label for="new-field-name">{t("fields.admin.name")}</label>
          <input
            id="new-field-name"
            name="name"
            value={fresh?.name ?? ""}
            pattern="[a-z][a-z0-9_]{0,39}"
            maxLength={40}
            required
          />
          <span class="hint">{t("fields.admin.nameHint")}</span>
        </p>
        <p>
          <label for="new-field-type">{t("fields.admin.type")}</label>
          <select id="new-field-type" name="type">
            {FIELD_TYPES.map((type) => (
              <option value={type} selected={fresh?.type === type}>
                {t(TYPE_KEYS[type])}
              </option>
            ))}
          </select>
        </p>
        <Settings
          ctx={ctx}
          field={{
            label: fresh?.label,
            choicesText: fresh?.choices,
            customerVisible: fresh?.customerVisible === "true",
            requiredToSolve: fresh?.requiredToSolve === "true",
            position: fresh?.position ? Number(fresh.position) || 0 : fields.length * 10,
          }}
          idPrefix="new-field"
        />
        <button type="submit">{t("fields.admin.create")}</button>
      </form>
    </Layout>
  );
}
