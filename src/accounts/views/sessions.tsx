import type { PageContext } from "../../platform/views/context.ts";
import { Csrf } from "../../platform/views/forms.tsx";
import { Layout } from "../../platform/views/layout.tsx";
import { Time } from "../../platform/views/time.tsx";
import type { SessionInfo } from "../accounts.service.ts";
import { describeUserAgent } from "../user-agent.ts";

/** The account's sessions: where each was started, when last used; sign out everywhere else. */
export function SessionsPage({ ctx, sessions }: { ctx: PageContext; sessions: SessionInfo[] }) {
  const others = sessions.filter((s) => !s.current).length;
  const { t } = ctx.i18n;
  return (
    <Layout ctx={ctx} title={t("sessions.title")}>
      <section>
        <p>
          <a href="/account">{t("account.title")}</a>
        </p>
        <h1>{t("sessions.title")}</h1>
        <p>{t("sessions.intro")}</p>
        <table class="sessions">
          <caption class="visually-hidden">{t("sessions.title")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("sessions.browser")}</th>
              <th scope="col">{t("sessions.ip")}</th>
              <th scope="col">{t("sessions.signedIn")}</th>
              <th scope="col">{t("sessions.lastUsed")}</th>
            </tr>
          </thead>
          <tbody>
            {sessions.map((s) => (
              <tr class={s.current ? "current" : undefined}>
                <th scope="row">
                  {describeUserAgent(s.userAgent, t)}
                  {s.current && <span class="badge">{t("sessions.thisBrowser")}</span>}
                </th>
                <td>{s.ip ?? t("sessions.unknownIp")}</td>
                <td>
                  <Time date={s.createdAt} />
                </td>
                <td>
                  <Time date={s.lastSeenAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {others > 0 ? (
          <form method="post" action="/account/sessions/others" class="stack">
            <Csrf token={ctx.csrfToken} />
            <button type="submit" class="danger">
              {t("sessions.signOutOthers", { count: others })}
            </button>
          </form>
        ) : (
          <p>{t("sessions.nowhereElse")}</p>
        )}
      </section>
    </Layout>
  );
}
