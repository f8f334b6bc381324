import type { FieldDef, FieldValue } from "../../fields/index.ts";
import type { Translator } from "../../i18n/i18n.ts";
import type { PageContext } from "../../platform/views/context.ts";
import {
  Csrf,
  Field,
  FormErrors,
  type FormState,
  fieldErrorText,
} from "../../platform/views/forms.tsx";

/** What a fields form posted, by input name (`fields.<name>`): one value, or several. */
export type FieldFormValues = Record<string, string | string[]>;

/** A stored value as the form's inputs show it. */
function shown(value: FieldValue | undefined): string | string[] {
  if (value === undefined) return "";
  if (Array.isArray(value)) return value;
  return String(value);
}

function one(value: string | string[] | undefined): string {
  return Array.isArray(value) ? (value.at(-1) ?? "") : (value ?? "");
}

/**
 * One input per field, each named `fields.<name>` (problems are shown next to
 * it): text, number and date inputs, a select for one choice, checkboxes for
 * several (a hidden empty value lets all of them be cleared), and a checkbox
 * (after a hidden `false`, so unticking is sent too).
 */
export function FieldInputs({
  t,
  defs,
  values,
  form,
}: {
  t: Translator["t"];
  defs: readonly FieldDef[];
  values: (def: FieldDef) => string | string[];
  form: FormState<unknown>;
}) {
  return (
    <>
      {defs.map((def) => {
        const name = `fields.${def.name}`;
        const value = values(def);
        const error = form.errors.find((e) => e.field === name);
        if (def.type === "choices") {
          const picked = Array.isArray(value) ? value : [value];
          return (
            <fieldset class={error ? "field field-choices has-error" : "field field-choices"}>
              <legend>{def.label}</legend>
              <input type="hidden" name={name} value="" />
              {def.choices.map((choice) => (
                <label>
                  <input
                    type="checkbox"
                    name={name}
                    value={choice}
                    checked={picked.includes(choice)}
                  />{" "}
                  {choice}
                </label>
              ))}
              {error && <p class="error">{fieldErrorText(error, def.label, t)}</p>}
            </fieldset>
          );
        }
        return (
          <Field form={form} name={name} label={def.label} id={`field-fields-${def.name}`}>
            {(a) =>
              def.type === "choice" ? (
                <select {...a} name={name}>
                  <option value="">—</option>
                  {def.choices.map((choice) => (
                    <option value={choice} selected={one(value) === choice}>
                      {choice}
                    </option>
                  ))}
                </select>
              ) : def.type === "checkbox" ? (
                <span>
                  <input type="hidden" name={name} value="false" />
                  <input
                    {...a}
                    type="checkbox"
                    name={name}
                    value="true"
                    checked={one(value) === "true"}
                  />
                </span>
              ) : (
                <input
                  {...a}
                  name={name}
                  type={def.type === "number" ? "number" : def.type === "date" ? "date" : "text"}
                  {...(def.type === "number" ? { step: "any" } : {})}
                  maxLength={def.type === "text" ? 1000 : undefined}
                  value={one(value)}
                />
              )
            }
          </Field>
        );
      })}
    </>
  );
}

/** A value as read on a page: choices joined, a checkbox yes or no. */
export function valueOnPage(def: FieldDef, value: FieldValue | undefined, t: Translator["t"]) {
  if (def.type === "checkbox")
    return value === true ? t("fields.ticket.yes") : t("fields.ticket.no");
  if (value === undefined) return "—";
  return Array.isArray(value) ? value.join(", ") : String(value);
}

/**
 * The ticket's custom fields: staff edit them all in one form (each posted
 * with the value it showed, so only what this person changed is applied);
 * customers read those shown to them. Nothing when there are none.
 */
export function FieldsPanel({
  ctx,
  ticketId,
  fields,
  staff,
  editable,
  form,
}: {
  ctx: PageContext;
  ticketId: number;
  fields: readonly { def: FieldDef; value: FieldValue | undefined }[];
  staff: boolean;
  editable: boolean;
  form: FormState<FieldFormValues>;
}) {
  const { t } = ctx.i18n;
  if (fields.length === 0) return null;
  const current = new Map(fields.map((f) => [f.def.id, f.value]));
  if (!staff || !editable)
    return (
      <section class="panel" aria-labelledby="fields-heading" id="fields">
        <h2 id="fields-heading">{t("fields.ticket.heading")}</h2>
        <dl class="ticket-fields">
          {fields.map(({ def, value }) => (
            <>
              <dt>{def.label}</dt>
              <dd data-field={def.name}>{valueOnPage(def, value, t)}</dd>
            </>
          ))}
        </dl>
      </section>
    );
  const typed = Object.keys(form.values).length > 0;
  return (
    <section class="panel" aria-labelledby="fields-heading" id="fields">
      <h2 id="fields-heading">{t("fields.ticket.heading")}</h2>
      <form method="post" action={`/tickets/${ticketId}/fields`} class="stack" novalidate>
        <Csrf token={ctx.csrfToken} />
        <FormErrors form={form} t={t} />
        {fields.map(({ def, value }) => (
          <input type="hidden" name={`was.${def.name}`} value={valueTextOf(value)} />
        ))}
        <FieldInputs
          t={t}
          defs={fields.map((f) => f.def)}
          values={(def) =>
            typed ? (form.values[`fields.${def.name}`] ?? "") : shown(current.get(def.id))
          }
          form={form}
        />
        <button type="submit">{t("fields.ticket.save")}</button>
      </form>
    </section>
  );
}

/** What the form compares to tell a changed field (see `postedChanges`). */
export function valueTextOf(value: FieldValue | undefined): string {
  if (value === undefined || value === false) return "";
  return Array.isArray(value) ? value.join(", ") : String(value);
}

/**
 * The values a fields form posted (`fields.<name>`), by field name: those the
 * person changed only, when the form says what it showed (`was.<name>`).
 */
export function postedFieldValues(
  body: unknown,
  onlyChanged: boolean,
): { values: Record<string, string | string[]>; posted: FieldFormValues } {
  const values: Record<string, string | string[]> = {};
  const posted: FieldFormValues = {};
  const all = (body ?? {}) as Record<string, unknown>;
  for (const [key, raw] of Object.entries(all)) {
    if (!key.startsWith("fields.")) continue;
    const list = (Array.isArray(raw) ? raw : [raw]).filter(
      (v): v is string => typeof v === "string",
    );
    const name = key.slice("fields.".length);
    posted[key] = list.length === 1 ? (list[0] ?? "") : list;
    // A checkbox posts its hidden `false`, then `true` when ticked; several choices a hidden "" first.
    const isList = list.length > 1 && list[0] === "";
    const value: string | string[] = isList ? list.slice(1) : (list.at(-1) ?? "");
    if (onlyChanged) {
      const was = all[`was.${name}`];
      const now = Array.isArray(value) ? value.join(", ") : value === "false" ? "" : value;
      if (typeof was === "string" && was === now) continue;
    }
    values[name] = value;
  }
  return { values, posted };
}
