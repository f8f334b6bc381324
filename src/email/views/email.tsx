import type { ComponentChildren } from "preact";
import type { MessageKey, Translator } from "../../i18n/i18n.ts";
import type { PageContext } from "../../platform/views/context.ts";
import { Csrf } from "../../platform/views/forms.tsx";
import { Layout } from "../../platform/views/layout.tsx";
import { Time } from "../../platform/views/time.tsx";
import type { InboundRow, InboundSummary } from "../inbound.service.ts";
import type { OutboxRow } from "../outbox.service.ts";

export type OutboxStatus = OutboxRow["status"];
export type InboundStatus = InboundRow["status"];

type T = Translator["t"];

const INBOUND_KEYS: Record<InboundStatus, MessageKey> = {
  received: "outbox.inbound.status.received",
  ticket: "outbox.inbound.status.ticket",
  reply: "outbox.inbound.status.reply",
  ignored: "outbox.inbound.status.ignored",
  failed: "outbox.inbound.status.failed",
};

const OUTBOX_KEYS: Record<OutboxStatus, MessageKey> = {
  failed: "outbox.status.failed",
  pending: "outbox.status.pending",
  sent: "outbox.status.sent",
};

const hidden = (chunks: ComponentChildren) => <span class="visually-hidden">{chunks}</span>;

/** The Email section's tabs: outgoing mail, incoming mail, mailboxes (also on the mailbox pages). */
export function Tabs({ current, t }: { current: "outbox" | "inbound" | "mailboxes"; t: T }) {
  return (
    <nav aria-label={t("outbox.title")} class="filters">
      <a href="/admin/email" aria-current={current === "outbox" ? "page" : undefined}>
        {t("outbox.tabs.outgoing")}
      </a>{" "}
      <a href="/admin/email?tab=inbound" aria-current={current === "inbound" ? "page" : undefined}>
        {t("outbox.tabs.incoming")}
      </a>{" "}
      <a href="/admin/email/mailboxes" aria-current={current === "mailboxes" ? "page" : undefined}>
        {t("outbox.tabs.mailboxes")}
      </a>
    </nav>
  );
}

/** Admins: outgoing mail by status (failed first), with a retry button on failed ones. */
export function OutboxPage({
  ctx,
  status,
  rows,
  counts,
  deliveryOn,
}: {
  ctx: PageContext;
  status: OutboxStatus;
  rows: OutboxRow[];
  counts: Record<OutboxStatus, number>;
  deliveryOn: boolean;
}) {
  const { t, rich } = ctx.i18n;
  const statuses: OutboxStatus[] = ["failed", "pending", "sent"];
  return (
    <Layout ctx={ctx} title={t("outbox.title")}>
      <section>
        <h1>{t("outbox.title")}</h1>
        <Tabs current="outbox" t={t} />
        {!deliveryOn && (
          <p class="form-errors" role="note">
            {t("outbox.deliveryOff")}
          </p>
        )}
        <p>
          {statuses.map((s) => (
            <>
              <a href={`/admin/email?status=${s}`} aria-current={s === status ? "page" : undefined}>
                {t("outbox.count", { status: t(OUTBOX_KEYS[s]), count: counts[s] })}
              </a>{" "}
            </>
          ))}
        </p>
        {rows.length === 0 ? (
          <p>{t("outbox.none", { status })}</p>
        ) : (
          <table class="outbox">
            <caption class="visually-hidden">{t("outbox.caption", { status })}</caption>
            <thead>
              <tr>
                <th scope="col">{t("outbox.col.to")}</th>
                <th scope="col">{t("outbox.col.subject")}</th>
                <th scope="col">{t("outbox.col.tries")}</th>
                <th scope="col">{t("outbox.col.queued")}</th>
                <th scope="col">{t("outbox.col.lastError")}</th>
                {status === "failed" && <th scope="col">{t("outbox.col.action")}</th>}
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr>
                  <td>{row.toAddress}</td>
                  <td>
                    {row.ticketId ? (
                      <a href={`/tickets/${row.ticketId}`}>{row.subject}</a>
                    ) : (
                      row.subject
                    )}
                  </td>
                  <td>{row.attempts}</td>
                  <td>
                    <Time date={row.createdAt} />
                  </td>
                  <td>{row.lastError ?? ""}</td>
                  {status === "failed" && (
                    <td>
                      <form
                        method="post"
                        action={`/admin/email/outbox/${row.id}/retry`}
                        class="inline"
                      >
                        <Csrf token={ctx.csrfToken} />
                        <button type="submit">
                          {rich("outbox.retry", { address: row.toAddress, hidden })}
                        </button>
                      </form>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </Layout>
  );
}

/** Admins: incoming mail, newest first; failed and ignored ones say why. */
export function InboundListPage({
  ctx,
  status,
  rows,
}: {
  ctx: PageContext;
  status: InboundStatus | undefined;
  rows: InboundSummary[];
}) {
  const filters: (InboundStatus | undefined)[] = [
    undefined,
    "failed",
    "ignored",
    "ticket",
    "reply",
  ];
  const { t } = ctx.i18n;
  return (
    <Layout ctx={ctx} title={t("outbox.tabs.incoming")}>
      <section>
        <h1>{t("outbox.title")}</h1>
        <Tabs current="inbound" t={t} />
        <p>
          {filters.map((s) => (
            <>
              <a
                href={s ? `/admin/email?tab=inbound&status=${s}` : "/admin/email?tab=inbound"}
                aria-current={s === status ? "page" : undefined}
              >
                {s ? t(INBOUND_KEYS[s]) : t("outbox.inbound.all")}
              </a>{" "}
            </>
          ))}
        </p>
        {rows.length === 0 ? (
          <p>{t("outbox.inbound.none")}</p>
        ) : (
          <table class="inbound">
            <caption class="visually-hidden">{t("outbox.tabs.incoming")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("outbox.inbound.from")}</th>
                <th scope="col">{t("outbox.col.subject")}</th>
                <th scope="col">{t("outbox.inbound.outcome")}</th>
                <th scope="col">{t("outbox.inbound.received")}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr>
                  <td>
                    {row.fromAddress ?? row.envelopeFrom ?? t("outbox.inbound.unknownSender")}
                  </td>
                  <td>
                    <a href={`/admin/email/inbound/${row.id}`}>
                      {row.subject || t("outbox.inbound.noSubject")}
                    </a>
                  </td>
                  <td>
                    {t(INBOUND_KEYS[row.status])}
                    {row.ticketId && (
                      <>
                        {" "}
                        <a href={`/tickets/${row.ticketId}`}>{`#${row.ticketId}`}</a>
                      </>
                    )}
                    {row.reason && <span class="muted">{` — ${row.reason}`}</span>}
                  </td>
                  <td>
                    <Time date={row.receivedAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </Layout>
  );
}

// The raw message shown on the page is cut here; the download has all of it.
const RAW_SHOWN = 200_000;

/** Admins: one incoming message: what became of it, its sanitised HTML and its raw original. */
export function InboundPage({ ctx, row }: { ctx: PageContext; row: InboundRow }) {
  const { t } = ctx.i18n;
  const raw = row.raw.subarray(0, RAW_SHOWN).toString("utf8");
  const envelopeFrom =
    row.envelopeFrom !== null
      ? `<${row.envelopeFrom}>`
      : row.envelopeTo.length > 0
        ? t("outbox.inbound.fetched")
        : t("outbox.inbound.posted");
  return (
    <Layout ctx={ctx} title={t("outbox.inbound.title", { id: String(row.id) })}>
      <section>
        <h1>{row.subject || t("outbox.inbound.noSubject")}</h1>
        <p>
          <a href="/admin/email?tab=inbound">{t("outbox.inbound.back")}</a>
        </p>
        <dl>
          <dt>{t("outbox.inbound.from")}</dt>
          <dd>{row.fromAddress ?? t("outbox.inbound.noSender")}</dd>
          <dt>{t("outbox.inbound.envelope")}</dt>
          <dd>{`${envelopeFrom} → ${row.envelopeTo.join(", ")}`}</dd>
          <dt>{t("outbox.inbound.outcome")}</dt>
          <dd>
            {t(INBOUND_KEYS[row.status])}
            {row.ticketId && (
              <>
                {" "}
                <a href={`/tickets/${row.ticketId}`}>{`#${row.ticketId}`}</a>
              </>
            )}
            {row.reason && ` — ${row.reason}`}
          </dd>
          <dt>{t("outbox.inbound.received")}</dt>
          <dd>
            <Time date={row.receivedAt} absolute />
          </dd>
        </dl>
        {row.safeHtml && (
          <>
            <h2>{t("outbox.inbound.htmlPart")}</h2>
            {/* Sanitised with a strict allow-list (inbound.service sanitizeMailHtml). */}
            <div class="mail-html" dangerouslySetInnerHTML={{ __html: row.safeHtml }} />
          </>
        )}
        <h2>{t("outbox.inbound.original")}</h2>
        <p>
          <a href={`/admin/email/inbound/${row.id}/raw`} download={`inbound-${row.id}.eml`}>
            {t("outbox.inbound.download", { bytes: row.raw.length })}
          </a>
        </p>
        <pre class="raw-mail">{raw}</pre>
      </section>
    </Layout>
  );
}
