const ABSOLUTE = new Intl.DateTimeFormat("en-GB", {
  dateStyle: "medium",
  timeStyle: "short",
  timeZone: "UTC",
});

/** "12 Mar 2025, 14:05 UTC": the server does not know the reader's time zone, so it says UTC. */
export function formatAbsolute(date: Date): string {
  return `${ABSOLUTE.format(date)} UTC`;
}

const RELATIVE = new Intl.RelativeTimeFormat("en", { numeric: "auto" });

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["year", 365 * 24 * 3600],
  ["month", 30 * 24 * 3600],
  ["week", 7 * 24 * 3600],
  ["day", 24 * 3600],
  ["hour", 3600],
  ["minute", 60],
];

/** "3 hours ago", "yesterday", "just now" — relative to `now` (default: the current time). */
export function formatRelative(date: Date, now: Date = new Date()): string {
  const seconds = Math.round((date.getTime() - now.getTime()) / 1000);
  if (Math.abs(seconds) < 45) return "just now";
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return RELATIVE.format(Math.trunc(seconds / size), unit);
  }
  return RELATIVE.format(Math.trunc(seconds / 60) || Math.sign(seconds), "minute");
}

/**
 * A `<time>` element: relative text ("2 hours ago") with the exact time as its
 * `datetime` and tooltip, or the absolute time as text with `absolute`.
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
  const exact = formatAbsolute(date);
  return (
    <time datetime={date.toISOString()} title={exact}>
      {absolute ? exact : formatRelative(date, now)}
    </time>
  );
}
