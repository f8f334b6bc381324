import { like, sql } from "drizzle-orm";
import type { Executor } from "../db/client.ts";
import { outbox } from "../db/schema/index.ts";

/**
 * Spreads the demo's tickets over the past `days` instead of the second they
 * were seeded in: ticket ids map to days (higher ids later, so follow-ups come
 * after the tickets they follow), and each ticket's messages and events keep
 * their order a few hours apart. Only tickets whose requester has an email at
 * `domain` move. Deterministic: the gaps come from hashes of the row ids.
 */
export async function spreadDemoTimestamps(
  db: Executor,
  domain: string,
  days: number,
): Promise<void> {
  const pattern = `%@${domain}`;
  // Two days of headroom so the last ticket's conversation never ends in the future.
  await db.execute(sql`
    CREATE TEMPORARY TABLE demo_base ON COMMIT DROP AS
    SELECT t.id,
           now() - interval '2 days'
             - make_interval(secs => (max(t.id) OVER () - t.id)::float8 / greatest(max(t.id) OVER (), 1)
                                     * ${days - 2} * 86400
                                     + abs(hashtext('t' || t.id)) % 7200) AS at
    FROM tickets t JOIN users u ON u.id = t.requester_id
    WHERE u.email LIKE ${pattern}`);
  // Each ticket's messages, and separately its events, follow its start in order, 0.5 to 8.5 hours apart.
  for (const table of ["messages", "ticket_events"] as const) {
    const rows = sql.identifier(table);
    await db.execute(sql`
      UPDATE ${rows} r SET created_at = x.at FROM (
        SELECT r.id, b.at + make_interval(secs => sum(CASE WHEN r.id = r.first_id THEN 0
                                                           ELSE 1800 + abs(hashtext(${table} || r.id)) % 28800 END)
                                                      OVER (PARTITION BY r.ticket_id ORDER BY r.id)) AS at
        FROM (SELECT id, ticket_id, min(id) OVER (PARTITION BY ticket_id) AS first_id FROM ${rows}) r
        JOIN demo_base b ON b.id = r.ticket_id) x
      WHERE x.id = r.id`);
  }
  await db.execute(sql`
    UPDATE tickets t SET created_at = b.at,
      updated_at = greatest(
        b.at,
        (SELECT max(created_at) FROM messages WHERE ticket_id = t.id),
        (SELECT max(created_at) FROM ticket_events WHERE ticket_id = t.id))
    FROM demo_base b WHERE b.id = t.id`);
  await db.execute(sql`
    UPDATE users SET created_at = now() - make_interval(days => ${days + 1})
    WHERE email LIKE ${pattern}`);
}

/**
 * Drops the mail the demo's conversations queued to its made-up addresses at
 * `domain` (a reserved .test name): sent once SMTP is set up, it would only
 * bounce, and the admin's email page would show it as waiting.
 */
export async function discardDemoMail(db: Executor, domain: string): Promise<void> {
  await db.delete(outbox).where(like(outbox.toAddress, `%@${domain}`));
}
