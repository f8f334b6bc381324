/**
 * Deadlines in tests bound how long something may take before it counts as hung; none
 * is a speed check. TEST_TIME_FACTOR (a number, 1 when unset) multiplies them all for
 * a machine busy with other work: `TEST_TIME_FACTOR=3 npm test` beside another run.
 */
export const TIME_FACTOR = parseFactor(process.env.TEST_TIME_FACTOR);

function parseFactor(value: string | undefined): number {
  if (value === undefined || value === "") return 1;
  const factor = Number(value);
  if (!Number.isFinite(factor) || factor < 1) {
    throw new Error(`TEST_TIME_FACTOR must be a number of 1 or more, not "${value}"`);
  }
  return factor;
}

/** `ms` stretched by TEST_TIME_FACTOR. */
export function scaled(ms: number): number {
  return Math.round(ms * TIME_FACTOR);
}
