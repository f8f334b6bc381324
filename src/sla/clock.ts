import { addBusinessMs, businessMsBetween, type Calendar, MINUTE_MS } from "./business-time.ts";

/**
 * One SLA clock's state and the moves it makes, pure: the reaction and the
 * recomputation load a row, apply a move, and write back what changed.
 *
 * The clock runs in business time from `resumedAt`; `usedMs` is what it spent
 * before. Paused (the ticket is pending, solved or closed) it has no due time.
 */
export interface Clock {
  targetMinutes: number;
  warnPercent: number;
  resumedAt: Date;
  usedMs: number;
  pausedAt: Date | null;
  dueAt: Date | null;
  warnAt: Date | null;
  metAt: Date | null;
  breachedAt: Date | null;
}

/** The due and near-breach instants of a running clock. */
export function schedule(
  calendar: Calendar,
  clock: Pick<Clock, "targetMinutes" | "warnPercent" | "resumedAt" | "usedMs">,
): Pick<Clock, "dueAt" | "warnAt"> {
  const targetMs = clock.targetMinutes * MINUTE_MS;
  const warnMs = Math.floor((targetMs * clock.warnPercent) / 100);
  const from = +clock.resumedAt;
  const toWarn = Math.max(0, warnMs - clock.usedMs);
  const toDue = Math.max(0, targetMs - clock.usedMs);
  // Business time adds up, so the due instant is found walking on from the warning one.
  const warnAt = addBusinessMs(calendar, from, toWarn);
  return {
    warnAt: new Date(warnAt),
    dueAt: new Date(addBusinessMs(calendar, warnAt, toDue - toWarn)),
  };
}

/** A new running clock from `start`. */
export function startClock(
  calendar: Calendar,
  target: { targetMinutes: number; warnPercent: number },
  start: Date,
): Clock {
  const clock: Clock = {
    ...target,
    resumedAt: start,
    usedMs: 0,
    pausedAt: null,
    dueAt: null,
    warnAt: null,
    metAt: null,
    breachedAt: null,
  };
  return { ...clock, ...schedule(calendar, clock) };
}

/** Whether the clock is counting now. */
export function isRunning(clock: Clock): boolean {
  return clock.metAt === null && clock.pausedAt === null;
}

/** Stops the clock keeping the business time spent; a clock already past its target is breached. */
export function pauseClock(calendar: Calendar, clock: Clock, now: Date): Clock {
  if (!isRunning(clock)) return clock;
  const usedMs = clock.usedMs + businessMsBetween(calendar, +clock.resumedAt, +now);
  const late = clock.dueAt !== null && +now > +clock.dueAt;
  return {
    ...clock,
    usedMs,
    pausedAt: now,
    dueAt: null,
    warnAt: null,
    breachedAt: clock.breachedAt ?? (late ? clock.dueAt : null),
  };
}

/** Starts a paused clock again with the business time it has left. */
export function resumeClock(calendar: Calendar, clock: Clock, now: Date): Clock {
  if (clock.metAt !== null || clock.pausedAt === null) return clock;
  const resumed = { ...clock, pausedAt: null, resumedAt: now };
  return { ...resumed, ...schedule(calendar, resumed) };
}

/** The target is met at `now`: on time, or late (breached) when past its due time. */
export function meetClock(calendar: Calendar, clock: Clock, now: Date): Clock {
  if (clock.metAt !== null) return clock;
  const stopped = pauseClock(calendar, clock, now);
  return { ...stopped, pausedAt: null, metAt: now };
}

/** A met resolution target running again (the ticket was reopened), from where it stopped. */
export function reopenClock(calendar: Calendar, clock: Clock, now: Date): Clock {
  if (clock.metAt === null) return clock;
  const reopened = { ...clock, metAt: null, pausedAt: null, resumedAt: now };
  return { ...reopened, ...schedule(calendar, reopened) };
}

/** The same clock under another target or calendar (a policy or calendar changed). */
export function retarget(
  calendar: Calendar,
  clock: Clock,
  target: { targetMinutes: number; warnPercent: number },
): Clock {
  const next = { ...clock, ...target };
  return isRunning(next) ? { ...next, ...schedule(calendar, next) } : next;
}
