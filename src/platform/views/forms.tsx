import type { ComponentChildren } from "preact";
import { DEFAULT_TRANSLATOR, type Translator, timeZones } from "../../i18n/i18n.ts";
import type { FieldError } from "../../lib/errors.ts";

/** Input kept from a submitted form and the problems found with it. */
export interface FormState<T = Record<string, string>> {
  values: Partial<T>;
  errors: FieldError[];
  /** A problem with the form as a whole (e.g. wrong email or password). */
  message?: string | undefined;
}

export function emptyForm<T>(values: Partial<T> = {}): FormState<T> {
  return { values, errors: [] };
}

export function fieldError(form: FormState<unknown>, name: string): string | undefined {
  return form.errors.find((e) => e.field === name)?.message;
}

export function Csrf({ token }: { token: string }) {
  return <input type="hidden" name="_csrf" value={token} />;
}

/** A summary of a form's problems at its top, announced to screen readers. */
export function FormErrors({
  form,
  t = DEFAULT_TRANSLATOR.t,
}: {
  form: FormState<unknown>;
  /** The page's translator (English where a page is not converted yet). */
  t?: Translator["t"];
}) {
  if (form.errors.length === 0 && !form.message) return null;
  return (
    <div class="form-errors" role="alert" tabIndex={-1}>
      <p>{form.message ?? t("form.correctFields")}</p>
    </div>
  );
}

/**
 * A time zone box for a Field's render prop: any IANA zone typed, the known ones
 * offered as you type (a datalist, so it works without JavaScript).
 */
export function TimeZoneInput({
  field,
  name,
  value,
}: {
  field: { id: string; "aria-invalid"?: "true"; "aria-describedby"?: string };
  name: string;
  value: string;
}) {
  const list = `${field.id}-zones`;
  return (
    <>
      <input
        {...field}
        type="text"
        name={name}
        value={value}
        list={list}
        autocomplete="off"
        spellcheck={false}
      />
      <datalist id={list}>
        {timeZones().map((z) => (
          <option value={z} />
        ))}
      </datalist>
    </>
  );
}

/** A labelled field with its error (if any) next to it and wired up for assistive technology. */
export function Field({
  form,
  name,
  label,
  hint,
  id: givenId,
  children,
}: {
  form: FormState<unknown>;
  name: string;
  label: string;
  hint?: string;
  /** The input's id, when a page has two fields of one name (default `field-<name>`). */
  id?: string;
  children: (props: {
    id: string;
    "aria-invalid"?: "true";
    "aria-describedby"?: string;
  }) => ComponentChildren;
}) {
  const id = givenId ?? `field-${name}`;
  const error = fieldError(form, name);
  const describedBy = [hint ? `${id}-hint` : "", error ? `${id}-error` : ""]
    .filter(Boolean)
    .join(" ");
  return (
    <div class={error ? "field has-error" : "field"}>
      <label for={id}>{label}</label>
      {hint && (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {children({
        id,
        ...(error ? { "aria-invalid": "true" as const } : {}),
        ...(describedBy ? { "aria-describedby": describedBy } : {}),
      })}
      {error && (
        <p class="error" id={`${id}-error`}>
          {`${label} ${error}`}
        </p>
      )}
    </div>
  );
}
