import { type ComponentChildren, Fragment } from "preact";
import { type Actor, isStaff } from "../../accounts/index.ts";
import { TICKET_RELATIONS } from "../../events/events.ts";
import { ruleName } from "../../i18n/built-in-rules.ts";
import {
  DEFAULT_TRANSLATOR,
  type Locale,
  type MessageKey,
  type Translator,
} from "../../i18n/i18n.ts";
import { renderMarkdown } from "../../lib/markdown.ts";
import type { PageContext } from "../../platform/views/context.ts";
import { Csrf, emptyForm, Field, FormErrors, type FormState } from "../../platform/views/forms.tsx";
import { Layout } from "../../platform/views/layout.tsx";
import { Time } from "../../platform/views/time.tsx";
import { isEditable, PRIORITIES, STATUSES, type Status } from "../lifecycle.ts";
import type { Relation } from "../relations.service.ts";
import type { SlaKind } from "../sla.ts";
import { CONTENT_MAX } from "../tickets.schemas.ts";
import type { TicketView } from "../tickets.service.ts";
import { PriorityBadge, priorityLabel, SlaBadge, StatusBadge, statusLabel } from "./badges.tsx";
import { type FieldFormValues, FieldsPanel } from "./fields.tsx";
import { MergedNotice, MergePanel, type MergeValues, SplitForm } from "./merge.tsx";
import { AttachmentsField } from "./new-ticket.tsx";
import { QuotedText } from "./quoted.tsx";
import { type LinkValues, OpenChildrenConfirm, RelationsPanel } from "./relations.tsx";

type ReplyValues = { content: string; internal: string; waitOnCustomer: string };
export type CcValues = { ccAddress: string; ccName: string };
export type TagValues = { tag: string };

/** An HTML-only mail's body, ready to show (see renderMailHtml), by message id. */
export type MailHtml = ReadonlyMap<number, { html: string; blocked: number; remoteShown: boolean }>;

/** Others wrote while this person was writing: their reply was kept, not sent. */
export interface ReplyConflict {
  readonly authors: readonly string[];
  /** The last message the refused form had seen: later ones are marked new. */
  readonly lastSeenMessageId: number;
}

type T = Translator["t"];

/** Each SLA target's name in the catalogs. */
const SLA_KIND_KEYS: Record<SlaKind, MessageKey> = {
  first_response: "ticket.sla.firstResponse",
  next_response: "ticket.sla.nextResponse",
  resolution: "ticket.sla.resolution",
};

/** "512 B", "1.5 KB", "2.0 MB" (French "1,5 Ko"): one decimal, in the reader's language. */
export function formatSize(bytes: number, t: T = DEFAULT_TRANSLATOR.t): string {
  if (bytes < 1024) return t("ticket.size.bytes", { size: bytes });
  if (bytes < 1024 * 1024) return t("ticket.size.kb", { size: bytes / 1024 });
  return t("ticket.size.mb", { size: bytes / 1024 / 1024 });
}

/** A list of addresses or names as the language writes one ("a, b" or "A and B"). */
function formatList(locale: Locale, items: readonly string[], type: "unit" | "conjunction") {
  return new Intl.ListFormat(locale, { type, style: "long" }).format(items);
}

/**
 * Why automatic assignment moved a ticket, as the assignment service stores it
 * (English words around the team's and agent's names, src/assignment): the
 * known forms in the reader's language, anything else shown as stored.
 */
function autoAssignReason(
  reason: string,
  actor: ComponentChildren,
  i18n: Translator,
): ComponentChildren {
  const roundRobin = /^round-robin in team (.*)$/s.exec(reason);
  if (roundRobin) {
    return i18n.rich("ticket.event.autoAssignRoundRobin", { actor, team: roundRobin[1] });
  }
  const fewest = /^fewest open tickets in team (.*) \((\d+) open\)$/s.exec(reason);
  if (fewest) {
    return i18n.rich("ticket.event.autoAssignFewestOpen", {
      actor,
      team: fewest[1],
      open: Number(fewest[2]),
    });
  }
  const handedBack = /^handed back to team (.*): (.*) is away$/s.exec(reason);
  if (handedBack) {
    return i18n.rich("ticket.event.autoAssignHandedBack", {
      actor,
      team: handedBack[1],
      agent: handedBack[2],
    });
  }
  return i18n.rich("ticket.event.autoAssign", { actor, reason });
}

/** One entry of the audit trail as a sentence, the actor (in bold) and the values in it. */
function describeEvent(
  event: TicketView["events"][number],
  names: Map<number, string>,
  teamNames: Map<number, string>,
  fieldLabels: ReadonlyMap<string, string>,
  i18n: Translator,
): ComponentChildren {
  const { t, rich } = i18n;
  const actor = <strong>{event.actorName ?? t("ticket.event.system")}</strong>;
  const who = (id: string | null) =>
    id ? (names.get(Number(id)) ?? t("ticket.event.userNumber", { id })) : t("ticket.event.nobody");
  // A team as the sentence's select needs it: none, deleted (its id) or its name.
  const team = (id: string | null) => {
    if (!id) return { kind: "none", name: "" };
    const name = teamNames.get(Number(id));
    return name === undefined ? { kind: "deleted", name: id } : { kind: "named", name };
  };
  const label = (value: string | null) => {
    const status = STATUSES.find((s) => s === value);
    if (status) return statusLabel(status, t);
    const priority = PRIORITIES.find((p) => p === value);
    return priority ? priorityLabel(priority, t) : (value ?? "");
  };
  const fromTo = { actor, from: label(event.fromValue), to: label(event.toValue) };
  switch (event.kind) {
    case "created":
      return rich("ticket.event.created", { actor });
    case "follow_up":
      return rich("ticket.event.followUp", { actor, ticket: event.fromValue ?? "" });
    case "status":
      return rich("ticket.event.status", fromTo);
    case "priority":
      return rich("ticket.event.priority", fromTo);
    case "assignee":
      return event.toValue
        ? rich("ticket.event.assigned", { actor, assignee: who(event.toValue) })
        : rich("ticket.event.unassigned", { actor, assignee: who(event.fromValue) });
    case "rule":
      // The name as it was when the rule fired; a built-in rule's in the reader's language.
      return rich("ticket.event.rule", {
        actor,
        rule: event.toValue === null ? `#${event.fromValue}` : ruleName(event.toValue, t),
      });
    case "macro":
      return rich("macros.event.applied", {
        actor,
        macro: event.toValue ?? `#${event.fromValue ?? ""}`,
      });
    case "cc_added":
      return rich("ticket.event.ccAdded", { actor, address: event.toValue ?? "" });
    case "cc_removed":
      return rich("ticket.event.ccRemoved", { actor, address: event.fromValue ?? "" });
    case "tag_added":
      return rich("tags.event.added", { actor, tag: event.toValue ?? "" });
    case "tag_removed":
      return rich("tags.event.removed", { actor, tag: event.fromValue ?? "" });
    case "field": {
      // The field's label today; its name as recorded once it is gone.
      const field = fieldLabels.get(event.field ?? "") ?? event.field ?? "";
      return event.toValue === null
        ? rich("fields.event.unset", { actor, field })
        : rich("fields.event.set", { actor, field, value: event.toValue });
    }
    case "auto_reply_suppressed":
      return rich("ticket.event.autoReplySuppressed", { actor, address: event.toValue ?? "" });
    case "team": {
      const from = team(event.fromValue);
      const to = team(event.toValue);
      return rich("ticket.event.team", {
        actor,
        fromKind: from.kind,
        fromTeam: from.name,
        toKind: to.kind,
        toTeam: to.name,
      });
    }
    case "auto_assign":
      return autoAssignReason(event.toValue ?? "", actor, i18n);
    case "linked":
    case "unlinked": {
      const relation = TICKET_RELATIONS.find((r) => r === event.fromValue) ?? "related";
      const id = event.toValue ?? "";
      return rich(event.kind === "linked" ? "ticket.event.linked" : "ticket.event.unlinked", {
        actor,
        relation,
        id,
        link: (chunks: ComponentChildren) => <a href={`/tickets/${id}`}>{chunks}</a>,
      });
    }
    case "merged":
    case "split": {
      const id = event.toValue ?? "";
      const into = event.fromValue === "into";
      const key =
        event.kind === "merged"
          ? into
            ? "merge.event.into"
            : "merge.event.from"
          : into
            ? "split.event.into"
            : "split.event.from";
      return rich(key, {
        actor,
        id,
        link: (chunks: ComponentChildren) => <a href={`/tickets/${id}`}>{chunks}</a>,
      });
    }
    default:
      return rich("ticket.event.other", { actor, kind: event.kind });
  }
}

/** An HTML-only mail's body: remote images wait for "Load remote images" (a full page load). */
function MailHtmlBody({
  ticketId,
  messageId,
  html,
  t,
}: {
  ticketId: number;
  messageId: number;
  html: { html: string; blocked: number };
  t: T;
}) {
  return (
    <>
      {html.blocked > 0 && (
        <p class="notice remote-images">
          {t("ticket.remoteImagesBlocked", { count: html.blocked })}{" "}
          {/* A full page load: a boosted swap would keep the old page's CSP (no remote images). */}
          <a
            href={`/tickets/${ticketId}?images=${messageId}#message-${messageId}`}
            hx-boost="false"
          >
            {t("ticket.loadRemoteImages")}
          </a>
        </p>
      )}
      {/* Customer HTML, sanitised twice with a strict allow-list (lib/mail-html.ts). */}
      <div class="message-body mail-html" dangerouslySetInnerHTML={{ __html: html.html }} />
    </>
  );
}

function Conversation({
  ctx,
  view,
  newAfter,
  mailHtml,
  staff,
  t,
}: {
  ctx: PageContext;
  view: TicketView;
  newAfter?: number | undefined;
  mailHtml: MailHtml;
  staff: boolean;
  t: T;
}) {
  // Staff may split any public reply but the first message (the description) off an open ticket.
  const splittable = staff && isEditable(view.ticket.status);
  const firstId = view.messages[0]?.id;
  return (
    <ol class="conversation" id="conversation">
      {view.messages.map((m) => {
        const files = view.attachments.filter((a) => a.messageId === m.id);
        const fresh = newAfter !== undefined && m.id > newAfter;
        const html = mailHtml.get(m.id);
        return (
          <li
            class={`${m.internal ? "message internal" : "message"}${fresh ? " is-new" : ""}`}
            id={`message-${m.id}`}
          >
            <article
              aria-label={t(m.internal ? "ticket.noteFrom" : "ticket.messageFrom", {
                name: m.authorName,
              })}
            >
              <header>
                <strong>{m.authorName}</strong>
                {m.authorRole !== "customer" && <span class="tag">{t("ticket.staffTag")}</span>}
                {m.internal && <span class="tag internal-tag">{t("ticket.internalTag")}</span>}
                <Time date={m.createdAt} />
              </header>
              {html && !m.quoted ? (
                <MailHtmlBody ticketId={view.ticket.id} messageId={m.id} html={html} t={t} />
              ) : (
                <>
                  {/* renderMarkdown output is safe: raw HTML is escaped and links are filtered. */}
                  <div
                    class="message-body"
                    dangerouslySetInnerHTML={{ __html: renderMarkdown(m.content) }}
                  />
                  <QuotedText quoted={m.quoted} t={t} />
                  {/* An HTML-only reply with quoted history: its text first (history trimmed), the mail as sent behind a click. */}
                  {html && (
                    <details class="quoted mail-html-original" open={html.remoteShown}>
                      <summary>{t("ticket.showMailAsSent")}</summary>
                      <MailHtmlBody ticketId={view.ticket.id} messageId={m.id} html={html} t={t} />
                    </details>
                  )}
                </>
              )}
              {staff && m.viaEmail && (
                <p class="muted original-mail">
                  {/* Never boosted: htmx would swap the file into the page. */}
                  <a href={`/messages/${m.id}/original.eml`} download hx-boost="false">
                    {t("ticket.downloadOriginal")}
                  </a>
                </p>
              )}
              {files.length > 0 && (
                <ul class="attachments" aria-label={t("ticket.attachments")}>
                  {files.map((a) => (
                    <li>
                      {/* Never boosted: htmx would swap the file into the page as HTML. */}
                      <a href={`/attachments/${a.id}`} download hx-boost="false">
                        {a.filename}
                      </a>{" "}
                      <span class="muted">{formatSize(a.size, t)}</span>
                    </li>
                  ))}
                </ul>
              )}
              {splittable && !m.internal && m.id !== firstId && (
                <SplitForm ctx={ctx} ticketId={view.ticket.id} messageId={m.id} />
              )}
            </article>
          </li>
        );
      })}
    </ol>
  );
}

function ReplyForm({
  ctx,
  view,
  form,
  maxMb,
  conflict,
  tools,
}: {
  ctx: PageContext;
  view: TicketView;
  form: FormState<ReplyValues>;
  maxMb: number;
  conflict?: ReplyConflict | undefined;
  /** Another feature's controls for staff (canned replies), above the message box. */
  tools?: ComponentChildren;
}) {
  const { t, locale } = ctx.i18n;
  const staff = isStaff(ctx.actor);
  const closed = !isEditable(view.ticket.status);
  if (closed && staff) {
    return <p class="notice">{t("ticket.closedForStaff")}</p>;
  }
  return (
    <form
      method="post"
      action={`/tickets/${view.ticket.id}/replies`}
      enctype="multipart/form-data"
      class="stack reply-form"
      id="reply"
      novalidate
    >
      <h2>{t(staff ? "ticket.replyOrNote" : "ticket.reply")}</h2>
      {closed && <p class="notice">{t("ticket.closedForCustomer")}</p>}
      <Csrf token={ctx.csrfToken} />
      {/* The newest message this form has shown: the server asks first when others wrote since. */}
      <input
        type="hidden"
        name="lastSeenMessageId"
        value={String(view.messages.at(-1)?.id ?? "")}
      />
      {conflict && (
        <div class="notice is-conflict" role="alert" id="reply-conflict">
          <p>
            <strong>
              {t("ticket.conflict.replied", {
                count: conflict.authors.length,
                authors: formatList(locale, conflict.authors, "conjunction"),
              })}
            </strong>{" "}
            {t("ticket.conflict.notSent", { count: conflict.authors.length })}
          </p>
        </div>
      )}
      <FormErrors form={form} t={t} />
      {staff && tools}
      <Field
        form={form}
        name="content"
        label={t(staff ? "ticket.field.message" : "ticket.field.yourReply")}
        hint={t("ticket.field.markdownWorks")}
      >
        {(a) => (
          <textarea {...a} name="content" rows={6} required maxLength={CONTENT_MAX}>
            {form.values.content ?? ""}
          </textarea>
        )}
      </Field>
      {staff && (
        <fieldset class="options">
          <legend>{t("ticket.sendAs")}</legend>
          <label>
            <input
              type="checkbox"
              name="internal"
              value="true"
              checked={form.values.internal === "true"}
            />{" "}
            {t("ticket.sendAs.internal")}
          </label>
          <label>
            <input
              type="checkbox"
              name="waitOnCustomer"
              value="true"
              checked={form.values.waitOnCustomer === "true"}
            />{" "}
            {t("ticket.sendAs.waitOnCustomer")}
          </label>
        </fieldset>
      )}
      <AttachmentsField form={form} maxMb={maxMb} id="field-reply-attachments" t={t} />
      <button type="submit" class="primary">
        {t(conflict ? "ticket.sendAnyway" : staff ? "ticket.send" : "ticket.sendReply")}
      </button>
    </form>
  );
}

/**
 * The version of the ticket a control was shown with: the server refuses the
 * change when the ticket has changed since (the API's If-Match, for forms).
 */
function Version({ ticket }: { ticket: TicketView["ticket"] }) {
  return <input type="hidden" name="version" value={String(ticket.version)} />;
}

/** A control's change was refused because someone else changed the ticket first. */
function ControlsConflict({ ticketId, i18n }: { ticketId: number; i18n: Translator }) {
  return (
    <div class="notice is-conflict" role="alert" id="controls-conflict">
      <p>
        {i18n.rich("ticket.controlsConflict", {
          strong: (chunks: ComponentChildren) => <strong>{chunks}</strong>,
        })}
      </p>
      <p>
        <a href={`/tickets/${ticketId}`}>{i18n.t("ticket.reload")}</a>
      </p>
    </div>
  );
}

function StaffControls({
  ctx,
  view,
  staffList,
}: {
  ctx: PageContext;
  view: TicketView;
  staffList: Actor[];
}) {
  const { ticket } = view;
  const actor = ctx.actor;
  const { t } = ctx.i18n;
  if (!isEditable(ticket.status)) return null;
  return (
    <section class="panel" aria-labelledby="controls-heading">
      <h2 id="controls-heading">{t("ticket.controls.heading")}</h2>
      <p class="apply-macro">
        <a href={`/tickets/${ticket.id}/macros`}>{t("macros.ticket.apply")}</a>
      </p>
      <form method="post" action={`/tickets/${ticket.id}`} class="stack">
        <Csrf token={ctx.csrfToken} />
        <Version ticket={ticket} />
        {/* What the controls showed, so only fields changed here are applied. */}
        <input type="hidden" name="statusWas" value={ticket.status} />
        <input type="hidden" name="priorityWas" value={ticket.priority} />
        <input
          type="hidden"
          name="assigneeIdWas"
          value={ticket.assigneeId ? String(ticket.assigneeId) : ""}
        />
        <input type="hidden" name="teamIdWas" value={ticket.teamId ? String(ticket.teamId) : ""} />
        <div class="field">
          <label for="control-status">{t("ticket.controls.status")}</label>
          <select id="control-status" name="status">
            {STATUSES.filter((s) => s !== "new" || ticket.status === "new").map((s) => (
              <option value={s} selected={s === ticket.status}>
                {statusLabel(s, t)}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="control-priority">{t("ticket.controls.priority")}</label>
          <select id="control-priority" name="priority">
            {PRIORITIES.map((p) => (
              <option value={p} selected={p === ticket.priority}>
                {priorityLabel(p, t)}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="control-assignee">{t("ticket.controls.assignee")}</label>
          <select id="control-assignee" name="assigneeId">
            <option value="" selected={ticket.assigneeId === null}>
              {t("ticket.unassigned")}
            </option>
            {staffList.map((s) => (
              <option value={String(s.id)} selected={s.id === ticket.assigneeId}>
                {s.id === actor?.id ? t("ticket.controls.me", { name: s.name }) : s.name}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="control-team">{t("ticket.controls.team")}</label>
          <select id="control-team" name="teamId">
            <option value="" selected={ticket.teamId === null}>
              {t("ticket.controls.noTeam")}
            </option>
            {[...view.teamNames].map(([id, name]) => (
              <option value={String(id)} selected={id === ticket.teamId}>
                {name}
              </option>
            ))}
          </select>
        </div>
        <button type="submit">{t("ticket.controls.save")}</button>
      </form>
      {actor && ticket.assigneeId !== actor.id && (
        <form method="post" action={`/tickets/${ticket.id}`} class="inline">
          <Csrf token={ctx.csrfToken} />
          <Version ticket={ticket} />
          <input type="hidden" name="assigneeId" value={String(actor.id)} />
          <button type="submit" data-shortcut="assign-me">
            {t("ticket.assignToMe")}
          </button>
        </form>
      )}
    </section>
  );
}

function RequesterControls({ ctx, view }: { ctx: PageContext; view: TicketView }) {
  const { ticket } = view;
  if (ticket.status === "solved" || ticket.status === "closed") return null;
  // A ticket link's session reads and replies; changing the ticket needs a full sign-in.
  if (ctx.actor?.onlyTicketId !== undefined) return null;
  // Colleagues who see it through their organisation read and reply (mayChange in access.ts).
  if (ticket.requesterId !== ctx.actor?.id) return null;
  return (
    <form method="post" action={`/tickets/${ticket.id}`} class="inline">
      <Csrf token={ctx.csrfToken} />
      <Version ticket={ticket} />
      <input type="hidden" name="status" value="solved" />
      <button type="submit">{ctx.i18n.t("ticket.markSolved")}</button>
    </form>
  );
}

/**
 * Who gets copies of public replies. Staff add and remove them here; the
 * requester sees the list of their own ticket (they are the ones CCs were
 * copied by, or who should know who reads along); CCs have no page.
 */
function CcPanel({
  ctx,
  view,
  form,
}: {
  ctx: PageContext;
  view: TicketView;
  form: FormState<CcValues>;
}) {
  const { t } = ctx.i18n;
  const staff = isStaff(ctx.actor);
  const { ticket, ccs } = view;
  const editable = staff && isEditable(ticket.status);
  if (!staff && ccs.length === 0) return null;
  return (
    <section class="panel" aria-labelledby="ccs-heading" id="ccs">
      <h2 id="ccs-heading">{t("ticket.cc.heading")}</h2>
      <p class="hint">{t("ticket.cc.hint")}</p>
      {ccs.length === 0 ? (
        <p class="muted">{t("ticket.cc.nobody")}</p>
      ) : (
        <ul class="ccs">
          {ccs.map((c) => (
            <li>
              {c.name ? `${c.name} <${c.address}>` : c.address}
              {editable && (
                <form method="post" action={`/tickets/${ticket.id}/ccs/remove`} class="inline">
                  <Csrf token={ctx.csrfToken} />
                  <input type="hidden" name="address" value={c.address} />
                  <button
                    type="submit"
                    class="link"
                    aria-label={t("ticket.cc.removeAddress", { address: c.address })}
                  >
                    {t("ticket.cc.remove")}
                  </button>
                </form>
              )}
            </li>
          ))}
        </ul>
      )}
      {editable && (
        <form method="post" action={`/tickets/${ticket.id}/ccs`} class="stack" novalidate>
          <Csrf token={ctx.csrfToken} />
          <FormErrors form={form} t={t} />
          <Field form={form} name="ccAddress" label={t("ticket.cc.address")}>
            {(a) => (
              <input
                {...a}
                type="email"
                name="ccAddress"
                maxLength={254}
                required
                value={form.values.ccAddress ?? ""}
              />
            )}
          </Field>
          <Field form={form} name="ccName" label={t("ticket.cc.name")}>
            {(a) => <input {...a} name="ccName" maxLength={200} value={form.values.ccName ?? ""} />}
          </Field>
          <button type="submit">{t("ticket.cc.add")}</button>
        </form>
      )}
    </section>
  );
}

/** The ticket's SLA targets: state and when each is due or was met (staff only). */
/**
 * The ticket's tags (staff only: customers never see them): each with a
 * remove button, and a plain form to add some, autocompleted from the
 * existing tags by a datalist (no script needed).
 */
function TagPanel({
  ctx,
  view,
  form,
}: {
  ctx: PageContext;
  view: TicketView;
  form: FormState<TagValues>;
}) {
  const { t } = ctx.i18n;
  const { ticket } = view;
  const editable = isEditable(ticket.status);
  return (
    <section class="panel" aria-labelledby="tags-heading" id="tags">
      <h2 id="tags-heading">{t("tags.ticket.heading")}</h2>
      <p class="hint">{t("tags.ticket.hint")}</p>
      {view.tags.length === 0 ? (
        <p class="muted">{t("tags.ticket.none")}</p>
      ) : (
        <ul class="tags">
          {view.tags.map((tag) => (
            <li>
              <a class="tag" href={`/desk?tag=${encodeURIComponent(tag)}`}>
                {tag}
              </a>
              {editable && (
                <form method="post" action={`/tickets/${ticket.id}/tags/remove`} class="inline">
                  <Csrf token={ctx.csrfToken} />
                  <input type="hidden" name="tag" value={tag} />
                  <button
                    type="submit"
                    class="link"
                    aria-label={t("tags.ticket.removeTag", { tag })}
                  >
                    {t("tags.ticket.remove")}
                  </button>
                </form>
              )}
            </li>
          ))}
        </ul>
      )}
      {editable && (
        <form method="post" action={`/tickets/${ticket.id}/tags`} class="stack" novalidate>
          <Csrf token={ctx.csrfToken} />
          <FormErrors form={form} t={t} />
          <Field form={form} name="tag" label={t("tags.ticket.field")}>
            {(a) => (
              <input
                {...a}
                name="tag"
                list="tag-suggestions"
                autocomplete="off"
                maxLength={1000}
                required
                value={form.values.tag ?? ""}
              />
            )}
          </Field>
          <datalist id="tag-suggestions">
            {view.tagSuggestions.map((name) => (
              <option value={name} />
            ))}
          </datalist>
          <button type="submit">{t("tags.ticket.add")}</button>
        </form>
      )}
    </section>
  );
}

function ServiceLevel({ view, i18n }: { view: TicketView; i18n: Translator }) {
  const { t, rich } = i18n;
  if (view.sla.length === 0) return null;
  return (
    <section class="panel" aria-labelledby="sla-heading">
      <h2 id="sla-heading">{t("ticket.sla.heading")}</h2>
      <dl class="sla-targets">
        {view.sla.map((target) => (
          <Fragment key={target.id}>
            <dt>{t(SLA_KIND_KEYS[target.kind])}</dt>
            <dd data-sla={target.kind}>
              <SlaBadge state={target.state} t={t} />{" "}
              {target.metAt ? (
                rich("ticket.sla.met", { time: <Time date={target.metAt} /> })
              ) : target.dueAt ? (
                rich("ticket.sla.due", { time: <Time date={target.dueAt} /> })
              ) : (
                <span class="muted">{t("ticket.sla.clockStopped")}</span>
              )}
            </dd>
          </Fragment>
        ))}
      </dl>
    </section>
  );
}

export interface RecentTicket {
  id: number;
  title: string;
  status: Status;
  updatedAt: Date;
}

/** Staff: the requester's other recent tickets, each with its status, linking to it. */
function RecentPanel({ tickets, i18n }: { tickets: readonly RecentTicket[]; i18n: Translator }) {
  const { t } = i18n;
  return (
    <section class="panel" aria-labelledby="recent-heading" id="requester-recent">
      <h2 id="recent-heading">{t("recent.heading")}</h2>
      {tickets.length === 0 ? (
        <p class="muted">{t("recent.none")}</p>
      ) : (
        <ul class="links">
          {tickets.map((r) => (
            <li key={r.id}>
              <a href={`/tickets/${r.id}`}>
                <span class="ticket-id">{`#${r.id}`}</span> {r.title}
              </a>{" "}
              <StatusBadge status={r.status} t={t} /> <Time date={r.updatedAt} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** Staff: automatic replies to these addresses were suppressed (a possible mail loop). */
function LoopNotice({ view, i18n }: { view: TicketView; i18n: Translator }) {
  const addresses = [
    ...new Set(
      view.events.flatMap((e) =>
        e.kind === "auto_reply_suppressed" && e.toValue ? [e.toValue] : [],
      ),
    ),
  ];
  if (addresses.length === 0) return null;
  return (
    <p class="notice is-warning" role="status" id="mail-loop">
      {i18n.t("ticket.mailLoop", { addresses: formatList(i18n.locale, addresses, "unit") })}
    </p>
  );
}

function Timeline({ view, i18n }: { view: TicketView; i18n: Translator }) {
  const fieldLabels = new Map(view.fields.map((f) => [f.def.name, f.def.label]));
  return (
    <section class="panel" aria-labelledby="timeline-heading">
      <h2 id="timeline-heading">{i18n.t("ticket.history")}</h2>
      <ol class="timeline">
        {view.events.map((e) => (
          <li>
            {describeEvent(e, view.names, view.teamNames, fieldLabels, i18n)}
            {e.viaMacro !== null && e.kind !== "macro" && (
              <span class="via-macro"> {i18n.t("macros.event.via", { macro: e.viaMacro })}</span>
            )}{" "}
            <Time date={e.createdAt} />
          </li>
        ))}
      </ol>
    </section>
  );
}

export function TicketPage({
  ctx,
  view,
  staffList,
  replyForm,
  maxMb,
  conflict,
  mailHtml,
  ccForm,
  tagForm = emptyForm(),
  fieldForm = emptyForm(),
  controlsStale = false,
  links,
  recent = [],
  linkForm,
  mergeForm = emptyForm(),
  mergedInto,
  openChildren,
  replyTools,
}: {
  ctx: PageContext;
  view: TicketView;
  staffList: Actor[];
  replyForm: FormState<ReplyValues>;
  maxMb: number;
  conflict?: ReplyConflict | undefined;
  mailHtml: MailHtml;
  ccForm: FormState<CcValues>;
  tagForm?: FormState<TagValues> | undefined;
  /** The custom fields form as refused (what was typed and why). */
  fieldForm?: FormState<FieldFormValues> | undefined;
  /** A control's change was refused: the ticket had changed since the page was loaded. */
  controlsStale?: boolean | undefined;
  /** Staff: the ticket's links to others. */
  links: readonly Relation[];
  /** Staff: the requester's other recent tickets (those the reader may see). */
  recent?: readonly RecentTicket[] | undefined;
  linkForm: FormState<LinkValues>;
  /** Staff: "Merge into…" as posted, when it was refused. */
  mergeForm?: FormState<MergeValues> | undefined;
  /** This ticket was merged: into that ticket, or one the reader may not see. */
  mergedInto?: number | "hidden" | undefined;
  /** Solving was asked first: these children are open (and the form as posted, to confirm). */
  openChildren?:
    | { children: readonly { id: number; status: Status }[]; fields: Record<string, string> }
    | undefined;
  /** Another feature's controls in the staff reply form (see ReplyBoxExtension). */
  replyTools?: ComponentChildren;
}) {
  const { ticket } = view;
  const staff = isStaff(ctx.actor);
  const { t, rich } = ctx.i18n;
  return (
    <Layout ctx={ctx} title={`#${ticket.id} ${ticket.title}`}>
      {/* script.js keeps this page live (static/script.js, "Live pages"). */}
      <div class="ticket-layout" data-live-ticket={String(ticket.id)}>
        <div class="ticket-main">
          <header class="ticket-head">
            <h1>
              <span class="ticket-id">{`#${ticket.id}`}</span> {ticket.title}
            </h1>
            <p class="meta">
              <StatusBadge status={ticket.status} t={t} />{" "}
              <PriorityBadge priority={ticket.priority} t={t} />{" "}
              <span>
                {rich("ticket.openedBy", {
                  name: view.requester.name,
                  email: staff ? <span class="muted">{` <${view.requester.email}>`}</span> : "",
                  time: <Time date={ticket.createdAt} />,
                })}
              </span>
              {staff && view.requester.organisationId !== null && (
                <>
                  <span class="sep" aria-hidden="true">
                    ·
                  </span>
                  <span class="organisation">
                    {rich("ticket.organisation", {
                      name: view.requester.organisationName ?? "",
                      link: (chunks: ComponentChildren) => (
                        <a href={`/desk?organisation=${view.requester.organisationId}`}>{chunks}</a>
                      ),
                    })}
                  </span>
                </>
              )}
              <span class="sep" aria-hidden="true">
                ·
              </span>
              <span>
                {view.assignee
                  ? t("ticket.assignedTo", { name: view.assignee.name })
                  : t("ticket.unassigned")}
              </span>
              {staff && ticket.externalId !== null && (
                <>
                  <span class="sep" aria-hidden="true">
                    ·
                  </span>
                  <span class="external-id">
                    {t("tags.ticket.externalId", { id: ticket.externalId })}
                  </span>
                </>
              )}
              {staff && ticket.teamId !== null && (
                <>
                  <span class="sep" aria-hidden="true">
                    ·
                  </span>
                  <span class="team">
                    {t("ticket.team", { name: view.teamNames.get(ticket.teamId) ?? "" })}
                  </span>
                </>
              )}
            </p>
            {ticket.followUpOf && (
              <p>
                {rich("ticket.followUpTo", {
                  id: String(ticket.followUpOf),
                  link: (chunks: ComponentChildren) => (
                    <a href={`/tickets/${ticket.followUpOf}`}>{chunks}</a>
                  ),
                })}
              </p>
            )}
            {staff && (
              /* Filled by script.js: which colleagues have this ticket open, and who is typing. */
              <p class="presence" id="presence" aria-live="polite" hidden />
            )}
          </header>
          {staff && <LoopNotice view={view} i18n={ctx.i18n} />}
          {mergedInto !== undefined && <MergedNotice into={mergedInto} i18n={ctx.i18n} />}
          <Conversation
            ctx={ctx}
            view={view}
            newAfter={conflict?.lastSeenMessageId}
            mailHtml={mailHtml}
            staff={staff}
            t={t}
          />
          <ReplyForm
            ctx={ctx}
            view={view}
            form={replyForm}
            maxMb={maxMb}
            conflict={conflict}
            tools={replyTools}
          />
        </div>
        <aside class="ticket-side">
          {controlsStale && <ControlsConflict ticketId={ticket.id} i18n={ctx.i18n} />}
          {openChildren && (
            <OpenChildrenConfirm
              ticketId={ticket.id}
              children={openChildren.children}
              fields={openChildren.fields}
              csrfToken={ctx.csrfToken}
              i18n={ctx.i18n}
            />
          )}
          {staff ? (
            <StaffControls ctx={ctx} view={view} staffList={staffList} />
          ) : (
            <RequesterControls ctx={ctx} view={view} />
          )}
          <FieldsPanel
            ctx={ctx}
            ticketId={ticket.id}
            fields={view.fields}
            staff={staff}
            editable={isEditable(ticket.status)}
            form={fieldForm}
          />
          {staff && <TagPanel ctx={ctx} view={view} form={tagForm} />}
          {staff && <ServiceLevel view={view} i18n={ctx.i18n} />}
          <CcPanel ctx={ctx} view={view} form={ccForm} />
          {staff && <RelationsPanel ctx={ctx} ticket={ticket} relations={links} form={linkForm} />}
          {staff && <MergePanel ctx={ctx} ticket={ticket} form={mergeForm} />}
          {staff && <RecentPanel tickets={recent} i18n={ctx.i18n} />}
          {staff && <Timeline view={view} i18n={ctx.i18n} />}
        </aside>
      </div>
    </Layout>
  );
}
