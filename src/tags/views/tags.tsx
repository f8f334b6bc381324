import type { PageContext } from "../../platform/views/context.ts";
import { Csrf } from "../../platform/views/forms.tsx";
import { Layout } from "../../platform/views/layout.tsx";
import { TAG_MAX } from "../tags.schemas.ts";
import type { TagWithCount } from "../tags.service.ts";

/**
 * Admin → Tags: every tag with how many tickets carry it, and for each a
 * rename, a merge into another (named, autocompleted from the list) and a delete.
 */
export function TagsPage({
  ctx,
  tags,
  problem,
}: {
  ctx: PageContext;
  tags: readonly TagWithCount[];
  /** Why the last change was refused, in the reader's language. */
  problem?: string | undefined;
}) {
  const { t } = ctx.i18n;
  return (
    <Layout ctx={ctx} title={t("tags.admin.title")}>
      <h1>{t("tags.admin.title")}</h1>
      <p class="hint">{t("tags.admin.hint")}</p>
      {problem && (
        <div class="form-errors" role="alert" tabIndex={-1}>
          <p>{problem}</p>
        </div>
      )}
      {tags.length === 0 ? (
        <p class="muted">{t("tags.admin.none")}</p>
      ) : (
        <table class="tags-admin">
          <thead>
            <tr>
              <th scope="col">{t("tags.admin.name")}</th>
              <th scope="col">{t("tags.admin.tickets")}</th>
              <th scope="col">{t("tags.admin.actions")}</th>
            </tr>
          </thead>
          <tbody>
            {tags.map((tag) => (
              <tr>
                <th scope="row">
                  <a class="tag" href={`/desk?queue=open&tag=${encodeURIComponent(tag.name)}`}>
                    {tag.name}
                  </a>
                </th>
                <td>{String(tag.tickets)}</td>
                <td>
                  <form method="post" action={`/admin/tags/${tag.id}/rename`} class="inline">
                    <Csrf token={ctx.csrfToken} />
                    <input
                      name="name"
                      value={tag.name}
                      maxLength={TAG_MAX}
                      required
                      aria-label={t("tags.admin.newName", { tag: tag.name })}
                    />{" "}
                    <button type="submit">{t("tags.admin.rename")}</button>
                  </form>{" "}
                  <form method="post" action={`/admin/tags/${tag.id}/merge`} class="inline">
                    <Csrf token={ctx.csrfToken} />
                    <input
                      name="into"
                      list="tag-names"
                      autocomplete="off"
                      maxLength={TAG_MAX}
                      required
                      aria-label={t("tags.admin.into", { tag: tag.name })}
                    />{" "}
                    <button type="submit">{t("tags.admin.merge")}</button>
                  </form>{" "}
                  <form method="post" action={`/admin/tags/${tag.id}/delete`} class="inline">
                    <Csrf token={ctx.csrfToken} />
                    <button
                      type="submit"
                      class="danger"
                      aria-label={t("tags.admin.deleteTag", {
                        tag: tag.name,
                        count: tag.tickets,
                      })}
                    >
                      {t("tags.admin.delete")}
                    </button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <datalist id="tag-names">
        {tags.map((tag) => (
          <option value={tag.name} />
        ))}
      </datalist>
    </Layout>
  );
}
