/** A worker's rounds, one after another (the outbox, webhook deliveries). */
export interface PollLoop {
  /** stop() was called: a round in progress should not start new work. */
  readonly stopped: boolean;
  /** Ends the loop; resolves once the round in progress has finished. */
  stop(): Promise<void>;
}

/**
 * Runs `round` again at once while it found work (it returns how many items it
 * took), else after `idleMs`; a round that throws is reported to `onError` and
 * retried after `idleMs`. With `start: false` nothing runs until the caller
 * runs rounds itself (tests).
 */
export function pollRounds(
  round: () => Promise<number>,
  options: { idleMs: number; start: boolean; onError: (error: unknown) => void },
): PollLoop {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<unknown> = Promise.resolve();
  function schedule(delay: number): void {
    if (stopped) return;
    timer = setTimeout(() => {
      current = round().then(
        (n) => schedule(n > 0 ? 0 : options.idleMs),
        (error: unknown) => {
          options.onError(error);
          schedule(options.idleMs);
        },
      );
    }, delay);
  }
  if (options.start) schedule(0);
  return {
    get stopped() {
      return stopped;
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await current;
    },
  };
}
