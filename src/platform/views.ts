import type { FastifyInstance, FastifyReply } from "fastify";
import fp from "fastify-plugin";
import { h, type JSX } from "preact";
import { renderToString } from "preact-render-to-string";
import { readerOf } from "./i18n.ts";
import { ReaderContext } from "./views/reader.ts";

/**
 * `reply.render(<Page />)`: server-rendered HTML; Preact escapes every text and
 * attribute. The request's reader is provided to components without a page context (`<Time>`).
 */
export const viewsPlugin = fp(async (app: FastifyInstance) => {
  app.decorateReply(
    "render",
    function render(this: FastifyReply, node: JSX.Element, status?: number) {
      if (status) this.code(status);
      // Pages for a signed-in person hold their tickets: never keep them in a shared or back-button cache.
      if (this.request.actor) this.header("cache-control", "private, no-store");
      // A form shown again with its errors keeps the address it was opened at.
      if (status && status >= 400) this.header("hx-push-url", "false");
      return this.type("text/html; charset=utf-8").send(
        `<!doctype html>${renderToString(h(ReaderContext.Provider, { value: readerOf(this.request) }, node))}`,
      );
    },
  );
});
