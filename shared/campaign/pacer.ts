import { realSleep, type Sleep } from '#shared/store/concurrency.ts';
import type { SendSchedulePort } from '#shared/store/ports.ts';

/** A booked slot on the send schedule. */
export interface SendSlot {
  /** Epoch ms from which the sends may go out. */
  at: number;
  /**
   * The sends are a large part of SES's one-second allowance (50 of a 50/s rate): a call that reached SES
   * late would let the next one in early, into a throttle, so it must go out at `at`, its respondents
   * claimed ahead of it. When they are a small part (50 of 1,000/s), a call late by its claims crowds
   * nobody and may claim once the slot has come.
   */
  punctual: boolean;
}

/**
 * A send schedule: `reserve(n, leadMs)` books n sends. A punctual slot is booked at least `leadMs` ahead,
 * so that the claims made in the lead are done when it comes.
 */
export interface Pacer {
  reserve(count: number, leadMs?: number): Promise<SendSlot>;
}

/**
 * Share of the send rate left unused by default. SES meters calls when they arrive, we book slots a little
 * earlier: a call that reaches SES late lets the next one arrive early, and against a limit with no slack
 * (a bulk call of 50 at 50/s needs a full second's worth) that one is throttled. 5 % absorbs ~50 ms of
 * such jitter per second of sending.
 */
export const SEND_RATE_HEADROOM = 0.05;

/** Slack in SES's allowance under which a slot is punctual (see {@link SendSlot}). */
const PUNCTUAL_BELOW_SLACK_MS = 500;

/**
 * One send schedule for the whole account, kept in the table (`store.reserveSends`) and shared by every
 * invocation, so the account's SES rate is used in full whether one invocation sends or twenty (a
 * per-invocation share of `rate / concurrency` leaves most of it unused when a campaign fits in fewer).
 * A token bucket one second deep, as SES meters sends (store/schedule.ts `bookSends`): a call of n sends may go
 * once the bucket holds min(n, one second's worth), and it may overdraw it, pushing the schedule's end on by
 * n/rate (or from now, if the schedule is idle: idle time is not banked). So a call waits for what the calls
 * before it drew, never for its own size: one SendBulkEmail of 50 at 2.8/s goes out as soon as the bucket is
 * full, and the next one ~18 s later. The long-run rate never exceeds `ratePerSecond × (1 − headroom)`.
 */
export const createSharedPacer = (options: {
  store: SendSchedulePort;
  /** The account's maximum send rate (emails per second), or how to learn it (read at each reservation). */
  ratePerSecond: number | (() => Promise<number>);
  /** Share of the rate left unused (default {@link SEND_RATE_HEADROOM}). */
  headroom?: number;
  /** Schedule name: one per SES account and region, i.e. per stack (default `ses`). */
  key?: string;
  clock?: () => number;
}): Pacer => {
  const clock = options.clock ?? Date.now;
  const { ratePerSecond } = options;
  const rateNow = typeof ratePerSecond === 'number' ? async () => ratePerSecond : ratePerSecond;
  const burstMs = 1000;
  return {
    async reserve(count, leadMs = 0) {
      const msPerSend = 1000 / ((await rateNow()) * (1 - (options.headroom ?? SEND_RATE_HEADROOM)));
      // A call late by δ leaves the next one burstMs − count × msPerSend − δ of slack: keep ≥ 500 ms for
      // claims that run after the slot, or else make the slot punctual.
      const punctual = count * msPerSend > burstMs - PUNCTUAL_BELOW_SLACK_MS;
      const notBefore = punctual ? clock() + leadMs : 0;
      const at = await options.store.reserveSends({
        key: options.key ?? 'ses',
        count,
        msPerSend,
        burstMs,
        nowMs: () => Math.max(clock(), notBefore),
      });
      return { at, punctual };
    },
  };
};

/** Sleeps until the epoch ms `at` (no wait when it has passed). */
export const sleepUntil = async (
  at: number,
  clock: () => number = Date.now,
  sleep: Sleep = realSleep,
): Promise<void> => {
  // A timer may fire a millisecond before Date.now() reaches `at`; a call that early would break the
  // pace SES was promised, so sleep the remainder. Bounded, so a sleep that does not wait cannot spin.
  for (let round = 0; round < 3; round += 1) {
    const wait = at - clock();
    if (wait <= 0) return;
    await sleep(wait);
  }
};
