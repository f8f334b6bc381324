import type { FieldError } from "../lib/errors.ts";
import type { Condition, ConditionField, RuleForm } from "../rules/rules.schemas.ts";
import {
  type Calendar,
  formatClock,
  type Holiday,
  type Period,
  parseClock,
  validateCalendar,
  WEEKDAYS,
  type Weekday,
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
 * every problem is reported next to its field. Pure.
 */

export const WEEKDAY_NAMES: Record<Weekday, string> = {
  1: "Monday",
  2: "Tuesday",
  3: "Wednesday",
  4: "Thursday",
  5: "Friday",
  6: "Saturday",
  7: "Sunday",
};

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
  if (name === "") errors.push({ field: "name", message: "is required" });
  else if (name.length > NAME_MAX)
    errors.push({ field: "name", message: `must be at most ${NAME_MAX} characters` });
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
        errors.push({
          field,
          message: `has "${span.trim()}": write periods like 09:00-12:00, 13:00-17:30`,
        });
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
      errors.push({
        field: "holidays",
        message: `has "${text}": write 2026-12-24 for one day or 12-25 for every year`,
      });
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
      errors.push({
        field: "timeZone",
        message: "is not a time zone we know (e.g. Europe/Berlin)",
      });
    } else if (problem.code === "no_working_hours") {
      if (![...reported].some((f) => f.startsWith("hours"))) {
        errors.push({
          field: "hours",
          message: "are empty: a calendar needs at least one working period",
        });
      }
    } else if (problem.code === "overlapping_periods") {
      const day = WEEKDAYS.find((d) => overlaps(periods.filter((p) => p.day === d))) ?? 1;
      errors.push({ field: `hours${day}`, message: "has periods that overlap" });
    } else if (problem.code === "bad_holiday" && !reported.has("holidays")) {
      errors.push({ field: "holidays", message: "has a date that does not exist" });
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
export const TARGET_LABELS: Record<TargetKind, string> = {
  first_response: "First response",
  next_response: "Next response",
  resolution: "Resolution",
};
const FORM_KEYS: Record<TargetKind, string> = {
  first_response: "firstResponse",
  next_response: "nextResponse",
  resolution: "resolution",
};
/** The form field of a target's amount; its unit is the same name + "Unit" (minutes | hours). */
export function targetField(kind: TargetKind): string {
  return FORM_KEYS[kind];
}

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
      errors.push({
        field,
        message: "must be a whole number of minutes from 1 (or hours, up to a year)",
      });
      continue;
    }
    minutes[kind] = total;
  }
  const calendarId = Number(form.calendarId);
  if (!Number.isInteger(calendarId) || calendarId < 1)
    errors.push({ field: "calendarId", message: "must be chosen" });
  const warnText = (form.warnPercent ?? "").trim() || "80";
  const warnPercent = Number(warnText);
  if (!/^\d+$/.test(warnText) || warnPercent < 1 || warnPercent > 99) {
    errors.push({ field: "warnPercent", message: "must be a whole number from 1 to 99" });
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
