import { realSleep, type Sleep } from '#shared/store/concurrency.ts';
import type { CampaignStore } from '#shared/store/store.ts';

/** Waits so that sends stay within a rate; `take(n)` reserves n sends. */
export interface Pacer {
  take(count: number): Promise<void>;
}

/**
 * Token bucket as a virtual schedule (GCRA): each `take(n)` is scheduled n/rate seconds after the previous
 * one (or now, if the schedule is idle), and may start up to one second (the burst) ahead of its slot. Long-run rate never exceeds `ratePerSecond`, even for n larger than
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
      // An idle schedule restarts at now: unused time is not banked beyond the burst tolerance below.
      const start = Math.max(nextFree, now);
      nextFree = start + count * msPerSend;
      const wait = nextFree - now - burstMs;
      if (wait > 0) await sleep(wait);
    },
  };
};

/**
 * The same schedule as {@link createPacer}, kept in the table and shared by every invocation, so the
 * account's SES rate is used in full whether one invocation sends or twenty (a per-invocation share of
 * `rate / concurrency` leaves most of it unused when a campaign fits in fewer invocations).
 */
export const createSharedPacer = (options: {
  store: Pick<CampaignStore, 'reserveSends'>;
  ratePerSecond: number;
  /** Schedule name: one per SES account and region, i.e. per stack (default `ses`). */
  key?: string;
  clock?: () => number;
  sleep?: Sleep;
}): Pacer => {
  const clock = options.clock ?? Date.now;
  const sleep = options.sleep ?? realSleep;
  return {
    async take(count: number) {
      const wait = await options.store.reserveSends({
        key: options.key ?? 'ses',
        count,
        msPerSend: 1000 / options.ratePerSecond,
        burstMs: 1000,
        nowMs: clock,
      });
      if (wait > 0) await sleep(wait);
    },
  };
};
