// `invites send`: uploads a campaign's CSV (settings first) to the deployed or local stack and watches it.
// With --campaign NAME the file goes under the campaign's own key, so a later, changed file adds to it.

import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { STACK_OUTPUTS, UPLOADS } from '#infra/definitions.ts';
import { CAMPAIGN_NAME } from '#shared/console/names.ts';
import { uploadRefusal } from '#shared/console/uploads.ts';
import { PAUSE_LABEL } from '#shared/errors.ts';
import { campaignIdFor } from '#shared/store/keys.ts';
import type { ReportLine } from '#shared/store/report.ts';
import type { CampaignRecord } from '#shared/store/types.ts';
import { knownUpload, uploadOf, uploadTagOf } from '#shared/store/uploads.ts';
import { EXIT, onePositional, parse, UsageError } from './args.ts';
import { formatRecord, funnelOf, reportLines, statusCounts } from './cloud.ts';
import { apiOption, fetchPrice, type Io, requireFile } from './local.ts';
import { createProgress } from './output.ts';
import { namedCampaignKey, type Target, targetOf } from './target.ts';
import { formatValidation, validateCampaign, wouldFail } from './validate.ts';

/** How long `send` waits for the ingest to write the campaign record before it says the ingest failed. */
const NO_RECORD_AFTER_MS = 60_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The key of a campaign's CSV: the campaign's own with a name, else a new one per upload. */
export const campaignKey = (csvPath: string, name: string | undefined, now = new Date()): string => {
  if (name !== undefined) return namedCampaignKey(name);
  const stem =
    basename(csvPath)
      .replace(/\.csv$/i, '')
      .replace(/[^A-Za-z0-9._-]+/g, '-') || 'respondents';
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  return `${UPLOADS.prefix}${stem}-${stamp}${UPLOADS.csvSuffix}`;
};

/** `invites send`. */
export const sendCommand = async (args: string[], io: Io): Promise<number> => {
  const { values, positionals } = parse('send', args, {
    stack: { type: 'string' },
    settings: { type: 'string' },
    campaign: { type: 'string' },
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
  if (values.campaign !== undefined && !CAMPAIGN_NAME.test(values.campaign)) {
    throw new UsageError(
      `--campaign '${values.campaign}' is not a campaign name: use letters, digits, '.', '_' or '-' (up to 100), starting with a letter or digit`,
      'send',
    );
  }
  const api = apiOption('send', values['api-url'], values['api-token']);
  const human = values.json ? (text: string) => io.stderr.write(text) : io.stdout;
  if (values['dry-run']) return dryRun(csvPath, values.settings, api, human);

  const target = await targetOf('send', values);
  try {
    const key = campaignKey(csvPath, values.campaign);
    const campaignId = campaignIdFor({ bucket: target.bucketName, key });
    const before = values.campaign === undefined ? undefined : await target.store.getCampaign(campaignId);
    const name = values.campaign ?? '';
    const settingsRefused =
      values.settings === undefined ? undefined : uploadRefusal(name, before, 'settings');
    const refusal =
      uploadRefusal(name, before, 'csv') ?? (settingsRefused && `${settingsRefused}: leave out --settings`);
    if (refusal) {
      io.stderr.write(`invites: ${refusal}\n`);
      return EXIT.failed;
    }
    const tag = await upload(target, key, csvPath, values.settings);
    human(`Uploaded s3://${target.bucketName}/${key}\nCampaign ${campaignId}\n`);
    if (before && knownUpload(before, tag)) {
      if (before.status === 'failed') {
        io.stderr.write(
          `invites: the file is identical to the upload that failed (${before.failureReason ?? 'no reason recorded'}); change the file, or send it under another --campaign name\n`,
        );
        return EXIT.failed;
      }
      human(`The file is identical to an upload this campaign already has: nothing new to invite.\n`);
      return EXIT.ok;
    }
    if (values['no-wait']) {
      if (values.json) io.stdout(`${JSON.stringify({ campaignId, key }, null, 2)}\n`);
      human(`Follow it with: invites status ${campaignId} ${target.flag}\n`);
      return EXIT.ok;
    }
    return await watch(target, campaignId, tag, io, { human, json: values.json === true });
  } finally {
    target.destroy();
  }
};

/** `send --dry-run`: the file judged as the ingest would, against placeholder deployment defaults. */
const dryRun = async (
  csvPath: string,
  settingsPath: string | undefined,
  api: ReturnType<typeof apiOption>,
  human: (text: string) => void,
): Promise<number> => {
  // The deployment's defaults live in the function's environment; placeholders stand in for the two
  // required ones so only the file's own fields are judged here.
  const validation = await validateCampaign({
    csvPath,
    ...(settingsPath ? { settingsPath } : {}),
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
};

/** Uploads the settings (first: the ingest reads them when the CSV's event arrives), then the CSV; its tag. */
const upload = async (target: Target, key: string, csvPath: string, settingsPath: string | undefined) => {
  if (settingsPath !== undefined) {
    await target.s3.send(
      new PutObjectCommand({
        Bucket: target.bucketName,
        Key: `${key.slice(0, -UPLOADS.csvSuffix.length)}${UPLOADS.settingsSuffix}`,
        Body: await readFile(settingsPath),
        ContentType: 'application/json',
      }),
    );
  }
  const put = await target.s3.send(
    new PutObjectCommand({
      Bucket: target.bucketName,
      Key: key,
      Body: await readFile(csvPath),
      ContentType: 'text/csv',
    }),
  );
  return uploadTagOf({
    ...(put.ETag ? { etag: put.ETag } : {}),
    ...(put.VersionId ? { versionId: put.VersionId } : {}),
  });
};

/** Whether the ingest of the upload with `tag` is over (another upload may have come after it). */
const ingested = (record: CampaignRecord | undefined, tag: string): record is CampaignRecord =>
  record !== undefined &&
  knownUpload(record, tag) &&
  !(record.status === 'ingesting' && uploadOf(record).tag === tag);

/** Watches the campaign until its upload is ingested and its sends are over; prints the outcome. */
const watch = async (
  target: Target,
  campaignId: string,
  tag: string,
  io: Io,
  out: { human: (text: string) => void; json: boolean },
): Promise<number> => {
  const stop = io.interrupted().then(() => 'interrupted' as const);
  const progress = createProgress(io.stderr);
  const started = Date.now();
  let record: CampaignRecord | undefined;
  for (;;) {
    record = await target.store.getCampaign(campaignId);
    progress.update({
      label: ingested(record, tag) ? record.status : 'waiting for the ingest',
      done: (record?.emailed ?? 0) + (record?.failed ?? 0),
      total: record?.accepted ?? 0,
      detail: record?.pause
        ? `paused: ${PAUSE_LABEL[record.pause.kind]}, resumes at ${new Date(record.pause.resumesAt).toISOString()}`
        : `emailed ${record?.emailed ?? 0}, failed ${record?.failed ?? 0}`,
      elapsedMs: Date.now() - started,
    });
    if (ingested(record, tag) && record.status !== 'enqueued') break;
    if (record?.status === 'cancelled' && !knownUpload(record, tag)) {
      progress.done();
      io.stderr.write(`invites: the campaign was cancelled meanwhile: this upload was refused\n`);
      return EXIT.failed;
    }
    // No record, or one that neither took this upload nor is busy with another: the ingest never ran on it.
    const untaken = !record || (!knownUpload(record, tag) && record.status !== 'ingesting');
    if (untaken && Date.now() - started > NO_RECORD_AFTER_MS) {
      progress.done();
      io.stderr.write(
        `invites: the ingest did not take the upload within ${NO_RECORD_AFTER_MS / 1000} s: the ingest function did not start or failed before it could record it. Look at its logs (stack output ${STACK_OUTPUTS.ingestLogGroupName}) and its dead-letter queue; the upload stays in the bucket.\n`,
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
  return outcome(target, record, tag, io, out);
};

/** Prints the campaign as its upload left it; exit 1 when the campaign or this upload failed. */
const outcome = async (
  target: Target,
  record: CampaignRecord,
  tag: string,
  io: Io,
  out: { human: (text: string) => void; json: boolean },
): Promise<number> => {
  const lines = await reportLines(target.store, record.campaignId);
  const upload = uploadOf(record);
  out.human(formatRecord(record, funnelOf(lines)));
  if (upload.number > 1 && upload.tag === tag) out.human(`${formatUpload(upload.number, lines)}\n`);
  if (out.json) io.stdout(`${JSON.stringify(statusCounts(record, funnelOf(lines)), null, 2)}\n`);
  out.human(`Report: invites report ${record.campaignId} ${target.flag} --out report.csv\n`);
  if (record.status === 'failed') {
    io.stderr.write(`invites: the campaign failed: ${record.failureReason ?? 'no reason recorded'}\n`);
    return EXIT.failed;
  }
  if (record.uploadFailure && upload.tag === tag) {
    io.stderr.write(
      `invites: this upload failed (the campaign goes on as it was): ${record.uploadFailure}\n`,
    );
    return EXIT.failed;
  }
  return EXIT.ok;
};

/** What one upload of a campaign brought: its rows, who was new, who was in the campaign already. */
export const formatUpload = (upload: number, lines: readonly ReportLine[]): string => {
  const own = lines.filter((l) => l.upload === upload);
  const count = (test: (l: ReportLine) => boolean) => own.filter(test).length;
  const already = count((l) => l.status === 'duplicate' && l.reason.startsWith('already'));
  const notInvited = ['rejected', 'duplicate', 'suppressed'];
  return (
    `  upload ${upload}: ${own.length} rows, ${count((l) => !notInvited.includes(l.status))} new invitees, ` +
    `${already} already in the campaign (given nothing), ${count((l) => l.status === 'duplicate') - already} ` +
    `duplicates in the file, ${count((l) => l.status === 'rejected')} rejected, ${count((l) => l.status === 'suppressed')} suppressed`
  );
};
