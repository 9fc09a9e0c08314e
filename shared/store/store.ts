import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { RetryableError } from '#shared/errors.ts';
import { backoffMs, mapLimit, realSleep, type Sleep } from './concurrency.ts';
import {
  batchKey,
  CREATE_LOCK_SK,
  CREATED_PREFIX,
  campaignPk,
  createdSk,
  META_SK,
  PACER_SK,
  pacerPk,
  projectPk,
  REJECTED_PREFIX,
  RESPONDENT_PREFIX,
  ROOM_SK,
  respondentSk,
  roomPk,
  sparePrefix,
} from './keys.ts';
import type {
  BatchRecordItem,
  CampaignCounts,
  CampaignRecord,
  CampaignSource,
  CreatedRoom,
  CreatedRoomsItem,
  CreateIntent,
  CreateLockItem,
  IngestedRespondent,
  RejectedChunkItem,
  ReportRow,
  RespondentItem,
  RespondentState,
  RoomMarkerItem,
  SpareRoomItem,
} from './types.ts';

/** How many single-item writes run in parallel against the table. */
const WRITE_CONCURRENCY = 16;
/** BatchWriteItem accepts at most 25 requests. */
const BATCH_WRITE_MAX = 25;
/** Attempts for BatchWriteItem's UnprocessedItems before giving up (retryable). */
const BATCH_WRITE_ATTEMPTS = 8;

/** Raised when a lease this process held was taken over: stop and let the new owner carry on. */
export class LeaseLostError extends RetryableError {}

/** True when DynamoDB refused a write because its ConditionExpression was false. */
export const isConditionFailed = (error: unknown): boolean =>
  error instanceof ConditionalCheckFailedException ||
  (error instanceof Error && error.name === 'ConditionalCheckFailedException');

/** Options of {@link CampaignStore}. */
export interface CampaignStoreOptions {
  doc: DynamoDBDocumentClient;
  tableName: string;
  sleep?: Sleep;
  /** Items get `expiresAt` this many days after they are written (housekeeping; never relied on). */
  retentionDays?: number;
}

/** Outcome of starting (or resuming) the ingest of a campaign. */
export type StartIngestOutcome =
  | { outcome: 'created'; record: CampaignRecord }
  | { outcome: 'taken-over'; record: CampaignRecord }
  | { outcome: 'busy'; record: CampaignRecord }
  | { outcome: 'done'; record: CampaignRecord };

/** Per-batch counters added once when a batch is finished. */
export interface BatchTally {
  emailed: number;
  failed: number;
  deadLettered: number;
  roomsCancelled: number;
}

/** Result of trying to take the per-project create lock. */
export type AcquireLockResult = { acquired: true; lock: CreateLockItem } | { acquired: false };

/** A respondent's move from one state to another (see {@link CampaignStore.transitionRespondent}). */
export interface Transition {
  campaignId: string;
  sk: string;
  from: readonly RespondentState[];
  to: RespondentState;
  set?: Record<string, unknown>;
  remove?: readonly string[];
  nowMs: number;
  /** Extra condition, e.g. that the assigned room is a given one. */
  roomId?: string;
  /** Extra condition: the respondent is held by this send attempt (`sendAttempt`). */
  sendAttempt?: string;
  /** The respondent as read from its batch record: creates its item if there is none yet. */
  orCreate?: RespondentItem;
}

/**
 * All DynamoDB access of the pipeline: one table, single-item conditional writes, BatchWriteItem and Query
 * only (no transactions), so dynalite and DynamoDB Local serve as well as DynamoDB.
 */
export class CampaignStore {
  readonly tableName: string;
  private readonly doc: DynamoDBDocumentClient;
  private readonly sleep: Sleep;
  private readonly retentionSeconds: number;

  constructor(options: CampaignStoreOptions) {
    this.doc = options.doc;
    this.tableName = options.tableName;
    this.sleep = options.sleep ?? realSleep;
    this.retentionSeconds = (options.retentionDays ?? 180) * 86_400;
  }

  /** TTL value for an item written at `nowMs`. */
  expiresAt(nowMs: number): number {
    return Math.floor(nowMs / 1000) + this.retentionSeconds;
  }

  // ---------------------------------------------------------------- campaign record

  /** The campaign record, read strongly consistent. */
  async getCampaign(campaignId: string): Promise<CampaignRecord | undefined> {
    const result = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: campaignPk(campaignId), sk: META_SK },
        ConsistentRead: true,
      }),
    );
    return result.Item as CampaignRecord | undefined;
  }

  /**
   * Creates the campaign record with an ingest lease, or takes over the lease of a crashed ingest. A campaign
   * past ingesting is `done`; one whose lease is still held by someone else is `busy`.
   */
  async startIngest(args: {
    campaignId: string;
    source: CampaignSource;
    owner: string;
    nowMs: number;
    leaseMs: number;
  }): Promise<StartIngestOutcome> {
    const { campaignId, owner, nowMs } = args;
    const leaseUntil = nowMs + args.leaseMs;
    const iso = new Date(nowMs).toISOString();
    const record: CampaignRecord = {
      pk: campaignPk(campaignId),
      sk: META_SK,
      type: 'campaign',
      campaignId,
      source: args.source,
      status: 'ingesting',
      createdAt: iso,
      updatedAt: iso,
      leaseOwner: owner,
      leaseUntil,
      checkpoint: 0,
      expiresAt: this.expiresAt(nowMs),
    };
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: record,
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { outcome: 'created', record };
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
    for (let attempt = 0; attempt < 5; attempt++) {
      const existing = await this.getCampaign(campaignId);
      if (!existing) throw new RetryableError(`campaign ${campaignId} vanished while starting its ingest`);
      if (existing.status !== 'ingesting') return { outcome: 'done', record: existing };
      if (existing.leaseOwner !== owner && (existing.leaseUntil ?? 0) > nowMs) {
        return { outcome: 'busy', record: existing };
      }
      try {
        const result = await this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { pk: campaignPk(campaignId), sk: META_SK },
            UpdateExpression: 'SET leaseOwner = :owner, leaseUntil = :until, updatedAt = :now',
            ConditionExpression:
              '#status = :ingesting AND (attribute_not_exists(leaseUntil) OR leaseUntil = :seen OR leaseOwner = :owner)',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':owner': owner,
              ':until': leaseUntil,
              ':now': iso,
              ':ingesting': 'ingesting',
              ':seen': existing.leaseUntil ?? 0,
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return { outcome: 'taken-over', record: result.Attributes as CampaignRecord };
      } catch (error) {
        if (!isConditionFailed(error)) throw error;
      }
    }
    throw new RetryableError(`could not take the ingest lease of campaign ${campaignId}`);
  }

  /** Extends the ingest lease and records progress; throws LeaseLostError when another ingest took over. */
  async renewIngestLease(args: {
    campaignId: string;
    owner: string;
    leaseUntil: number;
    checkpoint?: number;
    settings?: Record<string, unknown>;
  }): Promise<void> {
    const values: Record<string, unknown> = { ':owner': args.owner, ':until': args.leaseUntil };
    let update = 'SET leaseUntil = :until';
    if (args.checkpoint !== undefined) {
      update += ', checkpoint = :checkpoint';
      values[':checkpoint'] = args.checkpoint;
    }
    if (args.settings !== undefined) {
      update += ', settings = :settings';
      values[':settings'] = args.settings;
    }
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: campaignPk(args.campaignId), sk: META_SK },
          UpdateExpression: update,
          ConditionExpression: 'leaseOwner = :owner',
          ExpressionAttributeValues: values,
        }),
      );
    } catch (error) {
      if (isConditionFailed(error)) {
        throw new LeaseLostError(`ingest lease of campaign ${args.campaignId} was taken over`, {
          cause: error,
        });
      }
      throw error;
    }
  }

  /** Marks an ingesting campaign failed with one clear reason and drops the lease. */
  async failCampaign(args: {
    campaignId: string;
    owner: string;
    reason: string;
    nowMs: number;
  }): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: campaignPk(args.campaignId), sk: META_SK },
        UpdateExpression:
          'SET #status = :failed, failureReason = :reason, updatedAt = :now REMOVE leaseOwner, leaseUntil',
        ConditionExpression: 'leaseOwner = :owner',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':failed': 'failed',
          ':reason': args.reason,
          ':owner': args.owner,
          ':now': new Date(args.nowMs).toISOString(),
        },
      }),
    );
  }

  /**
   * Ends the ingest: final counts, status `enqueued` (or `completed` when nobody was accepted), lease dropped.
   * Returns the record after the write so the caller can see batches the invite side already finished.
   */
  async finishIngest(args: {
    campaignId: string;
    owner: string;
    nowMs: number;
    counts: Pick<CampaignCounts, 'rows' | 'accepted' | 'rejected' | 'duplicates' | 'batches'>;
  }): Promise<CampaignRecord> {
    const { counts } = args;
    const iso = new Date(args.nowMs).toISOString();
    const result = await this.doc
      .send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: campaignPk(args.campaignId), sk: META_SK },
          UpdateExpression:
            'SET #status = :status, #rows = :rows, accepted = :accepted, rejected = :rejected, ' +
            'duplicates = :duplicates, batches = :batches, checkpoint = :batches, enqueuedAt = :now, ' +
            'updatedAt = :now' +
            (counts.accepted === 0 ? ', completedAt = :now' : '') +
            ' REMOVE leaseOwner, leaseUntil',
          ConditionExpression: 'leaseOwner = :owner',
          ExpressionAttributeNames: { '#status': 'status', '#rows': 'rows' },
          ExpressionAttributeValues: {
            ':status': counts.accepted === 0 ? 'completed' : 'enqueued',
            ':rows': counts.rows,
            ':accepted': counts.accepted,
            ':rejected': counts.rejected,
            ':duplicates': counts.duplicates,
            ':batches': counts.batches,
            ':owner': args.owner,
            ':now': iso,
          },
          ReturnValues: 'ALL_NEW',
        }),
      )
      .catch((error: unknown) => {
        if (isConditionFailed(error)) {
          throw new LeaseLostError(`ingest lease of campaign ${args.campaignId} was taken over`, {
            cause: error,
          });
        }
        throw error;
      });
    return result.Attributes as CampaignRecord;
  }

  /**
   * Adds a finished batch's counts to the campaign exactly once: the batch number goes into `doneBatches` in
   * the same conditional update, so a redelivered message cannot add them again.
   */
  async tallyBatch(args: {
    campaignId: string;
    batch: number;
    tally: BatchTally;
    nowMs: number;
  }): Promise<{ applied: boolean; record: CampaignRecord | undefined }> {
    const { tally } = args;
    try {
      const result = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: campaignPk(args.campaignId), sk: META_SK },
          UpdateExpression:
            'ADD batchesDone :one, emailed :emailed, failed :failed, deadLettered :dead, ' +
            'roomsCancelled :cancelled, doneBatches :batch SET updatedAt = :now',
          ConditionExpression: 'attribute_exists(pk) AND NOT contains(doneBatches, :batchNo)',
          ExpressionAttributeValues: {
            ':one': 1,
            ':emailed': tally.emailed,
            ':failed': tally.failed,
            ':dead': tally.deadLettered,
            ':cancelled': tally.roomsCancelled,
            ':batch': new Set([String(args.batch)]),
            ':batchNo': String(args.batch),
            ':now': new Date(args.nowMs).toISOString(),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { applied: true, record: result.Attributes as CampaignRecord };
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      return { applied: false, record: await this.getCampaign(args.campaignId) };
    }
  }

  /** Moves an enqueued campaign whose batches are all tallied to `completed`; false if not (yet) due. */
  async completeCampaign(campaignId: string, nowMs: number): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: campaignPk(campaignId), sk: META_SK },
          UpdateExpression: 'SET #status = :completed, completedAt = :now, updatedAt = :now',
          ConditionExpression: '#status = :enqueued AND batchesDone >= batches',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':completed': 'completed',
            ':enqueued': 'enqueued',
            ':now': new Date(nowMs).toISOString(),
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }

  /** Adds operational counters (call counts, cancelled spares); not idempotent, metrics only. */
  async addCounts(
    campaignId: string,
    counts: Partial<Pick<CampaignCounts, 'createCalls' | 'sesCalls' | 'roomsCancelled'>>,
  ): Promise<void> {
    const entries = Object.entries(counts).filter(([, value]) => value);
    if (entries.length === 0) return;
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: campaignPk(campaignId), sk: META_SK },
        UpdateExpression: `ADD ${entries.map(([name]) => `${name} :${name}`).join(', ')}`,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: Object.fromEntries(entries.map(([name, value]) => [`:${name}`, value])),
      }),
    );
  }

  /** Counts the rooms of one create intent into `roomsCreated`, once per intent. */
  async countCreatedRooms(campaignId: string, intentId: string, rooms: number): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: campaignPk(campaignId), sk: META_SK },
          UpdateExpression: 'ADD roomsCreated :rooms, createIntents :intent',
          ConditionExpression: 'attribute_exists(pk) AND NOT contains(createIntents, :intentId)',
          ExpressionAttributeValues: {
            ':rooms': rooms,
            ':intent': new Set([intentId]),
            ':intentId': intentId,
          },
        }),
      );
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
  }

  // ---------------------------------------------------------------- respondents and rejected rows

  /**
   * Writes new items. `conditional: false` uses BatchWriteItem (first ingest: nothing can exist yet);
   * `conditional: true` puts each item only if absent, so a resumed ingest never clobbers progressed items.
   */
  async writeNewItems(
    items: ReadonlyArray<RespondentItem | RejectedChunkItem>,
    options: { conditional: boolean },
  ): Promise<void> {
    if (items.length === 0) return;
    if (options.conditional) {
      await mapLimit(items, WRITE_CONCURRENCY, async (item) => {
        try {
          await this.doc.send(
            new PutCommand({
              TableName: this.tableName,
              Item: item,
              ConditionExpression: 'attribute_not_exists(pk)',
            }),
          );
        } catch (error) {
          if (!isConditionFailed(error)) throw error;
        }
      });
      return;
    }
    await this.batchPutAll(items);
  }

  /** Puts items unconditionally, 25 to a BatchWriteItem request, four requests at a time. */
  private async batchPutAll(items: ReadonlyArray<object>): Promise<void> {
    const chunks: Array<ReadonlyArray<object>> = [];
    for (let i = 0; i < items.length; i += BATCH_WRITE_MAX) chunks.push(items.slice(i, i + BATCH_WRITE_MAX));
    await mapLimit(chunks, 4, (chunk) => this.batchPut(chunk));
  }

  private async batchPut(items: ReadonlyArray<object>): Promise<void> {
    let requests: Array<Record<string, unknown>> = items.map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 0; requests.length > 0; attempt++) {
      if (attempt >= BATCH_WRITE_ATTEMPTS) {
        throw new RetryableError(`BatchWriteItem left ${requests.length} items unprocessed`);
      }
      if (attempt > 0) await this.sleep(backoffMs(attempt, 50, 2000));
      const result = await this.doc.send(
        new BatchWriteCommand({ RequestItems: { [this.tableName]: requests as never } }),
      );
      requests = (result.UnprocessedItems?.[this.tableName] ?? []) as Array<Record<string, unknown>>;
    }
  }

  /** Every item of a campaign partition whose sort key starts with `prefix`. */
  async queryPrefix<T>(pk: string, prefix: string): Promise<T[]> {
    const items: T[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const result = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...((result.Items ?? []) as T[]));
      startKey = result.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  /**
   * Writes batch records as the ingest made them (BatchWriteItem, unconditional: the same file always gives
   * the same records, and respondent items the invite side wrote are separate items it never touches).
   */
  async writeBatchRecords(records: readonly BatchRecordItem[]): Promise<void> {
    await this.batchPutAll(records);
  }

  /**
   * The respondents of one batch, in order (one Query). Respondents whose item the invite side has not
   * written yet come from the batch record, `accepted` and flagged `unwritten`.
   */
  async queryBatch(campaignId: string, batch: number): Promise<RespondentItem[]> {
    return mergeRespondents(
      await this.queryPrefix<RespondentItem | BatchRecordItem>(campaignPk(campaignId), batchKey(batch)),
    );
  }

  /**
   * Makes sure every respondent of the batch has its own item (conditional puts: an item that exists, in
   * whatever state, is never overwritten, so concurrent deliveries are safe) and returns them all, written.
   */
  async writeBatchRespondents(campaignId: string, batch: number): Promise<RespondentItem[]> {
    const respondents = await this.queryBatch(campaignId, batch);
    const unwritten = respondents.filter((r) => r.unwritten);
    if (unwritten.length === 0) return respondents;
    await this.writeNewItems(
      unwritten.map(({ unwritten: _, ...item }) => item),
      { conditional: true },
    );
    return this.queryBatch(campaignId, batch);
  }

  /** Every respondent of a campaign (report, status); unwritten ones as in {@link queryBatch}. */
  async listRespondents(campaignId: string): Promise<RespondentItem[]> {
    return mergeRespondents(
      await this.queryPrefix<RespondentItem | BatchRecordItem>(campaignPk(campaignId), RESPONDENT_PREFIX),
    );
  }

  /** Every rejected or duplicate row of a campaign. */
  async listRejected(campaignId: string): Promise<RejectedChunkItem['rows']> {
    const chunks = await this.queryPrefix<RejectedChunkItem>(campaignPk(campaignId), REJECTED_PREFIX);
    return chunks.flatMap((chunk) => chunk.rows);
  }

  /**
   * Moves a respondent from one of `from` to `to`, setting `set` (and removing `remove`) in the same
   * conditional update. Returns the new item, or undefined when the respondent was not in an expected state.
   * `orCreate` (a respondent read from its batch record, `unwritten`) also lets the update create its item
   * when it does not exist yet, as if it were `accepted`: one write instead of a put and an update.
   */
  async transitionRespondent(args: Transition): Promise<RespondentItem | undefined> {
    return (await this.updateState(args, 'ALL_NEW')).item;
  }

  /** {@link transitionRespondent} without reading the item back: true when it moved. */
  async moveRespondent(args: Transition): Promise<boolean> {
    return (await this.updateState(args, 'NONE')).moved;
  }

  private async updateState(
    args: Transition,
    returnValues: 'ALL_NEW' | 'NONE',
  ): Promise<{ moved: boolean; item?: RespondentItem }> {
    const names: Record<string, string> = { '#state': 'state' };
    const values: Record<string, unknown> = { ':to': args.to, ':now': new Date(args.nowMs).toISOString() };
    const sets = ['#state = :to', 'updatedAt = :now'];
    let i = 0;
    // The fields an item has from its creation: rewriting them on an existing item changes nothing.
    const created = args.orCreate ? createdFields(args.orCreate) : {};
    for (const [name, value] of Object.entries({ ...created, ...args.set })) {
      if (value === undefined) continue;
      names[`#a${i}`] = name;
      values[`:a${i}`] = value;
      sets.push(`#a${i} = :a${i}`);
      i++;
    }
    const froms = args.from.map((state, index) => {
      values[`:from${index}`] = state;
      return `#state = :from${index}`;
    });
    let condition = args.orCreate
      ? `(attribute_not_exists(pk) OR ${froms.join(' OR ')})`
      : `(${froms.join(' OR ')})`;
    if (args.roomId !== undefined) {
      values[':roomId'] = args.roomId;
      condition += ' AND roomId = :roomId';
    }
    if (args.sendAttempt !== undefined) {
      values[':sendAttempt'] = args.sendAttempt;
      condition += ' AND sendAttempt = :sendAttempt';
    }
    const removes = (args.remove ?? []).map((name, index) => {
      names[`#r${index}`] = name;
      return `#r${index}`;
    });
    try {
      const result = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: campaignPk(args.campaignId), sk: args.sk },
          UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: returnValues,
        }),
      );
      return { moved: true, ...(result.Attributes ? { item: result.Attributes as RespondentItem } : {}) };
    } catch (error) {
      if (isConditionFailed(error)) return { moved: false };
      throw error;
    }
  }

  /**
   * Takes over a respondent in `sending` for a new send attempt when the previous attempt's lease ran out
   * (or it is this attempt already). Returns the updated respondent, or undefined if not possible.
   */
  async takeOverSending(args: {
    campaignId: string;
    sk: string;
    attempt: string;
    nowMs: number;
    until: number;
  }): Promise<RespondentItem | undefined> {
    try {
      const result = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: campaignPk(args.campaignId), sk: args.sk },
          UpdateExpression: 'SET sendAttempt = :attempt, sendingUntil = :until, updatedAt = :now',
          ConditionExpression:
            '#state = :sending AND (attribute_not_exists(sendingUntil) OR sendingUntil < :nowMs OR sendAttempt = :attempt)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':attempt': args.attempt,
            ':until': args.until,
            ':now': new Date(args.nowMs).toISOString(),
            ':nowMs': args.nowMs,
            ':sending': 'sending',
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return result.Attributes as RespondentItem;
    } catch (error) {
      if (isConditionFailed(error)) return undefined;
      throw error;
    }
  }

  /** Marks that the room of a failed respondent was cancelled (idempotent). */
  async markRoomCancelled(campaignId: string, sk: string): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: campaignPk(campaignId), sk },
        UpdateExpression: 'SET roomCancelled = :yes',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':yes': true },
      }),
    );
  }

  /** One respondent, read strongly consistent. */
  async getRespondent(campaignId: string, sk: string): Promise<RespondentItem | undefined> {
    const result = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: campaignPk(campaignId), sk },
        ConsistentRead: true,
      }),
    );
    return result.Item as RespondentItem | undefined;
  }

  // ---------------------------------------------------------------- send pacing

  /**
   * Reserves `count` sends on the account-wide schedule `key` (a virtual schedule shared by every
   * invocation: `nextFree` is when the schedule is free again). One read and one write conditional on the
   * value read, retried on a concurrent reservation. Returns the epoch ms from which the sends may go out
   * (absolute, so the time this call took does not shift the send).
   */
  async reserveSends(args: {
    key: string;
    count: number;
    msPerSend: number;
    burstMs: number;
    nowMs: () => number;
  }): Promise<number> {
    const Key = { pk: pacerPk(args.key), sk: PACER_SK };
    for (let attempt = 0; ; attempt++) {
      const current = await this.doc.send(
        new GetCommand({ TableName: this.tableName, Key, ConsistentRead: true }),
      );
      const previous = current.Item?.nextFree as number | undefined;
      const now = args.nowMs();
      // An idle schedule restarts at now (idle time is not banked); sends may run `burstMs` ahead of it.
      const start = Math.max(previous ?? 0, now);
      const nextFree = Math.ceil(start + args.count * args.msPerSend);
      try {
        await this.doc.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { ...Key, nextFree },
            ...(previous === undefined
              ? { ConditionExpression: 'attribute_not_exists(pk)' }
              : {
                  ConditionExpression: 'nextFree = :previous',
                  ExpressionAttributeValues: { ':previous': previous },
                }),
          }),
        );
        return Math.max(now, nextFree - args.burstMs);
      } catch (error) {
        if (!isConditionFailed(error) || attempt >= 50) throw error;
        await this.sleep(Math.floor(Math.random() * Math.min(100, 5 * 2 ** attempt)));
      }
    }
  }

  // ---------------------------------------------------------------- create lock

  /**
   * Takes the per-project create lock if it is free, expired, or already ours. The returned lock shows any
   * intent a crashed holder left behind, which must be reconciled before creating anything.
   */
  async acquireCreateLock(args: {
    projectId: string;
    owner: string;
    nowMs: number;
    leaseMs: number;
  }): Promise<AcquireLockResult> {
    try {
      const result = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: projectPk(args.projectId), sk: CREATE_LOCK_SK },
          UpdateExpression: 'SET #type = :type, #owner = :owner, leaseUntil = :until',
          ConditionExpression: 'attribute_not_exists(#owner) OR leaseUntil < :now OR #owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner', '#type': 'type' },
          ExpressionAttributeValues: {
            ':type': 'create-lock',
            ':owner': args.owner,
            ':until': args.nowMs + args.leaseMs,
            ':now': args.nowMs,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { acquired: true, lock: result.Attributes as CreateLockItem };
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      return { acquired: false };
    }
  }

  /** Records the create about to be made (and renews the lease); fails with LeaseLostError if not ours. */
  async writeCreateIntent(args: {
    projectId: string;
    owner: string;
    intent: CreateIntent;
    leaseUntil: number;
  }): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: projectPk(args.projectId), sk: CREATE_LOCK_SK },
          UpdateExpression: 'SET intent = :intent, leaseUntil = :until',
          ConditionExpression: '#owner = :owner AND attribute_not_exists(intent)',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: {
            ':intent': args.intent,
            ':until': args.leaseUntil,
            ':owner': args.owner,
          },
        }),
      );
    } catch (error) {
      if (isConditionFailed(error)) {
        throw new LeaseLostError(`create lock of project ${args.projectId} is no longer ours`, {
          cause: error,
        });
      }
      throw error;
    }
  }

  /** Removes a reconciled or completed intent (only the one named, only while we hold the lock). */
  async clearCreateIntent(args: { projectId: string; owner: string; intentId: string }): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: projectPk(args.projectId), sk: CREATE_LOCK_SK },
          UpdateExpression: 'REMOVE intent',
          ConditionExpression: '#owner = :owner AND intent.intentId = :intentId',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': args.owner, ':intentId': args.intentId },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }

  /**
   * Releases the lock if we still hold it. With `intentId`, the intent of the create that just succeeded is
   * removed with it (its rooms are in a created-rooms record by then); any other intent stays for the next
   * holder to reconcile.
   */
  async releaseCreateLock(args: { projectId: string; owner: string; intentId?: string }): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: projectPk(args.projectId), sk: CREATE_LOCK_SK },
          UpdateExpression: args.intentId ? 'REMOVE #owner, leaseUntil, intent' : 'REMOVE #owner, leaseUntil',
          ConditionExpression: args.intentId
            ? '#owner = :owner AND intent.intentId = :intentId'
            : '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: {
            ':owner': args.owner,
            ...(args.intentId ? { ':intentId': args.intentId } : {}),
          },
        }),
      );
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
  }

  /** Records the rooms a create call returned (see {@link CreatedRoomsItem}); written under the create lock. */
  async putCreatedRooms(args: {
    projectId: string;
    intent: CreateIntent;
    rooms: CreatedRoom[];
    leaseUntil: number;
    nowMs: number;
  }): Promise<CreatedRoomsItem> {
    const item: CreatedRoomsItem = {
      pk: projectPk(args.projectId),
      sk: createdSk(args.intent.intentId),
      type: 'created-rooms',
      intent: args.intent,
      rooms: args.rooms,
      leaseUntil: args.leaseUntil,
      expiresAt: this.expiresAt(args.nowMs),
    };
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item: item }));
    return item;
  }

  /** Every created-rooms record of a project whose rooms are not all handed out yet. */
  async listCreatedRooms(projectId: string): Promise<CreatedRoomsItem[]> {
    return this.queryPrefix<CreatedRoomsItem>(projectPk(projectId), CREATED_PREFIX);
  }

  /** Drops a created-rooms record once every one of its rooms is handed out. */
  async deleteCreatedRooms(projectId: string, intentId: string): Promise<void> {
    await this.doc.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: { pk: projectPk(projectId), sk: createdSk(intentId) },
      }),
    );
  }

  // ---------------------------------------------------------------- rooms

  /**
   * Claims a room for this system: the marker is put only if absent. Returns undefined when this call
   * created it, or the marker that already existed (someone else took charge of the room first).
   */
  async putRoomMarker(marker: RoomMarkerItem): Promise<RoomMarkerItem | undefined> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: marker,
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return undefined;
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      const existing = await this.getRoomMarker(marker.roomId);
      if (!existing) throw new RetryableError(`room marker ${marker.roomId} vanished`);
      return existing;
    }
  }

  /**
   * Puts the markers of rooms a create call returned, 25 to a request (BatchWriteItem, unconditional): rooms
   * of a create response are nobody else's, so there is no earlier marker to respect (see putRoomMarker).
   */
  async putRoomMarkers(markers: readonly RoomMarkerItem[]): Promise<void> {
    await this.batchPutAll(markers);
  }

  /** The marker of a room, if this system ever took charge of it. */
  async getRoomMarker(roomId: string): Promise<RoomMarkerItem | undefined> {
    const result = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: roomPk(roomId), sk: ROOM_SK },
        ConsistentRead: true,
      }),
    );
    return result.Item as RoomMarkerItem | undefined;
  }

  /** Adds a room to a campaign's spare pool unless it is already there. */
  async putSpare(spare: SpareRoomItem): Promise<void> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: spare,
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
  }

  /** Spare rooms of a campaign, optionally only those with one room-settings key. */
  listSpares(campaignId: string, roomKey?: string): Promise<SpareRoomItem[]> {
    return this.queryPrefix<SpareRoomItem>(campaignPk(campaignId), roomKey ? sparePrefix(roomKey) : 'SPARE#');
  }

  /** Claims a spare for a respondent (or confirms our own earlier claim); false if someone else has it. */
  async takeSpare(args: { spare: SpareRoomItem; respondentSk: string; nowMs: number }): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: args.spare.pk, sk: args.spare.sk },
          UpdateExpression: 'SET takenBy = :r, takenAt = :now',
          ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(takenBy) OR takenBy = :r)',
          ExpressionAttributeValues: { ':r': args.respondentSk, ':now': args.nowMs },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }

  /** Gives a claimed spare back to the pool (only if still claimed by that respondent). */
  async releaseSpare(args: { spare: SpareRoomItem; respondentSk: string }): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: args.spare.pk, sk: args.spare.sk },
          UpdateExpression: 'REMOVE takenBy, takenAt',
          ConditionExpression: 'takenBy = :r',
          ExpressionAttributeValues: { ':r': args.respondentSk },
        }),
      );
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
  }

  /** Removes a spare that was handed out or cancelled. */
  async deleteSpare(spare: Pick<SpareRoomItem, 'pk' | 'sk'>): Promise<void> {
    await this.doc.send(
      new DeleteCommand({ TableName: this.tableName, Key: { pk: spare.pk, sk: spare.sk } }),
    );
  }

  // ---------------------------------------------------------------- report

  /** Every data row of the campaign's file with its outcome, ordered by line (the CLI's report). */
  async listReportRows(campaignId: string): Promise<ReportRow[]> {
    const [respondents, rejected] = await Promise.all([
      this.listRespondents(campaignId),
      this.listRejected(campaignId),
    ]);
    const rows: ReportRow[] = [
      ...respondents.map((r) => ({
        line: r.line,
        email: r.email,
        status: r.state,
        roomUrl: r.state === 'failed' && r.roomCancelled ? '' : (r.roomUrl ?? ''),
        reason: r.reason ?? '',
      })),
      ...rejected.map((r) => ({
        line: r.line,
        email: r.email ?? '',
        status: r.kind,
        roomUrl: '',
        reason: r.reason,
      })),
    ];
    return rows.sort((a, b) => a.line - b.line);
  }
}

/** The attributes a respondent item is created with (everything but its key, state and progress). */
const createdFields = (r: RespondentItem): Record<string, unknown> => ({
  type: r.type,
  campaignId: r.campaignId,
  batch: r.batch,
  seq: r.seq,
  line: r.line,
  email: r.email,
  emailKey: r.emailKey,
  name: r.name,
  language: r.language,
  fields: r.fields,
  roomKey: r.roomKey,
  expiresAt: r.expiresAt,
});

/**
 * Respondent items plus, for every respondent a batch record lists without an item yet, an `accepted`
 * stand-in built from the record (flagged `unwritten`), ordered by sort key.
 */
const mergeRespondents = (items: ReadonlyArray<RespondentItem | BatchRecordItem>): RespondentItem[] => {
  const respondents = items.filter((item): item is RespondentItem => item.type === 'respondent');
  const written = new Set(respondents.map((r) => r.sk));
  for (const record of items) {
    if (record.type !== 'batch') continue;
    const json = Buffer.from(
      record.respondents.buffer,
      record.respondents.byteOffset,
      record.respondents.length,
    );
    for (const r of JSON.parse(json.toString('utf8')) as IngestedRespondent[]) {
      const sk = respondentSk(record.batch, r.seq);
      if (written.has(sk)) continue;
      respondents.push({
        pk: record.pk,
        sk,
        type: 'respondent',
        campaignId: record.campaignId,
        batch: record.batch,
        ...r,
        emailKey: r.email.toLowerCase(),
        roomKey: record.roomKey,
        state: 'accepted',
        updatedAt: record.createdAt,
        ...(record.expiresAt !== undefined ? { expiresAt: record.expiresAt } : {}),
        unwritten: true,
      });
    }
  }
  return respondents.sort((a, b) => (a.sk < b.sk ? -1 : a.sk > b.sk ? 1 : 0));
};
