import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { resolveSession } from "../accounts/accounts.service.ts";
import { isStaff } from "../accounts/index.ts";
import type { Deps } from "../deps.ts";
import { Invalid } from "../lib/errors.ts";
import { parseId } from "../lib/ids.ts";
import { requireStaff } from "../platform/auth.ts";
import { formFields } from "../platform/forms.ts";
import { readerOf } from "../platform/i18n.ts";
import { hiddenTeamIds } from "../teams/index.ts";
import { getTicket } from "../tickets/tickets.service.ts";
import { type Connection, DEFAULT_LIMITS, LiveHub, type LiveLimits } from "./live.hub.ts";
import { findFanout } from "./live.reaction.ts";
import { type Listen, notifyPresence } from "./live.service.ts";
import { DEFAULT_TIMING, PRESENCE_CHANNEL, Presence, type PresenceTiming } from "./presence.ts";

/** Limits and timings, smaller in tests. */
export interface LiveOptions {
  readonly limits?: Partial<LiveLimits> | undefined;
  readonly presence?: Partial<PresenceTiming> | undefined;
}

declare module "fastify" {
  interface FastifyInstance {
    /** This node's live connections and presence (src/live). */
    live: { hub: LiveHub; presence: Presence };
  }
}

// A stream's session is looked up again this often, so a signed-out or disabled
// person stops receiving within a minute (and a changed role applies).
const SESSION_RECHECK_MS = 60_000;

// Only a hand-made request gets this: script.js sends the ids of the pages it is on.
const notATicketId = () =>
  Invalid.field("ticket", "must be a ticket id", "error.ticket.notATicketId");

/**
 * Live pages: `GET /live` is an event stream (Server-Sent Events) of ticket
 * changes the signed-in person may see: `?ticket=ID` for one ticket's page
 * (with staff presence), none for the desk. `POST /live/typing` says a staff
 * member is typing a reply. Fed by the bus's after-commit events, which arrive
 * from every node; presence travels on a NOTIFY channel of its own.
 */
export const livePages = fp(
  async (
    app: FastifyInstance,
    opts: Deps & { listen?: Listen | undefined; live?: LiveOptions | undefined },
  ) => {
    const { listen, live: options, ...deps } = opts;
    const hub = new LiveHub({ ...DEFAULT_LIMITS, ...options?.limits });
    const sessions = new WeakMap<Connection, { token: string; checkedAt: number }>();

    const pushPresence = (ticketId: number) => {
      for (const c of hub.connections()) {
        if (c.ticketId !== ticketId || !isStaff(c.actor)) continue;
        hub.send(c, "presence", { viewers: presence.viewers(ticketId, c.actor.id) });
      }
    };
    const presence: Presence = new Presence({
      publish: listen
        ? (payload) => notifyPresence(deps, payload)
        : async (p): Promise<void> => presence.receive(p),
      *localViewers() {
        for (const c of hub.connections()) {
          if (c.ticketId !== undefined && isStaff(c.actor)) {
            yield { ticketId: c.ticketId, userId: c.actor.id, name: c.actor.name };
          }
        }
      },
      changed: pushPresence,
      onError: (error) => app.log.warn({ err: error }, "presence announcement failed"),
      timing: { ...DEFAULT_TIMING, ...options?.presence },
    });

    const stillHere = (ticketId: number, userId: number) => {
      for (const c of hub.connections()) {
        if (c.ticketId === ticketId && c.actor.id === userId) return true;
      }
      return false;
    };
    hub.onClosed = (c) => {
      if (c.ticketId !== undefined && isStaff(c.actor) && !stillHere(c.ticketId, c.actor.id)) {
        presence.left(c.ticketId, c.actor.id, c.actor.name);
      }
    };
    hub.onHeartbeat = (c) => {
      const session = sessions.get(c);
      if (!session || Date.now() - session.checkedAt < SESSION_RECHECK_MS) return;
      session.checkedAt = Date.now();
      resolveSession(deps, session.token)
        .then(async (actor) => {
          if (actor?.id !== c.actor.id) return hub.close(c);
          c.actor = actor;
          // Team memberships and restrictions change too: applied within a minute.
          c.hiddenTeams = new Set(await hiddenTeamIds(deps.db, actor));
        })
        .then(undefined, (error: unknown) =>
          app.log.warn({ err: error }, "live session check failed"),
        );
    };

    const detach = findFanout(deps.events.reactions)?.attach(hub);
    if (!detach) app.log.warn("live pages get no events: the bus has no live fan-out reaction");
    let unlisten: (() => Promise<void>) | undefined;
    app.addHook("onReady", async () => {
      if (listen) {
        unlisten = await listen(PRESENCE_CHANNEL, {
          onPayload: (payload) => presence.receive(payload),
          onError: (error) => app.log.error({ err: error }, "presence listener failed"),
        });
      }
      presence.start();
    });
    // preClose: before the server waits for its connections, or open streams would hold it.
    app.addHook("preClose", async () => {
      hub.closeAll();
      presence.stop();
    });
    app.addHook("onClose", async () => {
      detach?.();
      await unlisten?.();
    });
    app.decorate("live", { hub, presence });

    app.get("/live", async (req: FastifyRequest, reply: FastifyReply) => {
      // An EventSource cannot follow a sign-in redirect: answer plainly, and it stops retrying.
      const actor = req.actor;
      // Plain text in the reader's language: a person may open the address by hand.
      const { t } = readerOf(req);
      const plain = "text/plain; charset=utf-8";
      if (!actor || !req.sessionToken || req.authVia !== "session") {
        return reply.code(401).type(plain).send(t("i18n2.live.signIn"));
      }
      const raw = (req.query as { ticket?: unknown }).ticket;
      let ticketId: number | undefined;
      if (raw !== undefined) {
        ticketId = parseId(raw);
        if (ticketId === undefined) throw notATicketId();
        await getTicket(deps, actor, ticketId); // NotFound unless they may see it
      }
      const hidden = new Set(await hiddenTeamIds(deps.db, actor));
      const refusal = hub.refusal(actor.id);
      if (refusal === "too_many") {
        return reply
          .code(429)
          .header("retry-after", "30")
          .type(plain)
          .send(t("i18n2.live.tooMany", { max: hub.limits.perUser }));
      }
      if (refusal === "closing") {
        return reply.code(503).type(plain).send(t("i18n2.live.restarting"));
      }
      reply.hijack();
      reply.raw.writeHead(200, {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store",
        connection: "keep-alive",
        // nginx would otherwise hold events back in its buffer.
        "x-accel-buffering": "no",
        "x-content-type-options": "nosniff",
      });
      const connection = hub.open(actor, ticketId, reply.raw, hidden);
      if (!connection) return; // the page was closed while the request was checked
      sessions.set(connection, { token: req.sessionToken, checkedAt: Date.now() });
      if (ticketId !== undefined && isStaff(actor)) {
        hub.send(connection, "presence", { viewers: presence.viewers(ticketId, actor.id) });
        presence.arrived(ticketId, actor.id, actor.name);
      }
    });

    app.post("/live/typing", async (req, reply) => {
      const actor = requireStaff(req);
      const ticketId = parseId(formFields(req).ticket);
      if (ticketId === undefined) throw notATicketId();
      // Only from someone whose page of the ticket is open here: a notice still in
      // flight as they leave must not announce them again after their "gone".
      if (stillHere(ticketId, actor.id)) presence.typing(ticketId, actor.id, actor.name);
      return reply.code(204).send();
    });
  },
  { name: "live-pages" },
);
