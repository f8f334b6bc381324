import type { Deps } from "../deps.ts";
import { routeOfTicket } from "./mailboxes.service.ts";
import { type Sender, smtpSender } from "./smtp.sender.ts";

/** Refused for good (no retry): there is no server to send this mail through. */
function noRoute(): Error {
  return Object.assign(
    new Error("No SMTP server for this mail: set SMTP_URL, or SMTP settings on its mailbox."),
    { responseCode: 550 },
  );
}

/**
 * Sends each outbox row the way its ticket asks: a ticket that came in on a
 * mailbox is answered From that mailbox (its address and name), over the
 * mailbox's own SMTP server when it has one, else over SMTP_URL (`fallback`).
 * Other mail goes over SMTP_URL as before. Transports are made once per
 * mailbox version (an edit makes a new one).
 */
export function routedSender(deps: Deps, fallback: Sender | undefined): Sender {
  const transports = new Map<number, { version: string; sender: Sender }>();
  return {
    async send(row) {
      const route = await routeOfTicket(deps, row.ticketId);
      if (!route) {
        if (!fallback) throw noRoute();
        return fallback.send(row);
      }
      if (!route.smtp) {
        if (!fallback) throw noRoute();
        return fallback.send(row, { from: route.from });
      }
      let cached = transports.get(route.mailboxId);
      if (cached?.version !== route.version) {
        cached?.sender.close();
        const { smtp } = route;
        cached = {
          version: route.version,
          sender: smtpSender(deps.config, {
            host: smtp.host,
            port: smtp.port,
            secure: smtp.tls === "tls",
            requireTLS: smtp.tls === "starttls",
            ignoreTLS: smtp.tls === "off",
            auth: smtp.user ? { user: smtp.user, pass: smtp.pass ?? "" } : undefined,
          }),
        };
        transports.set(route.mailboxId, cached);
      }
      return cached.sender.send(row, { from: route.from });
    },
    close() {
      fallback?.close();
      for (const t of transports.values()) t.sender.close();
    },
  };
}
