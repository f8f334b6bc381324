import type { ComponentChildren } from "preact";
import { isAdmin, isStaff } from "../../accounts/index.ts";
import { LANGUAGE_NAMES, LOCALES, type MessageKey } from "../../i18n/i18n.ts";
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
const SHORTCUTS: readonly { keys: readonly string[]; joiner?: MessageKey; does: MessageKey }[] = [
  { keys: ["j", "k"], joiner: "shortcuts.or", does: "shortcuts.nextPrevious" },
  { keys: ["Enter"], does: "shortcuts.open" },
  { keys: ["r"], does: "shortcuts.reply" },
  { keys: ["n"], does: "shortcuts.note" },
  { keys: ["a"], does: "shortcuts.assignToMe" },
  { keys: ["g", "d"], joiner: "shortcuts.then", does: "shortcuts.goToDesk" },
  { keys: ["?"], does: "shortcuts.help" },
];

/**
 * The shortcuts list, hidden until script.js opens it with "?" (so it never
 * shows without JavaScript, when the shortcuts do nothing). Its Close button is
 * a plain `method="dialog"` form, which htmx leaves alone.
 */
function ShortcutsDialog({ ctx }: { ctx: PageContext }) {
  const { t } = ctx.i18n;
  return (
    <dialog id="shortcuts-help" class="shortcuts-dialog" aria-labelledby="shortcuts-title">
      <h2 id="shortcuts-title">{t("shortcuts.title")}</h2>
      <dl class="shortcut-list">
        {SHORTCUTS.map((s) => (
          <div key={s.does}>
            <dt>
              {s.keys.map((key, i) => (
                <>
                  {i > 0 && s.joiner && ` ${t(s.joiner)} `}
                  <kbd>{key}</kbd>
                </>
              ))}
            </dt>
            <dd>{t(s.does)}</dd>
          </div>
        ))}
      </dl>
      <p class="muted">{t("shortcuts.whileTyping")}</p>
      <form method="dialog">
        <button type="submit">{t("common.close")}</button>
      </form>
    </dialog>
  );
}

/**
 * The language switcher on every page: a plain form, so it works without
 * JavaScript. Signed in, it saves the choice on the account; otherwise in a cookie.
 */
function LanguageSwitcher({ ctx }: { ctx: PageContext }) {
  const { t, locale } = ctx.i18n;
  return (
    // Not boosted: a new language is a whole new page, <html lang dir> included.
    <form method="post" action="/language" class="inline language-switcher" hx-boost="false">
      <input type="hidden" name="_csrf" value={ctx.csrfToken} />
      <input type="hidden" name="back" value={ctx.path} />
      <label for="language-switcher">{t("layout.language")}</label>{" "}
      <select id="language-switcher" name="locale">
        {LOCALES.map((l) => (
          <option value={l} lang={l} selected={l === locale}>
            {LANGUAGE_NAMES[l]}
          </option>
        ))}
      </select>{" "}
      <button type="submit" class="link">
        {t("layout.changeLanguage")}
      </button>
    </form>
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
  const { t, locale, dir } = ctx.i18n;
  return (
    <html lang={locale} dir={dir}>
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
          {t("layout.skipToContent")}
        </a>
        <header class="site-header">
          <a class="brand" href={actor ? (isStaff(actor) ? "/desk" : "/tickets") : "/"}>
            Tessera
          </a>
          {actor && (
            <nav aria-label={t("nav.label")}>
              {isStaff(actor) && (
                <NavLink ctx={ctx} href="/desk" section>
                  {t("nav.desk")}
                </NavLink>
              )}
              <NavLink ctx={ctx} href="/tickets">
                {t("nav.myTickets")}
              </NavLink>
              <NavLink ctx={ctx} href="/tickets/new">
                {t("nav.newTicket")}
              </NavLink>
              {isStaff(actor) && (
                <NavLink ctx={ctx} href="/canned-replies" section>
                  {t("canned.nav")}
                </NavLink>
              )}
              {isStaff(actor) && (
                <NavLink ctx={ctx} href="/macros" section>
                  {t("macros.nav")}
                </NavLink>
              )}
              {isAdmin(actor) && (
                <NavLink ctx={ctx} href="/admin/users" section>
                  {t("nav.users")}
                </NavLink>
              )}
              {isAdmin(actor) && (
                <NavLink ctx={ctx} href="/admin/teams" section>
                  {t("nav.teams")}
                </NavLink>
              )}
              {isAdmin(actor) && (
                <NavLink ctx={ctx} href="/admin/tags" section>
                  {t("tags.admin.nav")}
                </NavLink>
              )}
              {isAdmin(actor) && (
                <NavLink ctx={ctx} href="/admin/fields" section>
                  {t("fields.admin.nav")}
                </NavLink>
              )}
              {isAdmin(actor) && (
                <NavLink ctx={ctx} href="/admin/organisations" section>
                  {t("nav.organisations")}
                </NavLink>
              )}
              {isAdmin(actor) && (
                <NavLink ctx={ctx} href="/admin/rules" section>
                  {t("nav.rules")}
                </NavLink>
              )}
              {isAdmin(actor) && (
                <NavLink ctx={ctx} href="/admin/email" section>
                  {t("nav.email")}
                </NavLink>
              )}
              {isAdmin(actor) && (
                <NavLink ctx={ctx} href="/admin/sla" section>
                  {t("nav.sla")}
                </NavLink>
              )}
              {isAdmin(actor) && (
                <NavLink ctx={ctx} href="/admin/webhooks" section>
                  {t("nav.webhooks")}
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
                    {actor.away && <span class="badge">{t("layout.away")}</span>}{" "}
                    <button type="submit" class="link">
                      {actor.away ? t("layout.back") : t("layout.markAway")}
                    </button>
                  </form>
                )}
                <form method="post" action="/logout" class="inline">
                  <input type="hidden" name="_csrf" value={ctx.csrfToken} />
                  <button type="submit" class="link">
                    {t("layout.signOut")}
                  </button>
                </form>
              </>
            ) : visitor ? (
              <>
                <span class="account-name">{t("layout.visitorName", { name: visitor.name })}</span>
                <a href={`/login?next=${encodeURIComponent(ctx.path)}`}>
                  {t("layout.signInForAll")}
                </a>
                <form method="post" action="/logout" class="inline">
                  <input type="hidden" name="_csrf" value={ctx.csrfToken} />
                  <button type="submit" class="link">
                    {t("layout.signOut")}
                  </button>
                </form>
              </>
            ) : (
              <>
                <a href="/login">{t("layout.signIn")}</a>
                <a href="/signup">{t("layout.signUp")}</a>
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
        {/* The words script.js writes into the page, in the reader's language (swapped with the page). */}
        <div
          id="client-messages"
          hidden
          data-messages={JSON.stringify({
            connectionProblem: t("live.connectionProblem"),
            newMessage: t("live.newMessage"),
            newMessages: t("live.newMessages"),
            ticketUpdated: t("live.ticketUpdated"),
            alsoViewing: t("live.alsoViewing"),
            typing: t("live.typing"),
          })}
        />
        {/* script.js says here what a keyboard shortcut did, for screen readers. */}
        <div id="announcer" class="visually-hidden" aria-live="polite" aria-atomic="true" />
        <footer class="site-footer">
          <LanguageSwitcher ctx={ctx} />
        </footer>
        {staff && <ShortcutsDialog ctx={ctx} />}
      </body>
    </html>
  );
}
