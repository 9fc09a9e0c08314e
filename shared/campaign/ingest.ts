import { randomUUID } from 'node:crypto';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { CsvInput } from '#shared/csv/encoding.ts';
import { CsvFileError, type ParsedRow, parseRespondentBatches } from '#shared/csv/parse.ts';
import { PermanentError, RetryableError } from '#shared/errors.ts';
import { type AppLogger, silentLogger } from '#shared/log.ts';
import { backoffMs, realSleep, type Sleep } from '#shared/store/concurrency.ts';
import { batchRecordSk, campaignIdFor, campaignPk, rejectedChunkSk } from '#shared/store/keys.ts';
import type { CampaignStore } from '#shared/store/store.ts';
import type {
  BatchRecordItem,
  CampaignRecord,
  IngestedRespondent,
  RejectedChunkItem,
  RejectedRow,
} from '#shared/store/types.ts';
import { type InviteMessage, serializeInviteMessage } from './messages.ts';
import { roomKeyOf, roomParamsFor } from './rooms.ts';
import { type CampaignSettings, languageFor, resolveSettings } from './settings.ts';

/** Respondents per batch (= per SQS message = per create call at most). */
export const BATCH_SIZE = 100;
/** Rejected and duplicate rows kept per report chunk item. */
const REJECTED_CHUNK_SIZE = 100;
/** SendMessageBatch takes at most 10 entries. */
const SQS_BATCH_MAX = 10;
/** Batches stored and enqueued together: 20 records fill most of one BatchWriteItem (25), two SendMessageBatch. */
const GROUP_BATCHES = 20;
/** Attempts for entries SendMessageBatch reports as failed. */
const SQS_ATTEMPTS = 6;
/** Longest email / reason kept for a rejected row (rows can carry megabytes of garbage). */
const MAX_KEPT = 500;
/** Largest JSON of one batch-record part: well below DynamoDB's 400 KB item limit, keys included. */
const MAX_PART_BYTES = 300_000;
/** Least time between two checkpoint writes: a resumed ingest redoes at most this much (idempotently). */
const CHECKPOINT_EVERY_MS = 2000;

/**
 * A batch's respondents as UTF-8 JSON, in as few parts as fit {@link MAX_PART_BYTES} each: one JSON.stringify
 * of the whole batch, halved only when rows with many long columns make it too large (rare).
 */
const encodeParts = (respondents: IngestedRespondent[]): Buffer[] => {
  const json = Buffer.from(JSON.stringify(respondents));
  if (json.length <= MAX_PART_BYTES || respondents.length === 1) return [json];
  const half = Math.ceil(respondents.length / 2);
  return [...encodeParts(respondents.slice(0, half)), ...encodeParts(respondents.slice(half))];
};

/** What the ingest use case needs; everything is injectable so tests and the local runtime pass their own. */
export interface IngestDeps {
  s3: S3Client;
  sqs: SQSClient;
  store: CampaignStore;
  queueUrl: string;
  /** Deployment defaults (CAMPAIGN_DEFAULTS: object or JSON); the upload's settings object overrides them. */
  campaignDefaults: unknown;
  logger?: AppLogger;
  /** Epoch ms. */
  clock?: () => number;
  sleep?: Sleep;
  /** Owner id of the ingest lease (default: a random UUID per call). */
  newId?: () => string;
  /** Ingest lease length; renewed while the ingest makes progress (default 60 s). */
  leaseMs?: number;
}

/** One uploaded object, as the S3 event names it (key already URL-decoded). */
export interface IngestRequest {
  bucket: string;
  key: string;
  etag?: string;
  versionId?: string;
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

const truncate = (value: string | undefined) =>
  value === undefined ? undefined : value.length > MAX_KEPT ? `${value.slice(0, MAX_KEPT)}…` : value;

const isNoSuchKey = (error: unknown) =>
  error instanceof Error && (error.name === 'NoSuchKey' || error.name === 'NotFound');

/**
 * Ingest use case (S3 ObjectCreated → campaign): resolve settings, stream-parse the CSV, store respondents as
 * one record per batch of ≤ 100 sharing room settings, enqueue one tiny message per batch. Idempotent per upload: the
 * campaign id comes from bucket + key + ETag, a finished campaign is never re-ingested, and a crashed ingest
 * is resumed from its checkpoint without overwriting respondents the invite side already progressed.
 */
export const ingestUpload = async (deps: IngestDeps, request: IngestRequest): Promise<IngestResult> => {
  const clock = deps.clock ?? Date.now;
  const sleep = deps.sleep ?? realSleep;
  const logger = deps.logger ?? silentLogger;
  const leaseMs = deps.leaseMs ?? 60_000;
  const owner = deps.newId?.() ?? randomUUID();
  const campaignId = campaignIdFor(request);
  if (!/\.csv$/i.test(request.key)) return { campaignId, outcome: 'ignored' };
  const settingsKey = settingsKeyFor(request.key);
  logger.appendKeys({ campaignId });
  try {
    // 1. Campaign record + ingest lease (or back off / take over).
    let started = await deps.store.startIngest({
      campaignId,
      owner,
      nowMs: clock(),
      leaseMs,
      source: {
        bucket: request.bucket,
        key: request.key,
        settingsKey,
        ...(request.etag ? { etag: request.etag.replace(/"/g, '') } : {}),
        ...(request.versionId ? { versionId: request.versionId } : {}),
      },
    });
    while (started.outcome === 'busy') {
      const until = started.record.leaseUntil ?? clock();
      if (request.deadlineMs !== undefined && until + 1000 > request.deadlineMs) {
        throw new RetryableError(`campaign ${campaignId} is being ingested by another invocation`);
      }
      logger.info('ingest busy elsewhere; waiting', { leaseUntil: until });
      await sleep(Math.max(200, Math.min(2000, until - clock() + 50)));
      started = await deps.store.startIngest({
        campaignId,
        owner,
        nowMs: clock(),
        leaseMs,
        source: started.record.source,
      });
    }
    if (started.outcome === 'done') {
      logger.info('duplicate upload event: campaign already ingested', { status: started.record.status });
      return { campaignId, outcome: 'duplicate', record: started.record };
    }
    const resumed = started.outcome === 'taken-over';
    const checkpoint = resumed ? (started.record.checkpoint ?? 0) : 0;
    logger.info(resumed ? 'resuming a crashed ingest' : 'ingest started', { key: request.key, checkpoint });

    // 2. Settings: the ones stored by a crashed ingest, else defaults ⊕ the object beside the CSV.
    let settings = resumed ? (started.record.settings as unknown as CampaignSettings | undefined) : undefined;
    if (!settings) {
      try {
        settings = resolveSettings(
          deps.campaignDefaults,
          await readSettingsObject(deps.s3, request.bucket, settingsKey),
        );
      } catch (error) {
        if (error instanceof PermanentError) {
          return await fail(deps, campaignId, owner, clock(), error.message, logger);
        }
        throw error;
      }
      settings = JSON.parse(JSON.stringify(settings)) as CampaignSettings;
      await deps.store.renewIngestLease({
        campaignId,
        owner,
        leaseUntil: clock() + leaseMs,
        settings: settings as unknown as Record<string, unknown>,
      });
    }

    // 3. Stream the CSV into batches.
    let body: CsvInput;
    try {
      body = await readCsvObject(deps.s3, request);
    } catch (error) {
      if (error instanceof CsvFileError)
        return await fail(deps, campaignId, owner, clock(), error.message, logger);
      throw error;
    }
    const writer = new BatchWriter(deps, { campaignId, owner, resumed, checkpoint, leaseMs, clock, sleep });
    const counts = { rows: 0, accepted: 0, rejected: 0, duplicates: 0 };
    try {
      for await (const rows of parseRespondentBatches(body)) {
        for (const row of rows) {
          counts.rows++;
          if (row.kind === 'accepted') counts.accepted++;
          else if (row.kind === 'rejected') counts.rejected++;
          else counts.duplicates++;
          // Most rows only join a group: no promise, no await.
          const flushing = writer.add(row, settings);
          if (flushing) await flushing;
        }
      }
    } catch (error) {
      await writer.settle();
      if (error instanceof CsvFileError) {
        return await fail(deps, campaignId, owner, clock(), error.message, logger);
      }
      throw error;
    }
    const batches = await writer.finish(settings);

    // 4. Final counts; if the invite side already finished every batch, let it complete the campaign.
    const record = await deps.store.finishIngest({
      campaignId,
      owner,
      nowMs: clock(),
      counts: { ...counts, batches },
    });
    if (record.status === 'enqueued' && (record.batchesDone ?? 0) >= batches) {
      await sendMessages(deps, [{ campaignId, finalize: true }], sleep);
    }
    logger.info('ingest finished', { ...counts, batches, status: record.status });
    return { campaignId, outcome: resumed ? 'resumed' : 'ingested', record };
  } finally {
    logger.removeKeys(['campaignId']);
  }
};

const fail = async (
  deps: IngestDeps,
  campaignId: string,
  owner: string,
  nowMs: number,
  reason: string,
  logger: AppLogger,
): Promise<IngestResult> => {
  logger.warn('campaign failed', { reason });
  await deps.store.failCampaign({ campaignId, owner, reason, nowMs });
  return { campaignId, outcome: 'failed', record: await deps.store.getCampaign(campaignId) };
};

/** Reads and JSON-parses the optional settings object; undefined when there is none. */
const readSettingsObject = async (s3: S3Client, bucket: string, key: string): Promise<unknown> => {
  let text: string;
  try {
    const result = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    text = (await result.Body?.transformToString('utf-8')) ?? '';
  } catch (error) {
    if (isNoSuchKey(error)) return undefined;
    throw error;
  }
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new SettingsFileError(
      `settings file ${key} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
};

/** The settings object beside the CSV is not JSON. */
export class SettingsFileError extends PermanentError {}

/** Opens the CSV as a stream, pinned to the version/ETag the event named so we parse what we hashed. */
const readCsvObject = async (s3: S3Client, request: IngestRequest): Promise<CsvInput> => {
  try {
    const result = await s3.send(
      new GetObjectCommand({
        Bucket: request.bucket,
        Key: request.key,
        ...(request.versionId
          ? { VersionId: request.versionId }
          : request.etag
            ? { IfMatch: `"${request.etag.replace(/"/g, '')}"` }
            : {}),
      }),
    );
    if (!result.Body) throw new RetryableError(`S3 returned no body for ${request.key}`);
    return result.Body as unknown as AsyncIterable<Uint8Array>;
  } catch (error) {
    if (error instanceof Error && (error.name === 'PreconditionFailed' || isNoSuchKey(error))) {
      // Replaced or deleted since the event: a newer upload has its own event (and campaign).
      throw new CsvFileError(`the object ${request.key} changed or disappeared before it could be read`);
    }
    throw error;
  }
};

interface WriterContext {
  campaignId: string;
  owner: string;
  resumed: boolean;
  checkpoint: number;
  leaseMs: number;
  clock: () => number;
  sleep: Sleep;
}

/**
 * Groups accepted rows per room-settings key (flushing a group at 100), numbers batches in flush order
 * (deterministic for a given file, so a resumed ingest recomputes the same keys), and per 20 batches writes
 * their records (one item per batch, not one per respondent: the invite side writes respondent items), enqueues
 * them (10 to a SendMessageBatch) and records the checkpoint.
 */
class BatchWriter {
  private readonly groups = new Map<string, Array<Extract<ParsedRow, { kind: 'accepted' }>>>();
  private readonly pending: InviteMessage[] = [];
  private readonly pendingRecords: BatchRecordItem[] = [];
  /** Room-settings key per language value: hashing the settings on every row costs more than parsing it. */
  private readonly roomKeys = new Map<string | undefined, string>();
  /** The previous group's write → enqueue → checkpoint, running while the next group is parsed. */
  private inFlight: Promise<void> = Promise.resolve();
  private checkpointedAt: number;
  private rejected: RejectedRow[] = [];
  private nextBatch = 0;
  private nextChunk = 0;
  private leaseRenewedAt: number;

  constructor(
    private readonly deps: IngestDeps,
    private readonly ctx: WriterContext,
  ) {
    this.leaseRenewedAt = ctx.clock();
    this.checkpointedAt = ctx.clock();
  }

  /**
   * Adds one row. Returns a promise only when the row filled a batch or a chunk of rejected rows, or the
   * lease is due for renewal: most rows cost no await.
   */
  add(row: ParsedRow, settings: CampaignSettings): Promise<void> | undefined {
    let flushing: Promise<void> | undefined;
    if (row.kind === 'accepted') {
      const language = row.respondent.language;
      let key = this.roomKeys.get(language);
      if (key === undefined) {
        key = roomKeyOf(roomParamsFor(settings, languageFor(settings, language).roomLanguage));
        this.roomKeys.set(language, key);
      }
      let group = this.groups.get(key);
      if (group === undefined) {
        group = [];
        this.groups.set(key, group);
      }
      group.push(row);
      if (group.length >= BATCH_SIZE) {
        this.groups.delete(key);
        flushing = this.flushBatch(key, group);
      }
    } else {
      this.rejected.push(
        row.kind === 'rejected'
          ? {
              line: row.line,
              kind: 'rejected',
              reason: truncate(row.reason) ?? '',
              ...(row.email ? { email: truncate(row.email) } : {}),
            }
          : {
              line: row.line,
              kind: 'duplicate',
              email: truncate(row.email),
              reason: `duplicate of line ${row.firstLine}`,
            },
      );
      if (this.rejected.length >= REJECTED_CHUNK_SIZE) flushing = this.flushRejected();
    }
    // A long run of rejected rows writes nothing to the lease: keep it alive anyway.
    if (this.ctx.clock() - this.leaseRenewedAt > this.ctx.leaseMs / 3) flushing = this.renewAfter(flushing);
    return flushing;
  }

  private async renewAfter(flushing: Promise<void> | undefined): Promise<void> {
    await flushing;
    await this.inFlight;
    await this.renew();
  }

  /** Flushes the remainders; returns the number of batches. */
  async finish(_settings: CampaignSettings): Promise<number> {
    for (const [key, group] of this.groups) await this.flushBatch(key, group);
    this.groups.clear();
    await this.flushRejected();
    await this.sendPending();
    await this.inFlight;
    return this.nextBatch;
  }

  private async flushBatch(
    roomKey: string,
    rows: Array<Extract<ParsedRow, { kind: 'accepted' }>>,
  ): Promise<void> {
    const batch = this.nextBatch++;
    if (batch < this.ctx.checkpoint) return; // written and enqueued before the crash
    const { campaignId } = this.ctx;
    const nowMs = this.ctx.clock();
    const record = {
      pk: campaignPk(campaignId),
      type: 'batch' as const,
      campaignId,
      batch,
      roomKey,
      createdAt: new Date(nowMs).toISOString(),
      expiresAt: this.deps.store.expiresAt(nowMs),
    };
    // Empty name/language are left out (JSON drops undefined), as the respondent item leaves them out.
    const respondents = rows.map((row, seq): IngestedRespondent => {
      const { email, name, language, fields } = row.respondent;
      const respondent: IngestedRespondent = { seq, line: row.line, email, fields };
      if (name) respondent.name = name;
      if (language) respondent.language = language;
      return respondent;
    });
    encodeParts(respondents).forEach((json, part) => {
      this.pendingRecords.push({ ...record, sk: batchRecordSk(batch, part), part, respondents: json });
    });
    this.pending.push({ campaignId, batch });
    if (this.pending.length >= GROUP_BATCHES) await this.sendPending();
  }

  private async flushRejected(): Promise<void> {
    if (this.rejected.length === 0) return;
    const { campaignId } = this.ctx;
    const item: RejectedChunkItem = {
      pk: campaignPk(campaignId),
      sk: rejectedChunkSk(this.nextChunk++),
      type: 'rejected',
      campaignId,
      rows: this.rejected,
      expiresAt: this.deps.store.expiresAt(this.ctx.clock()),
    };
    this.rejected = [];
    // Same file → same chunk content: an overwrite by a resumed ingest is harmless.
    await this.deps.store.writeNewItems([item], { conditional: false });
  }

  /**
   * Starts storing and enqueueing the pending group once the previous group is done, and returns while it
   * runs, so parsing goes on meanwhile (one group in flight; its failure surfaces at the next call).
   */
  private async sendPending(): Promise<void> {
    await this.inFlight;
    if (this.pending.length === 0) return;
    const records = this.pendingRecords.splice(0);
    const messages = this.pending.splice(0);
    this.inFlight = (async () => {
      // A batch's record is stored before its message exists, so the invite side always finds it.
      await this.deps.store.writeBatchRecords(records);
      await sendMessages(this.deps, messages, this.ctx.sleep);
      if (this.ctx.clock() - this.checkpointedAt >= CHECKPOINT_EVERY_MS) {
        this.checkpointedAt = this.ctx.clock();
        await this.renew(Math.max(...messages.map((m) => ('batch' in m ? m.batch : 0))) + 1);
      }
    })();
    // Marked handled here; the error is rethrown by the next `await this.inFlight`.
    this.inFlight.catch(() => {});
  }

  /** Waits for the group in flight, ignoring its outcome (before failing the campaign). */
  async settle(): Promise<void> {
    await this.inFlight.catch(() => {});
  }

  private async renew(checkpoint?: number): Promise<void> {
    this.leaseRenewedAt = this.ctx.clock();
    await this.deps.store.renewIngestLease({
      campaignId: this.ctx.campaignId,
      owner: this.ctx.owner,
      leaseUntil: this.leaseRenewedAt + this.ctx.leaseMs,
      ...(checkpoint !== undefined ? { checkpoint } : {}),
    });
  }
}

/** Sends messages 10 per SendMessageBatch, retrying entries SQS reports as failed (with backoff). */
export const sendMessages = async (
  deps: Pick<IngestDeps, 'sqs' | 'queueUrl'>,
  messages: readonly InviteMessage[],
  sleep: Sleep = realSleep,
): Promise<void> => {
  for (let i = 0; i < messages.length; i += SQS_BATCH_MAX) {
    let entries: SendMessageBatchRequestEntry[] = messages
      .slice(i, i + SQS_BATCH_MAX)
      .map((message, index) => ({
        Id: `m${index}`,
        MessageBody: serializeInviteMessage(message),
      }));
    for (let attempt = 0; entries.length > 0; attempt++) {
      if (attempt >= SQS_ATTEMPTS)
        throw new RetryableError(`SQS refused ${entries.length} messages repeatedly`);
      if (attempt > 0) await sleep(backoffMs(attempt, 100, 3000));
      const result = await deps.sqs.send(
        new SendMessageBatchCommand({ QueueUrl: deps.queueUrl, Entries: entries }),
      );
      const failed = new Set((result.Failed ?? []).map((f) => f.Id));
      const senderFault = (result.Failed ?? []).find((f) => f.SenderFault);
      if (senderFault) {
        throw new PermanentError(
          `SQS rejected a message: ${senderFault.Code ?? ''} ${senderFault.Message ?? ''}`,
        );
      }
      entries = entries.filter((entry) => failed.has(entry.Id));
    }
  }
};
