import { scaled } from "./time.ts";

/**
 * Waits until `check` (sync or async) holds, polling every 20 ms, or fails naming
 * `what` after `ms` times TEST_TIME_FACTOR: a bound for a hang, not a speed check,
 * so it is long (20 s) next to the milliseconds these conditions take.
 */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  ms = 20_000,
): Promise<void> {
  const deadline = Date.now() + scaled(ms);
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
