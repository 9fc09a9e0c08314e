// `invites send|status|report`: campaigns on the deployed stack, found through its CloudFormation outputs.

import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { STACK_OUTPUTS, UPLOADS } from '#infra/definitions.ts';
import { PAUSE_LABEL } from '#shared/errors.ts';
import { EMAILED_STATUSES } from '#shared/events/journey.ts';
import { campaignIdFor } from '#shared/store/keys.ts';
import type { Store } from '#shared/store/ports.ts';
import { type ReportLine, readReport, reportLine } from '#shared/store/report.ts';
import type { CampaignRecord } from '#shared/store/types.ts';
import { EXIT, onePositional, parse } from './args.ts';
import { apiOption, fetchPrice, type Io, requireFile } from './local.ts';
import { createProgress, type FunnelCounts, formatFunnel, reportCsv } from './output.ts';
import { targetOf } from './target.ts';
import { formatValidation, validateCampaign, wouldFail } from './validate.ts';

/** How long `send` waits for the ingest to write the campaign record before it says the ingest failed. */
const NO_RECORD_AFTER_MS = 60_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Report lines from the store (unfinished respondents show their state). */
const reportLines = async (store: Store, campaignId: string): Promise<ReportLine[]> =>
  (await readReport(store, campaignId)).map(reportLine);

/** The funnel's counts from the campaign's report (every respondent's journey status). */
export const funnelOf = (lines: readonly ReportLine[]): FunnelCounts => {
  const count = (...statuses: string[]) => lines.filter((l) => statuses.includes(l.status)).length;
  return {
    emailed: count(...EMAILED_STATUSES),
    delivered: lines.filter((l) => l.delivered_at !== '').length,
    bounced: count('bounced'),
    complained: count('complained'),
    unsubscribed: count('unsubscribed'),
    started: lines.filter((l) => l.started_at !== '').length,
    completed: count('completed'),
    expired: count('expired'),
  };
};

/** Counts of a campaign record, for humans. */
const formatRecord = (record: CampaignRecord, funnel: FunnelCounts): string => {
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

const statusCounts = (record: CampaignRecord, funnel: FunnelCounts) => ({
  campaignId: record.campaignId,
  status: record.status,
  ...(record.failureReason ? { failureReason: record.failureReason } : {}),
  ...(record.columns ? { columns: record.columns } : {}),
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

/** `invites send`. */
export const sendCommand = async (args: string[], io: Io): Promise<number> => {
  const { values, positionals } = parse('send', args, {
    stack: { type: 'string' },
    settings: { type: 'string' },
    'dry-run': { type: 'boolean' },
    'api-url': { type: 'string' },
    'api-token': { type: 'string' },
    json: { type: 'boolean' },
    local: { type: 'boolean' },
    'no-wait': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return -1;
  const csvPath = onePositional('send', positionals, 'CSV file');
  requireFile('send', csvPath, 'CSV file');
  if (values.settings !== undefined) requireFile('send', values.settings, 'settings file');
  const api = apiOption('send', values['api-url'], values['api-token']);
  const human = values.json ? (text: string) => io.stderr.write(text) : io.stdout;

  if (values['dry-run']) {
    // The deployment's defaults live in the function's environment; placeholders stand in for the two
    // required ones so only the file's own fields are judged here.
    const validation = await validateCampaign({
      csvPath,
      ...(values.settings ? { settingsPath: values.settings } : {}),
      defaults: {
        projectId: '00000000-0000-4000-8000-000000000000',
        sender: 'deployment-default@example.com',
      },
    });
    const price =
      validation.settings && !validation.fileError
        ? api
          ? await fetchPrice(api)
          : { source: '', problem: 'pass --api-url and --api-token to ask Aseed for the price' }
        : { source: '' };
    human(formatValidation(validation, price));
    return wouldFail(validation, price) ? EXIT.failed : EXIT.ok;
  }

  const target = await targetOf('send', values);
  const { s3, store } = target;
  const resources = { bucketName: target.bucketName };
  try {
    const stem =
      basename(csvPath)
        .replace(/\.csv$/i, '')
        .replace(/[^A-Za-z0-9._-]+/g, '-') || 'respondents';
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
    const key = `${UPLOADS.prefix}${stem}-${stamp}${UPLOADS.csvSuffix}`;
    if (values.settings !== undefined) {
      // Settings first: ingest reads them when the CSV's event arrives.
      await s3.send(
        new PutObjectCommand({
          Bucket: resources.bucketName,
          Key: `${key.slice(0, -UPLOADS.csvSuffix.length)}${UPLOADS.settingsSuffix}`,
          Body: await readFile(values.settings),
          ContentType: 'application/json',
        }),
      );
    }
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: resources.bucketName,
        Key: key,
        Body: await readFile(csvPath),
        ContentType: 'text/csv',
      }),
    );
    const campaignId = campaignIdFor({
      bucket: resources.bucketName,
      key,
      ...(put.ETag ? { etag: put.ETag } : {}),
      ...(put.VersionId ? { versionId: put.VersionId } : {}),
    });
    human(`Uploaded s3://${resources.bucketName}/${key}\nCampaign ${campaignId}\n`);
    if (values['no-wait']) {
      if (values.json) io.stdout(`${JSON.stringify({ campaignId, key }, null, 2)}\n`);
      human(`Follow it with: invites status ${campaignId} ${target.flag}\n`);
      return EXIT.ok;
    }
    const stop = io.interrupted().then(() => 'interrupted' as const);
    const progress = createProgress(io.stderr);
    const started = Date.now();
    let record: CampaignRecord | undefined;
    for (;;) {
      record = await store.getCampaign(campaignId);
      const total = record?.accepted ?? 0;
      const done = (record?.emailed ?? 0) + (record?.failed ?? 0);
      progress.update({
        label: record?.status ?? 'waiting',
        done,
        total,
        detail: record?.pause
          ? `paused: ${PAUSE_LABEL[record.pause.kind]}, resumes at ${new Date(record.pause.resumesAt).toISOString()}`
          : `emailed ${record?.emailed ?? 0}, failed ${record?.failed ?? 0}`,
        elapsedMs: Date.now() - started,
      });
      if (record && record.status !== 'ingesting' && record.status !== 'enqueued') break;
      if (!record && Date.now() - started > NO_RECORD_AFTER_MS) {
        progress.done();
        io.stderr.write(
          `invites: no campaign record appeared within ${NO_RECORD_AFTER_MS / 1000} s: the ingest function did not start or failed before it could write one. Look at its logs (stack output ${STACK_OUTPUTS.ingestLogGroupName}) and its dead-letter queue; the upload stays in the bucket.\n`,
        );
        return EXIT.failed;
      }
      if ((await Promise.race([stop, sleep(2000)])) === 'interrupted') {
        progress.done();
        io.stderr.write(
          `Stopped watching; the campaign keeps running. Check it with: invites status ${campaignId} ${target.flag}\n`,
        );
        return EXIT.interrupted;
      }
    }
    progress.done();
    const lines = await reportLines(store, campaignId);
    human(formatRecord(record, funnelOf(lines)));
    if (values.json) io.stdout(`${JSON.stringify(statusCounts(record, funnelOf(lines)), null, 2)}\n`);
    human(`Report: invites report ${campaignId} ${target.flag} --out report.csv\n`);
    if (record.status === 'failed') {
      io.stderr.write(`invites: the campaign failed: ${record.failureReason ?? 'no reason recorded'}\n`);
      return EXIT.failed;
    }
    return EXIT.ok;
  } finally {
    target.destroy();
  }
};

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
    const record = await target.store.getCampaign(campaignId);
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
    const funnel = funnelOf(await reportLines(store, campaignId));
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
  return withCampaign('report', values, campaignId, io, async (_record, store) => {
    const csv = reportCsv(await reportLines(store, campaignId));
    if (values.out) {
      await writeFile(values.out, csv);
      io.stderr.write(`Report written to ${values.out}\n`);
    } else io.stdout(csv);
    return EXIT.ok;
  });
};
