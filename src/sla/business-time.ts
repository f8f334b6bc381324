/**
 * Business-time arithmetic (issue 14), pure: no database, no clock. Every
 * function takes the instants it works on.
 *
 * A calendar is an IANA time zone, weekly hours (several periods a day) and
 * holidays. An instant is business time when its wall clock in the calendar's
 * zone falls on a working day that is not a holiday, at a time of day inside
 * one of that weekday's periods. Across daylight-saving changes this counts
 * real elapsed time: a period 01:00–04:00 holds two hours on the night the
 * clocks skip 02:00–03:00 and four on the night 01:00–02:00 happens twice; a
 * period starting in the skipped hour begins when the clock reaches 03:00.
 *
 * Time zones come from the platform (Intl). Offsets are memoized per zone and
 * year (the transitions of a year are found once, by sampling each day and
 * bisecting to the second), so the arithmetic itself is plain integers.
 * Transitions less than a day apart that cancel each other out are not seen.
 */

export const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
export const MINUTES_PER_DAY = 1440;

/** Weekdays as ISO numbers: 1 = Monday … 7 = Sunday. */
export type Weekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;
export const WEEKDAYS: readonly Weekday[] = [1, 2, 3, 4, 5, 6, 7];

/** A working period on a weekday, in minutes after local midnight: [start, end). */
export interface Period {
  day: Weekday;
  /** 0 … 1439 */
  start: number;
  /** 1 … 1440 (24:00 ends the day) */
  end: number;
}

/** A day off: a single date (with `year`) or every year on that month and day. */
export interface Holiday {
  month: number;
  day: number;
  /** Absent: every year. A yearly 29 February falls only in leap years. */
  year?: number;
}

export interface Calendar {
  timeZone: string;
  periods: readonly Period[];
  holidays: readonly Holiday[];
}

/** Every minute of every day, in UTC: the default calendar. */
export const ALWAYS: Calendar = {
  timeZone: "UTC",
  periods: WEEKDAYS.map((day) => ({ day, start: 0, end: MINUTES_PER_DAY })),
  holidays: [],
};

export type CalendarProblem =
  | { field: "timeZone"; code: "unknown_time_zone" }
  | { field: "periods"; code: "no_working_hours" | "bad_period" | "overlapping_periods" }
  | { field: "holidays"; code: "bad_holiday" };

/**
 * What is wrong with a calendar, or an empty list. A calendar must name a
 * time zone the platform knows and have at least one working minute a week.
 */
export function validateCalendar(calendar: Calendar): CalendarProblem[] {
  const problems: CalendarProblem[] = [];
  if (!isTimeZone(calendar.timeZone))
    problems.push({ field: "timeZone", code: "unknown_time_zone" });
  const bad = calendar.periods.some(
    (p) =>
      !WEEKDAYS.includes(p.day) ||
      !Number.isInteger(p.start) ||
      !Number.isInteger(p.end) ||
      p.start < 0 ||
      p.end > MINUTES_PER_DAY ||
      p.start >= p.end,
  );
  if (bad) problems.push({ field: "periods", code: "bad_period" });
  else if (calendar.periods.length === 0)
    problems.push({ field: "periods", code: "no_working_hours" });
  else if (hasOverlap(calendar.periods))
    problems.push({ field: "periods", code: "overlapping_periods" });
  if (calendar.holidays.some((h) => !isValidHoliday(h)))
    problems.push({ field: "holidays", code: "bad_holiday" });
  return problems;
}

export function isTimeZone(zone: string): boolean {
  if (zone.trim() === "") return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function hasOverlap(periods: readonly Period[]): boolean {
  for (const day of WEEKDAYS) {
    const sorted = periods.filter((p) => p.day === day).sort((a, b) => a.start - b.start);
    for (let i = 1; i < sorted.length; i++) {
      const prev = sorted[i - 1];
      const cur = sorted[i];
      if (prev && cur && cur.start < prev.end) return true;
    }
  }
  return false;
}

function isValidHoliday(h: Holiday): boolean {
  if (
    !Number.isInteger(h.month) ||
    !Number.isInteger(h.day) ||
    h.month < 1 ||
    h.month > 12 ||
    h.day < 1
  )
    return false;
  if (h.year === undefined) return h.day <= daysInMonth(2000, h.month); // 2000 is a leap year
  return (
    Number.isInteger(h.year) &&
    h.year >= 1970 &&
    h.year <= 9999 &&
    h.day <= daysInMonth(h.year, h.month)
  );
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

// ---------------------------------------------------------------------------
// Calendar compiled for arithmetic

interface Compiled {
  zone: string;
  /** Per weekday (index 1 … 7), merged periods in ms after local midnight. */
  days: Array<Array<[number, number]>>;
  /** Business ms per weekday (index 1 … 7). */
  dayMs: number[];
  weekMs: number;
  /** Single holidays as local day numbers (days since 1970-01-01). */
  single: Set<number>;
  /** Yearly holidays as month * 100 + day. */
  yearly: Set<number>;
  alwaysOpen: boolean;
}

const compiledCache = new WeakMap<Calendar, Compiled>();

function compile(calendar: Calendar): Compiled {
  const cached = compiledCache.get(calendar);
  if (cached) return cached;
  const days: Array<Array<[number, number]>> = [[], [], [], [], [], [], [], []];
  const dayMs = [0, 0, 0, 0, 0, 0, 0, 0];
  for (const day of WEEKDAYS) {
    const sorted = calendar.periods
      .filter((p) => p.day === day && p.start < p.end)
      .map((p): [number, number] => [
        Math.max(0, p.start) * MINUTE_MS,
        Math.min(MINUTES_PER_DAY, p.end) * MINUTE_MS,
      ])
      .sort((a, b) => a[0] - b[0]);
    const merged: Array<[number, number]> = [];
    for (const p of sorted) {
      const last = merged[merged.length - 1];
      if (last && p[0] <= last[1]) last[1] = Math.max(last[1], p[1]);
      else merged.push([p[0], p[1]]);
    }
    days[day] = merged;
    dayMs[day] = merged.reduce((sum, [s, e]) => sum + e - s, 0);
  }
  const weekMs = dayMs.reduce((a, b) => a + b, 0);
  const single = new Set<number>();
  const yearly = new Set<number>();
  for (const h of calendar.holidays) {
    if (h.year === undefined) yearly.add(h.month * 100 + h.day);
    else single.add(Math.floor(Date.UTC(h.year, h.month - 1, h.day) / DAY_MS));
  }
  const compiled: Compiled = {
    zone: calendar.timeZone,
    days,
    dayMs,
    weekMs,
    single,
    yearly,
    alwaysOpen: weekMs === 7 * DAY_MS && single.size === 0 && yearly.size === 0,
  };
  compiledCache.set(calendar, compiled);
  return compiled;
}

function weekdayOf(dayNumber: number): Weekday {
  // 1970-01-01 was a Thursday (ISO 4).
  return (((((dayNumber + 3) % 7) + 7) % 7) + 1) as Weekday;
}

/** month * 100 + day of a day number (days since 1970-01-01), without a Date (H. Hinnant's civil_from_days). */
function monthDay(dayNumber: number): number {
  const z = dayNumber + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return month * 100 + day;
}

function isHoliday(c: Compiled, dayNumber: number): boolean {
  if (c.single.has(dayNumber)) return true;
  return c.yearly.size > 0 && c.yearly.has(monthDay(dayNumber));
}

function periodsOn(c: Compiled, dayNumber: number): Array<[number, number]> {
  if (isHoliday(c, dayNumber)) return [];
  return c.days[weekdayOf(dayNumber)] ?? [];
}

function msOn(c: Compiled, dayNumber: number): number {
  return isHoliday(c, dayNumber) ? 0 : (c.dayMs[weekdayOf(dayNumber)] ?? 0);
}

// ---------------------------------------------------------------------------
// Time-zone offsets, memoized per zone and year

interface ZoneYear {
  /** Offset (local − UTC, ms) at the start of the year (UTC). */
  first: number;
  /** Transitions in the year: the instant and the offset from then on. */
  at: number[];
  offsets: number[];
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const zoneYears = new Map<string, ZoneYear>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(zone, f);
  }
  return f;
}

/** Offset of the zone at an instant, straight from Intl (local − UTC, in ms). */
export function intlOffset(zone: string, instant: number): number {
  const whole = Math.floor(instant / 1000) * 1000;
  const parts: Record<string, number> = {};
  for (const p of formatter(zone).formatToParts(whole)) {
    if (p.type !== "literal") parts[p.type] = Number(p.value);
  }
  const local = Date.UTC(
    parts.year ?? 1970,
    (parts.month ?? 1) - 1,
    parts.day ?? 1,
    parts.hour ?? 0,
    parts.minute ?? 0,
    parts.second ?? 0,
  );
  return local - whole;
}

function utcYear(instant: number): number {
  return new Date(instant).getUTCFullYear();
}

function zoneYear(zone: string, year: number): ZoneYear {
  const key = `${zone}\u0000${year}`;
  const cached = zoneYears.get(key);
  if (cached) return cached;
  const start = Date.UTC(year, 0, 1);
  const end = Date.UTC(year + 1, 0, 1);
  const first = intlOffset(zone, start);
  const at: number[] = [];
  const offsets: number[] = [];
  let prevT = start;
  let prevOff = first;
  for (let t = start + DAY_MS; t <= end; t += DAY_MS) {
    const off = intlOffset(zone, t);
    if (off !== prevOff) {
      // Bisect to the second: the first instant with the new offset.
      let lo = prevT;
      let hi = t;
      while (hi - lo > 1000) {
        const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
        if (intlOffset(zone, mid) === prevOff) lo = mid;
        else hi = mid;
      }
      if (hi < end) {
        at.push(hi);
        offsets.push(off);
      }
    }
    prevT = t;
    prevOff = off;
  }
  const computed = { first, at, offsets };
  zoneYears.set(key, computed);
  return computed;
}

/** The last year looked up per zone: consecutive lookups almost always fall in it. */
const lastYear = new Map<string, { start: number; end: number; year: number; zy: ZoneYear }>();

/** The zone's offset at an instant and the instant it next changes (or the end of the UTC year). */
function segmentAt(zone: string, instant: number): { offset: number; until: number } {
  let hit = lastYear.get(zone);
  if (!hit || instant < hit.start || instant >= hit.end) {
    const year = utcYear(instant);
    hit = {
      start: Date.UTC(year, 0, 1),
      end: Date.UTC(year + 1, 0, 1),
      year,
      zy: zoneYear(zone, year),
    };
    lastYear.set(zone, hit);
  }
  const { zy, year } = hit;
  let offset = zy.first;
  for (let i = 0; i < zy.at.length; i++) {
    const t = zy.at[i] ?? 0;
    if (t > instant) return { offset, until: t };
    offset = zy.offsets[i] ?? offset;
  }
  return { offset, until: Date.UTC(year + 1, 0, 1) };
}

/** The calendar's offset at an instant (local − UTC, ms). */
export function offsetAt(calendar: Calendar, instant: number): number {
  return segmentAt(calendar.timeZone, instant).offset;
}

// ---------------------------------------------------------------------------
// The arithmetic

/**
 * Walks business time forward from `from`, calling `take(start, end)` for each
 * business interval in order until it returns true or `limit` is reached.
 * `skipWeek(weekMs)` may consume seven whole days at once when no offset
 * change falls inside them; it returns true when it took them.
 */
function walk(
  c: Compiled,
  from: number,
  limit: number,
  take: (start: number, end: number) => boolean,
  skipWeek: (ms: number, end: number) => boolean,
): void {
  let t = from;
  while (t < limit) {
    const { offset, until } = segmentAt(c.zone, t);
    const segEnd = Math.min(until, limit);
    let day = Math.floor((t + offset) / DAY_MS);
    for (;;) {
      const dayStart = day * DAY_MS - offset; // the instant of local midnight (in this segment)
      if (dayStart >= segEnd) break;
      if (dayStart >= t && dayStart + 7 * DAY_MS <= segEnd) {
        let weekMs = 0;
        for (let i = 0; i < 7; i++) weekMs += msOn(c, day + i);
        if (skipWeek(weekMs, dayStart + 7 * DAY_MS)) {
          t = dayStart + 7 * DAY_MS;
          day += 7;
          continue;
        }
      }
      for (const [ps, pe] of periodsOn(c, day)) {
        const s = Math.max(dayStart + ps, t);
        const e = Math.min(dayStart + pe, segEnd);
        if (s < e && take(s, e)) return;
      }
      day += 1;
    }
    t = segEnd;
  }
}

/** Far enough for any target a helpdesk sets; a calendar with no working minute never ends. */
const HORIZON_MS = 30 * 366 * DAY_MS;

/**
 * The instant at which `ms` business milliseconds have passed since `start`:
 * the end of the last one counted, so a target that runs out at closing time
 * is due at closing time. Zero is due at `start`. Throws when the calendar
 * has no working time within thirty years.
 */
export function addBusinessMs(calendar: Calendar, start: number, ms: number): number {
  if (ms <= 0) return start;
  const c = compile(calendar);
  if (c.alwaysOpen) return start + ms;
  let remaining = ms;
  let due: number | undefined;
  walk(
    c,
    start,
    start + HORIZON_MS,
    (s, e) => {
      if (e - s >= remaining) {
        due = s + remaining;
        return true;
      }
      remaining -= e - s;
      return false;
    },
    (weekMs) => {
      // Keep the last week for the day-by-day walk, so the due instant is found inside it.
      if (weekMs >= remaining) return false;
      remaining -= weekMs;
      return true;
    },
  );
  if (due === undefined) throw new RangeError("The calendar has no working time.");
  return due;
}

/** `addBusinessMs` in whole minutes. */
export function addBusinessMinutes(
  calendar: Calendar,
  start: Date | number,
  minutes: number,
): Date {
  return new Date(addBusinessMs(calendar, +start, minutes * MINUTE_MS));
}

/** Business milliseconds in [a, b); zero when b is not after a. */
export function businessMsBetween(calendar: Calendar, a: number, b: number): number {
  if (b <= a) return 0;
  const c = compile(calendar);
  if (c.alwaysOpen) return b - a;
  let total = 0;
  walk(
    c,
    a,
    b,
    (s, e) => {
      total += e - s;
      return false;
    },
    (weekMs) => {
      total += weekMs;
      return true;
    },
  );
  return total;
}

/** Business minutes in [a, b), rounded down; zero when b is not after a. */
export function businessMinutesBetween(
  calendar: Calendar,
  a: Date | number,
  b: Date | number,
): number {
  return Math.floor(businessMsBetween(calendar, +a, +b) / MINUTE_MS);
}

/** Whether an instant is business time. */
export function isBusinessTime(calendar: Calendar, instant: Date | number): boolean {
  const t = +instant;
  return businessMsBetween(calendar, t, t + 1) === 1;
}

/** Minutes after midnight from "HH:MM" (24:00 allowed as an end), or undefined. */
export function parseClock(text: string): number | undefined {
  const m = /^(\d{1,2}):(\d{2})$/.exec(text.trim());
  if (!m) return undefined;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (min > 59 || h > 24 || (h === 24 && min !== 0)) return undefined;
  return h * 60 + min;
}

/** "HH:MM" from minutes after midnight. */
export function formatClock(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
}
