import type { ComponentChildren } from "preact";
import { useContext } from "preact/hooks";
import { CATALOGS, type MessageKey, type Translator, timeZones } from "../../i18n/i18n.ts";
import type { AppError, FieldError, MessageArgs } from "../../lib/errors.ts";
import { ReaderContext } from "./reader.ts";

/** Input kept from a submitted form and the problems found with it. */
export interface FormState<T = Record<string, string>> {
  values: Partial<T>;
  errors: FieldError[];
  /** A problem with the form as a whole (e.g. wrong email or password), in English. */
  message?: string | undefined;
  /**
   * The same as a catalog key, which pages show (an error's `messageKey`, passed on by
   * `refusedForm`); `message` is shown as it is only where there is no key.
   */
  messageKey?: string | undefined;
  messageValues?: MessageArgs | undefined;
}

export function emptyForm<T>(values: Partial<T> = {}): FormState<T> {
  return { values, errors: [] };
}

/** Whether a key from lib/ (a plain string there) is one of the catalogs'. */
export function isMessageKey(key: string | undefined): key is MessageKey {
  return key !== undefined && Object.hasOwn(CATALOGS.en, key);
}

/**
 * A field's problem as a sentence in the reader's language ("E-Mail ist
 * erforderlich"), or the English after the label where it has no catalog key.
 */
export function fieldErrorText(error: FieldError, label: string, t: Translator["t"]): string {
  return isMessageKey(error.key)
    ? t(error.key, { ...error.values, label })
    : `${label} ${error.message}`;
}

/** A form's own message in the reader's language, where it has a catalog key; else as given. */
export function formMessageText(form: FormState<unknown>, t: Translator["t"]): string | undefined {
  return isMessageKey(form.messageKey) ? t(form.messageKey, form.messageValues) : form.message;
}

/**
 * What a page says for one of our errors that has no catalog key of its own: a
 * sentence for its status in the reader's language, never the API's English.
 */
export const GENERIC_DETAILS: Readonly<Record<number, MessageKey>> = {
  400: "error.generic400",
  401: "error.signIn",
  403: "error.forbidden",
  404: "error.notFound",
  409: "error.generic409",
  412: "error.generic412",
  415: "error.generic415",
  422: "error.generic400",
  429: "error.generic429",
  502: "error.generic502",
};

/**
 * One of our errors as a page says it, in the reader's language: its catalog
 * message (`messageKey`, `messageValues`), else a sentence for its status.
 * Its English `message` is the API's and is never shown on a page.
 */
export function errorText(error: AppError, t: Translator["t"]): string {
  return isMessageKey(error.messageKey)
    ? t(error.messageKey, error.messageValues)
    : t(GENERIC_DETAILS[error.status] ?? "error.generic");
}

export function Csrf({ token }: { token: string }) {
  return <input type="hidden" name="_csrf" value={token} />;
}

/** A summary of a form's problems at its top, announced to screen readers. */
export function FormErrors({
  form,
  t: given,
}: {
  form: FormState<unknown>;
  /** The page's translator; by default the reader's, from `ReaderContext`. */
  t?: Translator["t"];
}) {
  const reader = useContext(ReaderContext);
  const t = given ?? reader.t;
  if (form.errors.length === 0 && !form.message && !form.messageKey) return null;
  return (
    <div class="form-errors" role="alert" tabIndex={-1}>
      <p>{formMessageText(form, t) ?? t("form.correctFields")}</p>
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
  const { t } = useContext(ReaderContext);
  const id = givenId ?? `field-${name}`;
  const error = form.errors.find((e) => e.field === name);
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
          {fieldErrorText(error, label, t)}
        </p>
      )}
    </div>
  );
}
