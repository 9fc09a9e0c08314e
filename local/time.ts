// Simulated days after the sends: respondents join and leave their rooms through the stand-in's public join
// endpoints (as a person on the interview page would), rooms expire on the stand-in's clock, and the real
// tracker handler polls on that clock, tick by tick, as the deployed schedule would.
import type { TrackerHandler } from '#functions/tracker/app.ts';
import type { AseedClient } from '#shared/aseed/client.ts';
import { AseedRejectedError } from '#shared/aseed/errors.ts';
import { mulberry32 as seededRandom } from './standin/faults.ts';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** A clock that runs with real time and jumps forward when simulated time passes. */
export interface SimClock {
  now(): number;
  advance(ms: number): void;
}

/** A simulated clock, at real time until advanced. */
export const simClock = (): SimClock => {
  let offsetMs = 0;
  return {
    now: () => Date.now() + offsetMs,
    advance: (ms) => {
      offsetMs += ms;
    },
  };
};

/**
 * How the simulated respondents behave: the chance each starts, that one who started completes, and that
 * one opts out through the link in the email (at a random moment; a room it cancels refuses a later join).
 */
export interface Behaviour {
  start: number;
  complete: number;
  optOut?: number;
}

/** Parses `start=P,complete=Q,optout=R` (each a probability; all default 0). */
export const parseBehaviour = (spec: string): Behaviour => {
  const behaviour: Behaviour = { start: 0, complete: 0 };
  for (const part of spec.split(',').filter((p) => p.trim() !== '')) {
    const [key, value] = part.split('=').map((s) => s.trim());
    const p = Number(value);
    if (
      (key !== 'start' && key !== 'complete' && key !== 'optout') ||
      value === undefined ||
      !(p >= 0 && p <= 1)
    ) {
      throw new Error(
        `--respondents: "${part}" is not start=P, complete=Q or optout=R with P, Q, R between 0 and 1`,
      );
    }
    behaviour[key === 'optout' ? 'optOut' : key] = p;
  }
  return behaviour;
};

/**
 * One respondent's visit: joining the interview page, leaving it (which completes the interview), or the
 * one-click opt-out through the link in the email.
 */
export interface Visit {
  atMs: number;
  kind: 'join' | 'leave' | 'optout';
  accessToken: string;
  email: string;
  optOutUrl?: string;
}

/** A respondent who got the email with a working room: whom the simulation may send to the page. */
export interface Invitee {
  email: string;
  accessToken: string;
  /** The respondent's signed opt-out link (from the email's List-Unsubscribe). */
  optOutUrl?: string;
}

/**
 * The visits of the simulated days, in time order: each invitee starts with probability `start` at a
 * uniformly random moment, and completes with probability `complete` 5–45 minutes later.
 */
export const planVisits = (
  invitees: readonly Invitee[],
  behaviour: Behaviour,
  window: { fromMs: number; days: number },
  seed: number,
): Visit[] => {
  const random = seededRandom(seed);
  const visits: Visit[] = [];
  for (const invitee of invitees) {
    if (random() >= behaviour.start) continue;
    const joinAt = window.fromMs + Math.floor(random() * window.days * DAY);
    visits.push({ atMs: joinAt, kind: 'join', ...invitee });
    if (random() < behaviour.complete) {
      visits.push({ atMs: joinAt + (5 + Math.floor(random() * 40)) * MINUTE, kind: 'leave', ...invitee });
    }
  }
  // Drawn after the visits above, from a generator of its own: the visits of a seed stay what they were.
  const optOuts = seededRandom(seed ^ 0x0f7007);
  for (const invitee of invitees) {
    if (!behaviour.optOut || !invitee.optOutUrl || optOuts() >= behaviour.optOut) continue;
    visits.push({
      atMs: window.fromMs + Math.floor(optOuts() * window.days * DAY),
      kind: 'optout',
      ...invitee,
    });
  }
  return visits.sort((a, b) => a.atMs - b.atMs);
};

/** What the simulated days did, with the tracker's figures per poll. */
export interface TimeReport {
  days: number;
  ticks: number;
  joins: number;
  leaves: number;
  /** Campaign polls made (each: the project's list calls, the holders' read, the changed respondents). */
  polls: number;
  listCalls: number;
  /** Respondent writes (changes only), and the poll's lease writes (take + release: 2 per poll). */
  progressWrites: number;
  leaseWrites: number;
  /** Polls that died mid-way (chaos) and polls turned away by another poll's lease. */
  failedPolls: number;
  busyPolls: number;
  maxListCallsPerPoll: number;
  maxWritesPerPoll: number;
  /** The tracker stopped polling the campaign (every room done). */
  trackingEnded: boolean;
  /** Joins the room refused: it had expired or was cancelled (an opt-out, a revoke) before the visit. */
  refusedJoins: number;
  /** One-click opt-outs made (a POST to the email's link): who, and when on the simulated clock. */
  optOuts: Array<{ email: string; atMs: number }>;
  /** When the campaign was cancelled (simulated clock), if it was. */
  cancelledAtMs?: number;
  /** Reminder and thank-you messages the polls handed the invite side; rooms whose expiry they moved. */
  followUpMessages: number;
  roomsExtended: number;
}

/** Lets `days` pass in ticks of `tickMs`: due visits made through the public endpoints, then a tracker run. */
export const passDays = async (args: {
  clock: SimClock;
  days: number;
  tickMs: number;
  visits: readonly Visit[];
  api: Pick<AseedClient, 'joinRoom' | 'leaveRoom'>;
  tracker: TrackerHandler;
  /** Called after each simulated hour. */
  onHour?: (hours: number, report: TimeReport) => void;
  /** A clean tracker for the poll after the last day (the tracker may carry faults); default `tracker`. */
  settle?: TrackerHandler;
  /** Called after a tracker run that handed follow-ups to the invite queue (the local runtime sends them). */
  afterEnqueue?: () => Promise<void>;
  /** Cancels the campaign this long into the days (simulated ms); its messages are sent like follow-ups. */
  cancel?: { afterMs: number; run: () => Promise<void> };
  campaignId: string;
}): Promise<TimeReport> => {
  const report: TimeReport = {
    days: args.days,
    ticks: 0,
    joins: 0,
    leaves: 0,
    polls: 0,
    listCalls: 0,
    progressWrites: 0,
    leaseWrites: 0,
    failedPolls: 0,
    busyPolls: 0,
    maxListCallsPerPoll: 0,
    maxWritesPerPoll: 0,
    trackingEnded: false,
    refusedJoins: 0,
    optOuts: [],
    followUpMessages: 0,
    roomsExtended: 0,
  };
  const startMs = args.clock.now();
  const endMs = startMs + args.days * DAY;
  const refused = new Set<string>();
  let next = 0;
  while (args.clock.now() < endMs) {
    args.clock.advance(Math.min(args.tickMs, endMs - args.clock.now()));
    report.ticks++;
    for (; next < args.visits.length && (args.visits[next]?.atMs ?? endMs) <= args.clock.now(); next++) {
      await visitRoom(args.api, args.visits[next] as Visit, report, refused, args.clock.now());
    }
    if (
      args.cancel &&
      report.cancelledAtMs === undefined &&
      args.clock.now() >= startMs + args.cancel.afterMs
    ) {
      await args.cancel.run();
      report.cancelledAtMs = args.clock.now();
      await args.afterEnqueue?.();
    }
    const enqueued = tally(report, await args.tracker(), args.campaignId);
    if (enqueued > 0) await args.afterEnqueue?.();
    if (report.ticks % Math.max(1, Math.round((60 * MINUTE) / args.tickMs)) === 0)
      args.onHour?.(Math.round((report.ticks * args.tickMs) / (60 * MINUTE)), report);
  }
  // One more poll after the longest interval, once every visit is made: the store then shows the last day.
  args.clock.advance(60 * MINUTE);
  if (tally(report, await (args.settle ?? args.tracker)(), args.campaignId) > 0) await args.afterEnqueue?.();
  return report;
};

/** One visit through the public endpoints; a room no longer open refuses the join (409), as the page would. */
const visitRoom = async (
  api: Pick<AseedClient, 'joinRoom' | 'leaveRoom'>,
  visit: Visit,
  report: TimeReport,
  refused: Set<string>,
  nowMs: number,
): Promise<void> => {
  if (visit.kind === 'optout') {
    // As a mail client does it (RFC 8058): a POST to the List-Unsubscribe URL.
    const response = await fetch(visit.optOutUrl ?? '', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    if (!response.ok) throw new Error(`opt-out of ${visit.email} answered ${response.status}`);
    report.optOuts.push({ email: visit.email, atMs: nowMs });
    return;
  }
  if (visit.kind === 'leave') {
    if (refused.has(visit.accessToken)) return;
    await api.leaveRoom(visit.accessToken);
    report.leaves++;
    return;
  }
  try {
    await api.joinRoom(visit.accessToken, visit.email);
    report.joins++;
  } catch (error) {
    if (!(error instanceof AseedRejectedError)) throw error;
    refused.add(visit.accessToken);
    report.refusedJoins++;
  }
};

/** Adds one tracker run's polls of the campaign to the report; the follow-up messages it enqueued. */
const tally = (report: TimeReport, run: Awaited<ReturnType<TrackerHandler>>, campaignId: string): number => {
  let enqueued = 0;
  for (const result of run.results) {
    if (result.campaignId !== campaignId) continue;
    if (result.outcome === 'failed') report.failedPolls++;
    if (result.outcome === 'busy') report.busyPolls++;
    if (!('changed' in result)) continue;
    report.polls++;
    report.listCalls += result.listCalls;
    report.progressWrites += result.changed;
    report.leaseWrites += 2;
    report.maxListCallsPerPoll = Math.max(report.maxListCallsPerPoll, result.listCalls);
    report.maxWritesPerPoll = Math.max(report.maxWritesPerPoll, result.changed + 2);
    if (result.outcome === 'finished') report.trackingEnded = true;
    enqueued += result.enqueued;
    report.followUpMessages += result.enqueued;
    report.roomsExtended += result.extended;
  }
  return enqueued;
};
