// How often the tracker polls a campaign's rooms, in one place: often while the campaign is fresh (most
// respondents start within a day of the email), less later, and not at all once every room is done.

/** The tracker's timings and limits. */
export interface TrackerConfig {
  /** Poll interval by campaign age (since it was enqueued): the first step whose `untilAgeMs` is not reached. */
  intervals: ReadonlyArray<{ untilAgeMs: number; everyMs: number }>;
  /** Tracking stops this long after the last room's expiry even if an interview never reported its end. */
  graceAfterExpiryMs: number;
  /** How long one poll holds its campaign (another poll of it waits); longer than a poll takes. */
  leaseMs: number;
  /** Campaigns one invocation polls at most (the rest are due at the next). */
  campaignsPerRun: number;
  /** Campaigns polled at once: a slow one never holds up the others. */
  campaignsInParallel: number;
  /** Respondent updates in flight at once within a poll. */
  writesInParallel: number;
  /** Room expiries one poll moves at most (PATCH calls; the next poll goes on with the rest). */
  extensionsPerPoll: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The defaults (the deployed schedule fires every 5 minutes: the shortest interval). */
export const DEFAULT_TRACKER_CONFIG: TrackerConfig = {
  intervals: [
    { untilAgeMs: DAY, everyMs: 5 * MINUTE },
    { untilAgeMs: 3 * DAY, everyMs: 15 * MINUTE },
    { untilAgeMs: Number.POSITIVE_INFINITY, everyMs: HOUR },
  ],
  graceAfterExpiryMs: DAY,
  leaseMs: 3 * MINUTE,
  campaignsPerRun: 50,
  campaignsInParallel: 4,
  writesInParallel: 8,
  extensionsPerPoll: 200,
};

/** The interval of a campaign of this age. */
export const pollIntervalMs = (config: TrackerConfig, ageMs: number): number =>
  (config.intervals.find((step) => ageMs < step.untilAgeMs) ?? config.intervals.at(-1))?.everyMs ?? HOUR;
