import type { PageContext } from "../../platform/views/context.ts";
import { Layout } from "../../platform/views/layout.tsx";
import { Time } from "../../platform/views/time.tsx";
import type { TicketListItem } from "../tickets.service.ts";
import { StatusBadge } from "./badges.tsx";

/** The customer dashboard: my tickets, newest activity first. */
export function MyTicketsPage({
  ctx,
  tickets,
  nextCursor,
  isFirstPage,
}: {
  ctx: PageContext;
  tickets: TicketListItem[];
  nextCursor: string | undefined;
  isFirstPage: boolean;
}) {
  return (
    <Layout ctx={ctx} title="My tickets">
      <div class="page-head">
        <h1>My tickets</h1>
        <a class="button primary" href="/tickets/new">
          New ticket
        </a>
      </div>
      {tickets.length === 0 ? (
        <p class="empty">
          {isFirstPage ? "You have not opened any tickets yet." : "No more tickets."}{" "}
          <a href="/tickets/new">Open a ticket</a>
        </p>
      ) : (
        <table class="tickets">
          <caption class="visually-hidden">Your tickets, most recently updated first</caption>
          <thead>
            <tr>
              <th scope="col">Ticket</th>
              <th scope="col">Status</th>
              <th scope="col">Last activity</th>
            </tr>
          </thead>
          <tbody>
            {tickets.map((t) => (
              <tr data-ticket-row>
                <td class="ticket-title">
                  <a href={`/tickets/${t.id}`}>
                    <span class="ticket-id">{`#${t.id}`}</span> {t.title}
                  </a>
                </td>
                <td class="status">
                  <StatusBadge status={t.status} />
                </td>
                <td class="updated">
                  <Time date={t.updatedAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {/* No empty "Pages" landmark for screen readers to land on when there is one page. */}
      {(!isFirstPage || nextCursor) && (
        <nav class="pager" aria-label="Pages">
          {!isFirstPage && <a href="/tickets">First page</a>}
          {nextCursor && (
            <a href={`/tickets?cursor=${encodeURIComponent(nextCursor)}`}>Next page</a>
          )}
        </nav>
      )}
    </Layout>
  );
}
