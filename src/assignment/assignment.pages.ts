import type { FastifyInstance } from "fastify";
import type { Deps } from "../deps.ts";
import { Invalid } from "../lib/errors.ts";
import { requireStaff } from "../platform/auth.ts";
import { formFields } from "../platform/forms.ts";
import { setAway } from "./assignment.service.ts";

/** Only a path on this site: never `//host` or a scheme, so the redirect stays here. */
function localPath(raw: string | undefined): string {
  return raw && /^\/(?![/\\])/.test(raw) ? raw : "/desk";
}

/** The away/back control in every page's header (plain form, works without JavaScript). */
export async function assignmentPages(app: FastifyInstance, deps: Deps) {
  app.post("/account/away", async (req, reply) => {
    const actor = requireStaff(req);
    const { away, back } = formFields(req);
    if (away !== "true" && away !== "false") {
      throw Invalid.field("away", "must be one of: true, false", "error.field.oneOf", {
        choices: "true, false",
      });
    }
    await setAway(deps, actor, away === "true");
    return reply.redirect(localPath(back), 303);
  });
}
