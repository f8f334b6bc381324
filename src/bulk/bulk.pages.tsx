import type { FastifyInstance, FastifyRequest } from "fastify";
import { findUserByEmail } from "../accounts/index.ts";
import type { Deps } from "../deps.ts";
import { AppError } from "../lib/errors.ts";
import { parseId } from "../lib/ids.ts";
import { listMacros } from "../macros/macros.service.ts";
import { requireStaff } from "../platform/auth.ts";
import { pageContext } from "../platform/views/context.ts";
import { errorText } from "../platform/views/forms.tsx";
import { parseDeskQuery } from "../tickets/desk-query.ts";
import { PRIORITIES, STATUSES } from "../tickets/lifecycle.ts";
import type { BulkChanges } from "./bulk.schemas.ts";
import { bulkChange, matchingTicketIds } from "./bulk.service.ts";
import { BulkMacroPage, BulkRefusedPage, BulkResultPage } from "./views/bulk.tsx";

/** The posted field as one string, or the list of its values. */
function values(req: FastifyRequest, name: string): string[] {
  const raw = ((req.body ?? {}) as Record<string, unknown>)[name];
  if (Array.isArray(raw)) return raw.filter((v): v is string => typeof v === "string");
  return typeof raw === "string" ? [raw] : [];
}

const one = (req: FastifyRequest, name: string) => values(req, name)[0] ?? "";

/** The desk's `change` select (and tag box) as the service's changes; undefined when unknown. */
function changesOf(
  change: string,
  tag: string,
  macroId: number | undefined,
): BulkChanges | undefined {
  const [kind, value = ""] = change.split(":", 2) as [string, string?];
  switch (kind) {
    case "assign":
      if (value === "me") return { assigneeId: "me" };
      if (value === "none") return { assigneeId: null };
      return parseId(value) === undefined ? undefined : { assigneeId: parseId(value) ?? null };
    case "status":
      return (STATUSES as readonly string[]).includes(value)
        ? { status: value as BulkChanges["status"] }
        : undefined;
    case "priority":
      return (PRIORITIES as readonly string[]).includes(value)
        ? { priority: value as BulkChanges["priority"] }
        : undefined;
    case "team":
      if (value === "none") return { teamId: null };
      return parseId(value) === undefined ? undefined : { teamId: parseId(value) ?? null };
    case "add_tag":
      return { addTags: tag.trim() ? [tag.trim()] : [] };
    case "remove_tag":
      return { removeTags: tag.trim() ? [tag.trim()] : [] };
    case "macro":
      return macroId === undefined ? undefined : { macroId };
    default:
      return undefined;
  }
}

/** Bulk actions from the desk (src/bulk): a form post, then a page of results. */
export async function bulkPages(app: FastifyInstance, deps: Deps) {
  app.post("/desk/bulk", async (req, reply) => {
    const actor = requireStaff(req);
    const ctx = pageContext(req, reply);
    const { t } = ctx.i18n;
    const query = one(req, "query").slice(0, 2000);
    const backHref = `/desk?${query}`;
    const scope = one(req, "scope") === "all" ? "all" : "selected";
    const change = one(req, "change");
    const refuse = (message: string, status = 400) =>
      reply.render(<BulkRefusedPage ctx={ctx} message={message} backHref={backHref} />, status);

    let ids: number[];
    let more = false;
    if (scope === "all") {
      const parsed = parseDeskQuery(Object.fromEntries(new URLSearchParams(query)));
      let requesterId = parsed.requesterId;
      if (parsed.filters.requester) {
        const user = await findUserByEmail(deps, actor, parsed.filters.requester);
        if (!user) return refuse(t("bulk.noTickets"));
        requesterId = user.id;
      }
      const found = await matchingTicketIds(deps, actor, {
        ...parsed.query,
        cursor: undefined,
        requesterId,
        timeZone: req.i18n?.timeZone,
      });
      ids = found.ids;
      more = found.more;
    } else {
      ids = values(req, "ids").flatMap((v) => {
        const id = parseId(v);
        return id === undefined ? [] : [id];
      });
    }
    if (ids.length === 0) return refuse(t("bulk.noTickets"));

    const macroId = parseId(one(req, "macroId"));
    if (change === "macro" && macroId === undefined) {
      // Which macro: a second step, the tickets carried along.
      return reply.render(
        <BulkMacroPage
          ctx={ctx}
          ids={scope === "all" ? [] : ids}
          query={query}
          scope={scope}
          macros={await listMacros(deps, actor)}
          backHref={backHref}
        />,
      );
    }
    const changes = changesOf(change, one(req, "tag"), macroId);
    if (!changes) return refuse(t("bulk.chooseChange"));
    try {
      const results = await bulkChange(deps, actor, ids, changes);
      return reply.render(
        <BulkResultPage ctx={ctx} results={results} more={more} backHref={backHref} />,
      );
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      return refuse(errorText(error, t), error.status);
    }
  });
}
