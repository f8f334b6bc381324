import type { ComponentChildren } from "preact";
import type { Actor } from "../../accounts/index.ts";
import type { Locale, MessageKey, Translator } from "../../i18n/i18n.ts";
import type { FieldError } from "../../lib/errors.ts";
import type { PageContext } from "../../platform/views/context.ts";
import { Csrf, Field, type FormState, fieldErrorText } from "../../platform/views/forms.tsx";
import { Layout } from "../../platform/views/layout.tsx";
import { Time } from "../../platform/views/time.tsx";
import { DEFAULT_SORT, type DeskFilters } from "../desk-query.ts";
import { PRIORITIES, STATUSES } from "../lifecycle.ts";

export { DEFAULT_QUEUE, DEFAULT_SORT, type DeskFilters, deskHref } from "../desk-query.ts";

import { deskHref } from "../desk-query.ts";
import { QUEUE_COUNT_CAP, QUEUES, type QueueName } from "../queues.ts";
import type { SnippetPart } from "../search-query.ts";
import { queueState } from "../sla.ts";
import type { Sort } from "../tickets.schemas.ts";
import { SEARCH_MAX, SORTS } from "../tickets.schemas.ts";
import type { TeamQueue, TicketListItem } from "../tickets.service.ts";
import { PriorityBadge, priorityLabel, SlaBadge, StatusBadge, statusLabel } from "./badges.tsx";

type T = Translator["t"];

/** Each sort's name in the catalogs. */
const SORT_KEYS: Record<Sort, MessageKey> = {
  "-updatedAt": "desk.sort.recentlyUpdated",
  updatedAt: "desk.sort.leastRecentlyUpdated",
  "-createdAt": "desk.sort.newest",
  createdAt: "desk.sort.oldest",
  "-priority": "desk.sort.mostUrgent",
  priority: "desk.sort.leastUrgent",
  dueAt: "desk.sort.slaDue",
  relevance: "search.sort.relevance",
};

/** Each listed queue's name in the catalogs (`team` is named after its team). */
const QUEUE_KEYS: Record<Exclude<QueueName, "team">, MessageKey> = {
  unassigned: "desk.queue.unassigned",
  mine: "desk.queue.mine",
  myTeams: "desk.queue.myTeams",
  open: "desk.queue.open",
  pending: "desk.queue.pending",
  done: "desk.queue.done",
};

/** Whether anything beyond the queue narrows or reorders the list. */
export function hasFilters(f: DeskFilters): boolean {
  return Boolean(
    f.q ||
      f.status ||
      f.priority ||
      f.assignee ||
      (f.team && f.queue !== "team") ||
      f.organisation ||
      f.requester ||
      f.requesterId ||
      f.tag,
  );
}

export interface DeskPageProps {
  ctx: PageContext;
  filters: DeskFilters;
  counts: Partial<Record<QueueName, number>>;
  /** The teams the viewer may see, with counts (their own first). */
  teamQueues: readonly TeamQueue[];
  /** Every organisation, for its filter. */
  organisations: readonly { id: number; name: string }[];

  staff: readonly Actor[];
  tickets: readonly TicketListItem[];
  /** The requester the list is narrowed to, when one is. */
  requester: { id: number; name: string; email: string } | undefined;
  /** A problem with the requester filter (e.g. no account has that email). */
  requesterError: FieldError | undefined;
  /** Why the search box's query could not be read, and where. */
  queryError?: FieldError | undefined;
  nextHref: string | undefined;
  firstHref: string | undefined;
  now: Date;
  /** The saved views' list with their counts (src/saved-views), when there are any. */
  viewsNav?: ComponentChildren;
  /** "Save this search" for the filters shown (src/saved-views). */
  saveForm?: ComponentChildren;
}

function QueueNav({
  filters,
  counts,
  i18n,
}: {
  filters: DeskFilters;
  counts: Partial<Record<QueueName, number>>;
  i18n: Translator;
}) {
  return (
    <nav class="queues" aria-label={i18n.t("desk.queues")}>
      <ul>
        {(Object.keys(QUEUES) as QueueName[])
          .filter((name): name is Exclude<QueueName, "team"> => !("listed" in QUEUES[name]))
          .map((name) => (
            <li key={name}>
              <a
                href={`/desk?queue=${name}`}
                aria-current={name === filters.queue ? "page" : undefined}
              >
                <span class="queue-label">{i18n.t(QUEUE_KEYS[name])}</span>
                {counts[name] !== undefined && (
                  <>
                    {" "}
                    <span class="count">{formatCount(counts[name], i18n.locale)}</span>
                  </>
                )}
              </a>
            </li>
          ))}
      </ul>
    </nav>
  );
}

/** One queue per team: its active tickets, and how many of them wait unassigned. */
function TeamNav({
  filters,
  teams,
  i18n,
}: {
  filters: DeskFilters;
  teams: readonly TeamQueue[];
  i18n: Translator;
}) {
  if (teams.length === 0) return null;
  const { t, locale } = i18n;
  return (
    <nav class="queues team-queues" aria-label={t("desk.teamQueues")}>
      <ul>
        {teams.map((team) => (
          <li key={team.id}>
            <a
              href={`/desk?queue=team&team=${team.id}`}
              aria-current={
                filters.queue === "team" && filters.team === String(team.id) ? "page" : undefined
              }
            >
              <span class="queue-label">
                {team.mine ? t("desk.myTeam", { team: team.name }) : team.name}
              </span>{" "}
              <span class="count">{formatCount(team.active, locale)}</span>
            </a>{" "}
            <a
              href={`/desk?queue=unassigned&team=${team.id}`}
              class="muted"
              title={t("desk.teamUnassignedTitle", { team: team.name })}
            >
              {t("desk.teamUnassigned", {
                n: team.unassigned,
                count: formatCount(team.unassigned, locale),
              })}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function FilterForm({
  filters,
  staff,
  teams,
  organisations,
  requester,
  requesterError,
  queryError,
  t,
}: {
  t: T;
  filters: DeskFilters;
  staff: readonly Actor[];
  teams: readonly TeamQueue[];
  organisations: DeskPageProps["organisations"];
  requester: DeskPageProps["requester"];
  requesterError: FieldError | undefined;
  queryError: FieldError | undefined;
}) {
  const form: FormState = { values: {}, errors: requesterError ? [requesterError] : [] };
  const assigneeId = /^\d+$/.test(filters.assignee) ? Number(filters.assignee) : undefined;
  const unknownAssignee =
    assigneeId !== undefined && !staff.some((s) => s.id === assigneeId) ? assigneeId : undefined;
  const sort = filters.sort || DEFAULT_SORT;
  return (
    <form method="get" action="/desk" class="filters" aria-label={t("desk.filterTickets")}>
      <input type="hidden" name="queue" value={filters.queue} />
      <SearchField filters={filters} error={queryError} t={t} />
      <Field form={form} name="status" label={t("desk.status")}>
        {(a) => (
          <select name="status" {...a}>
            <option value="" selected={!filters.status}>
              {t("desk.anyInQueue")}
            </option>
            {STATUSES.map((s) => (
              <option key={s} value={s} selected={filters.status === s}>
                {statusLabel(s, t)}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field form={form} name="priority" label={t("desk.priority")}>
        {(a) => (
          <select name="priority" {...a}>
            <option value="" selected={!filters.priority}>
              {t("desk.anyPriority")}
            </option>
            {PRIORITIES.map((p) => (
              <option key={p} value={p} selected={filters.priority === p}>
                {priorityLabel(p, t)}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field form={form} name="assignee" label={t("desk.assignee")}>
        {(a) => (
          <select name="assignee" {...a}>
            <option value="" selected={!filters.assignee}>
              {t("desk.anyone")}
            </option>
            <option value="me" selected={filters.assignee === "me"}>
              {t("desk.me")}
            </option>
            <option value="none" selected={filters.assignee === "none"}>
              {t("desk.unassigned")}
            </option>
            {staff.map((s) => (
              <option key={s.id} value={String(s.id)} selected={assigneeId === s.id}>
                {s.name}
              </option>
            ))}
            {unknownAssignee !== undefined && (
              <option value={String(unknownAssignee)} selected>
                {t("desk.userNumber", { id: String(unknownAssignee) })}
              </option>
            )}
          </select>
        )}
      </Field>
      {filters.queue === "team" ? (
        <input type="hidden" name="team" value={filters.team} />
      ) : (
        <Field form={form} name="team" label={t("desk.team")}>
          {(a) => (
            <select name="team" {...a}>
              <option value="" selected={!filters.team}>
                {t("desk.anyTeam")}
              </option>
              <option value="mine" selected={filters.team === "mine"}>
                {t("desk.myTeams")}
              </option>
              <option value="none" selected={filters.team === "none"}>
                {t("desk.noTeam")}
              </option>
              {teams.map((team) => (
                <option
                  key={team.id}
                  value={String(team.id)}
                  selected={filters.team === String(team.id)}
                >
                  {team.name}
                </option>
              ))}
            </select>
          )}
        </Field>
      )}
      {(organisations.length > 0 || filters.organisation) && (
        <Field form={form} name="organisation" label={t("desk.organisation")}>
          {(a) => (
            <select name="organisation" {...a}>
              <option value="" selected={!filters.organisation}>
                {t("desk.anyOrganisation")}
              </option>
              {organisations.map((o) => (
                <option
                  key={o.id}
                  value={String(o.id)}
                  selected={filters.organisation === String(o.id)}
                >
                  {o.name}
                </option>
              ))}
            </select>
          )}
        </Field>
      )}
      <Field form={form} name="tag" label={t("tags.desk.filter")}>
        {(a) => <input name="tag" autocomplete="off" maxLength={200} value={filters.tag} {...a} />}
      </Field>
      <Field form={form} name="requester" label={t("desk.requesterEmail")}>
        {(a) => (
          <input
            type="email"
            name="requester"
            autocomplete="off"
            value={requester?.email ?? filters.requester}
            {...a}
          />
        )}
      </Field>
      <Field form={form} name="sort" label={t("desk.sort")}>
        {(a) => (
          <select name="sort" {...a}>
            {SORTS.map((s) => (
              <option key={s} value={s} selected={sort === s}>
                {t(SORT_KEYS[s])}
              </option>
            ))}
          </select>
        )}
      </Field>
      <div class="actions">
        <button type="submit">{t("desk.applyFilters")}</button>{" "}
        {hasFilters(filters) && (
          <a
            href={
              filters.queue === "team"
                ? `/desk?queue=team&team=${filters.team}`
                : `/desk?queue=${filters.queue}`
            }
          >
            {t("desk.clearFilters")}
          </a>
        )}
      </div>
    </form>
  );
}

/**
 * The search box. Typing updates the results (htmx, 300 ms after the last key):
 * only `#desk-results` and the box's own error line are swapped, never the box,
 * so nothing typed meanwhile is lost. Without JavaScript it is a field of the
 * filter form. The error line is always there (empty when the query is fine),
 * so each answer can replace it.
 */
function SearchField({
  filters,
  error,
  t,
}: {
  filters: DeskFilters;
  error: FieldError | undefined;
  t: T;
}) {
  const label = t("desk.search");
  return (
    <div class={error ? "field has-error" : "field"}>
      <label for="field-q">{label}</label>
      <input
        id="field-q"
        type="search"
        name="q"
        value={filters.q}
        maxLength={SEARCH_MAX}
        placeholder={t("desk.searchPlaceholder")}
        autocomplete="off"
        spellcheck={false}
        aria-invalid={error ? "true" : undefined}
        aria-describedby="field-q-hint field-q-error"
        hx-get="/desk"
        hx-trigger="input changed delay:300ms, search"
        hx-include="closest form"
        hx-target="#desk-results"
        hx-select="#desk-results"
        hx-select-oob="#field-q-error"
        hx-swap="outerHTML"
        hx-push-url="true"
        hx-sync="this:replace"
      />
      <p class="hint" id="field-q-hint">
        {t("search.hint")}
      </p>
      <p class="error" id="field-q-error" aria-live="polite">
        {error ? fieldErrorText(error, label, t) : ""}
      </p>
    </div>
  );
}

/** The earliest running SLA target of a row: its state and due time, or nothing. */
function SlaCell({ ticket, now, t }: { ticket: TicketListItem; now: Date; t: T }) {
  const state = queueState(ticket, now);
  if (!state || !ticket.slaDueAt) return <span class="muted">—</span>;
  return (
    <>
      <SlaBadge state={state} t={t} /> <Time date={ticket.slaDueAt} now={now} />
    </>
  );
}

/** Where a search result matched: its text as text (escaped by Preact), the words found in <mark>. */
function Snippet({ parts }: { parts: readonly SnippetPart[] }) {
  return (
    <p class="snippet">{parts.map((p, i) => (p.hit ? <mark key={i}>{p.text}</mark> : p.text))}</p>
  );
}

function TicketTable({
  filters,
  tickets,
  caption,
  now,
  t,
}: {
  t: T;
  filters: DeskFilters;
  tickets: readonly TicketListItem[];
  caption: string;
  now: Date;
}) {
  return (
    <table class="tickets">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col" class="select">
            <span class="visually-hidden">{t("bulk.col.select")}</span>
            {/* script.js shows it: ticks every row on this page. */}
            <input
              type="checkbox"
              data-bulk-all
              hidden
              aria-label={t("bulk.selectPage")}
              form="bulk-form"
            />
          </th>
          <th scope="col">#</th>
          <th scope="col">{t("desk.col.title")}</th>
          <th scope="col">{t("desk.col.requester")}</th>
          <th scope="col">{t("desk.col.status")}</th>
          <th scope="col">{t("desk.col.priority")}</th>
          <th scope="col">{t("desk.col.assignee")}</th>
          <th scope="col">{t("desk.col.team")}</th>
          <th scope="col">{t("desk.col.slaDue")}</th>
          <th scope="col">{t("desk.col.updated")}</th>
        </tr>
      </thead>
      <tbody>
        {tickets.map((row) => (
          <tr key={row.id} data-ticket-row={String(row.id)}>
            <td class="select">
              <input
                type="checkbox"
                name="ids"
                value={String(row.id)}
                form="bulk-form"
                data-bulk-row
                aria-label={t("bulk.selectTicket", { id: String(row.id), title: row.title })}
              />
            </td>
            <td class="ticket-id">{`#${row.id}`}</td>
            <th scope="row" class="ticket-title">
              <a href={`/tickets/${row.id}`}>{row.title}</a>
              {row.snippet && <Snippet parts={row.snippet} />}
              {row.tags && row.tags.length > 0 && (
                <span class="tags">
                  {row.tags.map((tag) => (
                    <>
                      {" "}
                      <a class="tag" href={deskHref({ ...filters, tag, cursor: "" })}>
                        {tag}
                      </a>
                    </>
                  ))}
                </span>
              )}
            </th>
            <td class="requester">
              <a
                href={deskHref({
                  ...filters,
                  requester: "",
                  requesterId: String(row.requesterId),
                  cursor: "",
                })}
                title={t("desk.onlyFrom", { email: row.requesterEmail })}
              >
                {row.requesterName}
              </a>
            </td>
            <td class="status">
              <StatusBadge status={row.status} t={t} />
            </td>
            <td class="priority">
              <PriorityBadge priority={row.priority} t={t} />
            </td>
            <td class="assignee">
              {row.assigneeName ?? <span class="muted">{t("desk.unassigned")}</span>}
            </td>
            <td class="team">{row.teamName ?? ""}</td>
            <td class="sla">
              <SlaCell ticket={row} now={now} t={t} />
            </td>
            <td class="updated">
              <Time date={row.updatedAt} now={now} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * Bulk actions (src/bulk): the rows' checkboxes belong to this form (their
 * `form` attribute), so it works without JavaScript; "select all in this view"
 * posts the desk's query, and the server finds up to 500 matching tickets.
 */
function BulkBar({
  filters,
  staff,
  teams,
  csrfToken,
  t,
}: {
  filters: DeskFilters;
  staff: readonly Pick<Actor, "id" | "name">[];
  teams: readonly TeamQueue[];
  csrfToken: string;
  t: T;
}) {
  const query = deskHref({ ...filters, cursor: "" }).replace(/^\/desk\?/, "");
  return (
    <form
      method="post"
      action="/desk/bulk"
      id="bulk-form"
      class="bulk-bar"
      aria-label={t("bulk.label")}
    >
      <Csrf token={csrfToken} />
      <input type="hidden" name="query" value={query} />
      <label for="bulk-change">{t("bulk.change")}</label>{" "}
      <select id="bulk-change" name="change">
        <optgroup label={t("bulk.group.assign")}>
          {/* Marked as the default, so script.js can tell an untouched bar from a chosen change. */}
          <option value="assign:me" selected>
            {t("bulk.assignMe")}
          </option>
          <option value="assign:none">{t("bulk.assignNobody")}</option>
          {staff.map((s) => (
            <option value={`assign:${s.id}`}>{t("bulk.assignTo", { name: s.name })}</option>
          ))}
        </optgroup>
        <optgroup label={t("bulk.group.status")}>
          {STATUSES.filter((s) => s !== "new").map((s) => (
            <option value={`status:${s}`}>
              {t("bulk.setStatus", { status: statusLabel(s, t) })}
            </option>
          ))}
        </optgroup>
        <optgroup label={t("bulk.group.priority")}>
          {PRIORITIES.map((p) => (
            <option value={`priority:${p}`}>
              {t("bulk.setPriority", { priority: priorityLabel(p, t) })}
            </option>
          ))}
        </optgroup>
        <optgroup label={t("bulk.group.team")}>
          <option value="team:none">{t("bulk.noTeam")}</option>
          {teams.map((team) => (
            <option value={`team:${team.id}`}>{t("bulk.moveTo", { team: team.name })}</option>
          ))}
        </optgroup>
        <optgroup label={t("bulk.group.other")}>
          <option value="add_tag">{t("bulk.addTag")}</option>
          <option value="remove_tag">{t("bulk.removeTag")}</option>
          <option value="macro">{t("bulk.applyMacro")}</option>
        </optgroup>
      </select>{" "}
      <label for="bulk-tag">{t("bulk.tag")}</label>{" "}
      <input id="bulk-tag" name="tag" maxLength={200} size={12} />{" "}
      <button type="submit" name="scope" value="selected" class="primary">
        {t("bulk.applySelected")}
      </button>{" "}
      <button type="submit" name="scope" value="all">
        {t("bulk.applyAll")}
      </button>
      <span
        class="hint"
        data-bulk-count
        data-text={t("bulk.selected", { count: "{count}" })}
        aria-live="polite"
      />
    </form>
  );
}

function emptyText(props: DeskPageProps, t: T): string {
  if (props.requesterError) return t("desk.empty.noRequester");
  if (props.queryError) return t("search.empty.unreadable");
  if (props.filters.cursor) return t("desk.empty.noMore");
  if (hasFilters(props.filters)) return t("desk.empty.noMatch");
  return t("desk.empty.queue");
}

// One per language, made on first use: the desk formats a count per queue and team.
const countFormats = new Map<Locale, Intl.NumberFormat>();

/** A queue count as shown: exact up to the cap, then "10,000+" (digits grouped as the language does). */
export function formatCount(n: number, locale: Locale = "en"): string {
  let format = countFormats.get(locale);
  if (!format) {
    format = new Intl.NumberFormat(locale);
    countFormats.set(locale, format);
  }
  return n > QUEUE_COUNT_CAP ? `${format.format(QUEUE_COUNT_CAP)}+` : format.format(n);
}

/** The staff dashboard: queues with counts, filters, and one page of tickets. */
export function DeskPage(props: DeskPageProps) {
  const { ctx, filters, counts, teamQueues, organisations, staff, tickets } = props;
  const { requester, requesterError } = props;
  const { t } = ctx.i18n;
  const teamName = teamQueues.find((team) => String(team.id) === filters.team)?.name;
  const label =
    filters.queue === "team"
      ? t("desk.teamQueue", { team: teamName ?? filters.team })
      : t(QUEUE_KEYS[filters.queue]);
  const filtered = hasFilters(filters);
  const caption = t(
    filtered
      ? filters.cursor
        ? "desk.caption.filteredLater"
        : "desk.caption.filtered"
      : filters.cursor
        ? "desk.caption.later"
        : "desk.caption",
    { queue: label },
  );
  return (
    <Layout ctx={ctx} title={t("desk.title", { queue: label })}>
      <div class="desk">
        <div class="desk-nav">
          <QueueNav filters={filters} counts={counts} i18n={ctx.i18n} />
          <TeamNav filters={filters} teams={teamQueues} i18n={ctx.i18n} />
          {props.viewsNav}
        </div>
        <section class="desk-list" aria-labelledby="desk-heading">
          <div class="page-head">
            <h1 id="desk-heading">{label}</h1>
            {/* Shown by script.js, which is what makes the shortcuts work. */}
            <p class="shortcut-hint" data-shortcut-hint hidden>
              {ctx.i18n.rich("desk.shortcutHint", {
                kbd: (chunks: ComponentChildren) => <kbd>{chunks}</kbd>,
              })}
            </p>
          </div>
          <FilterForm
            filters={filters}
            staff={staff}
            teams={teamQueues}
            organisations={organisations}
            requester={requester}
            requesterError={requesterError}
            queryError={props.queryError}
            t={t}
          />
          {requester && (
            <p class="filter-note">
              {t("desk.showingFrom", { name: requester.name, email: requester.email })}{" "}
              <a href={deskHref({ ...filters, requester: "", requesterId: "", cursor: "" })}>
                {t("desk.showEveryone")}
              </a>
            </p>
          )}
          {/* script.js fetches the desk again and swaps this in when tickets change ("Live pages"). */}
          <div id="desk-results" data-live-desk>
            {tickets.length > 0 && (
              <BulkBar
                filters={filters}
                staff={staff}
                teams={teamQueues}
                csrfToken={ctx.csrfToken}
                t={t}
              />
            )}
            {tickets.length > 0 ? (
              <TicketTable
                filters={filters}
                tickets={tickets}
                caption={caption}
                now={props.now}
                t={t}
              />
            ) : (
              <p class="empty">{emptyText(props, t)}</p>
            )}
            {(props.nextHref || props.firstHref) && (
              <nav class="pager" aria-label={t("pager.label")}>
                {props.firstHref && <a href={props.firstHref}>{t("pager.first")}</a>}{" "}
                {props.nextHref && (
                  <a href={props.nextHref} rel="next">
                    {t("pager.next")}
                  </a>
                )}
              </nav>
            )}
            {/* In the results, so a live search's answer brings the form its filters. */}
            {props.saveForm}
          </div>
        </section>
      </div>
    </Layout>
  );
}
