import { sql } from "drizzle-orm";
import {
  boolean,
  index,
  integer,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { slaCalendars } from "./calendars.ts";
import { users } from "./users.ts";

/** How a team hands out its new tickets (src/assignment). */
export const assignmentMode = pgEnum("assignment_mode", ["off", "round_robin", "fewest_open"]);

/**
 * Teams of agents (src/teams). A ticket belongs to at most one team
 * (`tickets.team_id`); an agent may be in several.
 */
export const teams = pgTable(
  "teams",
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    name: text().notNull(),
    description: text().notNull().default(""),
    /** Offered as a category on the new-ticket form (its name is the category). */
    offeredOnForm: boolean().notNull().default(false),
    /** Agents outside the team get 404 for its tickets (admins see everything). */
    restricted: boolean().notNull().default(false),
    assignment: assignmentMode().notNull().default("off"),
    /** Open tickets (new, open, pending) an agent may hold before assignment skips them. */
    maxOpenPerAgent: integer(),
    /** When a member marks themselves away, their unanswered tickets in this team go back to the pool. */
    handBackWhenAway: boolean().notNull().default(false),
    /** The business hours its tickets' SLA clocks run on; null: their policy's calendar (src/sla/policy.ts). */
    calendarId: integer().references(() => slaCalendars.id),
    /** Round-robin: the member who got the last ticket (the team row is locked while it moves). */
    lastAssigneeId: integer().references(() => users.id, { onDelete: "set null" }),
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("teams_name_lower_key").on(sql`lower(${t.name})`)],
);

export const teamMembers = pgTable(
  "team_members",
  {
    teamId: integer()
      .notNull()
      .references(() => teams.id, { onDelete: "cascade" }),
    userId: integer()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.teamId, t.userId] }),
    index("team_members_user_idx").on(t.userId),
  ],
);
