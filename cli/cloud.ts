// `invites status|report`: campaigns on the deployed stack (or the local one), and how `send` shows them.

import { writeFile } from 'node:fs/promises';
import { funnelOf } from '#shared/report/funnel.ts';
import type { Store } from '#shared/store/ports.ts';
import { type ReportLine, readReport, reportLine } from '#shared/store/report.ts';
import type { CampaignRecord } from '#shared/store/types.ts';
import { uploadOf } from '#shared/store/uploads.ts';
import { EXIT, onePositional, parse } from './args.ts';
import type { Io } from './local.ts';
import { type FunnelCounts, formatFunnel, reportCsv } from './output.ts';
import { findCampaign, targetOf } from './target.ts';

/** Report lines from the store (unfinished respondents show their state). */
export const reportLines = async (store: Store, campaignId: string): Promise<ReportLine[]> =>
  (await readReport(store, campaignId)).map(reportLine);

/** The funnel's counts from the campaign's report (one read model with the console). */
export { funnelOf };

/** Counts of a campaign record, for humans. */
export const formatRecord = (record: CampaignRecord, funnel: FunnelCounts): string => {
  const n = (value: number | undefined) => value ?? 0;
  const tracking = record.trackPk
    ? `  rooms tracked: ${n(record.polls)} polls so far, next at ${new Date(record.nextPollAt ?? 0).toISOString()}`
    : record.trackingEndedAt
      ? `  rooms tracked: ${n(record.polls)} polls, ended ${record.trackingEndedAt} (every room done)`
      : '  rooms not tracked';
  return [
    `Campaign ${record.campaignId}: ${record.status}${record.failureReason ? ` (${record.failureReason})` : ''}`,
    ...(record.cancelledAt
      ? [`  cancelled   ${record.cancelledAt}${record.revokeUnstarted ? ' (unstarted rooms revoked)' : ''}`]
      : []),
    `  source      s3://${record.source.bucket}/${record.source.key}`,
    ...uploadLines(record),
    ...(record.columns ? [`  columns     ${record.columns}`] : []),
    `  rows ${n(record.rows)}, accepted ${n(record.accepted)}, rejected ${n(record.rejected)}, duplicates ${n(record.duplicates)}, suppressed ${n(record.suppressed)}`,
    `  batches ${n(record.batchesDone)}/${n(record.batches)} done, emailed ${n(record.emailed)}, failed ${n(record.failed)} (dead-lettered ${n(record.deadLettered)})`,
    `  rooms created ${n(record.roomsCreated)} (cancelled ${n(record.roomsCancelled)}), create calls ${n(record.createCalls)}, SES calls ${n(record.sesCalls)}`,
    tracking,
    '  funnel',
    ...formatFunnel(funnel).map((line) => `    ${line}`),
    '',
  ].join('\n');
};

/** The uploads of a campaign uploaded more than once, and why the latest failed if it did. */
const uploadLines = (record: CampaignRecord): string[] => {
  const upload = uploadOf(record);
  return [
    ...(upload.number > 1 ? [`  uploads     ${upload.number}, the latest at ${upload.at}`] : []),
    ...(record.uploadFailure
      ? [`  upload ${upload.number} failed (the campaign went on as it was): ${record.uploadFailure}`]
      : []),
  ];
};

/** Counts of a campaign record, for scripts (`--json`). */
export const statusCounts = (record: CampaignRecord, funnel: FunnelCounts) => ({
  campaignId: record.campaignId,
  status: record.status,
  ...(record.failureReason ? { failureReason: record.failureReason } : {}),
  ...(record.columns ? { columns: record.columns } : {}),
  uploads: uploadOf(record).number,
  ...(record.uploadFailure ? { uploadFailure: record.uploadFailure } : {}),
  rows: record.rows ?? 0,
  accepted: record.accepted ?? 0,
  rejected: record.rejected ?? 0,
  duplicates: record.duplicates ?? 0,
  suppressed: record.suppressed ?? 0,
  emailed: record.emailed ?? 0,
  failed: record.failed ?? 0,
  roomsCreated: record.roomsCreated ?? 0,
  apiCreateCalls: record.createCalls ?? 0,
  sesCalls: record.sesCalls ?? 0,
  funnel,
});

/**
 * Loads a deployed campaign and hands it to `use`; a missing campaign is reported and exits non-zero.
 * The store's client is closed afterwards either way.
 */
const withCampaign = async (
  command: string,
  values: { stack?: string | undefined; local?: boolean | undefined },
  campaignId: string,
  io: Io,
  use: (record: CampaignRecord, store: Store) => Promise<number>,
): Promise<number> => {
  const target = await targetOf(command, values);
  try {
    const record = await findCampaign(target, campaignId);
    if (!record) {
      io.stderr.write(`invites: no campaign ${campaignId} in ${target.flag.replace(/^--/, '')}\n`);
      return EXIT.failed;
    }
    return await use(record, target.store);
  } finally {
    target.destroy();
  }
};

/** `invites status`. */
export const statusCommand = async (args: string[], io: Io): Promise<number> => {
  const { values, positionals } = parse('status', args, {
    stack: { type: 'string' },
    local: { type: 'boolean' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return -1;
  const campaignId = onePositional('status', positionals, 'campaign id');
  return withCampaign('status', values, campaignId, io, async (record, store) => {
    const funnel = funnelOf(await reportLines(store, record.campaignId));
    io.stdout(
      values.json
        ? `${JSON.stringify(statusCounts(record, funnel), null, 2)}\n`
        : formatRecord(record, funnel),
    );
    return record.status === 'completed' || record.status === 'cancelled' ? EXIT.ok : EXIT.failed;
  });
};

/** `invites report`. */
export const reportCommand = async (args: string[], io: Io): Promise<number> => {
  const { values, positionals } = parse('report', args, {
    stack: { type: 'string' },
    local: { type: 'boolean' },
    out: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return -1;
  const campaignId = onePositional('report', positionals, 'campaign id');
  return withCampaign('report', values, campaignId, io, async (record, store) => {
    const csv = reportCsv(await reportLines(store, record.campaignId));
    if (values.out) {
      await writeFile(values.out, csv);
      io.stderr.write(`Report written to ${values.out}\n`);
    } else io.stdout(csv);
    return EXIT.ok;
  });
};
