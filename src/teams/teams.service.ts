import {
  type Actor,
  AUTOMATION_EMAIL,
  findUserByEmail,
  isAdmin,
  isStaff,
} from "../accounts/index.ts";
import type { Executor } from "../db/client.ts";
import type { Deps } from "../deps.ts";
import { Forbidden, Invalid, NotFound } from "../lib/errors.ts";
import { parse, trimFields } from "../lib/validate.ts";
import * as sla from "../sla/sla.service.ts";
import * as repo from "./teams.repo.ts";
import { TeamInput } from "./teams.schemas.ts";

export type Team = repo.TeamRow;
export interface TeamMember {
  userId: number;
  name: string;
  email: string;
  away: boolean;
  disabled: boolean;
}
export type TeamWithMembers = Team & { members: TeamMember[] };

function requireAdminActor(actor: Actor): void {
  if (!isAdmin(actor)) throw new Forbidden("Only admins manage teams.", "error.onlyAdmins.teams");
}

/** Teams with their members, by name (staff only). */
export async function listTeams(deps: Deps, actor: Actor): Promise<TeamWithMembers[]> {
  if (!isStaff(actor)) throw new Forbidden();
  const [teams, memberships] = await Promise.all([
    repo.listTeams(deps.db),
    repo.listMemberships(deps.db),
  ]);
  return teams.map((team) => ({
    ...team,
    members: memberships.filter((m) => m.teamId === team.id).map(({ teamId: _, ...m }) => m),
  }));
}

/** Every team's name by id (staff only): one small query, for pages that name teams. */
export async function teamNames(deps: Deps, actor: Actor): Promise<Map<number, string>> {
  if (!isStaff(actor)) throw new Forbidden();
  return new Map((await repo.listTeams(deps.db)).map((t) => [t.id, t.name]));
}

/** The teams offered as categories on the new-ticket form (anyone signed in). */
export async function listCategories(deps: Deps): Promise<{ id: number; name: string }[]> {
  return (await repo.listTeams(deps.db))
    .filter((t) => t.offeredOnForm)
    .map((t) => ({ id: t.id, name: t.name }));
}

/** The ids of the teams `userId` is in. */
export async function teamIdsOf(db: Executor, userId: number): Promise<number[]> {
  return repo.teamIdsOf(db, userId);
}

/** A team, or undefined. */
export async function findTeam(db: Executor, id: number): Promise<Team | undefined> {
  return repo.findTeam(db, id);
}

/** A team by name (any case), or undefined. */
export async function findTeamByName(db: Executor, name: string): Promise<Team | undefined> {
  return repo.findTeamByName(db, name);
}

/**
 * Who a restricted team hides its tickets from: agents who are not members.
 * Admins (who manage teams) and the automation account (rules act for the
 * whole instance) see every team's tickets; customers see only their own
 * tickets anyway, so team restrictions never widen or narrow what they see.
 */
function restrictable(actor: Actor): boolean {
  return actor.role === "agent" && actor.email.toLowerCase() !== AUTOMATION_EMAIL;
}

/** The teams whose tickets `actor` must not see (restricted teams they are not in). */
export async function hiddenTeamIds(db: Executor, actor: Actor): Promise<number[]> {
  return restrictable(actor) ? repo.hiddenTeamIds(db, actor.id) : [];
}

/**
 * The same rule as a subquery of team ids for another module's statement (not run
 * here), so a list or count leaves hidden teams out without a query of its own;
 * undefined when no team can hide anything from `actor`.
 */
export function hiddenTeamsQuery(db: Executor, actor: Actor) {
  return restrictable(actor) ? repo.hiddenTeamIdsQuery(db, actor.id) : undefined;
}

/** A team as the desk lists it: its queue, and whether the viewer is a member. */
export interface VisibleTeam {
  id: number;
  name: string;
  mine: boolean;
}

/** The teams whose tickets `actor` may see, by name, each with whether they are in it (staff only). */
export async function visibleTeams(db: Executor, actor: Actor): Promise<VisibleTeam[]> {
  if (!isStaff(actor)) throw new Forbidden();
  const rows = await repo.teamsWithMembership(db, actor.id);
  return rows
    .filter((t) => t.member || !t.restricted || !restrictable(actor))
    .map((t) => ({ id: t.id, name: t.name, mine: t.member }));
}

/** Whether team `teamId` hides its tickets from `actor`. */
export async function hidesFrom(db: Executor, actor: Actor, teamId: number): Promise<boolean> {
  return restrictable(actor) ? repo.hidesFrom(db, teamId, actor.id) : false;
}

function toRow(data: TeamInput) {
  return {
    name: data.name,
    ...(data.description !== undefined ? { description: data.description } : {}),
    ...(data.offeredOnForm !== undefined ? { offeredOnForm: data.offeredOnForm } : {}),
    ...(data.restricted !== undefined ? { restricted: data.restricted } : {}),
    ...(data.assignment !== undefined ? { assignment: data.assignment } : {}),
    ...(data.maxOpenPerAgent !== undefined ? { maxOpenPerAgent: data.maxOpenPerAgent } : {}),
    ...(data.handBackWhenAway !== undefined ? { handBackWhenAway: data.handBackWhenAway } : {}),
    ...(data.calendarId !== undefined ? { calendarId: data.calendarId } : {}),
  };
}

async function checkCalendar(db: Executor, data: TeamInput): Promise<void> {
  if (data.calendarId != null && !(await sla.calendarExists(db, data.calendarId))) {
    throw Invalid.field("calendarId", "is not a calendar", "error.field.notACalendar");
  }
}

const nameTaken = () =>
  Invalid.field("name", "is already the name of another team", "error.field.teamNameTaken");

/** Creates a team (admins only); names are unique whatever their case. */
export async function createTeam(deps: Deps, actor: Actor, input: TeamInput): Promise<Team> {
  requireAdminActor(actor);
  const data = parse(TeamInput, trimFields(input, ["name", "description"]));
  await checkCalendar(deps.db, data);
  const row = await repo.insertTeam(deps.db, toRow(data));
  if (!row) throw nameTaken();
  return row;
}

/**
 * Changes a team's name, description and settings (admins only). Another
 * calendar recomputes the due times of running SLA clocks in the background.
 */
export async function updateTeam(
  deps: Deps,
  actor: Actor,
  id: number,
  input: TeamInput,
): Promise<Team> {
  requireAdminActor(actor);
  const data = parse(TeamInput, trimFields(input, ["name", "description"]));
  let recompute = false;
  const updated = await deps.db.transaction(async (tx) => {
    const existing = await repo.lockTeam(tx, id);
    if (!existing) throw new NotFound("team", id);
    const other = await repo.findTeamByName(tx, data.name);
    if (other && other.id !== id) throw nameTaken();
    await checkCalendar(tx, data);
    const row = await repo.updateTeam(tx, id, toRow(data));
    if (!row) throw new NotFound("team", id);
    if (row.calendarId !== existing.calendarId) {
      await sla.requestRecompute(tx);
      recompute = true;
    }
    return row;
  });
  if (recompute) sla.startRecompute(deps);
  return updated;
}

/**
 * Deletes a team (admins only); its tickets keep their history and belong to
 * no team, and their SLA clocks go back to the general policies (recomputed in
 * the background).
 */
export async function deleteTeam(deps: Deps, actor: Actor, id: number): Promise<void> {
  requireAdminActor(actor);
  await deps.db.transaction(async (tx) => {
    if (!(await repo.deleteTeam(tx, id, actor.id))) throw new NotFound("team", id);
    await sla.requestRecompute(tx);
  });
  sla.startRecompute(deps);
}

/** Puts an agent or admin, named by address, in a team (admins only); being there already is fine. */
export async function addMember(
  deps: Deps,
  actor: Actor,
  teamId: number,
  email: string,
): Promise<void> {
  requireAdminActor(actor);
  if (!(await repo.findTeam(deps.db, teamId))) throw new NotFound("team", teamId);
  const user = email.trim() ? await findUserByEmail(deps, actor, email) : undefined;
  if (!user || !isStaff(user) || user.email.toLowerCase() === AUTOMATION_EMAIL) {
    throw Invalid.field(
      "email",
      "must be the address of an agent or admin",
      "error.field.staffAddress",
    );
  }
  await repo.addMember(deps.db, teamId, user.id);
}

/** Takes someone out of a team (admins only). */
export async function removeMember(
  deps: Deps,
  actor: Actor,
  teamId: number,
  userId: number,
): Promise<void> {
  requireAdminActor(actor);
  if (!(await repo.findTeam(deps.db, teamId))) throw new NotFound("team", teamId);
  await repo.removeMember(deps.db, teamId, userId);
}
