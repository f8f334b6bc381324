import { Fragment } from "preact";
import { type Actor, isStaff } from "../../accounts/index.ts";
import { renderMarkdown } from "../../lib/markdown.ts";
import type { PageContext } from "../../platform/views/context.ts";
import { Csrf, Field, FormErrors, type FormState } from "../../platform/views/forms.tsx";
import { Layout } from "../../platform/views/layout.tsx";
import { Time } from "../../platform/views/time.tsx";
import { isEditable, PRIORITIES, STATUSES } from "../lifecycle.ts";
import { SLA_KIND_LABELS } from "../sla.ts";
import { CONTENT_MAX } from "../tickets.schemas.ts";
import type { TicketView } from "../tickets.service.ts";
import { PriorityBadge, priorityLabel, SlaBadge, StatusBadge, statusLabel } from "./badges.tsx";
import { AttachmentsField } from "./new-ticket.tsx";
import { QuotedText } from "./quoted.tsx";

type ReplyValues = { content: string; internal: string; waitOnCustomer: string };
export type CcValues = { ccAddress: string; ccName: string };

/** An HTML-only mail's body, ready to show (see renderMailHtml), by message id. */
export type MailHtml = ReadonlyMap<number, { html: string; blocked: number; remoteShown: boolean }>;

/** Others wrote while this person was writing: their reply was kept, not sent. */
export interface ReplyConflict {
  readonly authors: readonly string[];
  /** The last message the refused form had seen: later ones are marked new. */
  readonly lastSeenMessageId: number;
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function describeEvent(
  event: TicketView["events"][number],
  names: Map<number, string>,
  teamNames: Map<number, string>,
): string {
  const who = (id: string | null) => (id ? (names.get(Number(id)) ?? `user #${id}`) : "nobody");
  const team = (id: string | null) =>
    id ? `team ${teamNames.get(Number(id)) ?? `#${id} (deleted)`}` : "no team";
  const label = (value: string | null) => {
    const status = STATUSES.find((s) => s === value);
    if (status) return statusLabel(status);
    const priority = PRIORITIES.find((p) => p === value);
    return priority ? priorityLabel(priority) : (value ?? "");
  };
  switch (event.kind) {
    case "created":
      return "opened the ticket";
    case "follow_up":
      return `opened it as a follow-up to #${event.fromValue}`;
    case "status":
      return `changed status from ${label(event.fromValue)} to ${label(event.toValue)}`;
    case "priority":
      return `changed priority from ${label(event.fromValue)} to ${label(event.toValue)}`;
    case "assignee":
      return event.toValue
        ? `assigned it to ${who(event.toValue)}`
        : `unassigned it (was ${who(event.fromValue)})`;
    case "rule":
      return `ran the rule “${event.toValue ?? `#${event.fromValue}`}”`;
    case "cc_added":
      return `added ${event.toValue ?? ""} as CC`;
    case "cc_removed":
      return `removed ${event.fromValue ?? ""} from the CCs`;
    case "auto_reply_suppressed":
      return `suppressed automatic replies to ${event.toValue ?? ""}: possible mail loop`;
    case "team":
      return `moved it from ${team(event.fromValue)} to ${team(event.toValue)}`;
    case "auto_assign":
      return `assigned automatically: ${event.toValue ?? ""}`;
    default:
      return event.kind;
  }
}

/** An HTML-only mail's body: remote images wait for "Load remote images" (a full page load). */
function MailHtmlBody({
  ticketId,
  messageId,
  html,
}: {
  ticketId: number;
  messageId: number;
  html: { html: string; blocked: number };
}) {
  return (
    <>
      {html.blocked > 0 && (
        <p class="notice remote-images">
          {`${html.blocked} remote image${html.blocked > 1 ? "s" : ""} blocked to protect your privacy. `}
          {/* A full page load: a boosted swap would keep the old page's CSP (no remote images). */}
          <a
            href={`/tickets/${ticketId}?images=${messageId}#message-${messageId}`}
            hx-boost="false"
          >
            Load remote images
          </a>
        </p>
      )}
      {/* Customer HTML, sanitised twice with a strict allow-list (lib/mail-html.ts). */}
      <div class="message-body mail-html" dangerouslySetInnerHTML={{ __html: html.html }} />
    </>
  );
}

function Conversation({
  view,
  newAfter,
  mailHtml,
  staff,
}: {
  view: TicketView;
  newAfter?: number | undefined;
  mailHtml: MailHtml;
  staff: boolean;
}) {
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
              aria-label={`${m.internal ? "Internal note" : "Message"} from ${m.authorName}`}
            >
              <header>
                <strong>{m.authorName}</strong>
                {m.authorRole !== "customer" && <span class="tag">Staff</span>}
                {m.internal && (
                  <span class="tag internal-tag">Internal note, not visible to the customer</span>
                )}
                <Time date={m.createdAt} />
              </header>
              {html && !m.quoted ? (
                <MailHtmlBody ticketId={view.ticket.id} messageId={m.id} html={html} />
              ) : (
                <>
                  {/* renderMarkdown output is safe: raw HTML is escaped and links are filtered. */}
                  <div
                    class="message-body"
                    dangerouslySetInnerHTML={{ __html: renderMarkdown(m.content) }}
                  />
                  <QuotedText quoted={m.quoted} />
                  {/* An HTML-only reply with quoted history: its text first (history trimmed), the mail as sent behind a click. */}
                  {html && (
                    <details class="quoted mail-html-original" open={html.remoteShown}>
                      <summary>Show the mail as sent (HTML)</summary>
                      <MailHtmlBody ticketId={view.ticket.id} messageId={m.id} html={html} />
                    </details>
                  )}
                </>
              )}
              {staff && m.viaEmail && (
                <p class="muted original-mail">
                  {/* Never boosted: htmx would swap the file into the page. */}
                  <a href={`/messages/${m.id}/original.eml`} download hx-boost="false">
                    Download original (.eml)
                  </a>
                </p>
              )}
              {files.length > 0 && (
                <ul class="attachments" aria-label="Attachments">
                  {files.map((a) => (
                    <li>
                      {/* Never boosted: htmx would swap the file into the page as HTML. */}
                      <a href={`/attachments/${a.id}`} download hx-boost="false">
                        {a.filename}
                      </a>{" "}
                      <span class="muted">{formatSize(a.size)}</span>
                    </li>
                  ))}
                </ul>
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
}: {
  ctx: PageContext;
  view: TicketView;
  form: FormState<ReplyValues>;
  maxMb: number;
  conflict?: ReplyConflict | undefined;
}) {
  const staff = isStaff(ctx.actor);
  const closed = !isEditable(view.ticket.status);
  if (closed && staff) {
    return (
      <p class="notice">
        This ticket is closed. Nobody can change it; the customer can reply to open a follow-up.
      </p>
    );
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
      <h2>{staff ? "Reply or add a note" : "Reply"}</h2>
      {closed && (
        <p class="notice">This ticket is closed. Your reply will open a new follow-up ticket.</p>
      )}
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
            <strong>{`${conflict.authors.join(" and ")} replied while you were writing.`}</strong>{" "}
            Your reply was not sent. Read the new{" "}
            {conflict.authors.length > 1 ? "messages" : "message"} above, then send yours anyway or
            change it first.
          </p>
        </div>
      )}
      <FormErrors form={form} />
      <Field
        form={form}
        name="content"
        label={staff ? "Message" : "Your reply"}
        hint="Markdown works."
      >
        {(a) => (
          <textarea {...a} name="content" rows={6} required maxLength={CONTENT_MAX}>
            {form.values.content ?? ""}
          </textarea>
        )}
      </Field>
      {staff && (
        <fieldset class="options">
          <legend>Send as</legend>
          <label>
            <input
              type="checkbox"
              name="internal"
              value="true"
              checked={form.values.internal === "true"}
            />{" "}
            Internal note (staff only, the customer never sees it)
          </label>
          <label>
            <input
              type="checkbox"
              name="waitOnCustomer"
              value="true"
              checked={form.values.waitOnCustomer === "true"}
            />{" "}
            Set pending: waiting on the customer
          </label>
        </fieldset>
      )}
      <AttachmentsField form={form} maxMb={maxMb} id="field-reply-attachments" />
      <button type="submit" class="primary">
        {conflict ? "Send anyway" : staff ? "Send" : "Send reply"}
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
function ControlsConflict({ ticketId }: { ticketId: number }) {
  return (
    <div class="notice is-conflict" role="alert" id="controls-conflict">
      <p>
        <strong>This ticket was changed by someone else</strong> while you had it open, so your
        change was not saved. The page now shows the ticket as it is; make your change again if it
        still applies.
      </p>
      <p>
        <a href={`/tickets/${ticketId}`}>Reload the ticket</a>
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
  if (!isEditable(ticket.status)) return null;
  return (
    <section class="panel" aria-labelledby="controls-heading">
      <h2 id="controls-heading">Ticket</h2>
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
          <label for="control-status">Status</label>
          <select id="control-status" name="status">
            {STATUSES.filter((s) => s !== "new" || ticket.status === "new").map((s) => (
              <option value={s} selected={s === ticket.status}>
                {statusLabel(s)}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="control-priority">Priority</label>
          <select id="control-priority" name="priority">
            {PRIORITIES.map((p) => (
              <option value={p} selected={p === ticket.priority}>
                {priorityLabel(p)}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="control-assignee">Assignee</label>
          <select id="control-assignee" name="assigneeId">
            <option value="" selected={ticket.assigneeId === null}>
              Unassigned
            </option>
            {staffList.map((s) => (
              <option value={String(s.id)} selected={s.id === ticket.assigneeId}>
                {s.id === actor?.id ? `${s.name} (me)` : s.name}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="control-team">Team</label>
          <select id="control-team" name="teamId">
            <option value="" selected={ticket.teamId === null}>
              No team
            </option>
            {[...view.teamNames].map(([id, name]) => (
              <option value={String(id)} selected={id === ticket.teamId}>
                {name}
              </option>
            ))}
          </select>
        </div>
        <button type="submit">Save changes</button>
      </form>
      {actor && ticket.assigneeId !== actor.id && (
        <form method="post" action={`/tickets/${ticket.id}`} class="inline">
          <Csrf token={ctx.csrfToken} />
          <Version ticket={ticket} />
          <input type="hidden" name="assigneeId" value={String(actor.id)} />
          <button type="submit" data-shortcut="assign-me">
            Assign to me
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
      <button type="submit">Mark as solved</button>
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
  const staff = isStaff(ctx.actor);
  const { ticket, ccs } = view;
  const editable = staff && isEditable(ticket.status);
  if (!staff && ccs.length === 0) return null;
  return (
    <section class="panel" aria-labelledby="ccs-heading" id="ccs">
      <h2 id="ccs-heading">CC</h2>
      <p class="hint">They get a copy of every public reply by mail, and can answer by mail.</p>
      {ccs.length === 0 ? (
        <p class="muted">Nobody.</p>
      ) : (
        <ul class="ccs">
          {ccs.map((c) => (
            <li>
              {c.name ? `${c.name} <${c.address}>` : c.address}
              {editable && (
                <form method="post" action={`/tickets/${ticket.id}/ccs/remove`} class="inline">
                  <Csrf token={ctx.csrfToken} />
                  <input type="hidden" name="address" value={c.address} />
                  <button type="submit" class="link" aria-label={`Remove ${c.address}`}>
                    Remove
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
          <FormErrors form={form} />
          <Field form={form} name="ccAddress" label="Address">
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
          <Field form={form} name="ccName" label="Name (optional)">
            {(a) => <input {...a} name="ccName" maxLength={200} value={form.values.ccName ?? ""} />}
          </Field>
          <button type="submit">Add CC</button>
        </form>
      )}
    </section>
  );
}

/** The ticket's SLA targets: state and when each is due or was met (staff only). */
function ServiceLevel({ view }: { view: TicketView }) {
  if (view.sla.length === 0) return null;
  return (
    <section class="panel" aria-labelledby="sla-heading">
      <h2 id="sla-heading">Service level</h2>
      <dl class="sla-targets">
        {view.sla.map((t) => (
          <Fragment key={t.id}>
            <dt>{SLA_KIND_LABELS[t.kind]}</dt>
            <dd data-sla={t.kind}>
              <SlaBadge state={t.state} />{" "}
              {t.metAt ? (
                <>
                  met <Time date={t.metAt} />
                </>
              ) : t.dueAt ? (
                <>
                  due <Time date={t.dueAt} />
                </>
              ) : (
                <span class="muted">clock stopped while pending</span>
              )}
            </dd>
          </Fragment>
        ))}
      </dl>
    </section>
  );
}

/** Staff: automatic replies to these addresses were suppressed (a possible mail loop). */
function LoopNotice({ view }: { view: TicketView }) {
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
      {`Automatic replies to ${addresses.join(", ")} suppressed: possible mail loop. Replies you write are still sent.`}
    </p>
  );
}

function Timeline({ view }: { view: TicketView }) {
  return (
    <section class="panel" aria-labelledby="timeline-heading">
      <h2 id="timeline-heading">History</h2>
      <ol class="timeline">
        {view.events.map((e) => (
          <li>
            <strong>{e.actorName ?? "System"}</strong>{" "}
            {describeEvent(e, view.names, view.teamNames)} <Time date={e.createdAt} />
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
  controlsStale = false,
}: {
  ctx: PageContext;
  view: TicketView;
  staffList: Actor[];
  replyForm: FormState<ReplyValues>;
  maxMb: number;
  conflict?: ReplyConflict | undefined;
  mailHtml: MailHtml;
  ccForm: FormState<CcValues>;
  /** A control's change was refused: the ticket had changed since the page was loaded. */
  controlsStale?: boolean | undefined;
}) {
  const { ticket } = view;
  const staff = isStaff(ctx.actor);
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
              <StatusBadge status={ticket.status} /> <PriorityBadge priority={ticket.priority} />{" "}
              <span>
                {"Opened by "}
                {view.requester.name}
                {staff && <span class="muted">{` <${view.requester.email}>`}</span>}{" "}
                <Time date={ticket.createdAt} />
              </span>
              {staff && view.requester.organisationId !== null && (
                <>
                  <span class="sep" aria-hidden="true">
                    ·
                  </span>
                  <span class="organisation">
                    {"Organisation "}
                    <a href={`/desk?organisation=${view.requester.organisationId}`}>
                      {view.requester.organisationName ?? ""}
                    </a>
                  </span>
                </>
              )}
              <span class="sep" aria-hidden="true">
                ·
              </span>
              <span>{view.assignee ? `Assigned to ${view.assignee.name}` : "Unassigned"}</span>
              {staff && ticket.teamId !== null && (
                <>
                  <span class="sep" aria-hidden="true">
                    ·
                  </span>
                  <span class="team">{`Team ${view.teamNames.get(ticket.teamId) ?? ""}`}</span>
                </>
              )}
            </p>
            {ticket.followUpOf && (
              <p>
                Follow-up to <a href={`/tickets/${ticket.followUpOf}`}>{`#${ticket.followUpOf}`}</a>
              </p>
            )}
            {staff && (
              /* Filled by script.js: which colleagues have this ticket open, and who is typing. */
              <p class="presence" id="presence" aria-live="polite" hidden />
            )}
          </header>
          {staff && <LoopNotice view={view} />}
          <Conversation
            view={view}
            newAfter={conflict?.lastSeenMessageId}
            mailHtml={mailHtml}
            staff={staff}
          />
          <ReplyForm ctx={ctx} view={view} form={replyForm} maxMb={maxMb} conflict={conflict} />
        </div>
        <aside class="ticket-side">
          {controlsStale && <ControlsConflict ticketId={ticket.id} />}
          {staff ? (
            <StaffControls ctx={ctx} view={view} staffList={staffList} />
          ) : (
            <RequesterControls ctx={ctx} view={view} />
          )}
          {staff && <ServiceLevel view={view} />}
          <CcPanel ctx={ctx} view={view} form={ccForm} />
          {staff && <Timeline view={view} />}
        </aside>
      </div>
    </Layout>
  );
}
