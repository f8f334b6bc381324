/**
 * What tickets show of their SLA clocks (kept by src/sla in `ticket_sla_targets`
 * and `ticket_sla_due`): the state of each target and of a queue row. Pure.
 * tickets/ reads those rows as data and knows nothing of how they are kept.
 */

export const SLA_KINDS = ["first_response", "next_response", "resolution"] as const;
export type SlaKind = (typeof SLA_KINDS)[number];

/** Stable machine codes (the API) for a target's state. */
export const SLA_STATES = [
  "on_track",
  "due_soon",
  "breached",
  "paused",
  "met",
  "met_late",
] as const;
export type SlaState = (typeof SLA_STATES)[number];

export interface SlaTargetFacts {
  kind: SlaKind;
  dueAt: Date | null;
  warnAt: Date | null;
  pausedAt: Date | null;
  metAt: Date | null;
  breachedAt: Date | null;
  nearBreachNotified: boolean;
}

/**
 * A target's state at `now`: met (late when it was breached first); breached
 * once its due time passed (or the scheduler recorded the breach); due soon
 * from its near-breach instant (or once notified); paused while the ticket is
 * pending or solved; else on track.
 */
export function targetState(t: SlaTargetFacts, now: Date): SlaState {
  if (t.metAt) return t.breachedAt ? "met_late" : "met";
  if (t.breachedAt || (t.dueAt && +t.dueAt <= +now)) return "breached";
  if (t.pausedAt) return "paused";
  if (t.nearBreachNotified || (t.warnAt && +t.warnAt <= +now)) return "due_soon";
  return "on_track";
}

/** A queue row's state from its earliest running target (`ticket_sla_due`), or undefined without one. */
export function queueState(
  row: {
    slaDueAt: Date | null;
    slaWarnAt: Date | null;
    slaNearBreach: boolean | null;
    slaBreached: boolean | null;
  },
  now: Date,
): SlaState | undefined {
  if (!row.slaDueAt) return undefined;
  if (row.slaBreached || +row.slaDueAt <= +now) return "breached";
  if (row.slaNearBreach || (row.slaWarnAt && +row.slaWarnAt <= +now)) return "due_soon";
  return "on_track";
}

/** The current target of each kind (a ticket keeps one row per next-response wait), in kind order. */
export function currentTargets<T extends { kind: SlaKind; id: number }>(rows: readonly T[]): T[] {
  return SLA_KINDS.flatMap((kind) => {
    const last = rows
      .filter((r) => r.kind === kind)
      .sort((a, b) => a.id - b.id)
      .at(-1);
    return last ? [last] : [];
  });
}

/** The current target of each kind with its state at `now`: what staff are shown. */
export function currentTargetStates<T extends SlaTargetFacts & { kind: SlaKind; id: number }>(
  rows: readonly T[],
  now: Date,
): (T & { state: SlaState })[] {
  return currentTargets(rows).map((t) => ({ ...t, state: targetState(t, now) }));
}
