import { scaled } from "./time.ts";

/** Waits until `check` holds, polling every 10 ms, or fails naming `what` after `ms` (times TEST_TIME_FACTOR). */
export async function until(check: () => boolean, what: string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + scaled(ms);
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
