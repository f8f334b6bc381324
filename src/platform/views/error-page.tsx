import type { PageContext } from "./context.ts";
import { Layout } from "./layout.tsx";

export function ErrorPage({
  ctx,
  status,
  title,
  message,
}: {
  ctx: PageContext;
  status: number;
  title: string;
  message: string;
}) {
  const { t } = ctx.i18n;
  return (
    <Layout ctx={ctx} title={title}>
      <section class="error-page">
        <h1>{title}</h1>
        <p>{message}</p>
        <p class="muted">{t("error.status", { status: String(status) })}</p>
        <p>
          <a href={ctx.actor ? "/tickets" : "/login"}>{t("error.goBack")}</a>
        </p>
      </section>
    </Layout>
  );
}
