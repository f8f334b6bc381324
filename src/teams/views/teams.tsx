import type { ComponentChildren } from "preact";
import type { MessageKey, Translator } from "../../i18n/i18n.ts";
import type { PageContext } from "../../platform/views/context.ts";
import { Csrf } from "../../platform/views/forms.tsx";
import { Layout } from "../../platform/views/layout.tsx";
import {
  ASSIGNMENT_MODES,
  type AssignmentMode,
  TEAM_DESCRIPTION_MAX,
  TEAM_NAME_MAX,
} from "../teams.schemas.ts";
import type { TeamWithMembers } from "../teams.service.ts";

type T = Translator["t"];

/** Each assignment mode's name in the catalogs. */
const ASSIGNMENT_KEYS: Record<AssignmentMode, MessageKey> = {
  off: "teams.assignment.off",
  round_robin: "teams.assignment.roundRobin",
  fewest_open: "teams.assignment.fewestOpen",
};

/** Words only a screen reader hears (`<hidden>…</hidden>` in a message). */
const hidden = (chunks: ComponentChildren) => <span class="visually-hidden">{chunks}</span>;

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
  t,
}: {
  prefix: string;
  values: TeamFormValues;
  calendars: readonly CalendarChoice[];
  t: T;
}) {
  const id = (name: string) => `${prefix}-${name}`;
  return (
    <>
      <div class="field">
        <label for={id("name")}>{t("teams.name")}</label>
        <input id={id("name")} name="name" required maxLength={TEAM_NAME_MAX} value={values.name} />
      </div>
      <div class="field">
        <label for={id("description")}>{t("teams.description")}</label>
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
        <label for={id("assignment")}>{t("teams.assignment")}</label>
        <select id={id("assignment")} name="assignment">
          {ASSIGNMENT_MODES.map((mode) => (
            <option value={mode} selected={values.assignment === mode}>
              {t(ASSIGNMENT_KEYS[mode])}
            </option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for={id("calendar")}>{t("teams.calendar")}</label>
        <select id={id("calendar")} name="calendarId">
          <option value="" selected={values.calendarId === ""}>
            {t("teams.calendar.policy")}
          </option>
          {calendars.map((c) => (
            <option value={String(c.id)} selected={values.calendarId === String(c.id)}>
              {c.name}
            </option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for={id("cap")}>{t("teams.cap")}</label>
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
        <label for={id("offered")}>{t("teams.offered")}</label>
      </div>
      <div class="field checkbox">
        <input
          type="checkbox"
          id={id("restricted")}
          name="restricted"
          value="true"
          checked={values.restricted}
        />
        <label for={id("restricted")}>{t("teams.restricted")}</label>
      </div>
      <div class="field checkbox">
        <input
          type="checkbox"
          id={id("handback")}
          name="handBackWhenAway"
          value="true"
          checked={values.handBackWhenAway}
        />
        <label for={id("handback")}>{t("teams.handBack")}</label>
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
  const { t, rich } = ctx.i18n;
  const action = `/admin/teams/${team.id}`;
  return (
    <section class="team" aria-labelledby={`team-${team.id}`}>
      <h2 id={`team-${team.id}`}>{team.name}</h2>
      <form method="post" action={action}>
        <Csrf token={ctx.csrfToken} />
        <TeamFields
          prefix={`team-${team.id}`}
          values={teamValues(team)}
          calendars={calendars}
          t={t}
        />
        <button type="submit">{rich("teams.save", { team: team.name, hidden })}</button>
      </form>
      <h3>{t("teams.members")}</h3>
      {team.members.length === 0 ? (
        <p class="muted">{t("teams.nobody")}</p>
      ) : (
        <ul class="members">
          {team.members.map((m) => (
            <li>
              {m.name} <span class="muted">{m.email}</span>
              {m.away && <span class="badge"> {t("teams.away")}</span>}
              {m.disabled && <span class="badge"> {t("teams.disabled")}</span>}{" "}
              <form method="post" action={`${action}/members/${m.userId}/remove`} class="inline">
                <Csrf token={ctx.csrfToken} />
                <button type="submit" class="link">
                  {rich("teams.remove", { member: m.name, team: team.name, hidden })}
                </button>
              </form>
            </li>
          ))}
        </ul>
      )}
      <form method="post" action={`${action}/members`} class="inline">
        <Csrf token={ctx.csrfToken} />
        <label for={`member-${team.id}`}>{t("teams.addMember")}</label>{" "}
        <input id={`member-${team.id}`} name="email" type="email" required />{" "}
        <button type="submit">{t("teams.add")}</button>
      </form>
      <form method="post" action={`${action}/delete`} class="inline">
        <Csrf token={ctx.csrfToken} />
        <button type="submit" class="danger">
          {rich("teams.delete", { team: team.name, hidden })}
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
  const { t } = ctx.i18n;
  return (
    <Layout ctx={ctx} title={t("teams.title")}>
      <h1>{t("teams.title")}</h1>
      {problem && (
        <div class="form-errors" role="alert" tabIndex={-1}>
          <p>{problem}</p>
        </div>
      )}
      {teams.length === 0 && <p class="muted">{t("teams.none")}</p>}
      {teams.map((team) => (
        <TeamSection ctx={ctx} team={team} calendars={calendars} />
      ))}
      <section aria-labelledby="new-team">
        <h2 id="new-team">{t("teams.newTeam")}</h2>
        <form method="post" action="/admin/teams">
          <Csrf token={ctx.csrfToken} />
          <TeamFields prefix="new" values={newTeam ?? EMPTY} calendars={calendars} t={t} />
          <button type="submit">{t("teams.create")}</button>
        </form>
      </section>
    </Layout>
  );
}
