import type { Translator } from "../../i18n/i18n.ts";
import type { PageContext } from "../../platform/views/context.ts";
import { Csrf, Field, FormErrors, type FormState } from "../../platform/views/forms.tsx";
import { Layout } from "../../platform/views/layout.tsx";
import { type DeskFilters, deskHref } from "../../tickets/desk-query.ts";
import type { DeskView } from "../../tickets/desk-views.ts";
import { formatCount } from "../../tickets/views/desk.tsx";
import { VIEW_FILTERS, VIEW_NAME_MAX } from "../saved-views.schemas.ts";
import type { SavedView } from "../saved-views.service.ts";

type T = Translator["t"];

/** A view's link: the desk with its filters (the desk marks it as the current one). */
export function viewHref(filters: DeskFilters): string {
  return deskHref({ ...filters, requester: "", requesterId: "", cursor: "" });
}

function sameSearch(a: DeskFilters, b: DeskFilters): boolean {
  return VIEW_FILTERS.every((key) =>
    key === "sort" ? (a.sort || "-updatedAt") === (b.sort || "-updatedAt") : a[key] === b[key],
  );
}

/** The saved views in the desk's side bar, each with its count, and a link to manage them. */
export function ViewsNav({
  ctx,
  views,
  counts,
  current,
}: {
  ctx: PageContext;
  views: readonly DeskView[];
  counts: ReadonlyMap<number, number>;
  current: DeskFilters;
}) {
  const { t, locale } = ctx.i18n;
  const here = !current.requester && !current.requesterId;
  return (
    <nav class="queues saved-views" aria-labelledby="saved-views-heading">
      <h2 id="saved-views-heading" class="nav-heading">
        {t("views.heading")}
      </h2>
      <ul>
        {views.map((view) => {
          const count = counts.get(view.id);
          return (
            <li key={view.id} data-view={String(view.id)}>
              <a
                href={viewHref(view.filters)}
                aria-current={here && sameSearch(view.filters, current) ? "page" : undefined}
              >
                <span class="queue-label">{view.name}</span>
                {count !== undefined && (
                  <>
                    {" "}
                    <span class="count">{formatCount(count, locale)}</span>
                  </>
                )}
              </a>
              {view.shared && (
                <>
                  {" "}
                  <span class="muted">{t("views.sharedMark")}</span>
                </>
              )}
            </li>
          );
        })}
      </ul>
      <p>
        <a href="/desk/views">{t("views.manage")}</a>
      </p>
    </nav>
  );
}

/** Hidden fields carrying the desk's filters (the search as shown). */
function FilterFields({ filters }: { filters: DeskFilters }) {
  return (
    <>
      {VIEW_FILTERS.map((key) =>
        filters[key] ? <input type="hidden" name={key} value={filters[key]} /> : null,
      )}
    </>
  );
}

/** "Save this search": a name (and, for admins, "shared"), posting the filters shown. */
export function SaveViewForm({
  ctx,
  filters,
  form,
}: {
  ctx: PageContext;
  filters: DeskFilters;
  form?: FormState | undefined;
}) {
  const { t } = ctx.i18n;
  const state: FormState = form ?? { values: {}, errors: [] };
  return (
    <form method="post" action="/desk/views" class="save-view" aria-labelledby="save-view-heading">
      <h2 id="save-view-heading">{t("views.saveHeading")}</h2>
      <Csrf token={ctx.csrfToken} />
      <FormErrors form={state} t={t} />
      <FilterFields filters={filters} />
      <Field form={state} name="name" label={t("views.field.name")}>
        {(a) => (
          <input
            {...a}
            name="name"
            required
            maxLength={VIEW_NAME_MAX}
            value={state.values.name ?? ""}
          />
        )}
      </Field>
      {ctx.actor?.role === "admin" && (
        <div class="field checkbox">
          <input
            type="checkbox"
            id="field-view-shared"
            name="shared"
            value="true"
            checked={state.values.shared === "true"}
          />
          <label for="field-view-shared">{t("views.field.shared")}</label>
        </div>
      )}
      <button type="submit">{t("views.save")}</button>
    </form>
  );
}

function ViewRow({
  ctx,
  view,
  first,
  last,
  t,
}: {
  ctx: PageContext;
  view: SavedView;
  first: boolean;
  last: boolean;
  t: T;
}) {
  return (
    <li id={`view-${view.id}`}>
      <a href={viewHref(view.filters)}>{view.name}</a>{" "}
      {view.filters.q && <code class="muted">{view.filters.q}</code>}
      {view.editable && (
        <div class="view-actions">
          <form method="post" action={`/desk/views/${view.id}`} class="inline">
            <Csrf token={ctx.csrfToken} />
            <label for={`view-name-${view.id}`} class="visually-hidden">
              {t("views.field.name")}
            </label>
            <input
              id={`view-name-${view.id}`}
              name="name"
              required
              maxLength={VIEW_NAME_MAX}
              value={view.name}
            />{" "}
            <button type="submit">{t("views.rename")}</button>
          </form>{" "}
          {!first && (
            <form method="post" action={`/desk/views/${view.id}/move`} class="inline">
              <Csrf token={ctx.csrfToken} />
              <input type="hidden" name="position" value={String(view.position - 1)} />
              <button type="submit" aria-label={t("views.moveUpNamed", { name: view.name })}>
                {t("views.moveUp")}
              </button>
            </form>
          )}{" "}
          {!last && (
            <form method="post" action={`/desk/views/${view.id}/move`} class="inline">
              <Csrf token={ctx.csrfToken} />
              <input type="hidden" name="position" value={String(view.position + 1)} />
              <button type="submit" aria-label={t("views.moveDownNamed", { name: view.name })}>
                {t("views.moveDown")}
              </button>
            </form>
          )}{" "}
          <form method="post" action={`/desk/views/${view.id}/delete`} class="inline">
            <Csrf token={ctx.csrfToken} />
            <button
              type="submit"
              class="danger"
              aria-label={t("views.deleteNamed", { name: view.name })}
            >
              {t("views.delete")}
            </button>
          </form>
        </div>
      )}
    </li>
  );
}

function ViewList({ ctx, views, t }: { ctx: PageContext; views: readonly SavedView[]; t: T }) {
  return (
    <ol class="saved-view-list">
      {views.map((view, i) => (
        <ViewRow ctx={ctx} view={view} first={i === 0} last={i === views.length - 1} t={t} />
      ))}
    </ol>
  );
}

/** The saved views page: the shared ones and the reader's own, to rename, order and delete. */
export function SavedViewsPage({
  ctx,
  views,
  form,
}: {
  ctx: PageContext;
  views: readonly SavedView[];
  /** A rename that was refused, with its problems. */
  form?: FormState | undefined;
}) {
  const { t } = ctx.i18n;
  const shared = views.filter((v) => v.shared);
  const mine = views.filter((v) => !v.shared);
  return (
    <Layout ctx={ctx} title={t("views.title")}>
      <h1>{t("views.title")}</h1>
      <p>{t("views.intro")}</p>
      {form && <FormErrors form={form} t={t} />}
      <section aria-labelledby="views-shared">
        <h2 id="views-shared">{t("views.shared")}</h2>
        {shared.length === 0 ? (
          <p class="muted">{t("views.noneShared")}</p>
        ) : (
          <ViewList ctx={ctx} views={shared} t={t} />
        )}
      </section>
      <section aria-labelledby="views-mine">
        <h2 id="views-mine">{t("views.mine")}</h2>
        {mine.length === 0 ? (
          <p class="muted">{t("views.noneMine")}</p>
        ) : (
          <ViewList ctx={ctx} views={mine} t={t} />
        )}
      </section>
    </Layout>
  );
}
