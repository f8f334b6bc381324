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
  return (
    <Layout ctx={ctx} title={title}>
      <section class="error-page">
        <h1>{title}</h1>
        <p>{message}</p>
        <p class="muted">{`Error ${status}`}</p>
        <p>
          <a href={ctx.actor ? "/tickets" : "/login"}>Go back to Tessera</a>
        </p>
      </section>
    </Layout>
  );
}
