import type { PageContext } from "../../platform/views/context.ts";
import {
  Csrf,
  Field,
  FormErrors,
  type FormState,
  fieldError,
} from "../../platform/views/forms.tsx";
import { Layout } from "../../platform/views/layout.tsx";
import type { Priority } from "../../tickets/lifecycle.ts";
import { PRIORITIES } from "../../tickets/lifecycle.ts";
import { WEEKDAYS } from "../business-time.ts";
import {
  TARGET_KINDS,
  TARGET_LABELS,
  type TargetKind,
  targetField,
  WEEKDAY_NAMES,
} from "../sla.schemas.ts";
import type { CalendarRow, PolicyRow } from "../sla.service.ts";

const PRIORITY_LABELS: Record<Priority, string> = {
  low: "Low",
  normal: "Normal",
  high: "High",
  urgent: "Urgent",
};

function minutesOf(policy: PolicyRow | undefined, kind: TargetKind): number | null {
  if (!policy) return null;
  if (kind === "first_response") return policy.firstResponseMinutes;
  if (kind === "next_response") return policy.nextResponseMinutes;
  return policy.resolutionMinutes;
}

/** A policy's stored values as its form shows them: whole hours in hours, else minutes. */
export function policyToForm(policy: PolicyRow | undefined, defaultCalendarId: number) {
  const form: Record<string, string> = {
    calendarId: String(policy?.calendarId ?? defaultCalendarId),
    warnPercent: String(policy?.warnPercent ?? 80),
  };
  for (const kind of TARGET_KINDS) {
    const minutes = minutesOf(policy, kind);
    const field = targetField(kind);
    if (minutes === null) {
      form[field] = "";
      form[`${field}Unit`] = "hours";
    } else if (minutes % 60 === 0) {
      form[field] = String(minutes / 60);
      form[`${field}Unit`] = "hours";
    } else {
      form[field] = String(minutes);
      form[`${field}Unit`] = "minutes";
    }
  }
  return form;
}

/** A team as the SLA page shows it: its own calendar (null: none) and its own policies. */
export interface SlaTeam {
  id: number;
  name: string;
  calendarId: number | null;
}

/** Which policy form a refused save belongs to: the general one (`teamId` null) or a team's ("new": its add form). */
export interface RefusedPolicy {
  teamId: number | null;
  priority: Priority | "new";
  form: FormState;
}

function PolicyForm({
  ctx,
  priority,
  calendars,
  form,
  team,
  choices = PRIORITIES,
}: {
  ctx: PageContext;
  /** "new": a team's form for a priority it has no policy for yet (the priority is chosen). */
  priority: Priority | "new";
  calendars: CalendarRow[];
  form: FormState;
  team?: SlaTeam | undefined;
  /** The priorities the "new" form offers. */
  choices?: readonly Priority[];
}) {
  const id = (name: string) => `${team ? `team${team.id}-` : ""}${priority}-${name}`;
  const scoped: FormState = {
    ...form,
    errors: form.errors.map((e) => ({ ...e, field: id(e.field) })),
  };
  const base = team ? `/admin/sla/teams/${team.id}/policies` : "/admin/sla/policies";
  const label = priority === "new" ? "" : PRIORITY_LABELS[priority];
  const what = team ? `${team.name} ${label.toLowerCase()}` : label.toLowerCase();
  return (
    <form
      method="post"
      action={priority === "new" ? base : `${base}/${priority}`}
      class="sla-policy"
    >
      <Csrf token={ctx.csrfToken} />
      {priority === "new" ? (
        <Field form={scoped} name={id("priority")} label="Priority">
          {(props) => (
            <select {...props} name="priority">
              {choices.map((p) => (
                <option value={p} selected={form.values.priority === p}>
                  {PRIORITY_LABELS[p]}
                </option>
              ))}
            </select>
          )}
        </Field>
      ) : team ? (
        <h4>{label}</h4>
      ) : (
        <h3>{label}</h3>
      )}
      <FormErrors form={form} />
      {TARGET_KINDS.map((kind) => {
        const field = targetField(kind);
        return (
          <Field form={scoped} name={id(field)} label={TARGET_LABELS[kind]}>
            {(props) => (
              <span class="inline-fields">
                <input
                  {...props}
                  name={field}
                  inputMode="decimal"
                  size={6}
                  value={form.values[field] ?? ""}
                />{" "}
                <select name={`${field}Unit`} aria-label={`${TARGET_LABELS[kind]} unit`}>
                  <option value="hours" selected={form.values[`${field}Unit`] !== "minutes"}>
                    hours
                  </option>
                  <option value="minutes" selected={form.values[`${field}Unit`] === "minutes"}>
                    minutes
                  </option>
                </select>
              </span>
            )}
          </Field>
        );
      })}
      <Field
        form={scoped}
        name={id("calendarId")}
        label={team ? "Business hours (unless the team chose its own)" : "Business hours"}
      >
        {(props) => (
          <select {...props} name="calendarId">
            {calendars.map((c) => (
              <option value={String(c.id)} selected={String(c.id) === form.values.calendarId}>
                {c.name}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field form={scoped} name={id("warnPercent")} label="Warn at (% of the target elapsed)">
        {(props) => (
          <input
            {...props}
            name="warnPercent"
            inputMode="numeric"
            size={3}
            value={form.values.warnPercent ?? ""}
          />
        )}
      </Field>
      <button type="submit">
        {priority === "new" ? `Add ${team?.name ?? ""} policy` : `Save ${what} policy`}
      </button>
    </form>
  );
}

/** A team's own policies (each editable and removable) and a form to add one. */
function TeamPolicies({
  ctx,
  team,
  calendars,
  policies,
  refused,
  defaultId,
}: {
  ctx: PageContext;
  team: SlaTeam;
  calendars: CalendarRow[];
  policies: PolicyRow[];
  refused: RefusedPolicy | undefined;
  defaultId: number;
}) {
  const own = PRIORITIES.flatMap((priority) => {
    const policy = policies.find((p) => p.teamId === team.id && p.priority === priority);
    return policy ? [{ priority, policy }] : [];
  });
  const calendar = calendars.find((c) => c.id === team.calendarId);
  const mine = refused?.teamId === team.id ? refused : undefined;
  return (
    <section class="sla-team" aria-labelledby={`sla-team-${team.id}`}>
      <h3 id={`sla-team-${team.id}`}>{team.name}</h3>
      <p class="hint">
        {calendar
          ? `Its tickets' clocks run on ${calendar.name} (chosen on the Teams page).`
          : "Its tickets' clocks run on their policy's calendar (a team may choose its own on the Teams page)."}{" "}
        {own.length === 0
          ? "It has no policy of its own: the general ones apply."
          : "Priorities without a policy of its own get the general one."}
      </p>
      {own.map(({ priority, policy }) => (
        <div class="sla-team-policy">
          <PolicyForm
            ctx={ctx}
            priority={priority}
            calendars={calendars}
            team={team}
            form={
              mine?.priority === priority
                ? mine.form
                : { values: policyToForm(policy, defaultId), errors: [] }
            }
          />
          <form
            method="post"
            action={`/admin/sla/teams/${team.id}/policies/${priority}/remove`}
            class="inline"
          >
            <Csrf token={ctx.csrfToken} />
            <button type="submit" class="link danger">
              Remove {team.name} {priority} policy
            </button>
          </form>
        </div>
      ))}
      {own.length < PRIORITIES.length && (
        <details open={mine?.priority === "new"}>
          <summary>Add a policy for {team.name}</summary>
          <PolicyForm
            ctx={ctx}
            priority="new"
            calendars={calendars}
            team={team}
            choices={PRIORITIES.filter((p) => !own.some((o) => o.priority === p))}
            form={
              mine?.priority === "new"
                ? mine.form
                : {
                    values: {
                      ...policyToForm(undefined, team.calendarId ?? defaultId),
                      priority: PRIORITIES.find((p) => !own.some((o) => o.priority === p)) ?? "",
                    },
                    errors: [],
                  }
            }
          />
        </details>
      )}
    </section>
  );
}

/** Calendars and the policy of each priority. */
export function SlaPage({
  ctx,
  calendars,
  policies,
  teams,
  recomputing,
  refused,
  problem,
}: {
  ctx: PageContext;
  calendars: CalendarRow[];
  policies: PolicyRow[];
  teams: SlaTeam[];
  recomputing: boolean;
  /** A policy form sent back with its problems. */
  refused?: RefusedPolicy | undefined;
  /** Why the last change (a calendar's deletion) was refused. */
  problem?: string | undefined;
}) {
  const general = policies.filter((p) => p.teamId === null);
  const defaultId = calendars.find((c) => c.isDefault)?.id ?? calendars[0]?.id ?? 0;
  return (
    <Layout ctx={ctx} title="SLA">
      <h1>Service levels</h1>
      {problem && (
        <div class="form-errors" role="alert" tabIndex={-1}>
          <p>{problem}</p>
        </div>
      )}
      {recomputing && (
        <p class="notice" role="status">
          Due times of open tickets are being recomputed.
        </p>
      )}
      <section>
        <div class="page-head">
          <h2>Business hours</h2>
          <a href="/admin/sla/calendars/new" class="button">
            New calendar
          </a>
        </div>
        <table class="sla-calendars">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Time zone</th>
              <th scope="col">Default</th>
              <th scope="col">
                <span class="visually-hidden">Delete</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {calendars.map((c) => (
              <tr>
                <th scope="row">
                  <a href={`/admin/sla/calendars/${c.id}`}>{c.name}</a>
                </th>
                <td>{c.timeZone}</td>
                <td>
                  {c.isDefault ? (
                    "Default"
                  ) : (
                    <form
                      method="post"
                      action={`/admin/sla/calendars/${c.id}/default`}
                      class="inline"
                    >
                      <Csrf token={ctx.csrfToken} />
                      <button type="submit" class="link">
                        Make default<span class="visually-hidden">{`: ${c.name}`}</span>
                      </button>
                    </form>
                  )}
                </td>
                <td>
                  {!c.isDefault && (
                    <form
                      method="post"
                      action={`/admin/sla/calendars/${c.id}/delete`}
                      class="inline"
                    >
                      <Csrf token={ctx.csrfToken} />
                      <button type="submit" class="link danger">
                        Delete<span class="visually-hidden">{` calendar ${c.name}`}</span>
                      </button>
                    </form>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section>
        <h2>Targets by priority</h2>
        <p class="hint">
          Targets count business time on the chosen calendar (or the ticket's team's, when it has
          one) and stop while a ticket is pending. Leave a target empty to have none; all empty
          removes the priority's policy. These apply to every ticket whose team has no policy of its
          own for the priority.
        </p>
        {PRIORITIES.map((priority) => (
          <PolicyForm
            ctx={ctx}
            priority={priority}
            calendars={calendars}
            form={
              refused?.teamId === null && refused.priority === priority
                ? refused.form
                : {
                    values: policyToForm(
                      general.find((p) => p.priority === priority),
                      defaultId,
                    ),
                    errors: [],
                  }
            }
          />
        ))}
      </section>
      <section>
        <h2>Teams' own policies</h2>
        {teams.length === 0 ? (
          <p class="muted">No teams yet.</p>
        ) : (
          teams.map((team) => (
            <TeamPolicies
              ctx={ctx}
              team={team}
              calendars={calendars}
              policies={policies}
              refused={refused}
              defaultId={defaultId}
            />
          ))
        )}
      </section>
    </Layout>
  );
}

/** New or existing calendar: name, time zone, hours per weekday, holidays. */
export function CalendarFormPage({
  ctx,
  id,
  form,
  timeZones,
}: {
  ctx: PageContext;
  id: number | undefined;
  form: FormState;
  timeZones: readonly string[];
}) {
  const title = id === undefined ? "New calendar" : `Calendar: ${form.values.name ?? ""}`;
  return (
    <Layout ctx={ctx} title={title}>
      <h1>{title}</h1>
      <form
        method="post"
        action={id === undefined ? "/admin/sla/calendars" : `/admin/sla/calendars/${id}`}
      >
        <Csrf token={ctx.csrfToken} />
        <FormErrors form={form} />
        <Field form={form} name="name" label="Name">
          {(props) => <input {...props} name="name" required value={form.values.name ?? ""} />}
        </Field>
        <Field
          form={form}
          name="timeZone"
          label="Time zone"
          hint="An IANA time zone, e.g. Europe/Berlin"
        >
          {(props) => (
            <input
              {...props}
              name="timeZone"
              list="time-zones"
              required
              value={form.values.timeZone ?? ""}
            />
          )}
        </Field>
        <datalist id="time-zones">
          {timeZones.map((z) => (
            <option value={z} />
          ))}
        </datalist>
        <fieldset>
          <legend>Working hours</legend>
          <p class="hint">
            Per day, periods separated by commas, e.g. 09:00-12:00, 13:00-17:30. Empty: closed.
            00:00-24:00: all day.
          </p>
          {fieldError(form, "hours") && (
            <p class="error" id="field-hours-error">
              {`Working hours ${fieldError(form, "hours")}`}
            </p>
          )}
          {WEEKDAYS.map((day) => (
            <Field form={form} name={`hours${day}`} label={WEEKDAY_NAMES[day]}>
              {(props) => (
                <input {...props} name={`hours${day}`} value={form.values[`hours${day}`] ?? ""} />
              )}
            </Field>
          ))}
        </fieldset>
        <Field
          form={form}
          name="holidays"
          label="Holidays"
          hint="One a line: 2026-12-24 for a single day, 12-25 for every year (02-29: leap years only)."
        >
          {(props) => (
            <textarea {...props} name="holidays" rows={6}>
              {form.values.holidays ?? ""}
            </textarea>
          )}
        </Field>
        <button type="submit">Save calendar</button> <a href="/admin/sla">Cancel</a>
      </form>
    </Layout>
  );
}
