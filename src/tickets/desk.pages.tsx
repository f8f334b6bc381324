import type { FastifyInstance } from "fastify";
import * as accounts from "../accounts/index.ts";
import type { Deps } from "../deps.ts";
import { type FieldError, fieldProblem, Invalid, NotFound } from "../lib/errors.ts";
import { parseId } from "../lib/ids.ts";
import { organisationChoices } from "../organisations/index.ts";
import { requireStaff } from "../platform/auth.ts";
import { pageContext } from "../platform/views/context.ts";
import { PRIORITIES, type Priority, STATUSES, type Status } from "./lifecycle.ts";
import { QUEUES, type QueueName } from "./queues.ts";
import { SearchQueryError } from "./search-query.ts";
import { SEARCH_MAX, SORTS, type Sort } from "./tickets.schemas.ts";
import * as tickets from "./tickets.service.ts";
import {
  DEFAULT_QUEUE,
  DEFAULT_SORT,
  type DeskFilters,
  DeskPage,
  deskHref,
} from "./views/desk.tsx";

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
    defaults: tickets.ListQuery["defaults"];
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

type Requester = { id: number; name: string; email: string };

/** The staff dashboard (the sketch's `ticket_dashboard`): queues, filters, one page of tickets. */
export async function deskPages(app: FastifyInstance, deps: Deps) {
  app.get("/desk", async (req, reply) => {
    const actor = requireStaff(req);
    const { filters, query, requesterId } = parseDeskQuery(req.query);

    let requester: Requester | undefined;
    let requesterError: FieldError | undefined;
    if (filters.requester) {
      requester = await accounts.findUserByEmail(deps, actor, filters.requester);
      if (!requester) {
        requesterError = fieldProblem("requester", "matches no account", "desk.requesterNoMatch");
      }
    } else if (requesterId !== undefined) {
      try {
        const user = await accounts.getUser(deps, actor, requesterId);
        requester = { id: user.id, name: user.name, email: user.email };
      } catch (error) {
        if (error instanceof NotFound)
          throw Invalid.field("requesterId", "is not a user", "ticket.deskQuery.notAUser");
        throw error;
      }
    }

    // A query the search box cannot read shows the desk again with the sentence saying where.
    let queryError: FieldError | undefined;
    const listed = requesterError
      ? Promise.resolve({ tickets: [], nextCursor: undefined })
      : tickets
          .listTickets(deps, actor, {
            ...query,
            requesterId: requester?.id,
            timeZone: req.i18n?.timeZone,
            withSnippets: true,
          })
          .catch((error: unknown) => {
            if (!(error instanceof SearchQueryError)) throw error;
            queryError = error.errors[0];
            return { tickets: [], nextCursor: undefined };
          });
    const [queues, staff, organisations, page] = await Promise.all([
      tickets.deskQueues(deps, actor),
      accounts.listAssignableStaff(deps),
      // From memory on a server (organisationNames): no statement on the desk's budget.
      organisationChoices(deps, actor),
      listed,
    ]);

    return reply.render(
      <DeskPage
        ctx={pageContext(req, reply)}
        filters={filters}
        counts={queues.counts}
        teamQueues={queues.teams}
        organisations={organisations}
        staff={staff}
        tickets={page.tickets}
        requester={requester}
        requesterError={requesterError}
        queryError={queryError}
        nextHref={page.nextCursor ? deskHref({ ...filters, cursor: page.nextCursor }) : undefined}
        firstHref={filters.cursor ? deskHref({ ...filters, cursor: "" }) : undefined}
        now={new Date()}
      />,
      queryError ? 400 : 200,
    );
  });
}
