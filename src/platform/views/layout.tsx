import type { ComponentChildren } from "preact";
import { isAdmin, isStaff } from "../../accounts/index.ts";
import type { PageContext } from "./context.ts";

// htmx reads its settings from this tag (no inline script under our CSP):
// no injected indicator styles, no eval, and error pages are swapped in like any other.
const HTMX_CONFIG = JSON.stringify({
  includeIndicatorStyles: false,
  allowEval: false,
  allowScriptTags: false,
  historyCacheSize: 0,
  responseHandling: [
    { code: "204", swap: false },
    { code: "...", swap: true },
  ],
});

/** A navigation link, marked current on its own page (and pages below it with `section`). */
function NavLink({
  ctx,
  href,
  section = false,
  children,
}: {
  ctx: PageContext;
  href: string;
  section?: boolean;
  children: ComponentChildren;
}) {
  const current = ctx.path === href || (section && ctx.path.startsWith(`${href}/`));
  return (
    <a href={href} aria-current={current ? "page" : undefined}>
      {children}
    </a>
  );
}

/** The agent keyboard shortcuts script.js handles, as listed in the "?" dialog. */
const SHORTCUTS: readonly { keys: readonly string[]; joiner?: string; does: string }[] = [
  { keys: ["j", "k"], joiner: " / ", does: "Next / previous ticket in the list" },
  { keys: ["Enter"], does: "Open the selected ticket" },
  { keys: ["r"], does: "Write a reply on a ticket" },
  { keys: ["n"], does: "Write an internal note on a ticket" },
  { keys: ["a"], does: "Assign the ticket to me" },
  { keys: ["g", "d"], joiner: " then ", does: "Go to the desk" },
  { keys: ["?"], does: "Show this list" },
];

/**
 * The shortcuts list, hidden until script.js opens it with "?" (so it never
 * shows without JavaScript, when the shortcuts do nothing). Its Close button is
 * a plain `method="dialog"` form, which htmx leaves alone.
 */
function ShortcutsDialog() {
  return (
    <dialog id="shortcuts-help" class="shortcuts-dialog" aria-labelledby="shortcuts-title">
      <h2 id="shortcuts-title">Keyboard shortcuts</h2>
      <dl class="shortcut-list">
        {SHORTCUTS.map((s) => (
          <div key={s.does}>
            <dt>
              {s.keys.map((key, i) => (
                <>
                  {i > 0 && s.joiner}
                  <kbd>{key}</kbd>
                </>
              ))}
            </dt>
            <dd>{s.does}</dd>
          </div>
        ))}
      </dl>
      <p class="muted">Shortcuts do nothing while you are typing in a field.</p>
      <form method="dialog">
        <button type="submit">Close</button>
      </form>
    </dialog>
  );
}

export function Layout({
  ctx,
  title,
  children,
}: {
  ctx: PageContext;
  title: string;
  children: ComponentChildren;
}) {
  // A ticket link's visitor reaches one ticket: no navigation, and a way to sign in fully.
  const visitor = ctx.actor?.onlyTicketId !== undefined ? ctx.actor : undefined;
  const actor = visitor ? undefined : ctx.actor;
  const staff = isStaff(actor);
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="htmx-config" content={HTMX_CONFIG} />
        <title>{`${title} · Tessera`}</title>
        <link rel="stylesheet" href="/static/style.css" />
        <script src="/static/vendor/htmx.min.js" defer />
        <script src="/static/script.js" defer />
      </head>
      {/* data-shortcuts turns on the agent keyboard shortcuts in script.js. */}
      <body hx-boost="true" data-shortcuts={staff ? "staff" : undefined}>
        <a class="skip-link" href="#main">
          Skip to content
        </a>
        <header class="site-header">
          <a class="brand" href={actor ? (isStaff(actor) ? "/desk" : "/tickets") : "/"}>
            Tessera
          </a>
          {actor && (
            <nav aria-label="Main">
              {isStaff(actor) && (
                <NavLink ctx={ctx} href="/desk" section>
                  Desk
                </NavLink>
              )}
              <NavLink ctx={ctx} href="/tickets">
                My tickets
              </NavLink>
              <NavLink ctx={ctx} href="/tickets/new">
                New ticket
              </NavLink>
              {isAdmin(actor) && (
                <NavLink ctx={ctx} href="/admin/users" section>
                  Users
                </NavLink>
              )}
              {isAdmin(actor) && (
                <NavLink ctx={ctx} href="/admin/teams" section>
                  Teams
                </NavLink>
              )}
              {isAdmin(actor) && (
                <NavLink ctx={ctx} href="/admin/organisations" section>
                  Organisations
                </NavLink>
              )}
              {isAdmin(actor) && (
                <NavLink ctx={ctx} href="/admin/rules" section>
                  Rules
                </NavLink>
              )}
              {isAdmin(actor) && (
                <NavLink ctx={ctx} href="/admin/email" section>
                  Email
                </NavLink>
              )}
              {isAdmin(actor) && (
                <NavLink ctx={ctx} href="/admin/sla" section>
                  SLA
                </NavLink>
              )}
              {isAdmin(actor) && (
                <NavLink ctx={ctx} href="/admin/webhooks" section>
                  Webhooks
                </NavLink>
              )}
            </nav>
          )}
          <div class="account">
            {actor ? (
              <>
                <a href="/account" class="account-name">
                  {actor.name}
                </a>
                {staff && (
                  // Away: automatic assignment skips you (src/assignment).
                  <form method="post" action="/account/away" class="inline away">
                    <input type="hidden" name="_csrf" value={ctx.csrfToken} />
                    <input type="hidden" name="away" value={actor.away ? "false" : "true"} />
                    <input type="hidden" name="back" value={ctx.path} />
                    {actor.away && <span class="badge">Away</span>}{" "}
                    <button type="submit" class="link">
                      {actor.away ? "I'm back" : "Mark me away"}
                    </button>
                  </form>
                )}
                <form method="post" action="/logout" class="inline">
                  <input type="hidden" name="_csrf" value={ctx.csrfToken} />
                  <button type="submit" class="link">
                    Sign out
                  </button>
                </form>
              </>
            ) : visitor ? (
              <>
                <span class="account-name">{`${visitor.name} (this ticket only)`}</span>
                <a href={`/login?next=${encodeURIComponent(ctx.path)}`}>
                  Sign in for all your tickets
                </a>
                <form method="post" action="/logout" class="inline">
                  <input type="hidden" name="_csrf" value={ctx.csrfToken} />
                  <button type="submit" class="link">
                    Sign out
                  </button>
                </form>
              </>
            ) : (
              <>
                <a href="/login">Sign in</a>
                <a href="/signup">Sign up</a>
              </>
            )}
          </div>
        </header>
        <main id="main" tabIndex={-1}>
          {ctx.notice && (
            <p class="notice" role="status">
              {ctx.notice}
            </p>
          )}
          {children}
        </main>
        {/* script.js says here what a keyboard shortcut did, for screen readers. */}
        <div id="announcer" class="visually-hidden" aria-live="polite" aria-atomic="true" />
        {staff && <ShortcutsDialog />}
      </body>
    </html>
  );
}
