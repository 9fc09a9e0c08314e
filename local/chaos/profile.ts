// A chaos run's fault profile, drawn from its seed: the same seed always yields the same profile.
import type { ChaosSwitches, SesFaults } from '#local/campaign.ts';
import { seededRandom } from '#local/runtime/lambda.ts';
import type { StandinFaults } from '#local/standin/server.ts';
import type { Behaviour } from '#local/time.ts';

/** Every fault switch of one run. */
export interface FaultProfile {
  /** Stand-in faults per create call (429/500/503/drop) and latency on every request. */
  api: StandinFaults;
  ses: SesFaults;
  /** Probability that a handler invocation is killed at a random crash point. */
  crash: number;
  chaos: Required<Pick<ChaosSwitches, 'duplicateS3Events' | 'concurrentS3Events' | 'reupload'>> &
    Pick<
      ChaosSwitches,
      | 'duplicateSqsProbability'
      | 'duplicateSesEvents'
      | 'reverseSesEvents'
      | 'trackerCrash'
      | 'concurrentPolls'
      | 'cancel'
      | 'cancelDuringSends'
    >;
  /** A simulated day after the sends: respondents join and leave, the tracker polls (with its own faults). */
  respondents: Behaviour;
  /**
   * The Aseed account starts with no tokens and is topped up after this many ms (0: enough from the start):
   * creates are refused with 402, the campaign pauses, and goes on once the tokens are there.
   */
  tokensShortMs: number;
  /**
   * Reminders (6 and 12 hours after the invitation) and the thank-you go out during the simulated day, and
   * `respondents.optOut` of the invitees opt out through their link at a random moment.
   */
  followUps: boolean;
  /** A changed file follows the first under the same key (upload 2): its new people invited, the rest not. */
  laterUpload: boolean;
}

/** The follow-up settings of a run with `followUps`: both reminders fall due inside the simulated day. */
export const CHAOS_FOLLOW_UPS = {
  reminders: [{ afterDays: 0.25 }, { afterDays: 0.5 }],
  thankYou: true,
} as const;

/** Simulated days of every chaos run (one: 288 ticks of the 5-minute schedule). */
export const CHAOS_DAYS = 1;

const round = (value: number) => Math.round(value * 1000) / 1000;

/**
 * Draws a profile. About one run in ten is calm (no fault at all, a baseline); the others switch each fault
 * kind on with its own probability, so runs mix them in different combinations and strengths.
 */
export const drawProfile = (seed: number): FaultProfile => {
  const random = seededRandom(seed ^ 0xc4a05);
  const maybe = (chance: number, low: number, high: number) =>
    random() < chance ? round(low + random() * (high - low)) : 0;
  if (random() < 0.1) {
    return {
      api: { seed },
      ses: { throttle: 0 },
      crash: 0,
      chaos: { duplicateS3Events: 0, concurrentS3Events: false, reupload: false, duplicateSqsProbability: 0 },
      respondents: { start: 0.6, complete: 0.7 },
      tokensShortMs: 0,
      followUps: false,
      laterUpload: false,
    };
  }
  const latencies = [0, 0, 5, 20, 50];
  const profile: Omit<FaultProfile, 'followUps' | 'laterUpload'> = {
    api: {
      p429: maybe(0.7, 0.02, 0.2),
      p500: maybe(0.5, 0.02, 0.1),
      p503: maybe(0.5, 0.02, 0.1),
      pDrop: maybe(0.6, 0.02, 0.12),
      latencyMs: latencies[Math.floor(random() * latencies.length)] ?? 0,
      seed,
    },
    ses: { throttle: maybe(0.6, 0.02, 0.25) },
    // Per invocation; a run has only a few invocations (10 batches each), so the odds must be sizeable.
    crash: maybe(0.6, 0.1, 0.35),
    chaos: {
      duplicateS3Events: Math.floor(random() * 3),
      concurrentS3Events: random() < 0.5,
      reupload: random() < 0.5,
      duplicateSqsProbability: maybe(0.5, 0.1, 0.5),
      // Drawn last, so the draws above (and the profiles of recorded seeds) stay what they were.
      duplicateSesEvents: random() < 0.5 ? 1 + Math.floor(random() * 2) : 0,
      reverseSesEvents: random() < 0.5,
      trackerCrash: maybe(0.5, 0.02, 0.2),
      concurrentPolls: random() < 0.5,
    },
    respondents: { start: round(0.2 + random() * 0.7), complete: round(random()) },
    // Drawn after everything else, so earlier seeds keep the rest of their profile.
    tokensShortMs: random() < 0.3 ? Math.round(1000 + random() * 3000) : 0,
  };
  // Drawn after everything else, so earlier seeds keep the rest of their profile.
  const followUps = random() < 0.5;
  if (followUps) profile.respondents.optOut = round(0.05 + random() * 0.15);
  // Some of those runs are cancelled during the day (2–20 h in), half of them revoking unstarted rooms.
  if (followUps && random() < 0.4) {
    const afterMs = Math.round((2 + random() * 18) * 3_600_000);
    profile.chaos.cancel = { afterMs, revokeUnstarted: random() < 0.5 };
  }
  // Their own stream: recorded seeds keep every other draw.
  const own = seededRandom(seed ^ 0x1a7e);
  const laterUpload = own() < 0.35;
  // A cancel racing the invitations' sends, in runs with neither a later upload nor follow-ups (each has a
  // cancel story of its own): once 5–80 % of the respondents are emailed, half of them revoking.
  if (!laterUpload && !followUps && own() < 0.4) {
    const afterShare = round(0.05 + own() * 0.75);
    profile.chaos.cancelDuringSends = { afterShare, revokeUnstarted: own() < 0.5 };
  }
  return { ...profile, followUps, laterUpload };
};

/** One-line description of a profile (for failure reports). */
export const describeProfile = (p: FaultProfile): string => {
  const parts: string[] = [];
  const api = p.api;
  for (const [label, value] of [
    ['429', api.p429],
    ['500', api.p500],
    ['503', api.p503],
    ['drop', api.pDrop],
  ] as const) {
    if (value) parts.push(`${label}=${value}`);
  }
  if (api.latencyMs) parts.push(`latency=${api.latencyMs}ms`);
  if (p.ses.throttle) parts.push(`sesThrottle=${p.ses.throttle}`);
  if (p.crash) parts.push(`crash=${p.crash}`);
  if (p.chaos.duplicateSqsProbability) parts.push(`dupSqs=${p.chaos.duplicateSqsProbability}`);
  if (p.chaos.duplicateS3Events) {
    parts.push(`dupS3=${p.chaos.duplicateS3Events}${p.chaos.concurrentS3Events ? ' (concurrent)' : ''}`);
  }
  if (p.chaos.reupload) parts.push('reupload');
  if (p.laterUpload) parts.push('laterUpload');
  if (p.chaos.duplicateSesEvents) parts.push(`dupSesEvents=${p.chaos.duplicateSesEvents}`);
  if (p.chaos.reverseSesEvents) parts.push('reversedSesEvents');
  if (p.chaos.trackerCrash) parts.push(`trackerCrash=${p.chaos.trackerCrash}`);
  if (p.chaos.concurrentPolls) parts.push('concurrentPolls');
  if (p.tokensShortMs) parts.push(`tokensShort=${p.tokensShortMs}ms`);
  if (p.followUps) parts.push(`followUps optOut=${p.respondents.optOut ?? 0}`);
  const cancel = p.chaos.cancel;
  if (cancel)
    parts.push(
      `cancel@${(cancel.afterMs / 3_600_000).toFixed(1)}h${cancel.revokeUnstarted ? ' revoke' : ''}`,
    );
  const racing = p.chaos.cancelDuringSends;
  if (racing)
    parts.push(`cancelDuringSends@${racing.afterShare * 100}%${racing.revokeUnstarted ? ' revoke' : ''}`);
  const respondents = `respondents start=${p.respondents.start},complete=${p.respondents.complete}`;
  return `${parts.length > 0 ? parts.join(' ') : 'calm'}; ${respondents}`;
};
