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
  const { t } = ctx.i18n;
  return (
    <Layout ctx={ctx} title={t("myTickets.title")}>
      <div class="page-head">
        <h1>{t("myTickets.title")}</h1>
        <a class="button primary" href="/tickets/new">
          {t("myTickets.newTicket")}
        </a>
      </div>
      {tickets.length === 0 ? (
        <p class="empty">
          {isFirstPage ? t("myTickets.none") : t("myTickets.noMore")}{" "}
          <a href="/tickets/new">{t("myTickets.openOne")}</a>
        </p>
      ) : (
        <table class="tickets">
          <caption class="visually-hidden">{t("myTickets.caption")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("myTickets.ticket")}</th>
              <th scope="col">{t("myTickets.status")}</th>
              <th scope="col">{t("myTickets.lastActivity")}</th>
            </tr>
          </thead>
          <tbody>
            {tickets.map((ticket) => (
              <tr data-ticket-row>
                <td class="ticket-title">
                  <a href={`/tickets/${ticket.id}`}>
                    <span class="ticket-id">{`#${ticket.id}`}</span> {ticket.title}
                  </a>
                </td>
                <td class="status">
                  <StatusBadge status={ticket.status} t={t} />
                </td>
                <td class="updated">
                  <Time date={ticket.updatedAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {/* No empty "Pages" landmark for screen readers to land on when there is one page. */}
      {(!isFirstPage || nextCursor) && (
        <nav class="pager" aria-label={t("pager.label")}>
          {!isFirstPage && <a href="/tickets">{t("pager.first")}</a>}
          {nextCursor && (
            <a href={`/tickets?cursor=${encodeURIComponent(nextCursor)}`}>{t("pager.next")}</a>
          )}
        </nav>
      )}
    </Layout>
  );
}
