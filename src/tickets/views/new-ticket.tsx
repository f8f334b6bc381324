import type { PageContext } from "../../platform/views/context.ts";
import {
  Csrf,
  Field,
  FormErrors,
  type FormState,
  fieldError,
} from "../../platform/views/forms.tsx";
import { Layout } from "../../platform/views/layout.tsx";
import { PRIORITIES } from "../lifecycle.ts";
import { CONTENT_MAX, MAX_FILES, TITLE_MAX } from "../tickets.schemas.ts";
import { PRIORITY_LABELS } from "./badges.tsx";

type Values = { title: string; description: string; priority: string; teamId: string };

/** A file input with its limits spelled out; used on new tickets and replies. */
export function AttachmentsField({
  form,
  maxMb,
  id = "field-attachments",
}: {
  form: FormState<unknown>;
  maxMb: number;
  id?: string;
}) {
  const error = fieldError(form, "attachments");
  return (
    <div class={error ? "field has-error" : "field"}>
      <label for={id}>Attachments (optional)</label>
      <p class="hint" id={`${id}-hint`}>{`Up to ${MAX_FILES} files, ${maxMb} MB each.`}</p>
      <input
        id={id}
        type="file"
        name="attachments"
        multiple
        aria-describedby={error ? `${id}-hint ${id}-error` : `${id}-hint`}
      />
      {error && (
        <p class="error" id={`${id}-error`}>
          {`Attachments: ${error}`}
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
}: {
  ctx: PageContext;
  form: FormState<Values>;
  maxMb: number;
  /** Teams offered as categories; the choice puts the ticket in that team. */
  categories: readonly { id: number; name: string }[];
}) {
  const priority = form.values.priority ?? "normal";
  return (
    <Layout ctx={ctx} title="New ticket">
      <section class="narrow">
        <h1>Open a ticket</h1>
        <form
          method="post"
          action="/tickets"
          enctype="multipart/form-data"
          class="stack"
          novalidate
        >
          <Csrf token={ctx.csrfToken} />
          <FormErrors form={form} />
          <Field form={form} name="title" label="Subject" hint="One line that sums up the problem.">
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
            label="Description"
            hint="What happened, what you expected, and anything you tried. Markdown works."
          >
            {(a) => (
              <textarea {...a} name="description" rows={10} required maxLength={CONTENT_MAX}>
                {form.values.description ?? ""}
              </textarea>
            )}
          </Field>
          <Field form={form} name="priority" label="Priority">
            {(a) => (
              <select {...a} name="priority">
                {PRIORITIES.map((p) => (
                  <option value={p} selected={p === priority}>
                    {PRIORITY_LABELS[p]}
                  </option>
                ))}
              </select>
            )}
          </Field>
          {categories.length > 0 && (
            <Field form={form} name="teamId" label="Category (optional)">
              {(a) => (
                <select {...a} name="teamId">
                  <option value="" selected={!form.values.teamId}>
                    Not sure
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
          <AttachmentsField form={form} maxMb={maxMb} />
          <button type="submit" class="primary">
            Submit ticket
          </button>
        </form>
      </section>
    </Layout>
  );
}
