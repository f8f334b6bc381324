import type { FastifyInstance } from "fastify";
import * as accounts from "../accounts/index.ts";
import type { Deps } from "../deps.ts";
import { type FieldError, fieldProblem, Invalid, NotFound } from "../lib/errors.ts";
import { organisationChoices } from "../organisations/index.ts";
import { requireStaff } from "../platform/auth.ts";
import { pageContext } from "../platform/views/context.ts";
import { deskHref, parseDeskQuery } from "./desk-query.ts";
import type { DeskView, DeskViewsExtension } from "./desk-views.ts";
import { SearchQueryError } from "./search-query.ts";
import * as tickets from "./tickets.service.ts";
import { DeskPage, hasFilters } from "./views/desk.tsx";

type Requester = { id: number; name: string; email: string };

/** Saved views as the desk counts them: each one's list query (one it cannot read is left out). */
function countedViews(views: readonly DeskView[]): tickets.CountedView[] {
  const counted: tickets.CountedView[] = [];
  for (const view of views) {
    try {
      counted.push({ id: view.id, query: parseDeskQuery(view.filters).query });
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
    }
  }
  return counted;
}

/**
 * The staff dashboard (the sketch's `ticket_dashboard`): queues, filters, one
 * page of tickets; `views` adds saved views (composed in src/app.ts).
 */
export async function deskPages(
  app: FastifyInstance,
  { views: viewsExtension, ...deps }: Deps & { views?: DeskViewsExtension | undefined },
) {
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
    // Read beside the teams; counted in the queues' one statement.
    const views = viewsExtension ? viewsExtension.list(actor) : Promise.resolve([]);
    const [queues, staff, organisations, page, saved] = await Promise.all([
      tickets.deskQueues(deps, actor, views.then(countedViews)),
      accounts.listAssignableStaff(deps),
      // From memory on a server (organisationNames): no statement on the desk's budget.
      organisationChoices(deps, actor),
      listed,
      views,
    ]);
    const ctx = pageContext(req, reply);

    return reply.render(
      <DeskPage
        ctx={ctx}
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
        viewsNav={
          viewsExtension && saved.length > 0
            ? viewsExtension.nav({ ctx, views: saved, counts: queues.views, current: filters })
            : undefined
        }
        saveForm={
          // A view keeps no requester (`requester:` in the box does): no form that would drop it.
          viewsExtension &&
          hasFilters(filters) &&
          !filters.requester &&
          !filters.requesterId &&
          !queryError &&
          !requesterError
            ? viewsExtension.saveForm({ ctx, filters })
            : undefined
        }
      />,
      queryError ? 400 : 200,
    );
  });
}
