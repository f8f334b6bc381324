import { type FieldError, fieldProblem } from "../lib/errors.ts";
import type { Condition, ConditionField, RuleForm } from "../rules/rules.schemas.ts";
import {
  type Calendar,
  formatClock,
  type Holiday,
  type Period,
  parseClock,
  validateCalendar,
  WEEKDAYS,
} from "./business-time.ts";

/** The calendar the arithmetic works on, from a stored row (its JSONB validated when saved). */
export function calendarOf(row: {
  timeZone: string;
  periods: unknown;
  holidays: unknown;
}): Calendar {
  return {
    timeZone: row.timeZone,
    periods: row.periods as Period[],
    holidays: row.holidays as Holiday[],
  };
}

/**
 * The calendar and policy forms: plain text fields, parsed and checked here so
 * every problem is reported next to its field, in English (the API's) and as a
 * catalog sentence (pages'). Pure.
 */

/** The form as typed: name, timeZone, hours1 … hours7 ("09:00-12:00, 13:00-17:30"), holidays (one a line). */
export type CalendarForm = Record<string, string>;

export const NAME_MAX = 100;

/** A calendar's stored parts as the form shows them. */
export function calendarToForm(c: { name: string } & Calendar): CalendarForm {
  const form: CalendarForm = { name: c.name, timeZone: c.timeZone };
  for (const day of WEEKDAYS) {
    form[`hours${day}`] = c.periods
      .filter((p) => p.day === day)
      .sort((a, b) => a.start - b.start)
      .map((p) => `${formatClock(p.start)}-${formatClock(p.end)}`)
      .join(", ");
  }
  form.holidays = c.holidays
    .map((h) => {
      const md = `${String(h.month).padStart(2, "0")}-${String(h.day).padStart(2, "0")}`;
      return h.year === undefined ? md : `${h.year}-${md}`;
    })
    .join("\n");
  return form;
}

/** Parses the calendar form; field errors name the field as the form does. */
export function parseCalendarForm(
  form: CalendarForm,
): { ok: true; name: string; calendar: Calendar } | { ok: false; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const name = (form.name ?? "").trim();
  if (name === "") errors.push(fieldProblem("name", "is required", "error.field.required"));
  else if (name.length > NAME_MAX)
    errors.push(
      fieldProblem("name", `must be at most ${NAME_MAX} characters`, "error.field.maxLength", {
        max: NAME_MAX,
      }),
    );
  const periods: Period[] = [];
  for (const day of WEEKDAYS) {
    const field = `hours${day}`;
    const text = (form[field] ?? "").trim();
    if (text === "") continue;
    for (const span of text.split(/[,;]/)) {
      const m = /^\s*(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2})\s*$/.exec(span);
      const start = m ? parseClock(m[1] ?? "") : undefined;
      const end = m ? parseClock(m[2] ?? "") : undefined;
      if (start === undefined || end === undefined || start >= end || start >= 1440) {
        errors.push(
          fieldProblem(
            field,
            `has "${span.trim()}": write periods like 09:00-12:00, 13:00-17:30`,
            "error.sla.periods",
            { text: span.trim() },
          ),
        );
        break;
      }
      periods.push({ day, start, end });
    }
  }
  const holidays: Holiday[] = [];
  for (const line of (form.holidays ?? "").split(/\r?\n/)) {
    const text = line.trim();
    if (text === "") continue;
    const m = /^(?:(\d{4})-)?(\d{2})-(\d{2})$/.exec(text);
    if (!m) {
      errors.push(
        fieldProblem(
          "holidays",
          `has "${text}": write 2026-12-24 for one day or 12-25 for every year`,
          "error.sla.holidayFormat",
          { text },
        ),
      );
      break;
    }
    holidays.push({
      ...(m[1] ? { year: Number(m[1]) } : {}),
      month: Number(m[2]),
      day: Number(m[3]),
    });
  }
  const calendar: Calendar = { timeZone: (form.timeZone ?? "").trim(), periods, holidays };
  const reported = new Set(errors.map((e) => e.field));
  for (const problem of validateCalendar(calendar)) {
    if (problem.code === "unknown_time_zone") {
      errors.push(
        fieldProblem(
          "timeZone",
          "is not an IANA time zone (such as Europe/Paris)",
          "error.field.notATimeZone",
        ),
      );
    } else if (problem.code === "no_working_hours") {
      if (![...reported].some((f) => f.startsWith("hours"))) {
        errors.push(
          fieldProblem(
            "hours",
            "are empty: a calendar needs at least one working period",
            "error.sla.noWorkingHours",
          ),
        );
      }
    } else if (problem.code === "overlapping_periods") {
      const day = WEEKDAYS.find((d) => overlaps(periods.filter((p) => p.day === d))) ?? 1;
      errors.push(fieldProblem(`hours${day}`, "has periods that overlap", "error.sla.overlap"));
    } else if (problem.code === "bad_holiday" && !reported.has("holidays")) {
      errors.push(
        fieldProblem("holidays", "has a date that does not exist", "error.sla.noSuchDate"),
      );
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, name, calendar };
}

function overlaps(periods: Period[]): boolean {
  const sorted = [...periods].sort((a, b) => a.start - b.start);
  return sorted.some((p, i) => i > 0 && p.start < (sorted[i - 1]?.end ?? 0));
}

export const TARGET_KINDS = ["first_response", "next_response", "resolution"] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];
const FORM_KEYS: Record<TargetKind, string> = {
  first_response: "firstResponse",
  next_response: "nextResponse",
  resolution: "resolution",
};
/** The form field of a target's amount; its unit is the same name + "Unit" (minutes | hours). */
export function targetField(kind: TargetKind): string {
  return FORM_KEYS[kind];
}

/** The highest percentage of a target's time at which it may warn. */
const WARN_MAX = 99;

/** Longest target: a year of business minutes. */
const TARGET_MAX_MINUTES = 366 * 24 * 60;

export interface PolicyValues {
  calendarId: number;
  firstResponseMinutes: number | null;
  nextResponseMinutes: number | null;
  resolutionMinutes: number | null;
  warnPercent: number;
}

/** Parses one priority's policy form: every target optional, in minutes or hours. */
export function parsePolicyForm(
  form: Record<string, string>,
): { ok: true; values: PolicyValues } | { ok: false; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const minutes: Record<TargetKind, number | null> = {
    first_response: null,
    next_response: null,
    resolution: null,
  };
  for (const kind of TARGET_KINDS) {
    const field = FORM_KEYS[kind];
    const text = (form[field] ?? "").trim();
    if (text === "") continue;
    const amount = Number(text);
    const unit = form[`${field}Unit`] === "hours" ? 60 : 1;
    const total = amount * unit;
    if (
      !/^\d+(\.\d+)?$/.test(text) ||
      !Number.isInteger(total) ||
      total < 1 ||
      total > TARGET_MAX_MINUTES
    ) {
      errors.push(
        fieldProblem(
          field,
          "must be a whole number of minutes from 1 (or hours, up to a year)",
          "error.sla.targetAmount",
        ),
      );
      continue;
    }
    minutes[kind] = total;
  }
  const calendarId = Number(form.calendarId);
  if (!Number.isInteger(calendarId) || calendarId < 1)
    errors.push(fieldProblem("calendarId", "must be chosen", "error.field.mustBeChosen"));
  const warnText = (form.warnPercent ?? "").trim() || "80";
  const warnPercent = Number(warnText);
  if (!/^\d+$/.test(warnText) || warnPercent < 1 || warnPercent > WARN_MAX) {
    errors.push(
      fieldProblem(
        "warnPercent",
        `must be a whole number from 1 to ${WARN_MAX}`,
        "error.field.wholeNumberRange",
        { min: 1, max: WARN_MAX },
      ),
    );
  }
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    values: {
      calendarId,
      firstResponseMinutes: minutes.first_response,
      nextResponseMinutes: minutes.next_response,
      resolutionMinutes: minutes.resolution,
      warnPercent,
    },
  };
}

// --- SLA conditions ---

/**
 * The rule condition fields an SLA condition may check: those that stay with
 * a ticket while it is worked on (status, assignee, priority and team would
 * move a ticket between policies as it is handled; priority and team have
 * policies of their own).
 */
export const SLA_CONDITION_FIELDS = [
  "channel",
  "requester_email",
  "requester_domain",
  "subject",
] as const satisfies readonly ConditionField[];

export const CONDITION_NAME_MAX = 200;

/** An SLA condition as an admin submits it: every value as typed (kept on a 422). */
export interface SlaConditionForm {
  name: string;
  match: string;
  conditions: RuleForm["conditions"];
}

/** A stored SLA condition as its form shows it. */
export function conditionToForm(condition: {
  name: string;
  match: string;
  conditions: readonly Condition[];
}): SlaConditionForm {
  return {
    name: condition.name,
    match: condition.match,
    conditions: condition.conditions.map((c) => ({
      field: c.field,
      op: c.op,
      value: c.value === null ? "" : String(c.value),
    })),
  };
}
