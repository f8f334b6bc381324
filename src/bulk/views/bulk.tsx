import type { Translator } from "../../i18n/i18n.ts";
import type { Macro } from "../../macros/macros.service.ts";
import type { PageContext } from "../../platform/views/context.ts";
import { Csrf, isMessageKey } from "../../platform/views/forms.tsx";
import { Layout } from "../../platform/views/layout.tsx";
import type { BulkResult } from "../bulk.service.ts";

type T = Translator["t"];

/** Why one ticket was refused, in the reader's language. */
function reasonText(r: BulkResult, t: T): string {
  if (isMessageKey(r.messageKey)) return t(r.messageKey, r.messageValues);
  return t(r.code === "not_found" ? "bulk.reason.notFound" : "bulk.reason.other");
}

/** What a bulk action did: counts, then each ticket, the refused ones with the reason. */
export function BulkResultPage({
  ctx,
  results,
  more,
  backHref,
}: {
  ctx: PageContext;
  results: readonly BulkResult[];
  /** More tickets matched the view than one bulk action takes: only the first 500 were included. */
  more: boolean;
  backHref: string;
}) {
  const { t } = ctx.i18n;
  const count = (o: BulkResult["outcome"]) => results.filter((r) => r.outcome === o).length;
  return (
    <Layout ctx={ctx} title={t("bulk.result.title")}>
      <p>
        <a href={backHref}>{t("bulk.back")}</a>
      </p>
      <h1>{t("bulk.result.title")}</h1>
      <p role="status" id="bulk-summary">
        {t("bulk.result.summary", {
          changed: count("changed"),
          unchanged: count("unchanged"),
          refused: count("refused"),
        })}
      </p>
      {more && (
        <p class="notice is-warning" id="bulk-capped">
          {t("bulk.result.capped", { max: 500 })}
        </p>
      )}
      <ul class="bulk-results">
        {results.map((r) => (
          <li data-bulk-result={String(r.id)} data-outcome={r.outcome}>
            <a href={`/tickets/${r.id}`}>{`#${r.id}`}</a>
            {": "}
            {r.outcome === "refused"
              ? reasonText(r, t)
              : t(r.outcome === "changed" ? "bulk.result.changed" : "bulk.result.unchanged")}
          </li>
        ))}
      </ul>
    </Layout>
  );
}

/** A bulk "apply a macro": which one (the chosen tickets carried along). */
export function BulkMacroPage({
  ctx,
  ids,
  query,
  scope,
  macros,
  backHref,
}: {
  ctx: PageContext;
  ids: readonly number[];
  query: string;
  scope: string;
  macros: readonly Macro[];
  backHref: string;
}) {
  const { t } = ctx.i18n;
  return (
    <Layout ctx={ctx} title={t("bulk.macro.title")}>
      <p>
        <a href={backHref}>{t("bulk.back")}</a>
      </p>
      <h1>{t("bulk.macro.title")}</h1>
      <p>
        {scope === "all" ? t("bulk.macro.allInView") : t("bulk.macro.count", { count: ids.length })}
      </p>
      {macros.length === 0 ? (
        <p class="muted">{t("macros.choose.none")}</p>
      ) : (
        <form method="post" action="/desk/bulk" class="stack">
          <Csrf token={ctx.csrfToken} />
          <input type="hidden" name="change" value="macro" />
          <input type="hidden" name="query" value={query} />
          <input type="hidden" name="scope" value={scope} />
          {ids.map((id) => (
            <input type="hidden" name="ids" value={String(id)} />
          ))}
          <div class="field">
            <label for="field-macroId">{t("macros.choose.label")}</label>
            <select id="field-macroId" name="macroId">
              {macros.map((m) => (
                <option value={String(m.id)}>
                  {m.shared ? m.name : t("macros.choose.mineOption", { name: m.name })}
                </option>
              ))}
            </select>
          </div>
          <button type="submit" class="primary">
            {t("bulk.macro.apply")}
          </button>
        </form>
      )}
    </Layout>
  );
}

/** Nothing to do: no ticket chosen, or no change. */
export function BulkRefusedPage({
  ctx,
  message,
  backHref,
}: {
  ctx: PageContext;
  message: string;
  backHref: string;
}) {
  const { t } = ctx.i18n;
  return (
    <Layout ctx={ctx} title={t("bulk.result.title")}>
      <h1>{t("bulk.result.title")}</h1>
      <p class="notice is-error" role="alert">
        {message}
      </p>
      <p>
        <a href={backHref}>{t("bulk.back")}</a>
      </p>
    </Layout>
  );
}
