import type { PageContext } from "../../platform/views/context.ts";
import { Csrf } from "../../platform/views/forms.tsx";
import { Layout } from "../../platform/views/layout.tsx";
import { ASSIGNMENT_MODES, TEAM_DESCRIPTION_MAX, TEAM_NAME_MAX } from "../teams.schemas.ts";
import type { TeamWithMembers } from "../teams.service.ts";

/** A team's form values, as typed (kept when a save is refused). */
export interface TeamFormValues {
  name: string;
  description: string;
  offeredOnForm: boolean;
  restricted: boolean;
  assignment: string;
  maxOpenPerAgent: string;
  handBackWhenAway: boolean;
  /** A calendar's id, or "" for none of its own. */
  calendarId: string;
}

/** A calendar a team may choose. */
export interface CalendarChoice {
  id: number;
  name: string;
}

export function teamValues(team: TeamWithMembers): TeamFormValues {
  return {
    name: team.name,
    description: team.description,
    offeredOnForm: team.offeredOnForm,
    restricted: team.restricted,
    assignment: team.assignment,
    maxOpenPerAgent: team.maxOpenPerAgent === null ? "" : String(team.maxOpenPerAgent),
    handBackWhenAway: team.handBackWhenAway,
    calendarId: team.calendarId === null ? "" : String(team.calendarId),
  };
}

function TeamFields({
  prefix,
  values,
  calendars,
}: {
  prefix: string;
  values: TeamFormValues;
  calendars: readonly CalendarChoice[];
}) {
  const id = (name: string) => `${prefix}-${name}`;
  return (
    <>
      <div class="field">
        <label for={id("name")}>Name</label>
        <input id={id("name")} name="name" required maxLength={TEAM_NAME_MAX} value={values.name} />
      </div>
      <div class="field">
        <label for={id("description")}>Description</label>
        <textarea
          id={id("description")}
          name="description"
          rows={2}
          maxLength={TEAM_DESCRIPTION_MAX}
        >
          {values.description}
        </textarea>
      </div>
      <div class="field">
        <label for={id("assignment")}>Automatic assignment</label>
        <select id={id("assignment")} name="assignment">
          {Object.entries(ASSIGNMENT_MODES).map(([mode, label]) => (
            <option value={mode} selected={values.assignment === mode}>
              {label}
            </option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for={id("calendar")}>Business hours of its SLA clocks</label>
        <select id={id("calendar")} name="calendarId">
          <option value="" selected={values.calendarId === ""}>
            The SLA policy's calendar
          </option>
          {calendars.map((c) => (
            <option value={String(c.id)} selected={values.calendarId === String(c.id)}>
              {c.name}
            </option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for={id("cap")}>Most open tickets per agent (empty: no limit)</label>
        <input
          id={id("cap")}
          name="maxOpenPerAgent"
          inputMode="numeric"
          pattern="[0-9]*"
          value={values.maxOpenPerAgent}
        />
      </div>
      <div class="field checkbox">
        <input
          type="checkbox"
          id={id("offered")}
          name="offeredOnForm"
          value="true"
          checked={values.offeredOnForm}
        />
        <label for={id("offered")}>Offer as a category on the new-ticket form</label>
      </div>
      <div class="field checkbox">
        <input
          type="checkbox"
          id={id("restricted")}
          name="restricted"
          value="true"
          checked={values.restricted}
        />
        <label for={id("restricted")}>
          Restrict this team's tickets to its members (other agents get "not found")
        </label>
      </div>
      <div class="field checkbox">
        <input
          type="checkbox"
          id={id("handback")}
          name="handBackWhenAway"
          value="true"
          checked={values.handBackWhenAway}
        />
        <label for={id("handback")}>
          When a member marks themselves away, hand their unanswered tickets back to the team
        </label>
      </div>
    </>
  );
}

function TeamSection({
  ctx,
  team,
  calendars,
}: {
  ctx: PageContext;
  team: TeamWithMembers;
  calendars: readonly CalendarChoice[];
}) {
  const action = `/admin/teams/${team.id}`;
  return (
    <section class="team" aria-labelledby={`team-${team.id}`}>
      <h2 id={`team-${team.id}`}>{team.name}</h2>
      <form method="post" action={action}>
        <Csrf token={ctx.csrfToken} />
        <TeamFields prefix={`team-${team.id}`} values={teamValues(team)} calendars={calendars} />
        <button type="submit">
          Save<span class="visually-hidden">{` team ${team.name}`}</span>
        </button>
      </form>
      <h3>Members</h3>
      {team.members.length === 0 ? (
        <p class="muted">Nobody yet.</p>
      ) : (
        <ul class="members">
          {team.members.map((m) => (
            <li>
              {m.name} <span class="muted">{m.email}</span>
              {m.away && <span class="badge"> away</span>}
              {m.disabled && <span class="badge"> disabled</span>}{" "}
              <form method="post" action={`${action}/members/${m.userId}/remove`} class="inline">
                <Csrf token={ctx.csrfToken} />
                <button type="submit" class="link">
                  Remove<span class="visually-hidden">{` ${m.name} from ${team.name}`}</span>
                </button>
              </form>
            </li>
          ))}
        </ul>
      )}
      <form method="post" action={`${action}/members`} class="inline">
        <Csrf token={ctx.csrfToken} />
        <label for={`member-${team.id}`}>Add an agent by address</label>{" "}
        <input id={`member-${team.id}`} name="email" type="email" required />{" "}
        <button type="submit">Add</button>
      </form>
      <form method="post" action={`${action}/delete`} class="inline">
        <Csrf token={ctx.csrfToken} />
        <button type="submit" class="danger">
          Delete team<span class="visually-hidden">{` ${team.name}`}</span>
        </button>
      </form>
    </section>
  );
}

const EMPTY: TeamFormValues = {
  name: "",
  description: "",
  offeredOnForm: false,
  restricted: false,
  assignment: "off",
  maxOpenPerAgent: "",
  handBackWhenAway: false,
  calendarId: "",
};

export function TeamsPage({
  ctx,
  teams,
  calendars,
  problem,
  newTeam,
}: {
  ctx: PageContext;
  teams: TeamWithMembers[];
  /** The business-hours calendars a team may choose. */
  calendars: readonly CalendarChoice[];
  /** Why the last change was refused. */
  problem?: string | undefined;
  /** The new-team form as typed, when creating it was refused. */
  newTeam?: TeamFormValues | undefined;
}) {
  return (
    <Layout ctx={ctx} title="Teams">
      <h1>Teams</h1>
      {problem && (
        <div class="form-errors" role="alert" tabIndex={-1}>
          <p>{problem}</p>
        </div>
      )}
      {teams.length === 0 && <p class="muted">No teams yet.</p>}
      {teams.map((team) => (
        <TeamSection ctx={ctx} team={team} calendars={calendars} />
      ))}
      <section aria-labelledby="new-team">
        <h2 id="new-team">New team</h2>
        <form method="post" action="/admin/teams">
          <Csrf token={ctx.csrfToken} />
          <TeamFields prefix="new" values={newTeam ?? EMPTY} calendars={calendars} />
          <button type="submit">Create team</button>
        </form>
      </section>
    </Layout>
  );
}
