import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  ALWAYS,
  addBusinessMinutes,
  businessMinutesBetween,
  type Calendar,
  type Holiday,
  isBusinessTime,
  MINUTE_MS,
  type Period,
  parseClock,
  validateCalendar,
  WEEKDAYS,
  type Weekday,
} from "./business-time.ts";

const t = (iso: string) => new Date(iso);
const hm = (clock: string) => parseClock(clock) ?? Number.NaN;
/** Periods on the given weekdays, each "HH:MM-HH:MM". */
function hours(days: readonly Weekday[], ...spans: string[]): Period[] {
  return days.flatMap((day) =>
    spans.map((span) => {
      const [from = "", to = ""] = span.split("-");
      return { day, start: hm(from), end: hm(to) };
    }),
  );
}
const WORKDAYS: Weekday[] = [1, 2, 3, 4, 5];

const berlinOffice: Calendar = {
  timeZone: "Europe/Berlin",
  periods: hours(WORKDAYS, "09:00-12:00", "13:00-17:30"),
  holidays: [
    { month: 1, day: 1 },
    { month: 12, day: 25 },
    { month: 12, day: 26 },
    { year: 2026, month: 5, day: 14 },
  ],
};
const newYorkOffice: Calendar = {
  timeZone: "America/New_York",
  periods: hours(WORKDAYS, "09:00-17:00"),
  holidays: [],
};
const night = (timeZone: string, span: string): Calendar => ({
  timeZone,
  periods: hours(WEEKDAYS, span),
  holidays: [],
});

function due(calendar: Calendar, start: string, minutes: number): string {
  return addBusinessMinutes(calendar, t(start), minutes).toISOString();
}

describe("adding business minutes in office hours", () => {
  test("inside hours, the clock just runs", () => {
    assert.equal(due(berlinOffice, "2026-03-02T10:00+01:00", 60), "2026-03-02T10:00:00.000Z");
  });
  test("the lunch break is skipped (split shift)", () => {
    assert.equal(due(berlinOffice, "2026-03-02T11:30+01:00", 60), "2026-03-02T12:30:00.000Z");
    assert.equal(due(berlinOffice, "2026-03-02T12:15+01:00", 15), "2026-03-02T12:15:00.000Z");
  });
  test("before opening, the clock starts at opening", () => {
    assert.equal(due(berlinOffice, "2026-03-02T07:00+01:00", 30), "2026-03-02T08:30:00.000Z");
  });
  test("a target running out at closing time is due at closing time, not next morning", () => {
    assert.equal(due(berlinOffice, "2026-03-02T17:00+01:00", 30), "2026-03-02T16:30:00.000Z");
  });
  test("a target spanning the weekend continues on Monday", () => {
    assert.equal(due(berlinOffice, "2026-03-06T17:00+01:00", 60), "2026-03-09T08:30:00.000Z");
  });
  test("a start on the weekend counts from Monday's opening", () => {
    assert.equal(due(berlinOffice, "2026-03-07T10:00+01:00", 1), "2026-03-09T08:01:00.000Z");
  });
  test("zero minutes is due at the start, even outside hours", () => {
    assert.equal(due(berlinOffice, "2026-03-07T10:00+01:00", 0), "2026-03-07T09:00:00.000Z");
  });
  test("five working weeks end on the fifth Friday at closing, across the spring change", () => {
    // 37.5 hours a week; the clocks change on Sunday 29 March.
    assert.equal(due(berlinOffice, "2026-03-02T09:00+01:00", 5 * 2250), "2026-04-03T15:30:00.000Z");
  });
  test("a target of a year returns the same business minutes it was given", () => {
    const start = t("2026-01-05T09:00+01:00");
    const end = addBusinessMinutes(berlinOffice, start, 52 * 2250);
    assert.equal(businessMinutesBetween(berlinOffice, start, end), 52 * 2250);
    // 52 weeks plus the four weekday holidays of the year (1 Jan 2027 is a Friday, 25 Dec too).
    assert.ok(
      end > t("2027-01-04T00:00+01:00") && end < t("2027-01-09T00:00+01:00"),
      end.toISOString(),
    );
  });
});

describe("holidays", () => {
  test("a single holiday is skipped", () => {
    // Thursday 14 May 2026 is Ascension Day in this calendar.
    assert.equal(due(berlinOffice, "2026-05-13T17:00+02:00", 60), "2026-05-15T07:30:00.000Z");
    assert.equal(due(berlinOffice, "2027-05-13T17:00+02:00", 60), "2027-05-14T07:30:00.000Z");
  });
  test("yearly holidays are skipped every year, across the year end", () => {
    assert.equal(due(berlinOffice, "2026-12-24T17:00+01:00", 60), "2026-12-28T08:30:00.000Z");
    assert.equal(due(berlinOffice, "2026-12-31T17:00+01:00", 60), "2027-01-04T08:30:00.000Z");
    assert.equal(due(berlinOffice, "2025-12-31T17:00+01:00", 60), "2026-01-02T08:30:00.000Z");
  });
  test("a yearly 29 February is a day off in leap years only", () => {
    const cal: Calendar = {
      timeZone: "UTC",
      periods: hours(WORKDAYS, "09:00-17:00"),
      holidays: [{ month: 2, day: 29 }],
    };
    assert.equal(due(cal, "2028-02-28T16:00Z", 120), "2028-03-01T10:00:00.000Z");
    assert.equal(due(cal, "2030-02-28T16:00Z", 120), "2030-03-01T10:00:00.000Z");
    const single: Calendar = { ...cal, holidays: [{ year: 2028, month: 2, day: 29 }] };
    assert.equal(due(single, "2028-02-28T16:00Z", 120), "2028-03-01T10:00:00.000Z");
  });
  test("a holiday in a 24/7 calendar stops the clock for that local day", () => {
    const cal: Calendar = {
      ...ALWAYS,
      timeZone: "Europe/Berlin",
      holidays: [{ month: 12, day: 25 }],
    };
    assert.equal(due(cal, "2026-12-24T23:00+01:00", 120), "2026-12-26T00:00:00.000Z");
    assert.equal(
      businessMinutesBetween(cal, t("2026-12-24T00:00+01:00"), t("2026-12-27T00:00+01:00")),
      2 * 1440,
    );
  });
});

describe("24/7", () => {
  test("adds real minutes", () => {
    assert.equal(due(ALWAYS, "2026-03-07T10:00Z", 90), "2026-03-07T11:30:00.000Z");
    assert.equal(
      businessMinutesBetween(ALWAYS, t("2026-01-01T00:00Z"), t("2027-01-01T00:00Z")),
      365 * 1440,
    );
  });
  test("in a zone with daylight saving, a day has 23 or 25 business hours", () => {
    for (const [zone, spring, autumn] of [
      ["Europe/Berlin", "2026-03-29", "2026-10-25"],
      ["America/New_York", "2026-03-08", "2026-11-01"],
      ["Australia/Sydney", "2026-10-04", "2026-04-05"],
    ] as const) {
      const cal = { ...ALWAYS, timeZone: zone, holidays: [{ year: 2030, month: 1, day: 1 }] };
      const day = (date: string) => {
        const start = localMidnight(zone, date);
        const next = localMidnight(zone, nextDate(date));
        return businessMinutesBetween(cal, start, next);
      };
      assert.equal(day(spring), 23 * 60, `${zone} ${spring}`);
      assert.equal(day(autumn), 25 * 60, `${zone} ${autumn}`);
    }
  });
  test("a period running over midnight into the next day is continuous", () => {
    const cal: Calendar = {
      timeZone: "UTC",
      periods: [
        { day: 5, start: hm("22:00"), end: hm("24:00") },
        { day: 6, start: 0, end: hm("02:00") },
      ],
      holidays: [],
    };
    assert.equal(due(cal, "2026-03-06T23:30Z", 60), "2026-03-07T00:30:00.000Z");
  });
});

describe("daylight-saving changes inside working periods", () => {
  test("Berlin, spring: a 01:00–04:00 period holds two hours when 02:00–03:00 is skipped", () => {
    const cal = night("Europe/Berlin", "01:00-04:00");
    assert.equal(
      businessMinutesBetween(cal, t("2026-03-29T00:00+01:00"), t("2026-03-30T00:00+02:00")),
      120,
    );
    assert.equal(due(cal, "2026-03-29T01:30+01:00", 60), "2026-03-29T01:30:00.000Z"); // 03:30 summer time
  });
  test("Berlin, autumn: a 01:00–04:00 period holds four hours when 02:00–03:00 happens twice", () => {
    const cal = night("Europe/Berlin", "01:00-04:00");
    assert.equal(
      businessMinutesBetween(cal, t("2026-10-25T00:00+02:00"), t("2026-10-26T00:00+01:00")),
      240,
    );
    assert.equal(due(cal, "2026-10-25T01:30+02:00", 90), "2026-10-25T01:00:00.000Z"); // the second 02:00
  });
  test("Berlin, spring: a period starting in the skipped hour opens at 03:00", () => {
    const cal = night("Europe/Berlin", "02:30-05:00");
    assert.equal(
      businessMinutesBetween(cal, t("2026-03-29T00:00+01:00"), t("2026-03-30T00:00+02:00")),
      120,
    );
    assert.equal(due(cal, "2026-03-29T00:00+01:00", 1), "2026-03-29T01:01:00.000Z");
  });
  test("Berlin, autumn: a period starting in the repeated hour is open twice, with a gap between", () => {
    const cal = night("Europe/Berlin", "02:30-05:00");
    // 02:30–03:00 summer time, then 02:00–02:30 winter time is outside, then 02:30–05:00 again.
    assert.equal(
      businessMinutesBetween(cal, t("2026-10-25T00:00+02:00"), t("2026-10-26T00:00+01:00")),
      180,
    );
    assert.equal(due(cal, "2026-10-25T00:00+02:00", 30), "2026-10-25T01:00:00.000Z");
    assert.equal(due(cal, "2026-10-25T00:00+02:00", 31), "2026-10-25T01:31:00.000Z");
    assert.equal(isBusinessTime(cal, t("2026-10-25T02:15+01:00")), false);
    assert.equal(isBusinessTime(cal, t("2026-10-25T02:45+02:00")), true);
  });
  test("New York: hours on both sides of each change keep their wall-clock times", () => {
    assert.equal(due(newYorkOffice, "2026-03-06T16:00-05:00", 120), "2026-03-09T14:00:00.000Z");
    assert.equal(due(newYorkOffice, "2026-10-30T16:00-04:00", 120), "2026-11-02T15:00:00.000Z");
    const cal = night("America/New_York", "00:00-03:00");
    assert.equal(
      businessMinutesBetween(cal, t("2026-03-08T00:00-05:00"), t("2026-03-09T00:00-04:00")),
      120,
    );
    assert.equal(
      businessMinutesBetween(cal, t("2026-11-01T00:00-04:00"), t("2026-11-02T00:00-05:00")),
      240,
    );
  });
  test("Sydney (southern hemisphere): summer time ends in April and starts in October", () => {
    const cal = night("Australia/Sydney", "01:00-04:00");
    assert.equal(
      businessMinutesBetween(cal, t("2026-04-05T00:00+11:00"), t("2026-04-06T00:00+10:00")),
      240,
    );
    assert.equal(
      businessMinutesBetween(cal, t("2026-10-04T00:00+10:00"), t("2026-10-05T00:00+11:00")),
      120,
    );
  });
  test("Lord Howe Island changes by 30 minutes; India and Nepal have 30- and 45-minute offsets", () => {
    const lordHowe = night("Australia/Lord_Howe", "01:00-03:00");
    // Summer time (+11:00) ends at 02:00 on 5 April 2026: 01:30–02:00 happens twice.
    assert.equal(
      businessMinutesBetween(lordHowe, t("2026-04-05T00:00+11:00"), t("2026-04-06T00:00+10:30")),
      150,
    );
    const kolkata: Calendar = {
      timeZone: "Asia/Kolkata",
      periods: hours(WORKDAYS, "09:00-17:00"),
      holidays: [],
    };
    assert.equal(due(kolkata, "2026-03-02T16:30+05:30", 60), "2026-03-03T04:00:00.000Z");
    const kathmandu: Calendar = { ...kolkata, timeZone: "Asia/Kathmandu" };
    assert.equal(due(kathmandu, "2026-03-02T16:30+05:45", 60), "2026-03-03T03:45:00.000Z");
  });
});

describe("validating a calendar", () => {
  test("a calendar without working hours is refused", () => {
    assert.deepEqual(validateCalendar({ timeZone: "UTC", periods: [], holidays: [] }), [
      { field: "periods", code: "no_working_hours" },
    ]);
  });
  test("unknown zones, empty or overlapping periods and impossible dates are refused", () => {
    assert.deepEqual(
      validateCalendar({ timeZone: "Mars/Olympus", periods: ALWAYS.periods, holidays: [] }),
      [{ field: "timeZone", code: "unknown_time_zone" }],
    );
    assert.deepEqual(
      validateCalendar({
        timeZone: "UTC",
        periods: [{ day: 1, start: 600, end: 600 }],
        holidays: [],
      }),
      [{ field: "periods", code: "bad_period" }],
    );
    assert.deepEqual(
      validateCalendar({
        timeZone: "UTC",
        periods: hours([1], "09:00-12:00", "11:00-13:00"),
        holidays: [],
      }),
      [{ field: "periods", code: "overlapping_periods" }],
    );
    const withHoliday = (h: Holiday) =>
      validateCalendar({ timeZone: "UTC", periods: ALWAYS.periods, holidays: [h] });
    assert.deepEqual(withHoliday({ year: 2027, month: 2, day: 29 }), [
      { field: "holidays", code: "bad_holiday" },
    ]);
    assert.deepEqual(withHoliday({ month: 2, day: 30 }), [
      { field: "holidays", code: "bad_holiday" },
    ]);
    assert.deepEqual(withHoliday({ month: 2, day: 29 }), []);
    assert.deepEqual(validateCalendar(berlinOffice), []);
  });
});

// ---------------------------------------------------------------------------
// The slow reference: looks at every minute's wall clock through its own Intl formatter.

const refFormatters = new Map<string, Intl.DateTimeFormat>();
function wallClock(zone: string, instant: number) {
  let f = refFormatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-GB", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
    });
    refFormatters.set(zone, f);
  }
  const p = Object.fromEntries(f.formatToParts(instant).map((x) => [x.type, Number(x.value)]));
  const year = p.year ?? 0;
  const month = p.month ?? 0;
  const day = p.day ?? 0;
  const weekday = (((new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 6) % 7) + 1) as Weekday;
  return { year, month, day, weekday, minute: (p.hour ?? 0) * 60 + (p.minute ?? 0) };
}
function referenceIsBusiness(cal: Calendar, instant: number): boolean {
  const w = wallClock(cal.timeZone, instant);
  if (
    cal.holidays.some(
      (h) => h.month === w.month && h.day === w.day && (h.year === undefined || h.year === w.year),
    )
  ) {
    return false;
  }
  return cal.periods.some((p) => p.day === w.weekday && p.start <= w.minute && w.minute < p.end);
}

const ZONES = [
  "Europe/Berlin",
  "America/New_York",
  "Australia/Sydney",
  "Australia/Lord_Howe",
  "Asia/Kolkata",
  "UTC",
];
// Instants near daylight-saving changes, year ends and 29 February.
const AROUND = [
  "2026-03-08",
  "2026-03-29",
  "2026-04-05",
  "2026-10-04",
  "2026-10-25",
  "2026-11-01",
  "2026-12-31",
  "2028-02-28",
].map((d) => Date.parse(`${d}T00:00Z`));

const periodArb = fc
  .record({
    day: fc.constantFrom(...WEEKDAYS),
    start: fc.integer({ min: 0, max: 1439 }),
    length: fc.integer({ min: 1, max: 600 }),
  })
  .map(({ day, start, length }): Period => ({ day, start, end: Math.min(1440, start + length) }));
const holidayArb: fc.Arbitrary<Holiday> = fc.oneof(
  fc.record({
    month: fc.constantFrom(2, 3, 4, 10, 11, 12, 1),
    day: fc.integer({ min: 1, max: 29 }),
  }),
  fc.record({
    year: fc.constantFrom(2026, 2027, 2028),
    month: fc.constantFrom(2, 3, 4, 10, 11, 12, 1),
    day: fc.integer({ min: 1, max: 28 }),
  }),
);
const calendarArb: fc.Arbitrary<Calendar> = fc.record({
  timeZone: fc.constantFrom(...ZONES),
  periods: fc.array(periodArb, { minLength: 1, maxLength: 8 }),
  holidays: fc.array(holidayArb, { maxLength: 4 }),
});
const instantArb = fc
  .record({
    base: fc.constantFrom(...AROUND),
    offset: fc.integer({ min: -3 * 1440, max: 3 * 1440 }),
  })
  .map(({ base, offset }) => base + offset * MINUTE_MS);

describe("against a minute-by-minute reference (fast-check)", () => {
  test("business minutes between two instants", () => {
    fc.assert(
      fc.property(
        calendarArb,
        instantArb,
        fc.integer({ min: 0, max: 3 * 1440 }),
        (cal, a, span) => {
          let expected = 0;
          for (let m = 0; m < span; m++)
            if (referenceIsBusiness(cal, a + m * MINUTE_MS)) expected++;
          assert.equal(businessMinutesBetween(cal, a, a + span * MINUTE_MS), expected);
        },
      ),
      { numRuns: 100 },
    );
  });
  test("the due instant after adding business minutes", () => {
    fc.assert(
      fc.property(
        calendarArb,
        instantArb,
        fc.integer({ min: 0, max: 1200 }),
        (cal, start, minutes) => {
          // The reference walks at most three days; a sparse calendar may need longer.
          let counted = 0;
          let at = start;
          const stop = start + 3 * 1440 * MINUTE_MS;
          while (counted < minutes && at < stop) {
            if (referenceIsBusiness(cal, at)) counted++;
            at += MINUTE_MS;
          }
          const got = +addBusinessMinutes(cal, start, minutes);
          if (counted === minutes) assert.equal(got, at);
          else
            assert.ok(got > stop, "not enough business time in the window, so it is due after it");
        },
      ),
      { numRuns: 100 },
    );
  });
});

function localMidnight(zone: string, date: string): Date {
  // The first minute of the day whose wall clock reads that date: search around UTC midnight.
  const guess = Date.parse(`${date}T00:00Z`);
  for (let m = -15 * 60; m <= 15 * 60; m++) {
    const at = guess + m * MINUTE_MS;
    const w = wallClock(zone, at);
    const iso = `${w.year}-${String(w.month).padStart(2, "0")}-${String(w.day).padStart(2, "0")}`;
    if (iso === date) return new Date(at);
  }
  throw new Error(`no midnight for ${date} in ${zone}`);
}
function nextDate(date: string): string {
  return new Date(Date.parse(`${date}T00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}
