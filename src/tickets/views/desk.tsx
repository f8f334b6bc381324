import type { Actor } from "../../accounts/index.ts";
import type { PageContext } from "../../platform/views/context.ts";
import { Field, type FormState } from "../../platform/views/forms.tsx";
import { Layout } from "../../platform/views/layout.tsx";
import { Time } from "../../platform/views/time.tsx";
import { PRIORITIES, STATUSES } from "../lifecycle.ts";
import { QUEUE_COUNT_CAP, QUEUES, type QueueName } from "../queues.ts";
import { queueState } from "../sla.ts";
import type { Sort } from "../tickets.schemas.ts";
import { SEARCH_MAX, SORTS } from "../tickets.schemas.ts";
import type { TeamQueue, TicketListItem } from "../tickets.service.ts";
import { PriorityBadge, priorityLabel, SlaBadge, StatusBadge, statusLabel } from "./badges.tsx";

export const DEFAULT_QUEUE: QueueName = "unassigned";
export const DEFAULT_SORT: Sort = "-updatedAt";

export const SORT_LABELS: Record<Sort, string> = {
  "-updatedAt": "Recently updated first",
  updatedAt: "Least recently updated first",
  "-createdAt": "Newest first",
  createdAt: "Oldest first",
  "-priority": "Most urgent first",
  priority: "Least urgent first",
  dueAt: "SLA due first (running clocks only)",
};

/** The desk's query parameters as they appear in the URL ("" when unset). */
export interface DeskFilters {
  queue: QueueName;
  status: string;
  priority: string;
  assignee: string;
  /** A team id, "mine" or "none". */
  team: string;
  /** An organisation's id: only its members' tickets. */
  organisation: string;
  /** A requester's email address, as typed in the filter form. */
  requester: string;
  /** A requester's user id, from the links on requester names. */
  requesterId: string;
  /** Words to find in titles and messages. */
  q: string;
  sort: string;
  cursor: string;
}

/** A link to the desk with these filters; empty values and the default sort are left out. */
export function deskHref(filters: DeskFilters): string {
  const params = new URLSearchParams();
  params.set("queue", filters.queue);
  for (const key of [
    "q",
    "status",
    "priority",
    "assignee",
    "team",
    "organisation",
    "requester",
    "requesterId",
  ] as const) {
    if (filters[key]) params.set(key, filters[key]);
  }
  if (filters.sort && filters.sort !== DEFAULT_SORT) params.set("sort", filters.sort);
  if (filters.cursor) params.set("cursor", filters.cursor);
  return `/desk?${params}`;
}

/** Whether anything beyond the queue narrows or reorders the list. */
function hasFilters(f: DeskFilters): boolean {
  return Boolean(
    f.q ||
      f.status ||
      f.priority ||
      f.assignee ||
      (f.team && f.queue !== "team") ||
      f.organisation ||
      f.requester ||
      f.requesterId,
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
  requesterError: string | undefined;
  nextHref: string | undefined;
  firstHref: string | undefined;
  now: Date;
}

function QueueNav({
  filters,
  counts,
}: {
  filters: DeskFilters;
  counts: Partial<Record<QueueName, number>>;
}) {
  return (
    <nav class="queues" aria-label="Queues">
      <ul>
        {(Object.keys(QUEUES) as QueueName[])
          .filter((name) => !("listed" in QUEUES[name]))
          .map((name) => (
            <li key={name}>
              <a
                href={`/desk?queue=${name}`}
                aria-current={name === filters.queue ? "page" : undefined}
              >
                <span class="queue-label">{QUEUES[name].label}</span>
                {counts[name] !== undefined && (
                  <>
                    {" "}
                    <span class="count">{formatCount(counts[name])}</span>
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
function TeamNav({ filters, teams }: { filters: DeskFilters; teams: readonly TeamQueue[] }) {
  if (teams.length === 0) return null;
  return (
    <nav class="queues team-queues" aria-label="Team queues">
      <ul>
        {teams.map((t) => (
          <li key={t.id}>
            <a
              href={`/desk?queue=team&team=${t.id}`}
              aria-current={
                filters.queue === "team" && filters.team === String(t.id) ? "page" : undefined
              }
            >
              <span class="queue-label">{t.mine ? `${t.name} (my team)` : t.name}</span>{" "}
              <span class="count">{formatCount(t.active)}</span>
            </a>{" "}
            <a
              href={`/desk?queue=unassigned&team=${t.id}`}
              class="muted"
              title={`Unassigned tickets of ${t.name}`}
            >{`${formatCount(t.unassigned)} unassigned`}</a>
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
}: {
  filters: DeskFilters;
  staff: readonly Actor[];
  teams: readonly TeamQueue[];
  organisations: DeskPageProps["organisations"];
  requester: DeskPageProps["requester"];
  requesterError: string | undefined;
}) {
  const form: FormState = {
    values: {},
    errors: requesterError ? [{ field: "requester", message: requesterError }] : [],
  };
  const assigneeId = /^\d+$/.test(filters.assignee) ? Number(filters.assignee) : undefined;
  const unknownAssignee =
    assigneeId !== undefined && !staff.some((s) => s.id === assigneeId) ? assigneeId : undefined;
  const sort = filters.sort || DEFAULT_SORT;
  return (
    <form method="get" action="/desk" class="filters" aria-label="Filter tickets">
      <input type="hidden" name="queue" value={filters.queue} />
      <Field form={form} name="q" label="Search">
        {(a) => (
          <input
            type="search"
            name="q"
            value={filters.q}
            maxLength={SEARCH_MAX}
            placeholder="Words in titles or messages"
            {...a}
          />
        )}
      </Field>
      <Field form={form} name="status" label="Status">
        {(a) => (
          <select name="status" {...a}>
            <option value="" selected={!filters.status}>
              Any in this queue
            </option>
            {STATUSES.map((s) => (
              <option key={s} value={s} selected={filters.status === s}>
                {statusLabel(s)}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field form={form} name="priority" label="Priority">
        {(a) => (
          <select name="priority" {...a}>
            <option value="" selected={!filters.priority}>
              Any
            </option>
            {PRIORITIES.map((p) => (
              <option key={p} value={p} selected={filters.priority === p}>
                {priorityLabel(p)}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field form={form} name="assignee" label="Assignee">
        {(a) => (
          <select name="assignee" {...a}>
            <option value="" selected={!filters.assignee}>
              Anyone (as the queue says)
            </option>
            <option value="me" selected={filters.assignee === "me"}>
              Me
            </option>
            <option value="none" selected={filters.assignee === "none"}>
              Unassigned
            </option>
            {staff.map((s) => (
              <option key={s.id} value={String(s.id)} selected={assigneeId === s.id}>
                {s.name}
              </option>
            ))}
            {unknownAssignee !== undefined && (
              <option value={String(unknownAssignee)} selected>
                {`User #${unknownAssignee}`}
              </option>
            )}
          </select>
        )}
      </Field>
      {filters.queue === "team" ? (
        <input type="hidden" name="team" value={filters.team} />
      ) : (
        <Field form={form} name="team" label="Team">
          {(a) => (
            <select name="team" {...a}>
              <option value="" selected={!filters.team}>
                Any team
              </option>
              <option value="mine" selected={filters.team === "mine"}>
                My teams
              </option>
              <option value="none" selected={filters.team === "none"}>
                No team
              </option>
              {teams.map((t) => (
                <option key={t.id} value={String(t.id)} selected={filters.team === String(t.id)}>
                  {t.name}
                </option>
              ))}
            </select>
          )}
        </Field>
      )}
      {(organisations.length > 0 || filters.organisation) && (
        <Field form={form} name="organisation" label="Organisation">
          {(a) => (
            <select name="organisation" {...a}>
              <option value="" selected={!filters.organisation}>
                Any organisation
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
      <Field form={form} name="requester" label="Requester email">
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
      <Field form={form} name="sort" label="Sort">
        {(a) => (
          <select name="sort" {...a}>
            {SORTS.map((s) => (
              <option key={s} value={s} selected={sort === s}>
                {SORT_LABELS[s]}
              </option>
            ))}
          </select>
        )}
      </Field>
      <div class="actions">
        <button type="submit">Apply filters</button>{" "}
        {hasFilters(filters) && (
          <a
            href={
              filters.queue === "team"
                ? `/desk?queue=team&team=${filters.team}`
                : `/desk?queue=${filters.queue}`
            }
          >
            Clear filters
          </a>
        )}
      </div>
    </form>
  );
}

/** The earliest running SLA target of a row: its state and due time, or nothing. */
function SlaCell({ ticket, now }: { ticket: TicketListItem; now: Date }) {
  const state = queueState(ticket, now);
  if (!state || !ticket.slaDueAt) return <span class="muted">—</span>;
  return (
    <>
      <SlaBadge state={state} /> <Time date={ticket.slaDueAt} now={now} />
    </>
  );
}

function TicketTable({
  filters,
  tickets,
  caption,
  now,
}: {
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
          <th scope="col">#</th>
          <th scope="col">Title</th>
          <th scope="col">Requester</th>
          <th scope="col">Status</th>
          <th scope="col">Priority</th>
          <th scope="col">Assignee</th>
          <th scope="col">Team</th>
          <th scope="col">SLA due</th>
          <th scope="col">Updated</th>
        </tr>
      </thead>
      <tbody>
        {tickets.map((t) => (
          <tr key={t.id} data-ticket-row={String(t.id)}>
            <td class="ticket-id">{`#${t.id}`}</td>
            <th scope="row" class="ticket-title">
              <a href={`/tickets/${t.id}`}>{t.title}</a>
            </th>
            <td class="requester">
              <a
                href={deskHref({
                  ...filters,
                  requester: "",
                  requesterId: String(t.requesterId),
                  cursor: "",
                })}
                title={`Only tickets from ${t.requesterEmail}`}
              >
                {t.requesterName}
              </a>
            </td>
            <td class="status">
              <StatusBadge status={t.status} />
            </td>
            <td class="priority">
              <PriorityBadge priority={t.priority} />
            </td>
            <td class="assignee">{t.assigneeName ?? <span class="muted">Unassigned</span>}</td>
            <td class="team">{t.teamName ?? ""}</td>
            <td class="sla">
              <SlaCell ticket={t} now={now} />
            </td>
            <td class="updated">
              <Time date={t.updatedAt} now={now} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function emptyText(props: DeskPageProps): string {
  if (props.requesterError) return "No tickets: no account matches that requester.";
  if (props.filters.cursor) return "No more tickets.";
  if (hasFilters(props.filters)) return "No tickets match these filters.";
  return "No tickets in this queue.";
}

/** A queue count as shown: exact up to the cap, then "10,000+". */
export function formatCount(n: number): string {
  return n > QUEUE_COUNT_CAP ? `${QUEUE_COUNT_CAP.toLocaleString("en")}+` : n.toLocaleString("en");
}

/** The staff dashboard: queues with counts, filters, and one page of tickets. */
export function DeskPage(props: DeskPageProps) {
  const { ctx, filters, counts, teamQueues, organisations, staff, tickets } = props;
  const { requester, requesterError } = props;
  const teamName = teamQueues.find((t) => String(t.id) === filters.team)?.name;
  const label =
    filters.queue === "team" ? `Team ${teamName ?? filters.team}` : QUEUES[filters.queue].label;
  const caption = `${label} tickets${hasFilters(filters) ? ", filtered" : ""}${
    filters.cursor ? " (later page)" : ""
  }`;
  return (
    <Layout ctx={ctx} title={`${label} · Desk`}>
      <div class="desk">
        <div class="desk-nav">
          <QueueNav filters={filters} counts={counts} />
          <TeamNav filters={filters} teams={teamQueues} />
        </div>
        <section class="desk-list" aria-labelledby="desk-heading">
          <div class="page-head">
            <h1 id="desk-heading">{label}</h1>
            {/* Shown by script.js, which is what makes the shortcuts work. */}
            <p class="shortcut-hint" data-shortcut-hint hidden>
              Press <kbd>?</kbd> for keyboard shortcuts
            </p>
          </div>
          <FilterForm
            filters={filters}
            staff={staff}
            teams={teamQueues}
            organisations={organisations}
            requester={requester}
            requesterError={requesterError}
          />
          {requester && (
            <p class="filter-note">
              {`Showing tickets from ${requester.name} (${requester.email}). `}
              <a href={deskHref({ ...filters, requester: "", requesterId: "", cursor: "" })}>
                Show everyone's
              </a>
            </p>
          )}
          {/* script.js fetches the desk again and swaps this in when tickets change ("Live pages"). */}
          <div id="desk-results" data-live-desk>
            {tickets.length > 0 ? (
              <TicketTable filters={filters} tickets={tickets} caption={caption} now={props.now} />
            ) : (
              <p class="empty">{emptyText(props)}</p>
            )}
            {(props.nextHref || props.firstHref) && (
              <nav class="pager" aria-label="Pages">
                {props.firstHref && <a href={props.firstHref}>First page</a>}{" "}
                {props.nextHref && (
                  <a href={props.nextHref} rel="next">
                    Next page
                  </a>
                )}
              </nav>
            )}
          </div>
        </section>
      </div>
    </Layout>
  );
}
