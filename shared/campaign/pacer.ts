import { realSleep, type Sleep } from '#shared/store/concurrency.ts';
import type { CampaignStore } from '#shared/store/store.ts';

/**
 * A send schedule: `reserve(n, notBefore)` books n sends, none earlier than the epoch ms `notBefore` (default
 * now), and resolves to the epoch ms from which they may go out.
 */
export interface Pacer {
  reserve(count: number, notBefore?: number): Promise<number>;
}

/**
 * Share of the send rate left unused by default. SES meters calls when they arrive, we book slots a little
 * earlier: a call that reaches SES late lets the next one arrive early, and against a limit with no slack
 * (a bulk call of 50 at 50/s needs a full second's worth) that one is throttled. 5 % absorbs ~50 ms of
 * such jitter per second of sending.
 */
export const SEND_RATE_HEADROOM = 0.05;

/**
 * One send schedule for the whole account, kept in the table (`store.reserveSends`) and shared by every
 * invocation, so the account's SES rate is used in full whether one invocation sends or twenty (a
 * per-invocation share of `rate / concurrency` leaves most of it unused when a campaign fits in fewer).
 * A token bucket as a virtual schedule (GCRA): each reservation of n sends is scheduled n/rate seconds after
 * the previous one (or now, if the schedule is idle: idle time is not banked) and may start up to one second
 * (the burst) ahead of its slot. The long-run rate never exceeds `ratePerSecond × (1 − headroom)`, even for
 * n larger than the burst (one SendBulkEmail of 50 at 2.8/s is due ~18 s after the previous one).
 */
export const createSharedPacer = (options: {
  store: Pick<CampaignStore, 'reserveSends'>;
  /** The account's maximum send rate (emails per second). */
  ratePerSecond: number;
  /** Share of the rate left unused (default {@link SEND_RATE_HEADROOM}). */
  headroom?: number;
  /** Schedule name: one per SES account and region, i.e. per stack (default `ses`). */
  key?: string;
  clock?: () => number;
}): Pacer => {
  const clock = options.clock ?? Date.now;
  const rate = options.ratePerSecond * (1 - (options.headroom ?? SEND_RATE_HEADROOM));
  return {
    reserve: (count, notBefore) =>
      options.store.reserveSends({
        key: options.key ?? 'ses',
        count,
        msPerSend: 1000 / rate,
        burstMs: 1000,
        nowMs: notBefore === undefined ? clock : () => Math.max(clock(), notBefore),
      }),
  };
};

/** Sleeps until the epoch ms `at` (no wait when it has passed). */
export const sleepUntil = async (
  at: number,
  clock: () => number = Date.now,
  sleep: Sleep = realSleep,
): Promise<void> => {
  const wait = at - clock();
  if (wait > 0) await sleep(wait);
};
