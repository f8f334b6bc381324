import { useContext } from "preact/hooks";
import { DEFAULT_TRANSLATOR, type Translator } from "../../i18n/i18n.ts";
import { ReaderContext } from "./reader.ts";

interface Formatters {
  absolute: Intl.DateTimeFormat;
  zoneName: Intl.DateTimeFormat;
  relative: Intl.RelativeTimeFormat;
}

// One set per language and zone, made on first use (constructing Intl formatters is the slow part).
const made = new Map<string, Formatters>();

function formatters(reader: Translator): Formatters {
  const id = `${reader.locale} ${reader.timeZone}`;
  let f = made.get(id);
  if (!f) {
    // English dates read day-month-year ("12 Mar 2025"), as they always have here.
    const dates = reader.locale === "en" ? "en-GB" : reader.locale;
    f = {
      absolute: new Intl.DateTimeFormat(dates, {
        dateStyle: "medium",
        timeStyle: "short",
        timeZone: reader.timeZone,
      }),
      zoneName: new Intl.DateTimeFormat(dates, {
        timeZone: reader.timeZone,
        timeZoneName: "short",
      }),
      relative: new Intl.RelativeTimeFormat(reader.locale, { numeric: "auto" }),
    };
    made.set(id, f);
  }
  return f;
}

/**
 * "12 Mar 2025, 14:05 UTC", "12.03.2025, 15:05 MEZ": in the reader's language
 * and zone, with the zone named so a time is never ambiguous.
 */
export function formatAbsolute(date: Date, reader: Translator = DEFAULT_TRANSLATOR): string {
  const f = formatters(reader);
  const zone = f.zoneName.formatToParts(date).find((p) => p.type === "timeZoneName")?.value;
  return zone ? `${f.absolute.format(date)} ${zone}` : f.absolute.format(date);
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["year", 365 * 24 * 3600],
  ["month", 30 * 24 * 3600],
  ["week", 7 * 24 * 3600],
  ["day", 24 * 3600],
  ["hour", 3600],
  ["minute", 60],
];

/** "3 hours ago", "yesterday", "just now" — relative to `now` (default: the current time). */
export function formatRelative(
  date: Date,
  now: Date = new Date(),
  reader: Translator = DEFAULT_TRANSLATOR,
): string {
  const relative = formatters(reader).relative;
  const seconds = Math.round((date.getTime() - now.getTime()) / 1000);
  if (Math.abs(seconds) < 45) return reader.t("time.justNow");
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return relative.format(Math.trunc(seconds / size), unit);
  }
  return relative.format(Math.trunc(seconds / 60) || Math.sign(seconds), "minute");
}

/**
 * A `<time>` element in the reader's language and zone: relative text ("2 hours
 * ago") with the exact time as its `datetime` and tooltip, or the absolute
 * time as text with `absolute`.
 */
export function Time({
  date,
  absolute = false,
  now,
}: {
  date: Date;
  absolute?: boolean;
  now?: Date;
}) {
  const reader = useContext(ReaderContext);
  const exact = formatAbsolute(date, reader);
  return (
    <time datetime={date.toISOString()} title={exact}>
      {absolute ? exact : formatRelative(date, now, reader)}
    </time>
  );
}
