import { DEFAULT_TRANSLATOR, type Translator } from "../../i18n/i18n.ts";
import { Field, type FormState } from "../../platform/views/forms.tsx";
import { PASSWORD_MIN } from "../passwords.ts";

/**
 * Name, email and password for a new account: sign-up and setup fill in their
 * own (the browser may autofill), an admin fills in someone else's (it may not).
 */
export function AccountFields({
  form,
  forSomeoneElse = false,
  t = DEFAULT_TRANSLATOR.t,
}: {
  form: FormState<{ name: string; email: string }>;
  forSomeoneElse?: boolean;
  /** The page's translator (English on pages not converted yet). */
  t?: Translator["t"];
}) {
  return (
    <>
      <Field form={form} name="name" label={t("field.name")}>
        {(a) => (
          <input
            {...a}
            type="text"
            name="name"
            value={form.values.name ?? ""}
            autocomplete={forSomeoneElse ? "off" : "name"}
            required
            maxLength={200}
          />
        )}
      </Field>
      <Field form={form} name="email" label={t("field.email")}>
        {(a) => (
          <input
            {...a}
            type="email"
            name="email"
            value={form.values.email ?? ""}
            autocomplete={forSomeoneElse ? "off" : "email"}
            required
          />
        )}
      </Field>
      <Field
        form={form}
        name="password"
        label={t("field.password")}
        hint={
          forSomeoneElse
            ? t("field.passwordHintForSomeoneElse", { min: PASSWORD_MIN })
            : t("field.passwordHint", { min: PASSWORD_MIN })
        }
      >
        {(a) => (
          <input
            {...a}
            type="password"
            name="password"
            autocomplete="new-password"
            required
            minLength={PASSWORD_MIN}
          />
        )}
      </Field>
    </>
  );
}
