import { type FieldError, fieldProblem, Invalid } from "../lib/errors.ts";
import { parseId } from "../lib/ids.ts";
import { PRIORITIES, type Priority, STATUSES, type Status } from "./lifecycle.ts";
import { QUEUES, type QueueName } from "./queues.ts";
import { SEARCH_MAX, SORTS, type Sort } from "./tickets.schemas.ts";
import type { ListQuery } from "./tickets.service.ts";

export const DEFAULT_QUEUE: QueueName = "unassigned";
export const DEFAULT_SORT: Sort = "-updatedAt";

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
  /** A tag's name: only the tickets carrying it. */
  tag: string;
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
    "tag",
  ] as const) {
    if (filters[key]) params.set(key, filters[key]);
  }
  if (filters.sort && filters.sort !== DEFAULT_SORT) params.set("sort", filters.sort);
  if (filters.cursor) params.set("cursor", filters.cursor);
  return `/desk?${params}`;
}

/** One query parameter as a string ("" when absent); repeated parameters are refused. */
function param(query: Record<string, unknown>, name: string, errors: FieldError[]): string {
  const value = query[name];
  if (value === undefined) return "";
  if (typeof value !== "string") {
    errors.push(fieldProblem(name, "was given more than once", "ticket.deskQuery.givenTwice"));
    return "";
  }
  return value.trim();
}

function isOneOf<T extends string>(list: readonly T[], value: string): value is T {
  return (list as readonly string[]).includes(value);
}

export interface ParsedDesk {
  filters: DeskFilters;
  query: {
    statuses: readonly Status[] | undefined;
    priority: Priority | undefined;
    assignee: number | "me" | "none" | undefined;
    team: number | "mine" | "none" | undefined;
    defaults: ListQuery["defaults"];
    organisationId: number | undefined;
    tag: string | undefined;
    q: string | undefined;
    sort: Sort;
    cursor: string | undefined;
  };
  requesterId: number | undefined;
}

/**
 * Reads and checks the desk's query string; any value it does not know answers
 * 400, said in the reader's language (the parameters' names and values stay as in the URL).
 */
export function parseDeskQuery(raw: unknown): ParsedDesk {
  const q = (raw ?? {}) as Record<string, unknown>;
  const errors: FieldError[] = [];
  const get = (name: string) => param(q, name, errors);
  const oneOf = (field: string, values: readonly string[]) => {
    const choices = values.join(", ");
    errors.push(
      fieldProblem(field, `must be one of: ${choices}`, "error.field.oneOf", { choices }),
    );
  };
  const maxLength = (field: string, max: number) =>
    errors.push(
      fieldProblem(field, `must be at most ${max} characters`, "error.field.maxLength", { max }),
    );
  const queueParam = get("queue");
  const status = get("status");
  const priority = get("priority");
  const assignee = get("assignee");
  const requester = get("requester");
  const requesterIdParam = get("requesterId");
  const team = get("team");
  const organisation = get("organisation");
  const search = get("q");
  const tag = get("tag");
  const sortParam = get("sort");
  const cursor = get("cursor");

  let queue: QueueName = DEFAULT_QUEUE;
  if (queueParam) {
    if (Object.hasOwn(QUEUES, queueParam)) queue = queueParam as QueueName;
    else oneOf("queue", Object.keys(QUEUES));
  }
  if (status && !isOneOf(STATUSES, status)) oneOf("status", STATUSES);
  if (priority && !isOneOf(PRIORITIES, priority)) oneOf("priority", PRIORITIES);
  let assigneeValue: number | "me" | "none" | undefined;
  if (assignee === "me" || assignee === "none") assigneeValue = assignee;
  else if (assignee) {
    assigneeValue = parseId(assignee);
    if (assigneeValue === undefined) {
      errors.push(
        fieldProblem("assignee", "must be me, none or a user id", "ticket.deskQuery.assignee"),
      );
    }
  }
  let teamValue: number | "mine" | "none" | undefined;
  if (team === "mine" || team === "none") teamValue = team;
  else if (team) {
    teamValue = parseId(team);
    if (teamValue === undefined)
      errors.push(fieldProblem("team", "must be mine, none or a team id", "ticket.deskQuery.team"));
  }
  if (queue === "team" && typeof teamValue !== "number") {
    errors.push(
      fieldProblem("team", "the team queue needs a team id", "ticket.deskQuery.teamQueue"),
    );
  }
  let organisationId: number | undefined;
  if (organisation) {
    organisationId = parseId(organisation);
    if (organisationId === undefined)
      errors.push(
        fieldProblem("organisation", "must be an organisation id", "ticket.deskQuery.organisation"),
      );
  }
  let requesterId: number | undefined;
  if (requesterIdParam) {
    requesterId = parseId(requesterIdParam);
    if (requesterId === undefined)
      errors.push(fieldProblem("requesterId", "must be a user id", "ticket.deskQuery.userId"));
  }
  if (search.length > SEARCH_MAX) maxLength("q", SEARCH_MAX);
  if (requester.length > 254) maxLength("requester", 254);
  if (tag.length > 200) maxLength("tag", 200);
  let sort: Sort = DEFAULT_SORT;
  if (sortParam) {
    if (isOneOf(SORTS, sortParam)) sort = sortParam;
    else oneOf("sort", SORTS);
  }
  if (errors.length > 0) {
    throw new Invalid(
      errors,
      "The desk cannot show this list: a filter in the address is not one it knows.",
      "invalid",
      "ticket.deskQuery.unknownFilter",
    );
  }

  const queueDef = QUEUES[queue];
  const queueAssignee = "assignee" in queueDef ? queueDef.assignee : undefined;
  return {
    filters: {
      queue,
      status,
      priority,
      assignee,
      team,
      organisation,
      requester,
      requesterId: requesterIdParam,
      q: search,
      tag,
      sort,
      cursor,
    },
    query: {
      // A chosen status replaces the queue's statuses; a chosen assignee replaces the queue's;
      // so do `status:` and `assignee:` in the search box.
      statuses: status ? [status as Status] : undefined,
      priority: priority ? (priority as Priority) : undefined,
      assignee: assigneeValue,
      // A chosen team narrows the queue; "My teams" queues use the actor's teams.
      team: teamValue,
      defaults: {
        statuses: queueDef.statuses,
        assignee: queueAssignee,
        team: "team" in queueDef ? queueDef.team : undefined,
      },
      organisationId,
      tag: tag.trim() || undefined,
      q: search || undefined,
      sort,
      cursor: cursor || undefined,
    },
    requesterId,
  };
}
