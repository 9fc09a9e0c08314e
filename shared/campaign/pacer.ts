import { realSleep, type Sleep } from '#shared/store/concurrency.ts';

/** Waits so that sends stay within a rate; `take(n)` reserves n sends. */
export interface Pacer {
  take(count: number): Promise<void>;
}

/**
 * Token bucket as a virtual schedule: each `take(n)` is scheduled n/rate seconds after the previous one,
 * with a burst of one second's worth. Long-run rate never exceeds `ratePerSecond`, even for n larger than
 * the burst (one SendBulkEmail of 50 at 2.8/s waits ~18 s). Shared by all records of an invocation.
 */
export const createPacer = (options: {
  ratePerSecond: number;
  clock?: () => number;
  sleep?: Sleep;
}): Pacer => {
  const clock = options.clock ?? Date.now;
  const sleep = options.sleep ?? realSleep;
  const msPerSend = 1000 / options.ratePerSecond;
  const burstMs = 1000;
  let nextFree = 0;
  return {
    async take(count: number) {
      const now = clock();
      // Unused capacity accrues up to one second's worth (the burst).
      const start = Math.max(nextFree, now - burstMs);
      nextFree = start + count * msPerSend;
      const wait = nextFree - now - burstMs;
      if (wait > 0) await sleep(wait);
    },
  };
};
