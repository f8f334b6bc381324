import type { ComponentChildren } from "preact";
import type { Locale, MessageKey, Translator } from "../../i18n/i18n.ts";
import type { PageContext } from "../../platform/views/context.ts";
import {
  Csrf,
  Field,
  FormErrors,
  type FormState,
  fieldErrorText,
  TimeZoneInput,
} from "../../platform/views/forms.tsx";
import { Layout } from "../../platform/views/layout.tsx";
import { ConditionsFieldset, describeConditions } from "../../rules/views/rules.tsx";
import type { Priority } from "../../tickets/lifecycle.ts";
import { PRIORITIES } from "../../tickets/lifecycle.ts";
import { priorityLabel } from "../../tickets/views/badges.tsx";
import { WEEKDAYS, type Weekday } from "../business-time.ts";
import {
  CONDITION_NAME_MAX,
  SLA_CONDITION_FIELDS,
  type SlaConditionForm,
  TARGET_KINDS,
  type TargetKind,
  targetField,
} from "../sla.schemas.ts";
import type {
  CalendarNotDeleted,
  CalendarRow,
  CalendarUse,
  PolicyRow,
  PolicyScope,
  SlaCondition,
} from "../sla.service.ts";

const GENERAL_SCOPE: PolicyScope = { teamId: null, conditionId: null };

/** Each target's name in the catalogs. */
const TARGET_KEYS: Record<TargetKind, MessageKey> = {
  first_response: "slaAdmin.target.firstResponse",
  next_response: "slaAdmin.target.nextResponse",
  resolution: "slaAdmin.target.resolution",
};

/** The name of each target's unit box (for screen readers), in the catalogs. */
const TARGET_UNIT_KEYS: Record<TargetKind, MessageKey> = {
  first_response: "slaAdmin.targetUnit.firstResponse",
  next_response: "slaAdmin.targetUnit.nextResponse",
  resolution: "slaAdmin.targetUnit.resolution",
};

/** Words only a screen reader hears (`<hidden>…</hidden>` in a message). */
const hidden = (chunks: ComponentChildren) => <span class="visually-hidden">{chunks}</span>;

// The weekdays' names in each language, from Intl, made on first use.
const weekdayNames = new Map<Locale, Record<Weekday, string>>();

/** Monday (1) to Sunday (7) in the reader's language. */
function weekdayNamesIn(locale: Locale): Record<Weekday, string> {
  let names = weekdayNames.get(locale);
  if (!names) {
    const format = new Intl.DateTimeFormat(locale, { weekday: "long", timeZone: "UTC" });
    // 1 January 2024 was a Monday.
    names = Object.fromEntries(
      WEEKDAYS.map((day) => [day, format.format(Date.UTC(2024, 0, day))]),
    ) as Record<Weekday, string>;
    weekdayNames.set(locale, names);
  }
  return names;
}

/** One thing that uses a calendar, as the refusal to delete it names it. */
function useText(use: CalendarUse, t: Translator["t"]): string {
  if (use.priority === undefined) return t("sla.use.team", { team: use.team });
  if (use.team !== null) return t("sla.use.teamPolicy", { team: use.team, priority: use.priority });
  if (use.condition !== null) {
    return t("sla.use.conditionPolicy", { condition: use.condition, priority: use.priority });
  }
  return t("sla.use.policy", { priority: use.priority });
}

/** Why a calendar was not deleted, in the reader's language. */
function notDeletedText(problem: CalendarNotDeleted, i18n: Translator): string {
  if (problem.code === "calendar_default") {
    return i18n.t("error.sla.calendarDefault", { calendar: problem.calendar });
  }
  const uses = new Intl.ListFormat(i18n.locale, { type: "conjunction" }).format(
    problem.uses.map((use) => useText(use, i18n.t)),
  );
  return i18n.t("error.sla.calendarInUse", { calendar: problem.calendar, uses });
}

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
  const { t } = ctx.i18n;
  const base = owner?.base ?? "/admin/sla/policies";
  const label = priority === "new" ? "" : priorityLabel(priority, t);
  const save =
    priority === "new"
      ? t("slaAdmin.addPolicy", { owner: owner?.name ?? "" })
      : owner
        ? t("slaAdmin.saveOwnPolicy", { owner: owner.name, priority })
        : t("slaAdmin.savePolicy", { priority });
  return (
    <form
      method="post"
      action={priority === "new" ? base : `${base}/${priority}`}
      class="sla-policy"
    >
      <Csrf token={ctx.csrfToken} />
      {priority === "new" ? (
        <Field form={scoped} name={id("priority")} label={t("slaAdmin.priority")}>
          {(props) => (
            <select {...props} name="priority">
              {choices.map((p) => (
                <option value={p} selected={form.values.priority === p}>
                  {priorityLabel(p, t)}
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
      <FormErrors form={form} t={t} />
      {TARGET_KINDS.map((kind) => {
        const field = targetField(kind);
        return (
          <Field form={scoped} name={id(field)} label={t(TARGET_KEYS[kind])}>
            {(props) => (
              <span class="inline-fields">
                <input
                  {...props}
                  name={field}
                  inputMode="decimal"
                  size={6}
                  value={form.values[field] ?? ""}
                />{" "}
                <select name={`${field}Unit`} aria-label={t(TARGET_UNIT_KEYS[kind])}>
                  <option value="hours" selected={form.values[`${field}Unit`] !== "minutes"}>
                    {t("slaAdmin.hours")}
                  </option>
                  <option value="minutes" selected={form.values[`${field}Unit`] === "minutes"}>
                    {t("slaAdmin.minutes")}
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
          owner || priority === "new" ? t("slaAdmin.calendarUnlessTeam") : t("slaAdmin.calendar")
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
      <Field form={scoped} name={id("warnPercent")} label={t("slaAdmin.warnAt")}>
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
      <button type="submit">{save}</button>
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
  const { t } = ctx.i18n;
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
              {t("slaAdmin.removePolicy", { owner: owner.name, priority })}
            </button>
          </form>
        </div>
      ))}
      {own.length < PRIORITIES.length && (
        <details open={mine?.priority === "new"}>
          <summary>{t("slaAdmin.addPolicyFor", { owner: owner.name })}</summary>
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
  const { t } = ctx.i18n;
  return (
    <section class="sla-team" aria-labelledby={`sla-team-${team.id}`}>
      <h3 id={`sla-team-${team.id}`}>{team.name}</h3>
      <p class="hint">
        {calendar
          ? t("slaAdmin.team.ownCalendar", { calendar: calendar.name })
          : t("slaAdmin.team.policyCalendar")}{" "}
        {hasOwn ? t("slaAdmin.team.someOwn") : t("slaAdmin.team.noneOwn")}
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
  const { t, rich } = ctx.i18n;
  const move = (direction: "up" | "down", key: MessageKey) => (
    <form method="post" action={`/admin/sla/conditions/${condition.id}/move`} class="inline">
      <Csrf token={ctx.csrfToken} />
      <input type="hidden" name="direction" value={direction} />
      <button type="submit" class="link">
        {rich(key, { condition: condition.name, hidden })}
      </button>
    </form>
  );
  return (
    <section class="sla-team" aria-labelledby={`sla-condition-${condition.id}`}>
      <h3 id={`sla-condition-${condition.id}`}>
        <a href={`/admin/sla/conditions/${condition.id}`}>{condition.name}</a>
      </h3>
      <p class="hint">
        {t("slaAdmin.ticketsWhere", {
          conditions: describeConditions(condition.match, condition.conditions, ctx.i18n),
        })}
      </p>
      <p class="actions">
        {!first && move("up", "slaAdmin.moveUp")} {!last && move("down", "slaAdmin.moveDown")}{" "}
        <form method="post" action={`/admin/sla/conditions/${condition.id}/delete`} class="inline">
          <Csrf token={ctx.csrfToken} />
          <button type="submit" class="link danger">
            {rich("slaAdmin.deleteCondition", { condition: condition.name, hidden })}
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
  problem?: CalendarNotDeleted | undefined;
}) {
  const general = policies.filter((p) => sameScope(p, GENERAL_SCOPE));
  const defaultId = calendars.find((c) => c.isDefault)?.id ?? calendars[0]?.id ?? 0;
  const { t, rich } = ctx.i18n;
  return (
    <Layout ctx={ctx} title={t("slaAdmin.title")}>
      <h1>{t("slaAdmin.heading")}</h1>
      {problem && (
        <div class="form-errors" role="alert" tabIndex={-1}>
          <p>{notDeletedText(problem, ctx.i18n)}</p>
        </div>
      )}
      {recomputing && (
        <p class="notice" role="status">
          {t("slaAdmin.recomputing")}
        </p>
      )}
      <section>
        <div class="page-head">
          <h2>{t("slaAdmin.calendars")}</h2>
          <a href="/admin/sla/calendars/new" class="button">
            {t("slaAdmin.newCalendar")}
          </a>
        </div>
        <table class="sla-calendars">
          <thead>
            <tr>
              <th scope="col">{t("slaAdmin.name")}</th>
              <th scope="col">{t("slaAdmin.timeZone")}</th>
              <th scope="col">{t("slaAdmin.default")}</th>
              <th scope="col">
                <span class="visually-hidden">{t("slaAdmin.delete")}</span>
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
                    t("slaAdmin.default")
                  ) : (
                    <form
                      method="post"
                      action={`/admin/sla/calendars/${c.id}/default`}
                      class="inline"
                    >
                      <Csrf token={ctx.csrfToken} />
                      <button type="submit" class="link">
                        {rich("slaAdmin.makeDefault", { calendar: c.name, hidden })}
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
                        {rich("slaAdmin.deleteCalendar", { calendar: c.name, hidden })}
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
        <h2>{t("slaAdmin.targets")}</h2>
        <p class="hint">{t("slaAdmin.targetsHint")}</p>
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
        <h2>{t("slaAdmin.teams")}</h2>
        {teams.length === 0 ? (
          <p class="muted">{t("slaAdmin.noTeams")}</p>
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
          <h2>{t("slaAdmin.conditions")}</h2>
          <a href="/admin/sla/conditions/new" class="button">
            {t("slaAdmin.newCondition")}
          </a>
        </div>
        <p class="hint">{t("slaAdmin.conditionsHint")}</p>
        {conditions.length === 0 ? (
          <p class="muted">{t("slaAdmin.noConditions")}</p>
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
  const { t } = ctx.i18n;
  const title = id ? t("slaAdmin.editCondition") : t("slaAdmin.newConditionTitle");
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
          <FormErrors form={form} t={t} />
          <Field form={form} name="name" label={t("slaAdmin.name")}>
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
            hint={t("slaAdmin.conditionValuesHint")}
            t={t}
          />
          <p class="actions">
            <button type="submit">
              {id ? t("slaAdmin.saveCondition") : t("slaAdmin.addCondition")}
            </button>{" "}
            <a href="/admin/sla#conditions">{t("slaAdmin.cancel")}</a>
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
}: {
  ctx: PageContext;
  id: number | undefined;
  form: FormState;
}) {
  const { t } = ctx.i18n;
  const title =
    id === undefined
      ? t("slaAdmin.newCalendar")
      : t("slaAdmin.calendarTitle", { calendar: form.values.name ?? "" });
  const weekdays = weekdayNamesIn(ctx.i18n.locale);
  const hoursError = form.errors.find((e) => e.field === "hours");
  return (
    <Layout ctx={ctx} title={title}>
      <h1>{title}</h1>
      <form
        method="post"
        action={id === undefined ? "/admin/sla/calendars" : `/admin/sla/calendars/${id}`}
      >
        <Csrf token={ctx.csrfToken} />
        <FormErrors form={form} t={t} />
        <Field form={form} name="name" label={t("slaAdmin.name")}>
          {(props) => <input {...props} name="name" required value={form.values.name ?? ""} />}
        </Field>
        <Field
          form={form}
          name="timeZone"
          label={t("slaAdmin.timeZone")}
          hint={t("slaAdmin.timeZoneHint")}
        >
          {(props) => (
            <TimeZoneInput field={props} name="timeZone" value={form.values.timeZone ?? ""} />
          )}
        </Field>
        <fieldset>
          <legend>{t("slaAdmin.workingHours")}</legend>
          <p class="hint">{t("slaAdmin.workingHoursHint")}</p>
          {hoursError && (
            <p class="error" id="field-hours-error">
              {fieldErrorText(hoursError, t("slaAdmin.workingHours"), t)}
            </p>
          )}
          {WEEKDAYS.map((day) => (
            <Field form={form} name={`hours${day}`} label={weekdays[day]}>
              {(props) => (
                <input {...props} name={`hours${day}`} value={form.values[`hours${day}`] ?? ""} />
              )}
            </Field>
          ))}
        </fieldset>
        <Field
          form={form}
          name="holidays"
          label={t("slaAdmin.holidays")}
          hint={t("slaAdmin.holidaysHint")}
        >
          {(props) => (
            <textarea {...props} name="holidays" rows={6}>
              {form.values.holidays ?? ""}
            </textarea>
          )}
        </Field>
        <button type="submit">{t("slaAdmin.saveCalendar")}</button>{" "}
        <a href="/admin/sla">{t("slaAdmin.cancel")}</a>
      </form>
    </Layout>
  );
}
