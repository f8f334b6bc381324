import { and, asc, eq, inArray, isNull, lt, ne, or, type SQL, sql } from "drizzle-orm";
import type { Executor } from "../db/client.ts";
import { teamMembers, teams, tickets, users } from "../db/schema/index.ts";
import type { AssigneePick } from "../tickets/tickets.service.ts";

/**
 * A ticket's assignee and status with its team, whose row is locked until the
 * transaction ends when the team assigns tickets (undefined for a ticket
 * without such a team, whose team is left unlocked). Every
 * node's assignments in one team queue up here, so the round-robin cursor
 * moves one step at a time and open-ticket counts are read after the last
 * assignment committed.
 *
 * FOR NO KEY UPDATE, not FOR UPDATE: the ticket row that references the team
 * already holds a KEY SHARE lock on it (the foreign key check), which FOR
 * UPDATE conflicts with, so two creations would deadlock. NO KEY UPDATE is
 * exclusive among assigners all the same and lets foreign key checks through.
 */
export async function lockRouting(db: Executor, ticketId: number) {
  const [row] = await db
    .select({
      assigneeId: tickets.assigneeId,
      status: tickets.status,
      team: {
        id: teams.id,
        name: teams.name,
        assignment: teams.assignment,
        maxOpenPerAgent: teams.maxOpenPerAgent,
        lastAssigneeId: teams.lastAssigneeId,
      },
    })
    .from(tickets)
    .innerJoin(teams, eq(teams.id, tickets.teamId))
    .where(and(eq(tickets.id, ticketId), ne(teams.assignment, "off")))
    .for("no key update", { of: teams });
  return row;
}

/**
 * The choice of who gets the team's next ticket, with the move of the team's
 * round-robin cursor to them, as CTEs for the statement that assigns
 * (tickets' assignPicked: choice, cursor, assignment and trail in one round
 * trip); run after lockRouting, so the open counts are read after the team's
 * last assignment committed. Who can take one: members who are staff, not
 * disabled, not away, and under the team's cap. The rotation is by id,
 * starting after the last one assigned (or after where they were, when they
 * left the team); fewest-open takes the least busy, ties in rotation. Open
 * tickets are each member's `users.open_tickets`, kept by triggers on tickets.
 * `reason` makes the trail's why from the chosen one's open count. No row
 * when nobody can take the ticket.
 */
export function pickAndMoveCursor(
  db: Executor,
  team: {
    id: number;
    assignment: "round_robin" | "fewest_open";
    maxOpenPerAgent: number | null;
    lastAssigneeId: number | null;
  },
  reason: (open: SQL<number>) => SQL<string>,
): AssigneePick {
  const members = db.$with("members").as(
    db
      .select({ id: users.id, open: users.openTickets })
      .from(teamMembers)
      .innerJoin(users, eq(users.id, teamMembers.userId))
      .where(
        and(
          eq(teamMembers.teamId, team.id),
          eq(users.disabled, false),
          eq(users.away, false),
          inArray(users.role, ["agent", "admin"]),
        ),
      ),
  );
  const cap = team.maxOpenPerAgent;
  const picked = db.$with("picked").as(
    db
      .select({ id: members.id, open: members.open })
      .from(members)
      .where(cap === null ? undefined : lt(members.open, cap))
      .orderBy(
        ...(team.assignment === "fewest_open" ? [asc(members.open)] : []),
        // The rotation: those after the last one assigned first (false sorts before true).
        sql`${members.id} <= ${team.lastAssigneeId ?? 0}`,
        asc(members.id),
      )
      .limit(1),
  );
  const chosen = db.$with("chosen").as(
    db
      .update(teams)
      .set({ lastAssigneeId: sql`${picked.id}` })
      .from(picked)
      .where(eq(teams.id, team.id))
      .returning({ id: picked.id, reason: reason(sql`${picked.open}`).as("reason") }),
  );
  return { with: [members, picked], chosen };
}

/** The teams `userId` is in that hand a member's tickets back when they go away. */
export async function handBackTeams(db: Executor, userId: number) {
  return db
    .select({ id: teams.id, name: teams.name })
    .from(teams)
    .innerJoin(teamMembers, eq(teamMembers.teamId, teams.id))
    .where(and(eq(teamMembers.userId, userId), eq(teams.handBackWhenAway, true)));
}

/**
 * Tickets assigned to `userId` in `teamId` still waiting on an agent: new or
 * open, with no public agent reply since the customer last wrote.
 */
export async function unansweredTickets(db: Executor, userId: number, teamId: number) {
  const rows = await db
    .select({ id: tickets.id })
    .from(tickets)
    .where(
      and(
        eq(tickets.assigneeId, userId),
        eq(tickets.teamId, teamId),
        inArray(tickets.status, ["new", "open"]),
        or(
          isNull(tickets.lastAgentReplyAt),
          sql`${tickets.lastCustomerReplyAt} > ${tickets.lastAgentReplyAt}`,
        ),
      ),
    )
    .orderBy(asc(tickets.id));
  return rows.map((r) => r.id);
}
