import {
  isRecorded,
  LINK_RELATIONS,
  type LinkRelation,
  TICKET_RELATIONS,
  type TicketRelation,
} from "../../events/events.ts";
import type { MessageKey, Translator } from "../../i18n/i18n.ts";
import type { PageContext } from "../../platform/views/context.ts";
import { Csrf, Field, FormErrors, type FormState } from "../../platform/views/forms.tsx";
import { isEditable, type Status } from "../lifecycle.ts";
import type { Relation } from "../relations.service.ts";
import { StatusBadge } from "./badges.tsx";

export type LinkValues = { relation: string; linkTicketId: string };

/** What the other ticket is to this one, as a heading of its group. */
const GROUP_KEYS: Record<LinkRelation, MessageKey> = {
  parent: "ticket.links.parent",
  child: "ticket.links.children",
  related: "ticket.links.related",
  merged_into: "merge.links.mergedInto",
  merged_from: "merge.links.mergedFrom",
  split_from: "split.links.splitFrom",
  split_into: "split.links.splitInto",
};

/** The choices of the add form: "is the parent of this one"... */
const CHOICE_KEYS: Record<TicketRelation, MessageKey> = {
  parent: "ticket.links.asParent",
  child: "ticket.links.asChild",
  related: "ticket.links.asRelated",
};

/** Staff: the ticket's parent, children and related tickets with their status; link and unlink. */
export function RelationsPanel({
  ctx,
  ticket,
  relations,
  form,
}: {
  ctx: PageContext;
  ticket: { id: number; status: Status };
  relations: readonly Relation[];
  form: FormState<LinkValues>;
}) {
  const { t } = ctx.i18n;
  const editable = isEditable(ticket.status);
  return (
    <section class="panel" aria-labelledby="links-heading" id="links">
      <h2 id="links-heading">{t("ticket.links.heading")}</h2>
      {relations.length === 0 ? (
        <p class="muted">{t("ticket.links.none")}</p>
      ) : (
        LINK_RELATIONS.map((kind) => {
          const group = relations.filter((r) => r.relation === kind);
          if (group.length === 0) return null;
          return (
            <>
              <h3 class="links-group">{t(GROUP_KEYS[kind])}</h3>
              <ul class="links" data-relation={kind}>
                {group.map((r) => (
                  <li>
                    <a href={`/tickets/${r.ticket.id}`}>
                      <span class="ticket-id">{`#${r.ticket.id}`}</span> {r.ticket.title}
                    </a>{" "}
                    <StatusBadge status={r.ticket.status} t={t} />
                    {/* Links made by merging and splitting record what happened: they stay. */}
                    {editable && !isRecorded(r.relation) && (
                      <form
                        method="post"
                        action={`/tickets/${ticket.id}/links/remove`}
                        class="inline"
                      >
                        <Csrf token={ctx.csrfToken} />
                        <input type="hidden" name="linkId" value={String(r.id)} />
                        <button
                          type="submit"
                          class="link"
                          aria-label={t("ticket.links.removeOne", { id: r.ticket.id })}
                        >
                          {t("ticket.links.remove")}
                        </button>
                      </form>
                    )}
                  </li>
                ))}
              </ul>
            </>
          );
        })
      )}
      {editable && (
        <form method="post" action={`/tickets/${ticket.id}/links`} class="stack" novalidate>
          <Csrf token={ctx.csrfToken} />
          <FormErrors form={form} t={t} />
          <Field form={form} name="linkTicketId" label={t("ticket.links.ticket")}>
            {(a) => (
              <input
                {...a}
                name="linkTicketId"
                inputMode="numeric"
                pattern="#?[0-9]+"
                maxLength={12}
                required
                value={form.values.linkTicketId ?? ""}
              />
            )}
          </Field>
          <Field form={form} name="relation" label={t("ticket.links.kind")}>
            {(a) => (
              <select {...a} name="relation">
                {TICKET_RELATIONS.map((kind) => (
                  // One option is the default, so the live page's "in use" check
                  // (static/script.js) sees an untouched form as untouched.
                  <option value={kind} selected={(form.values.relation || "related") === kind}>
                    {t(CHOICE_KEYS[kind])}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <button type="submit">{t("ticket.links.add")}</button>
        </form>
      )}
    </section>
  );
}

/**
 * The status change asked for would solve a parent whose children are open:
 * the same change again, confirmed, or nothing.
 */
export function OpenChildrenConfirm({
  ticketId,
  children,
  fields,
  csrfToken,
  i18n,
}: {
  ticketId: number;
  children: readonly { id: number; status: Status }[];
  /** The controls form as it was posted. */
  fields: Readonly<Record<string, string>>;
  csrfToken: string;
  i18n: Translator;
}) {
  const { t } = i18n;
  return (
    <div class="notice is-conflict" role="alert" id="open-children">
      <p>{t("ticket.links.openChildren", { count: children.length })}</p>
      <ul>
        {children.map((c) => (
          <li>
            <a href={`/tickets/${c.id}`}>{`#${c.id}`}</a> <StatusBadge status={c.status} t={t} />
          </li>
        ))}
      </ul>
      <form method="post" action={`/tickets/${ticketId}`} class="inline">
        <Csrf token={csrfToken} />
        {Object.entries(fields)
          .filter(([name]) => name !== "_csrf" && name !== "solveWithOpenChildren")
          .map(([name, value]) => (
            <input type="hidden" name={name} value={value} />
          ))}
        <input type="hidden" name="solveWithOpenChildren" value="true" />
        <button type="submit">{t("ticket.links.solveAnyway")}</button>
      </form>{" "}
      <a href={`/tickets/${ticketId}`}>{t("ticket.links.keepOpen")}</a>
    </div>
  );
}
