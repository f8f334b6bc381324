import type { PageContext } from "../../platform/views/context.ts";
import {
  Csrf,
  Field,
  FormErrors,
  type FormState,
  fieldError,
} from "../../platform/views/forms.tsx";
import { Layout } from "../../platform/views/layout.tsx";
import { ConditionsFieldset, describeConditions } from "../../rules/views/rules.tsx";
import type { Priority } from "../../tickets/lifecycle.ts";
import { PRIORITIES } from "../../tickets/lifecycle.ts";
import { WEEKDAYS } from "../business-time.ts";
import {
  CONDITION_NAME_MAX,
  SLA_CONDITION_FIELDS,
  type SlaConditionForm,
  TARGET_KINDS,
  TARGET_LABELS,
  type TargetKind,
  targetField,
  WEEKDAY_NAMES,
} from "../sla.schemas.ts";
import type { CalendarRow, PolicyRow, PolicyScope, SlaCondition } from "../sla.service.ts";

const GENERAL_SCOPE: PolicyScope = { teamId: null, conditionId: null };

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

/** Which policy form a refused save belongs to: its scope and priority ("new": a team's or condition's add form). */
export interface RefusedPolicy {
  scope: PolicyScope;
  priority: Priority | "new";
  form: FormState;
}

/** Whose own policies a form is for: a team's or an SLA condition's. */
interface Owner {
  /** Prefixes the form's field ids (`team3-`, `condition5-`). */
  key: string;
  /** Where its policy forms post. */
  base: string;
  name: string;
  scope: PolicyScope;
}

const teamOwner = (team: SlaTeam): Owner => ({
  key: `team${team.id}-`,
  base: `/admin/sla/teams/${team.id}/policies`,
  name: team.name,
  scope: { teamId: team.id, conditionId: null },
});

const conditionOwner = (condition: SlaCondition): Owner => ({
  key: `condition${condition.id}-`,
  base: `/admin/sla/conditions/${condition.id}/policies`,
  name: condition.name,
  scope: { teamId: null, conditionId: condition.id },
});

const sameScope = (a: PolicyScope, b: PolicyScope) =>
  a.teamId === b.teamId && a.conditionId === b.conditionId;

function PolicyForm({
  ctx,
  priority,
  calendars,
  form,
  owner,
  choices = PRIORITIES,
}: {
  ctx: PageContext;
  /** "new": an owner's form for a priority it has no policy for yet (the priority is chosen). */
  priority: Priority | "new";
  calendars: CalendarRow[];
  form: FormState;
  /** Whose own policy it is; none: a general one. */
  owner?: Owner | undefined;
  /** The priorities the "new" form offers. */
  choices?: readonly Priority[];
}) {
  const id = (name: string) => `${owner?.key ?? ""}${priority}-${name}`;
  const scoped: FormState = {
    ...form,
    errors: form.errors.map((e) => ({ ...e, field: id(e.field) })),
  };
  const base = owner?.base ?? "/admin/sla/policies";
  const label = priority === "new" ? "" : PRIORITY_LABELS[priority];
  const what = owner ? `${owner.name} ${label.toLowerCase()}` : label.toLowerCase();
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
      ) : owner ? (
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
        label={
          owner || priority === "new"
            ? "Business hours (unless the ticket's team chose its own)"
            : "Business hours"
        }
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
        {priority === "new" ? `Add ${owner?.name ?? ""} policy` : `Save ${what} policy`}
      </button>
    </form>
  );
}

/** An owner's own policies (each editable and removable) and a form to add one. */
function OwnPolicies({
  ctx,
  owner,
  calendars,
  policies,
  refused,
  defaultCalendarId,
}: {
  ctx: PageContext;
  owner: Owner;
  calendars: CalendarRow[];
  policies: PolicyRow[];
  refused: RefusedPolicy | undefined;
  defaultCalendarId: number;
}) {
  const own = PRIORITIES.flatMap((priority) => {
    const policy = policies.find((p) => sameScope(p, owner.scope) && p.priority === priority);
    return policy ? [{ priority, policy }] : [];
  });
  const mine = refused && sameScope(refused.scope, owner.scope) ? refused : undefined;
  return (
    <>
      {own.map(({ priority, policy }) => (
        <div class="sla-team-policy">
          <PolicyForm
            ctx={ctx}
            priority={priority}
            calendars={calendars}
            owner={owner}
            form={
              mine?.priority === priority
                ? mine.form
                : { values: policyToForm(policy, defaultCalendarId), errors: [] }
            }
          />
          <form method="post" action={`${owner.base}/${priority}/remove`} class="inline">
            <Csrf token={ctx.csrfToken} />
            <button type="submit" class="link danger">
              Remove {owner.name} {priority} policy
            </button>
          </form>
        </div>
      ))}
      {own.length < PRIORITIES.length && (
        <details open={mine?.priority === "new"}>
          <summary>Add a policy for {owner.name}</summary>
          <PolicyForm
            ctx={ctx}
            priority="new"
            calendars={calendars}
            owner={owner}
            choices={PRIORITIES.filter((p) => !own.some((o) => o.priority === p))}
            form={
              mine?.priority === "new"
                ? mine.form
                : {
                    values: {
                      ...policyToForm(undefined, defaultCalendarId),
                      priority: PRIORITIES.find((p) => !own.some((o) => o.priority === p)) ?? "",
                    },
                    errors: [],
                  }
            }
          />
        </details>
      )}
    </>
  );
}

/** A team's own calendar and policies. */
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
  const calendar = calendars.find((c) => c.id === team.calendarId);
  const hasOwn = policies.some((p) => p.teamId === team.id);
  return (
    <section class="sla-team" aria-labelledby={`sla-team-${team.id}`}>
      <h3 id={`sla-team-${team.id}`}>{team.name}</h3>
      <p class="hint">
        {calendar
          ? `Its tickets' clocks run on ${calendar.name} (chosen on the Teams page).`
          : "Its tickets' clocks run on their policy's calendar (a team may choose its own on the Teams page)."}{" "}
        {hasOwn
          ? "Priorities without a policy of its own get the general one."
          : "It has no policy of its own: the general ones apply."}
      </p>
      <OwnPolicies
        ctx={ctx}
        owner={teamOwner(team)}
        calendars={calendars}
        policies={policies}
        refused={refused}
        defaultCalendarId={team.calendarId ?? defaultId}
      />
    </section>
  );
}

/** An SLA condition: what it checks, its place in the order, and its own policies. */
function ConditionPolicies({
  ctx,
  condition,
  first,
  last,
  calendars,
  policies,
  refused,
  defaultId,
}: {
  ctx: PageContext;
  condition: SlaCondition;
  first: boolean;
  last: boolean;
  calendars: CalendarRow[];
  policies: PolicyRow[];
  refused: RefusedPolicy | undefined;
  defaultId: number;
}) {
  const move = (direction: "up" | "down", label: string) => (
    <form method="post" action={`/admin/sla/conditions/${condition.id}/move`} class="inline">
      <Csrf token={ctx.csrfToken} />
      <input type="hidden" name="direction" value={direction} />
      <button type="submit" class="link">
        {label}
        <span class="visually-hidden">{`: ${condition.name}`}</span>
      </button>
    </form>
  );
  return (
    <section class="sla-team" aria-labelledby={`sla-condition-${condition.id}`}>
      <h3 id={`sla-condition-${condition.id}`}>
        <a href={`/admin/sla/conditions/${condition.id}`}>{condition.name}</a>
      </h3>
      <p class="hint">{`Tickets where ${describeConditions(condition.match, condition.conditions)}.`}</p>
      <p class="actions">
        {!first && move("up", "Move up")} {!last && move("down", "Move down")}{" "}
        <form method="post" action={`/admin/sla/conditions/${condition.id}/delete`} class="inline">
          <Csrf token={ctx.csrfToken} />
          <button type="submit" class="link danger">
            Delete<span class="visually-hidden">{` condition ${condition.name}`}</span>
          </button>
        </form>
      </p>
      <OwnPolicies
        ctx={ctx}
        owner={conditionOwner(condition)}
        calendars={calendars}
        policies={policies}
        refused={refused}
        defaultCalendarId={defaultId}
      />
    </section>
  );
}

/** Calendars and the policy of each priority. */
export function SlaPage({
  ctx,
  calendars,
  policies,
  teams,
  conditions,
  recomputing,
  refused,
  problem,
}: {
  ctx: PageContext;
  calendars: CalendarRow[];
  policies: PolicyRow[];
  teams: SlaTeam[];
  conditions: SlaCondition[];
  recomputing: boolean;
  /** A policy form sent back with its problems. */
  refused?: RefusedPolicy | undefined;
  /** Why the last change (a calendar's deletion) was refused. */
  problem?: string | undefined;
}) {
  const general = policies.filter((p) => sameScope(p, GENERAL_SCOPE));
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
          removes the priority's policy. These apply to every ticket that meets no SLA condition
          with a policy for its priority and whose team has no policy of its own for it.
        </p>
        {PRIORITIES.map((priority) => (
          <PolicyForm
            ctx={ctx}
            priority={priority}
            calendars={calendars}
            form={
              refused && sameScope(refused.scope, GENERAL_SCOPE) && refused.priority === priority
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
      <section id="conditions">
        <div class="page-head">
          <h2>Policies by condition</h2>
          <a href="/admin/sla/conditions/new" class="button">
            New condition
          </a>
        </div>
        <p class="hint">
          A ticket that meets a condition gets that condition's policy for its priority, before its
          team's and the general one; the first condition in this order wins. Conditions check the
          channel, the requester and the subject, when a ticket is created, when its priority or
          team changes, and whenever policies change.
        </p>
        {conditions.length === 0 ? (
          <p class="muted">No conditions yet.</p>
        ) : (
          conditions.map((condition, i) => (
            <ConditionPolicies
              ctx={ctx}
              condition={condition}
              first={i === 0}
              last={i === conditions.length - 1}
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

/** New or existing SLA condition: a name and rule conditions on the fields that stay with a ticket. */
export function ConditionFormPage({
  ctx,
  id,
  form,
}: {
  ctx: PageContext;
  id: number | undefined;
  form: FormState<SlaConditionForm> & { values: SlaConditionForm };
}) {
  const title = id ? "Edit SLA condition" : "New SLA condition";
  return (
    <Layout ctx={ctx} title={title}>
      <section>
        <h1>{title}</h1>
        <form
          method="post"
          action={id ? `/admin/sla/conditions/${id}` : "/admin/sla/conditions"}
          class="stack"
          novalidate
        >
          <Csrf token={ctx.csrfToken} />
          <FormErrors form={form} />
          <Field form={form} name="name" label="Name">
            {(a) => (
              <input
                {...a}
                name="name"
                value={form.values.name}
                maxLength={CONDITION_NAME_MAX}
                required
              />
            )}
          </Field>
          <ConditionsFieldset
            form={form}
            match={form.values.match}
            conditions={form.values.conditions}
            fields={SLA_CONDITION_FIELDS}
            hint="Values: a channel (web, email, api), an address, a domain like bigcustomer.example, or words to find in the subject."
          />
          <p class="actions">
            <button type="submit">{id ? "Save condition" : "Add condition"}</button>{" "}
            <a href="/admin/sla#conditions">Cancel</a>
          </p>
        </form>
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
