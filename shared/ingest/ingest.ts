// The ingest use case: S3 ObjectCreated → a campaign. Settings resolved, the CSV stream-parsed into batches
// recorded and enqueued, the campaign's counts recorded; idempotent per upload, resumable after a crash.
import { randomUUID } from 'node:crypto';
import type { TokenPrice } from '#shared/campaign/budget.ts';
import {
  type CampaignSettings,
  checkMergeFields,
  resolveSettings,
  SettingsError,
} from '#shared/campaign/settings.ts';
import type { CsvInput } from '#shared/csv/encoding.ts';
import { CsvFileError, type CsvFileInfo, parseRespondentBatches } from '#shared/csv/parse.ts';
import { PermanentError, RetryableError } from '#shared/errors.ts';
import { type AppLogger, silentLogger } from '#shared/log.ts';
import { realSleep, type Sleep } from '#shared/store/concurrency.ts';
import { campaignIdFor } from '#shared/store/keys.ts';
import type { StartIngestOutcome } from '#shared/store/ports.ts';
import type { CampaignRecord, SuppressionEntry } from '#shared/store/types.ts';
import { checkBudget, countInvitees } from './budget.ts';
import { DEFAULT_INGEST_LEASE_MS } from './config.ts';
import type { IngestStore, InviteQueue, UploadRef, UploadSource } from './ports.ts';
import { BatchWriter } from './writer.ts';

/** What the ingest use case needs; everything is injectable so tests and the local runtime pass their own. */
export interface IngestDeps {
  source: UploadSource;
  queue: InviteQueue;
  store: IngestStore;
  /** Deployment defaults (CAMPAIGN_DEFAULTS: object or JSON); the upload's settings object overrides them. */
  campaignDefaults: unknown;
  logger?: AppLogger;
  /** Epoch ms. */
  clock?: () => number;
  sleep?: Sleep;
  /** Owner id of the ingest lease (default: a random UUID per call). */
  newId?: () => string;
  /** Ingest lease length; renewed while the ingest makes progress. */
  leaseMs?: number;
  /** The token price (`GET /api/interviews/config`), for campaigns with a `maxTokens` budget. */
  price?: TokenPrice;
}

/** One uploaded object to ingest. */
export interface IngestRequest extends UploadRef {
  /** Epoch ms by which this invocation must have returned (Lambda deadline); bounds waiting for a busy lease. */
  deadlineMs?: number;
}

/** How an ingest ended. */
export type IngestOutcome =
  /** The campaign was ingested and its batches enqueued (`resumed`: after taking over a crashed ingest). */
  | 'ingested'
  | 'resumed'
  /** The campaign already existed past ingesting: duplicate event or identical re-upload. */
  | 'duplicate'
  /** The file or its settings were unusable: the campaign is `failed`, nothing was enqueued. */
  | 'failed'
  /** Not a campaign CSV (e.g. the settings object). */
  | 'ignored';

/** Result of {@link ingestUpload}. */
export interface IngestResult {
  campaignId: string;
  outcome: IngestOutcome;
  record?: CampaignRecord;
}

/** Key of the optional settings object beside a CSV: `<key without .csv>.settings.json`. */
export const settingsKeyFor = (csvKey: string): string => `${csvKey.replace(/\.csv$/i, '')}.settings.json`;

/** One ingest's context, defaults resolved. */
interface Run {
  deps: IngestDeps;
  request: IngestRequest;
  campaignId: string;
  owner: string;
  leaseMs: number;
  clock: () => number;
  sleep: Sleep;
  logger: AppLogger;
}

/** A whole-file problem ends the campaign `failed`, with the reason; anything else is thrown (retried). */
class CampaignFailure extends Error {}

/**
 * Ingest use case: campaign record and lease, settings, the CSV into batches, final counts. The campaign id
 * comes from bucket + key + ETag, a finished campaign is never re-ingested, and a crashed ingest is resumed
 * from its checkpoint without overwriting respondents the invite side already progressed.
 */
export const ingestUpload = async (deps: IngestDeps, request: IngestRequest): Promise<IngestResult> => {
  const campaignId = campaignIdFor(request);
  if (!/\.csv$/i.test(request.key)) return { campaignId, outcome: 'ignored' };
  const run: Run = {
    deps,
    request,
    campaignId,
    owner: deps.newId?.() ?? randomUUID(),
    leaseMs: deps.leaseMs ?? DEFAULT_INGEST_LEASE_MS,
    clock: deps.clock ?? Date.now,
    sleep: deps.sleep ?? realSleep,
    logger: deps.logger ?? silentLogger,
  };
  run.logger.appendKeys({ campaignId });
  try {
    const started = await startCampaign(run);
    if (started.outcome === 'done') {
      run.logger.info('duplicate upload event: campaign already ingested', { status: started.record.status });
      return { campaignId, outcome: 'duplicate', record: started.record };
    }
    return await ingestStarted(run, started);
  } catch (error) {
    if (error instanceof CampaignFailure) return await fail(run, error.message);
    throw error;
  } finally {
    run.logger.removeKeys(['campaignId']);
  }
};

/** The campaign record with this ingest's lease: created, taken over from a crashed ingest, or done. */
const startCampaign = async (run: Run): Promise<StartIngestOutcome> => {
  const { request, campaignId, owner, clock } = run;
  const start = (source: CampaignRecord['source']) =>
    run.deps.store.startIngest({ campaignId, owner, nowMs: clock(), leaseMs: run.leaseMs, source });
  let started = await start({
    bucket: request.bucket,
    key: request.key,
    settingsKey: settingsKeyFor(request.key),
    ...(request.etag ? { etag: request.etag.replace(/"/g, '') } : {}),
    ...(request.versionId ? { versionId: request.versionId } : {}),
  });
  while (started.outcome === 'busy') {
    const until = started.record.leaseUntil ?? clock();
    if (request.deadlineMs !== undefined && until + 1000 > request.deadlineMs) {
      throw new RetryableError(`campaign ${campaignId} is being ingested by another invocation`);
    }
    run.logger.info('ingest busy elsewhere; waiting', { leaseUntil: until });
    await run.sleep(Math.max(200, Math.min(2000, until - clock() + 50)));
    started = await start(started.record.source);
  }
  return started;
};

/** Settings, then the CSV into batches, then the final counts. */
const ingestStarted = async (run: Run, started: StartIngestOutcome): Promise<IngestResult> => {
  const resumed = started.outcome === 'taken-over';
  const checkpoint = resumed ? (started.record.checkpoint ?? 0) : 0;
  run.logger.info(resumed ? 'resuming a crashed ingest' : 'ingest started', {
    key: run.request.key,
    checkpoint,
  });
  const settings = await settingsOf(run, resumed ? started.record : undefined);
  // Addresses suppressed before this campaign began: a resumed ingest sees the same list, so the same batches.
  const suppressed = suppressionsOf(
    await run.deps.store.listSuppressed(Date.parse(started.record.createdAt)),
  );
  const reservation = await wholeFile(() =>
    checkBudget(settings, run.deps.price, async () =>
      countInvitees(await run.deps.source.openCsv(run.request), settings, new Set(suppressed.keys())),
    ),
  );
  if (reservation) run.logger.info('within budget', { reservedTokens: reservation.tokens });
  const body = await wholeFile(() => run.deps.source.openCsv(run.request));
  const writer = new BatchWriter(
    {
      store: run.deps.store,
      queue: run.deps.queue,
      campaignId: run.campaignId,
      owner: run.owner,
      checkpoint,
      leaseMs: run.leaseMs,
      clock: run.clock,
    },
    settings,
  );
  const { counts, columns } = await parseInto(body, writer, settings, suppressed);
  const batches = await writer.finish();
  const record = await run.deps.store.finishIngest({
    campaignId: run.campaignId,
    owner: run.owner,
    nowMs: run.clock(),
    counts: { ...counts, batches },
    columns,
  });
  // The invite side already finished every batch: a finalize message lets it complete the campaign.
  if (record.status === 'enqueued' && (record.batchesDone ?? 0) >= batches) {
    await run.deps.queue.send([{ campaignId: run.campaignId, finalize: true }]);
  }
  run.logger.info('ingest finished', { ...counts, batches, columns, status: record.status });
  return { campaignId: run.campaignId, outcome: resumed ? 'resumed' : 'ingested', record };
};

/** Runs a step whose whole-file or settings problem fails the campaign (a CampaignFailure). */
const wholeFile = async <T>(step: () => Promise<T>): Promise<T> => {
  try {
    return await step();
  } catch (error) {
    if (error instanceof CsvFileError || error instanceof PermanentError) {
      throw new CampaignFailure(error.message, { cause: error });
    }
    throw error;
  }
};

/** The settings a crashed ingest stored, else defaults ⊕ the object beside the CSV (stored on the record). */
const settingsOf = async (run: Run, resumedFrom: CampaignRecord | undefined): Promise<CampaignSettings> => {
  const stored = resumedFrom?.settings as unknown as CampaignSettings | undefined;
  if (stored) return stored;
  const overrides = await wholeFile(() =>
    run.deps.source.readSettings(run.request.bucket, settingsKeyFor(run.request.key)),
  );
  const resolved = await wholeFile(async () => resolveSettings(run.deps.campaignDefaults, overrides));
  const settings = JSON.parse(JSON.stringify(resolved)) as CampaignSettings;
  await run.deps.store.renewIngestLease({
    campaignId: run.campaignId,
    owner: run.owner,
    leaseUntil: run.clock() + run.leaseMs,
    settings: settings as unknown as Record<string, unknown>,
  });
  return settings;
};

/**
 * Parses the CSV into the writer; returns the row counts. The header comes before any batch: a merge field
 * neither built in nor a column fails the campaign there, before a room is created.
 */
const parseInto = async (
  body: CsvInput,
  writer: BatchWriter,
  settings: CampaignSettings,
  suppressed: ReadonlyMap<string, SuppressionEntry>,
) => {
  const counts = { rows: 0, accepted: 0, rejected: 0, duplicates: 0, suppressed: 0 };
  let columns = '';
  const onFileInfo = (info: CsvFileInfo) => {
    checkMergeFields(settings, info.fieldKeys);
    columns = info.columns;
  };
  try {
    for await (const rows of parseRespondentBatches(body, { onFileInfo, columns: settings.columns })) {
      for (const row of rows) {
        counts.rows++;
        const entry =
          row.kind === 'accepted' && suppressed.size > 0
            ? suppressed.get(row.respondent.email.toLowerCase())
            : undefined;
        if (entry) counts.suppressed++;
        else if (row.kind === 'accepted') counts.accepted++;
        else if (row.kind === 'rejected') counts.rejected++;
        else counts.duplicates++;
        // Most rows only join a group: no promise, no await.
        const flushing =
          entry && row.kind === 'accepted' ? writer.addSuppressed(row, entry) : writer.add(row);
        if (flushing) await flushing;
      }
    }
  } catch (error) {
    await writer.settle();
    if (error instanceof CsvFileError || error instanceof SettingsError)
      throw new CampaignFailure(error.message, { cause: error });
    throw error;
  }
  return { counts, columns };
};

/** The suppression list by lower-cased address. */
const suppressionsOf = (entries: readonly SuppressionEntry[]): Map<string, SuppressionEntry> =>
  new Map(entries.map((entry) => [entry.emailKey, entry]));

/** Ends the campaign `failed` with one clear reason. */
const fail = async (run: Run, reason: string): Promise<IngestResult> => {
  run.logger.warn('campaign failed', { reason });
  await run.deps.store.failCampaign({
    campaignId: run.campaignId,
    owner: run.owner,
    reason,
    nowMs: run.clock(),
  });
  return {
    campaignId: run.campaignId,
    outcome: 'failed',
    record: await run.deps.store.getCampaign(run.campaignId),
  };
};
