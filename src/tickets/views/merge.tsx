import type { ComponentChildren } from "preact";
import type { Translator } from "../../i18n/i18n.ts";
import type { PageContext } from "../../platform/views/context.ts";
import { Csrf, Field, FormErrors, type FormState } from "../../platform/views/forms.tsx";
import { Layout } from "../../platform/views/layout.tsx";
import { isEditable, type Status } from "../lifecycle.ts";
import type { MergePlan } from "../merge.service.ts";
import { StatusBadge } from "./badges.tsx";

export type MergeValues = { mergeTicketId: string };

/** Staff: "Merge into…" another ticket: a number, then a confirmation page. */
export function MergePanel({
  ctx,
  ticket,
  form,
}: {
  ctx: PageContext;
  ticket: { id: number; status: Status };
  form: FormState<MergeValues>;
}) {
  const { t } = ctx.i18n;
  if (!isEditable(ticket.status)) return null;
  return (
    <section class="panel" aria-labelledby="merge-heading" id="merge">
      <h2 id="merge-heading">{t("merge.heading")}</h2>
      <form method="post" action={`/tickets/${ticket.id}/merge`} class="stack" novalidate>
        <Csrf token={ctx.csrfToken} />
        <FormErrors form={form} t={t} />
        <Field
          form={form}
          name="mergeTicketId"
          label={t("merge.ticket")}
          hint={t("merge.hint", { id: String(ticket.id) })}
        >
          {(a) => (
            <input
              {...a}
              name="mergeTicketId"
              inputMode="numeric"
              pattern="#?[0-9]+"
              maxLength={12}
              required
              value={form.values.mergeTicketId ?? ""}
            />
          )}
        </Field>
        <button type="submit">{t("merge.submit")}</button>
      </form>
    </section>
  );
}

/** One ticket of the two on the confirmation page. */
function Side({
  ctx,
  label,
  ticket,
  requester,
}: {
  ctx: PageContext;
  label: string;
  ticket: MergePlan["source"];
  requester: MergePlan["sourceRequester"];
}) {
  const { t } = ctx.i18n;
  return (
    <section class="panel merge-side">
      <h2>{label}</h2>
      <p>
        <a href={`/tickets/${ticket.id}`}>
          <span class="ticket-id">{`#${ticket.id}`}</span> {ticket.title}
        </a>{" "}
        <StatusBadge status={ticket.status} t={t} />
      </p>
      <p class="requester">
        {t("merge.confirm.requester", { name: requester.name, email: requester.email })}
      </p>
    </section>
  );
}

/**
 * What merging will do, before it is done: both tickets with their titles and
 * requesters, and one button that posts the merge (confirmed). Works without
 * JavaScript; different requesters are named, and the button says so.
 */
export function MergeConfirmPage({ ctx, plan }: { ctx: PageContext; plan: MergePlan }) {
  const { t } = ctx.i18n;
  const source = String(plan.source.id);
  const target = String(plan.target.id);
  return (
    <Layout ctx={ctx} title={t("merge.confirm.title", { source, target })}>
      <h1>{t("merge.confirm.title", { source, target })}</h1>
      <p>{t("merge.confirm.explain", { source, target })}</p>
      <div class="merge-sides">
        <Side
          ctx={ctx}
          label={t("merge.confirm.source")}
          ticket={plan.source}
          requester={plan.sourceRequester}
        />
        <Side
          ctx={ctx}
          label={t("merge.confirm.target")}
          ticket={plan.target}
          requester={plan.targetRequester}
        />
      </div>
      {plan.differentRequesters && (
        <p class="notice is-conflict" role="alert" id="different-requesters">
          {t("merge.confirm.differentRequesters", {
            name: plan.sourceRequester.name,
            email: plan.sourceRequester.email,
            target,
          })}
        </p>
      )}
      <form method="post" action={`/tickets/${source}/merge`} class="inline">
        <Csrf token={ctx.csrfToken} />
        <input type="hidden" name="mergeTicketId" value={target} />
        <input type="hidden" name="confirm" value="true" />
        {plan.differentRequesters && (
          <input type="hidden" name="confirmDifferentRequester" value="true" />
        )}
        <button type="submit">
          {t(plan.differentRequesters ? "merge.confirm.submitAnyway" : "merge.confirm.submit")}
        </button>
      </form>{" "}
      <a href={`/tickets/${source}`}>{t("merge.confirm.cancel")}</a>
    </Layout>
  );
}

/** Staff, under a reply (not the first message, not a note): make it a ticket of its own. */
export function SplitForm({
  ctx,
  ticketId,
  messageId,
}: {
  ctx: PageContext;
  ticketId: number;
  messageId: number;
}) {
  const { t } = ctx.i18n;
  const id = `split-title-${messageId}`;
  return (
    <details class="split">
      <summary>{t("split.button")}</summary>
      <form method="post" action={`/tickets/${ticketId}/messages/${messageId}/split`} class="stack">
        <Csrf token={ctx.csrfToken} />
        <label for={id}>{t("split.title")}</label>
        <input id={id} name="title" maxLength={200} />
        <button type="submit">{t("split.submit")}</button>
      </form>
    </details>
  );
}

/** On a merged ticket (its messages are gone): where the conversation continues. */
export function MergedNotice({ into, i18n }: { into: number | "hidden"; i18n: Translator }) {
  return (
    <p class="notice" id="merged-into">
      {into === "hidden"
        ? i18n.t("merge.mergedElsewhere")
        : i18n.rich("merge.mergedInto", {
            id: String(into),
            link: (chunks: ComponentChildren) => <a href={`/tickets/${into}`}>{chunks}</a>,
          })}
    </p>
  );
}
