// Flow: EventBridge Scheduler (every few minutes) → tracker use case → each due campaign's rooms listed from
// the Aseed API, progress written to its respondents, its next poll booked. A campaign whose poll failed
// stays due for the next run; the invocation itself fails only when the due campaigns cannot be read.
import { type PollResult, pollDueCampaigns, type TrackerDeps } from '#shared/tracker/poll.ts';

/** What one scheduled run did: its campaigns' results and their totals. */
export interface TrackerRunSummary {
  results: PollResult[];
  polled: number;
  failed: number;
  changed: number;
}

/** The tracker Lambda handler (the scheduler's event carries nothing it needs). */
export type TrackerHandler = (event?: unknown) => Promise<TrackerRunSummary>;

/** Builds the tracker handler over injected deps: handler.ts passes the real clients, tests their own. */
export const createTrackerHandler =
  (deps: TrackerDeps): TrackerHandler =>
  async () => {
    const results = await pollDueCampaigns(deps);
    return {
      results,
      polled: results.filter((r) => r.outcome === 'polled' || r.outcome === 'finished').length,
      failed: results.filter((r) => r.outcome === 'failed').length,
      changed: results.reduce((n, r) => n + ('changed' in r ? r.changed : 0), 0),
    };
  };
