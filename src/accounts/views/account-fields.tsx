import { Field, type FormState } from "../../platform/views/forms.tsx";
import { PASSWORD_MIN } from "../passwords.ts";

/**
 * Name, email and password for a new account: sign-up and setup fill in their
 * own (the browser may autofill), an admin fills in someone else's (it may not).
 */
export function AccountFields({
  form,
  forSomeoneElse = false,
}: {
  form: FormState<{ name: string; email: string }>;
  forSomeoneElse?: boolean;
}) {
  return (
    <>
      <Field form={form} name="name" label="Name">
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
      <Field form={form} name="email" label="Email">
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
        label="Password"
        hint={
          forSomeoneElse
            ? `At least ${PASSWORD_MIN} characters. Give it to the person by a safe channel.`
            : `At least ${PASSWORD_MIN} characters.`
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
