import type { PageContext } from "../../platform/views/context.ts";
import { Csrf } from "../../platform/views/forms.tsx";
import { Layout } from "../../platform/views/layout.tsx";
import { Time } from "../../platform/views/time.tsx";
import type { SessionInfo } from "../accounts.service.ts";
import { describeUserAgent } from "../user-agent.ts";

/** The account's sessions: where each was started, when last used; sign out everywhere else. */
export function SessionsPage({ ctx, sessions }: { ctx: PageContext; sessions: SessionInfo[] }) {
  const others = sessions.filter((s) => !s.current).length;
  return (
    <Layout ctx={ctx} title="Your sessions">
      <section>
        <p>
          <a href="/account">Your account</a>
        </p>
        <h1>Your sessions</h1>
        <p>
          Every browser signed in to your account. Last used is updated at most once a minute. If
          you do not recognise one, sign out everywhere else and change your password.
        </p>
        <table class="sessions">
          <caption class="visually-hidden">Your sessions</caption>
          <thead>
            <tr>
              <th scope="col">Browser</th>
              <th scope="col">IP address</th>
              <th scope="col">Signed in</th>
              <th scope="col">Last used</th>
            </tr>
          </thead>
          <tbody>
            {sessions.map((s) => (
              <tr class={s.current ? "current" : undefined}>
                <th scope="row">
                  {describeUserAgent(s.userAgent)}
                  {s.current && <span class="badge">This browser</span>}
                </th>
                <td>{s.ip ?? "Unknown"}</td>
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
              {`Sign out everywhere else (${others} other session${others === 1 ? "" : "s"})`}
            </button>
          </form>
        ) : (
          <p>You are signed in nowhere else.</p>
        )}
      </section>
    </Layout>
  );
}
