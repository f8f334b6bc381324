import type { PageContext } from "../../platform/views/context.ts";
import { Csrf } from "../../platform/views/forms.tsx";
import { Layout } from "../../platform/views/layout.tsx";
import { Time } from "../../platform/views/time.tsx";
import type { InboundRow, InboundSummary } from "../inbound.service.ts";
import type { OutboxRow } from "../outbox.service.ts";

export type OutboxStatus = OutboxRow["status"];
export type InboundStatus = InboundRow["status"];

const INBOUND_LABELS: Record<InboundStatus, string> = {
  received: "Received (not processed)",
  ticket: "New ticket",
  reply: "Reply",
  ignored: "Ignored",
  failed: "Failed",
};

function Tabs({ current }: { current: "outbox" | "inbound" }) {
  return (
    <nav aria-label="Email" class="filters">
      <a href="/admin/email" aria-current={current === "outbox" ? "page" : undefined}>
        Outgoing mail
      </a>{" "}
      <a href="/admin/email?tab=inbound" aria-current={current === "inbound" ? "page" : undefined}>
        Incoming mail
      </a>{" "}
      <a href="/admin/email/mailboxes">Mailboxes</a>
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
  const statuses: OutboxStatus[] = ["failed", "pending", "sent"];
  return (
    <Layout ctx={ctx} title="Email">
      <section>
        <h1>Email</h1>
        <Tabs current="outbox" />
        {!deliveryOn && (
          <p class="form-errors" role="note">
            Mail delivery is off (SMTP_URL is not set): notifications are queued here but not sent.
          </p>
        )}
        <p>
          {statuses.map((s) => (
            <>
              <a href={`/admin/email?status=${s}`} aria-current={s === status ? "page" : undefined}>
                {`${s[0]?.toUpperCase()}${s.slice(1)}: ${counts[s]}`}
              </a>{" "}
            </>
          ))}
        </p>
        {rows.length === 0 ? (
          <p>{`No ${status} mail.`}</p>
        ) : (
          <table class="outbox">
            <caption class="visually-hidden">{`${status} mail`}</caption>
            <thead>
              <tr>
                <th scope="col">To</th>
                <th scope="col">Subject</th>
                <th scope="col">Tries</th>
                <th scope="col">Queued</th>
                <th scope="col">Last error</th>
                {status === "failed" && <th scope="col">Action</th>}
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
                          Retry<span class="visually-hidden">{` mail to ${row.toAddress}`}</span>
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
  return (
    <Layout ctx={ctx} title="Incoming mail">
      <section>
        <h1>Email</h1>
        <Tabs current="inbound" />
        <p>
          {filters.map((s) => (
            <>
              <a
                href={s ? `/admin/email?tab=inbound&status=${s}` : "/admin/email?tab=inbound"}
                aria-current={s === status ? "page" : undefined}
              >
                {s ? INBOUND_LABELS[s] : "All"}
              </a>{" "}
            </>
          ))}
        </p>
        {rows.length === 0 ? (
          <p>No incoming mail here.</p>
        ) : (
          <table class="inbound">
            <caption class="visually-hidden">Incoming mail</caption>
            <thead>
              <tr>
                <th scope="col">From</th>
                <th scope="col">Subject</th>
                <th scope="col">Outcome</th>
                <th scope="col">Received</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr>
                  <td>{row.fromAddress ?? row.envelopeFrom ?? "(unknown)"}</td>
                  <td>
                    <a href={`/admin/email/inbound/${row.id}`}>{row.subject || "(no subject)"}</a>
                  </td>
                  <td>
                    {INBOUND_LABELS[row.status]}
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
  const raw = row.raw.subarray(0, RAW_SHOWN).toString("utf8");
  return (
    <Layout ctx={ctx} title={`Incoming mail ${row.id}`}>
      <section>
        <h1>{row.subject || "(no subject)"}</h1>
        <p>
          <a href="/admin/email?tab=inbound">Back to incoming mail</a>
        </p>
        <dl>
          <dt>From</dt>
          <dd>{row.fromAddress ?? "(none)"}</dd>
          <dt>Envelope</dt>
          <dd>{`${row.envelopeFrom === null ? (row.envelopeTo.length > 0 ? "(fetched from the mailbox)" : "(posted over HTTP)") : `<${row.envelopeFrom}>`} → ${row.envelopeTo.join(", ")}`}</dd>
          <dt>Outcome</dt>
          <dd>
            {INBOUND_LABELS[row.status]}
            {row.ticketId && (
              <>
                {" "}
                <a href={`/tickets/${row.ticketId}`}>{`#${row.ticketId}`}</a>
              </>
            )}
            {row.reason && ` — ${row.reason}`}
          </dd>
          <dt>Received</dt>
          <dd>
            <Time date={row.receivedAt} absolute />
          </dd>
        </dl>
        {row.safeHtml && (
          <>
            <h2>HTML part (sanitised)</h2>
            {/* Sanitised with a strict allow-list (inbound.service sanitizeMailHtml). */}
            <div class="mail-html" dangerouslySetInnerHTML={{ __html: row.safeHtml }} />
          </>
        )}
        <h2>Original</h2>
        <p>
          <a href={`/admin/email/inbound/${row.id}/raw`} download={`inbound-${row.id}.eml`}>
            Download the original ({row.raw.length} bytes)
          </a>
        </p>
        <pre class="raw-mail">{raw}</pre>
      </section>
    </Layout>
  );
}
