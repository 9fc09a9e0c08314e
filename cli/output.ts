// What the CLI writes: the four result files, the human summary, and a progress display on stderr.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CampaignSummary, GroundTruthEmail, InjectedFaults } from '#local/campaign.ts';
import type { TimeReport } from '#local/time.ts';
import type { Funnel } from '#shared/report/funnel.ts';
import type { ReportLine } from '#shared/store/report.ts';

/** report.csv (one writer with the console). */
import { REPORT_HEADER, reportCsv } from '#shared/store/report.ts';

export { REPORT_HEADER, reportCsv };

/** Everything `--out` writes. */
export interface RunFiles {
  summary: CampaignSummary;
  report: readonly ReportLine[];
  emails: readonly GroundTruthEmail[];
  rooms: readonly unknown[];
}

/** The names `--out` writes, and nothing else. */
export const OUT_FILES = ['report.csv', 'summary.json', 'emails.jsonl', 'rooms.json'] as const;

/** Writes report.csv, summary.json, emails.jsonl and rooms.json into `dir` (created if needed). */
export const writeRunFiles = async (dir: string, files: RunFiles): Promise<void> => {
  await mkdir(dir, { recursive: true });
  await Promise.all([
    writeFile(join(dir, 'report.csv'), reportCsv(files.report)),
    writeFile(join(dir, 'summary.json'), `${JSON.stringify(files.summary, null, 2)}\n`),
    writeFile(join(dir, 'emails.jsonl'), files.emails.map((e) => `${JSON.stringify(e)}\n`).join('')),
    writeFile(join(dir, 'rooms.json'), `${JSON.stringify(files.rooms, null, 2)}\n`),
  ]);
};

/** Where human-readable output goes (stdout normally, stderr with --json). */
export type Write = (text: string) => void;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Groups rejected rows by reason: `reason (lines 3, 8)`, most frequent first, at most `limit` reasons. */
export const reasonsOf = (rows: readonly ReportLine[], limit = 10): string[] => {
  const byReason = new Map<string, number[]>();
  for (const row of rows) byReason.set(row.reason, [...(byReason.get(row.reason) ?? []), row.line]);
  const lines = [...byReason.entries()]
    .sort((a, b) => b[1].length - a[1].length)
    .map(([reason, at]) => {
      const shown = at.slice(0, 8).join(', ');
      return `${reason} (line${at.length > 1 ? 's' : ''} ${shown}${at.length > 8 ? ', …' : ''})`;
    });
  return lines.length > limit
    ? [...lines.slice(0, limit), `… and ${lines.length - limit} more reasons`]
    : lines;
};

/** The end-of-run summary a researcher reads. */
export const formatSummary = (
  summary: CampaignSummary,
  report: readonly ReportLine[],
  extra: { status?: string; failureReason?: string } = {},
): string => {
  const out: string[] = [];
  const pad = (label: string, value: number | string) => `  ${label.padEnd(12)}${String(value).padStart(6)}`;
  out.push(`Campaign ${summary.campaignId} ${extra.status ?? ''} in ${seconds(summary.durationMs)}`);
  if (extra.failureReason) out.push(`  failed: ${extra.failureReason}`);
  if (summary.columns) out.push(`  columns: ${summary.columns}`);
  out.push(pad('rows', summary.rows));
  out.push(pad('accepted', summary.accepted));
  out.push(pad('rejected', summary.rejected));
  for (const reason of reasonsOf(report.filter((r) => r.status === 'rejected')))
    out.push(`      - ${reason}`);
  out.push(pad('duplicates', summary.duplicates));
  for (const reason of reasonsOf(
    report.filter((r) => r.status === 'duplicate'),
    5,
  ))
    out.push(`      - ${reason}`);
  if (summary.suppressed > 0) {
    out.push(`${pad('suppressed', summary.suppressed)} (bounced or complained before: no room, no email)`);
    for (const reason of reasonsOf(
      report.filter((r) => r.status === 'suppressed'),
      5,
    ))
      out.push(`      - ${reason}`);
  }
  out.push(`${pad('rooms', summary.roomsCreated)} created with ${summary.apiCreateCalls} create calls`);
  out.push(`${pad('emails', summary.emailed)} sent with ${summary.sesCalls} SES calls`);
  out.push(...formatFunnel(summary).map((line) => `  ${line}`));
  for (const reason of reasonsOf(
    report.filter((r) => r.status === 'bounced' || r.status === 'complained'),
    5,
  ))
    out.push(`      - ${reason}`);
  if (summary.reminders > 0)
    out.push(`${pad('reminders', summary.reminders)} sent to ${summary.reminded} respondents`);
  if (summary.thanked > 0) out.push(`${pad('thank-yous', summary.thanked)} sent (completed interviews)`);
  if (summary.cancelled > 0)
    out.push(`${pad('cancelled', summary.cancelled)} (campaign cancelled: no email, room cancelled)`);
  out.push(pad('failures', summary.failed));
  for (const reason of reasonsOf(report.filter((r) => r.status === 'failed'))) out.push(`      - ${reason}`);
  out.push(pad('time', seconds(summary.durationMs)));
  return `${out.join('\n')}\n`;
};

/** The counts a funnel is drawn from (a local run's summary, or a deployed campaign's report). */
export type FunnelCounts = Funnel;

/**
 * The campaign's funnel, one line per step with its rate: invited (SES accepted the email) → delivered →
 * started → completed, each as a share of the step before and of those invited; bounced, complained and
 * expired as shares of those invited.
 */
export const formatFunnel = (c: FunnelCounts): string[] => {
  const rate = (n: number, of: number) => (of > 0 ? `${((n / of) * 100).toFixed(1)} %` : '–');
  const row = (label: string, n: number, note: string) =>
    `${label.padEnd(12)}${String(n).padStart(6)}  ${note}`;
  return [
    row('invited', c.emailed, 'emails SES accepted'),
    row('delivered', c.delivered, `${rate(c.delivered, c.emailed)} of invited`),
    row(
      'started',
      c.started,
      `${rate(c.started, c.delivered)} of delivered, ${rate(c.started, c.emailed)} of invited`,
    ),
    row(
      'completed',
      c.completed,
      `${rate(c.completed, c.started)} of started, ${rate(c.completed, c.emailed)} of invited`,
    ),
    row('bounced', c.bounced, `${rate(c.bounced, c.emailed)} of invited`),
    row('complained', c.complained, `${rate(c.complained, c.emailed)} of invited`),
    ...(c.unsubscribed
      ? [row('opted out', c.unsubscribed, `${rate(c.unsubscribed, c.emailed)} of invited`)]
      : []),
    row('expired', c.expired, `${rate(c.expired, c.emailed)} of invited (room expired unstarted)`),
  ];
};

/** What the simulated days did, and the tracker's cost per poll. */
export const formatTime = (t: TimeReport): string => {
  const perPoll = (n: number) => (t.polls > 0 ? (n / t.polls).toFixed(2) : '0');
  return [
    `Simulated ${t.days} days: ${t.joins} joined, ${t.leaves} completed` +
      (t.refusedJoins > 0 ? `, ${t.refusedJoins} came too late (room expired or cancelled)` : '') +
      (t.optOuts.length > 0 ? `, ${t.optOuts.length} opted out` : '') +
      `; the tracker polled ${t.polls} times` +
      (t.trackingEnded ? ' and stopped (every room done)' : ''),
    `  per poll: ${perPoll(t.listCalls)} API calls (max ${t.maxListCallsPerPoll}), ` +
      `${perPoll(t.progressWrites + t.leaseWrites)} DynamoDB writes (max ${t.maxWritesPerPoll}; ` +
      `${t.progressWrites} respondent changes in all, plus the poll's lease: 2 a poll)`,
    ...(t.followUpMessages > 0 || t.roomsExtended > 0
      ? [
          `  follow-ups: ${t.followUpMessages} reminder or thank-you messages queued, ${t.roomsExtended} rooms' expiry moved`,
        ]
      : []),
    '',
  ].join('\n');
};

/** Progress numbers a display shows. */
export interface ProgressView {
  label: string;
  done: number;
  total: number;
  detail: string;
  elapsedMs: number;
}

/**
 * A progress display on stderr: a redrawn bar on a TTY, plain lines otherwise (only when something changed,
 * so a log file stays readable).
 */
export const createProgress = (stream: NodeJS.WriteStream = process.stderr) => {
  const tty = Boolean(stream.isTTY);
  let last = '';
  let drawn = false;
  return {
    update(view: ProgressView): void {
      const key = `${view.label}|${view.done}|${view.total}|${view.detail}`;
      if (tty) {
        const width = 30;
        const share = view.total > 0 ? Math.min(1, view.done / view.total) : 0;
        const filled = Math.round(share * width);
        const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
        stream.write(
          `\r\x1b[2K${view.label.padEnd(10)} ${bar} ${view.done}/${view.total} ${view.detail} ${seconds(view.elapsedMs)}`,
        );
        drawn = true;
      } else if (key !== last) {
        const counts = view.total > 0 ? ` ${view.done}/${view.total} done` : '';
        const detail = view.detail ? `, ${view.detail}` : '';
        stream.write(`${view.label}${counts}${detail} (${seconds(view.elapsedMs)})\n`);
      }
      last = key;
    },
    /** Ends the bar's line (TTY) before other output. */
    done(): void {
      if (tty && drawn) stream.write('\n');
      drawn = false;
    },
  };
};

/** One line naming the faults a run injected, by kind. */
export const formatFaults = (faults: InjectedFaults): string => {
  const api = Object.entries(faults.api)
    .map(([kind, n]) => `${kind}×${n}`)
    .join(' ');
  const crashes = new Map<string, number>();
  for (const c of faults.crashes) crashes.set(c.functionName, (crashes.get(c.functionName) ?? 0) + 1);
  const byFunction = [...crashes.entries()].map(([name, n]) => `${name} ${n}`).join(', ');
  return `  faults injected: API ${api || 'none'}; SES throttled ${faults.sesThrottled}; crashes ${faults.crashes.length}${byFunction ? ` (${byFunction})` : ''}; duplicate SQS deliveries ${faults.duplicateSqsDeliveries}\n`;
};
