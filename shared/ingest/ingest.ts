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
import { campaignIdFor, legacyCampaignIdFor } from '#shared/store/keys.ts';
import type { StartIngestOutcome } from '#shared/store/ports.ts';
import type { CampaignRecord, SuppressionEntry } from '#shared/store/types.ts';
import { settingsKeyFor, uploadOf, uploadTagOf } from '#shared/store/uploads.ts';
import { checkBudget, countInvitees } from './budget.ts';
import { DEFAULT_INGEST_LEASE_MS } from './config.ts';
import type { IngestStore, InviteQueue, UploadRef, UploadSource } from './ports.ts';
import { suppressionsOf } from './screen.ts';
import { keepsSettings, type PriorRespondent, priorRespondents, statusAfterFailure } from './uploads.ts';
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
  /** A changed upload to a cancelled campaign: nobody new is taken in. */
  | 'refused'
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

export { settingsKeyFor };

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
  /** The status a failure of this upload leaves (a later upload of a running campaign: the one before). */
  restore?: CampaignRecord['status'];
}

/** A whole-file problem ends the campaign `failed`, with the reason; anything else is thrown (retried). */
class CampaignFailure extends Error {}

/**
 * Ingest use case: campaign record and lease, settings, the CSV into batches, final counts. The campaign id
 * comes from bucket + key; the same content is never ingested twice, changed content under the key is the
 * campaign's next upload, and a crashed ingest is resumed from its checkpoint without overwriting
 * respondents the invite side already progressed.
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
    // An event of an upload ingested before campaigns were keys (retried across the deploy): already done.
    const legacy = await deps.store.getCampaign(legacyCampaignIdFor(request));
    if (legacy) {
      run.logger.info('upload already ingested under its id from before campaigns were keys');
      return { campaignId: legacy.campaignId, outcome: 'duplicate', record: legacy };
    }
    const started = await startCampaign(run);
    if (started.outcome === 'done' || started.outcome === 'closed') {
      const cancelled = started.outcome === 'closed';
      if (cancelled) run.logger.warn('changed upload to a cancelled campaign: nobody new is invited');
      else run.logger.info('duplicate upload event: already ingested', { status: started.record.status });
      // A crash between the end of an ingest and its finalize message leaves the message to a repeat event.
      await finalizeIfDone(run, started.record);
      return { campaignId, outcome: cancelled ? 'refused' : 'duplicate', record: started.record };
    }
    run.restore = statusAfterFailure(started.record.upload);
    return await ingestStarted(run, started);
  } catch (error) {
    if (error instanceof CampaignFailure) return await fail(run, error.message);
    throw error;
  } finally {
    run.logger.removeKeys(['campaignId']);
  }
};

/**
 * The campaign record with this ingest's lease: created, reopened for this upload, taken over from a crashed
 * ingest, or done. While another upload's ingest holds the campaign this waits; if that ingest crashed, this
 * one finishes it first (its own event may never come back).
 */
const startCampaign = async (run: Run): Promise<StartIngestOutcome> => {
  const { request, campaignId, owner, clock } = run;
  const source: CampaignRecord['source'] = {
    bucket: request.bucket,
    key: request.key,
    settingsKey: settingsKeyFor(request.key),
    ...(request.etag ? { etag: request.etag.replace(/"/g, '') } : {}),
    ...(request.versionId ? { versionId: request.versionId } : {}),
  };
  const start = () =>
    run.deps.store.startIngest({ campaignId, owner, nowMs: clock(), leaseMs: run.leaseMs, source });
  let started = await start();
  while (started.outcome === 'busy') {
    const until = started.record.leaseUntil ?? clock();
    if (until <= clock() && uploadOf(started.record).tag !== uploadTagOf(source)) {
      run.logger.info('finishing the crashed ingest of the upload before', {
        key: started.record.source.key,
      });
      await ingestUpload(run.deps, { ...started.record.source, ...deadlineOf(request) });
    } else {
      if (request.deadlineMs !== undefined && until + 1000 > request.deadlineMs) {
        throw new RetryableError(`campaign ${campaignId} is being ingested by another invocation`);
      }
      run.logger.info('ingest busy elsewhere; waiting', { leaseUntil: until });
      await run.sleep(Math.max(200, Math.min(2000, until - clock() + 50)));
    }
    started = await start();
  }
  return started;
};

const deadlineOf = (request: IngestRequest) =>
  request.deadlineMs === undefined ? {} : { deadlineMs: request.deadlineMs };

/** Settings, then the CSV into batches, then the upload's counts added to the campaign's. */
const ingestStarted = async (run: Run, started: StartIngestOutcome): Promise<IngestResult> => {
  const resumed = started.outcome === 'taken-over';
  const upload = uploadOf(started.record);
  const checkpoint = resumed ? (started.record.checkpoint ?? upload.firstBatch) : upload.firstBatch;
  run.logger.info(resumed ? 'resuming a crashed ingest' : 'ingest started', {
    key: run.request.key,
    upload: upload.number,
    checkpoint,
  });
  const settings = await settingsOf(run, keepsSettings(started) ? started.record : undefined);
  const screen = await screenOf(run, settings, started);
  const body = await wholeFile(() => run.deps.source.openCsv(run.request));
  const writer = new BatchWriter(
    {
      store: run.deps.store,
      queue: run.deps.queue,
      campaignId: run.campaignId,
      owner: run.owner,
      checkpoint,
      upload,
      leaseMs: run.leaseMs,
      clock: run.clock,
    },
    settings,
  );
  const { counts, columns } = await parseInto(body, writer, settings, screen);
  const { batches, chunks } = await writer.finish();
  const record = await run.deps.store.finishIngest({
    campaignId: run.campaignId,
    owner: run.owner,
    nowMs: run.clock(),
    counts: { ...counts, batches },
    chunks,
    empty: (started.record.accepted ?? 0) + counts.accepted === 0,
    columns,
  });
  await finalizeIfDone(run, record);
  run.logger.info('ingest finished', { ...counts, batches, columns, status: record.status });
  return { campaignId: run.campaignId, outcome: resumed ? 'resumed' : 'ingested', record };
};

/** The invite side already finished every batch: a finalize message lets it complete the campaign. */
const finalizeIfDone = async (run: Run, record: CampaignRecord | undefined) => {
  if (record?.status === 'enqueued' && (record.batchesDone ?? 0) >= (record.batches ?? 0)) {
    await run.deps.queue.send([{ campaignId: run.campaignId, finalize: true }]);
  }
};

/** Who of the file is not invited: suppressed addresses, and people already in the campaign. */
interface Screen {
  suppressed: ReadonlyMap<string, SuppressionEntry>;
  prior: ReadonlyMap<string, PriorRespondent>;
}

/**
 * The screen of this upload, and (with `maxTokens`) the budget check over the whole campaign: those already
 * in it plus the file's new invitees. A resumed ingest sees the same suppression list (as of the upload's
 * start) and the same earlier respondents, so it cuts the same batches; one whose batches went out already
 * passed the check (batches are cut only after it), and must not fail now that a price may have changed.
 */
const screenOf = async (
  run: Run,
  settings: CampaignSettings,
  started: StartIngestOutcome,
): Promise<Screen> => {
  const { record } = started;
  const upload = uploadOf(record);
  const suppressed = suppressionsOf(await run.deps.store.listSuppressed(Date.parse(upload.at)));
  const prior = await priorRespondents(run.deps.store, run.campaignId, upload);
  const checked =
    started.outcome === 'taken-over' &&
    (await run.deps.store.queryBatch(run.campaignId, upload.firstBatch)).some(
      (r) => (r.upload ?? 1) === upload.number,
    );
  if (checked) return { suppressed, prior };
  const reservation = await wholeFile(() =>
    checkBudget(settings, run.deps.price, async () => {
      const skip = new Set([...suppressed.keys(), ...prior.keys()]);
      return (
        (record.accepted ?? 0) +
        (await countInvitees(await run.deps.source.openCsv(run.request), settings, skip))
      );
    }),
  );
  if (reservation) run.logger.info('within budget', { reservedTokens: reservation.tokens });
  return { suppressed, prior };
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
const parseInto = async (body: CsvInput, writer: BatchWriter, settings: CampaignSettings, screen: Screen) => {
  const counts = { rows: 0, accepted: 0, rejected: 0, duplicates: 0, suppressed: 0 };
  let columns = '';
  const onFileInfo = (info: CsvFileInfo) => {
    checkMergeFields(settings, info.fieldKeys);
    columns = info.columns;
  };
  const screening = screen.suppressed.size > 0 || screen.prior.size > 0;
  try {
    for await (const rows of parseRespondentBatches(body, { onFileInfo, columns: settings.columns })) {
      for (const row of rows) {
        counts.rows++;
        // Most rows only join a group: no promise, no await.
        let flushing: Promise<void> | undefined;
        const key = screening && row.kind === 'accepted' ? row.respondent.emailKey : undefined;
        const prior = key === undefined ? undefined : screen.prior.get(key);
        const entry = key === undefined || prior ? undefined : screen.suppressed.get(key);
        if (prior && row.kind === 'accepted') {
          counts.duplicates++;
          flushing = writer.addAlready(row, prior);
        } else if (entry && row.kind === 'accepted') {
          counts.suppressed++;
          flushing = writer.addSuppressed(row, entry);
        } else {
          counts[
            row.kind === 'accepted' ? 'accepted' : row.kind === 'rejected' ? 'rejected' : 'duplicates'
          ]++;
          flushing = writer.add(row);
        }
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

/** Ends the campaign `failed` with one clear reason; a later upload of a running campaign fails alone. */
const fail = async (run: Run, reason: string): Promise<IngestResult> => {
  run.logger.warn(run.restore ? 'upload failed; the campaign goes on' : 'campaign failed', { reason });
  await run.deps.store.failCampaign({
    campaignId: run.campaignId,
    owner: run.owner,
    reason,
    nowMs: run.clock(),
    ...(run.restore ? { restore: run.restore } : {}),
  });
  const record = await run.deps.store.getCampaign(run.campaignId);
  // Back to `enqueued`: the batches may all have finished while this upload was read.
  await finalizeIfDone(run, record);
  return { campaignId: run.campaignId, outcome: 'failed', ...(record ? { record } : {}) };
};
