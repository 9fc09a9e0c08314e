/**
 * The SES-account phase of the benchmark: one campaign against a strict local SES playing an account whose
 * MaxSendRate and 24-hour quota bind (the quota smaller than the campaign, its window shortened so the run
 * takes minutes, not a day). Measures how closely sending keeps to the rate, when the campaign paused for
 * the quota and when it resumed, and that nobody failed.
 */
import type { SesAccountSettings } from '#local/ses/account.ts';
import type { PipelineRunResult } from './pipeline.ts';
import type { AcceptedSend } from './ses-meter.ts';

/** The account the phase plays. */
export const BENCH_ACCOUNT = {
  respondents: 10_000,
  maxSendRate: 200,
  max24HourSend: 6_000,
  /** The "24 hours" of the quota, shortened: sends older than this no longer count. */
  quotaWindowMs: 60_000,
} as const;

/** The layer's settings for {@link BENCH_ACCOUNT}. */
export const benchAccountSettings = (): Partial<SesAccountSettings> => ({
  maxSendRate: BENCH_ACCOUNT.maxSendRate,
  max24HourSend: BENCH_ACCOUNT.max24HourSend,
  quotaWindowMs: BENCH_ACCOUNT.quotaWindowMs,
});

/** Most recipients accepted in any one-second window. */
export const maxPerSecond = (sends: readonly AcceptedSend[]): number => {
  let best = 0;
  let inWindow = 0;
  let start = 0;
  for (const send of sends) {
    inWindow += send.recipients;
    while ((sends[start] as AcceptedSend).at <= send.at - 1000) {
      inWindow -= (sends[start] as AcceptedSend).recipients;
      start++;
    }
    best = Math.max(best, inWindow);
  }
  return best;
};

/**
 * Stretches of sending split by gaps over `gapMs`: from and to (ms after `startedAt`), recipients, and the
 * rate: recipients after the stretch's first send ÷ its span (the first send went out at its start).
 */
export const stretches = (sends: readonly AcceptedSend[], startedAt: number, gapMs = 3000) => {
  const out: Array<{ fromMs: number; toMs: number; recipients: number; first: number }> = [];
  for (const send of sends) {
    const at = send.at - startedAt;
    const last = out.at(-1);
    if (last && at - last.toMs <= gapMs) {
      last.toMs = at;
      last.recipients += send.recipients;
    } else out.push({ fromMs: at, toMs: at, recipients: send.recipients, first: send.recipients });
  }
  return out.map(({ first, ...p }) => ({
    fromMs: Math.round(p.fromMs),
    toMs: Math.round(p.toMs),
    recipients: p.recipients,
    ratePerSecond:
      p.toMs > p.fromMs
        ? Math.round(((p.recipients - first) / (p.toMs - p.fromMs)) * 10_000) / 10
        : undefined,
  }));
};

/** Recipients after each stretch's first send ÷ the stretches' spans: the rate while sending, pauses left out. */
const sendingRate = (parts: ReturnType<typeof stretches>): number | undefined => {
  const spanMs = parts.reduce((sum, p) => sum + (p.toMs - p.fromMs), 0);
  const recipients = parts.reduce(
    (sum, p) => sum + (p.ratePerSecond === undefined ? 0 : (p.ratePerSecond * (p.toMs - p.fromMs)) / 1000),
    0,
  );
  return spanMs > 0 ? Math.round((recipients / spanMs) * 10_000) / 10 : undefined;
};

/** The phase's figures, for results.json and the table. */
export const accountFigures = (run: PipelineRunResult) => {
  const parts = stretches(run.sends, run.startedAt);
  const firstSend = run.sends[0];
  const firstSendMs = firstSend ? Math.round(firstSend.at - run.startedAt) : undefined;
  const first = parts[0];
  const second = parts[1];
  return {
    account: { ...BENCH_ACCOUNT },
    respondents: run.respondents,
    completed: run.completed,
    totalMs: run.ms,
    emailed: run.emailed,
    failed: run.failed,
    createCalls: run.createCalls,
    sesSendCalls: run.ses.sendCalls,
    throttles: run.ses.throttles,
    quotaHeldEntries: run.ses.quotaHeld,
    maxRecipientsInOneSecond: maxPerSecond(run.sends),
    // Over all stretches: a short one may run above the rate by the schedule's one second of burst.
    sendingRatePerSecond: sendingRate(parts),
    firstSendMs,
    stretches: parts,
    // Sending stopped when the quota ran out and went on once the window let sends age out.
    pausedAtMs: first && second ? first.toMs : undefined,
    resumedAtMs: second?.fromMs,
    earliestResumeMs: firstSendMs !== undefined ? firstSendMs + BENCH_ACCOUNT.quotaWindowMs : undefined,
    pausesOnRecord: run.pauses,
  };
};

/** Table rows: figure, measured, goal, verdict. */
export const accountRows = (
  a: ReturnType<typeof accountFigures>,
  verdict: (ok: boolean) => string,
): Array<[string, string, string, string]> => {
  const s = (ms: number | undefined) => (ms === undefined ? '–' : `${(ms / 1000).toFixed(1)} s`);
  const rates = a.stretches.map((p) => `${p.ratePerSecond ?? '–'}/s`).join(', ');
  const limit = a.account.maxSendRate;
  return [
    [
      `SES account: ${a.respondents.toLocaleString('en')} at MaxSendRate ${limit}/s, quota ${a.account.max24HourSend.toLocaleString('en')} per ${a.account.quotaWindowMs / 1000} s`,
      `${a.completed ? 'completed' : 'NOT completed'} in ${s(a.totalMs)}, emailed ${a.emailed}, failed ${a.failed}`,
      'all emailed, 0 failed',
      verdict(a.completed && a.failed === 0 && a.emailed === a.respondents),
    ],
    [
      '  rate while sending (per stretch) / busiest second (GCRA: 1 s of burst)',
      `${a.sendingRatePerSecond ?? '–'}/s (${rates}) / ${a.maxRecipientsInOneSecond} in 1 s, ${a.throttles} throttles`,
      `≤ ${limit}/s, 0 throttles`,
      verdict(a.throttles === 0 && a.sendingRatePerSecond !== undefined && a.sendingRatePerSecond <= limit),
    ],
    [
      '  paused for the quota / resumed (after upload)',
      `${s(a.pausedAtMs)} / ${s(a.resumedAtMs)} (window frees from ${s(a.earliestResumeMs)}); record: ${a.pausesOnRecord.map((p) => p.kind).join(', ') || 'no pause'}`,
      'pauses, then resumes',
      verdict(a.pausedAtMs !== undefined && a.resumedAtMs !== undefined && a.pausesOnRecord.length > 0),
    ],
  ];
};
