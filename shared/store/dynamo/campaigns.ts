// The campaign record (`CAMPAIGN#<id>` / `META`): the ingest lease, the status, and the counters.
import { GetCommand, PutCommand, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { RetryableError } from '#shared/errors.ts';
import { campaignRecordItem } from '../items.ts';
import { CAMPAIGN_LIST, campaignPk, META_SK, TRACKING_OPEN } from '../keys.ts';
import { type CampaignsPort, LeaseLostError } from '../ports.ts';
import { CANCELLABLE, type CampaignRecord } from '../types.ts';
import { nextUpload, startVerdict, tagsAfter, uploadTagOf } from '../uploads.ts';
import { listCampaigns } from './campaign-list.ts';
import { applied, isConditionFailed, type Table, unlessConditionFails } from './table.ts';

/** Attempts at taking over a crashed ingest's lease against concurrent takers. */
const TAKE_OVER_ATTEMPTS = 5;

type Port = CampaignsPort;

const metaKey = (campaignId: string) => ({ pk: campaignPk(campaignId), sk: META_SK });

/** One UpdateItem on a campaign record. */
const update = (t: Table, campaignId: string, input: Omit<UpdateCommandInput, 'Key' | 'TableName'>) =>
  t.doc.send(new UpdateCommand({ TableName: t.name, Key: metaKey(campaignId), ...input }));

/** A lease condition that failed means another ingest owns the campaign now. */
const leaseLost = (campaignId: string) => (error: unknown) => {
  if (isConditionFailed(error)) {
    throw new LeaseLostError(`ingest lease of campaign ${campaignId} was taken over`, { cause: error });
  }
  throw error;
};

const getCampaign =
  (t: Table): Port['getCampaign'] =>
  async (campaignId) => {
    const result = await t.doc.send(
      new GetCommand({ TableName: t.name, Key: metaKey(campaignId), ConsistentRead: true }),
    );
    return result.Item as CampaignRecord | undefined;
  };

/** Takes over the lease of an ingest that crashed (its lease ran out); true unless another taker was first. */
const takeOver = async (
  t: Table,
  existing: CampaignRecord,
  owner: string,
  nowMs: number,
  leaseMs: number,
) => {
  const result = await unlessConditionFails(() =>
    update(t, existing.campaignId, {
      UpdateExpression: 'SET leaseOwner = :owner, leaseUntil = :until, updatedAt = :now',
      ConditionExpression:
        '#status = :ingesting AND (attribute_not_exists(leaseUntil) OR leaseUntil = :seen OR leaseOwner = :owner)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':owner': owner,
        ':until': nowMs + leaseMs,
        ':now': new Date(nowMs).toISOString(),
        ':ingesting': 'ingesting',
        ':seen': existing.leaseUntil ?? 0,
      },
      ReturnValues: 'ALL_NEW',
    }),
  );
  return result ? (result.Attributes as CampaignRecord) : undefined;
};

/** Reopens a campaign for a changed upload under its key, unless its record changed since it was read. */
const reopen = async (
  t: Table,
  existing: CampaignRecord,
  args: Parameters<Port['startIngest']>[0],
): Promise<CampaignRecord | undefined> => {
  const upload = nextUpload(existing, args.source, args.nowMs);
  const result = await unlessConditionFails(() =>
    update(t, existing.campaignId, {
      UpdateExpression:
        'SET #status = :ingesting, #source = :source, leaseOwner = :owner, leaseUntil = :until, upload = :upload, ' +
        'uploadTags = :tags, checkpoint = :first, updatedAt = :now, expiresAt = :expires ' +
        'REMOVE failureReason, uploadFailure',
      // Each reopen numbers the upload: an unchanged number means no upload came in between (no ABA).
      ConditionExpression: '#status = :seen AND (attribute_not_exists(upload) OR upload.#number = :number)',
      ExpressionAttributeNames: { '#status': 'status', '#source': 'source', '#number': 'number' },
      ExpressionAttributeValues: {
        ':ingesting': 'ingesting',
        ':source': args.source,
        ':owner': args.owner,
        ':until': args.nowMs + args.leaseMs,
        ':upload': upload,
        ':tags': tagsAfter(existing, upload.tag),
        ':first': upload.firstBatch,
        ':now': new Date(args.nowMs).toISOString(),
        // A campaign that takes uploads lives on: its record's housekeeping TTL starts again.
        ':expires': t.expiresAt(args.nowMs),
        ':seen': existing.status,
        ':number': upload.number - 1,
      },
      ReturnValues: 'ALL_NEW',
    }),
  );
  return result ? (result.Attributes as CampaignRecord) : undefined;
};

/** A record that exists: done, busy, closed, or taken over (a crashed ingest) or reopened (a changed upload). */
const startExisting =
  (t: Table): Port['startIngest'] =>
  async (args) => {
    const tag = uploadTagOf(args.source);
    for (let attempt = 0; attempt < TAKE_OVER_ATTEMPTS; attempt++) {
      const existing = await getCampaign(t)(args.campaignId);
      if (!existing)
        throw new RetryableError(`campaign ${args.campaignId} vanished while starting its ingest`);
      const verdict = startVerdict(existing, tag, args.owner, args.nowMs);
      if (verdict === 'done' || verdict === 'busy' || verdict === 'closed') {
        return { outcome: verdict, record: existing };
      }
      if (verdict === 'reopen') {
        const record = await reopen(t, existing, args);
        if (record) return { outcome: 'reopened', record };
      } else {
        const record = await takeOver(t, existing, args.owner, args.nowMs, args.leaseMs);
        if (record) return { outcome: 'taken-over', record };
      }
    }
    throw new RetryableError(`could not take the ingest lease of campaign ${args.campaignId}`);
  };

const startIngest =
  (t: Table): Port['startIngest'] =>
  async (args) => {
    const record = campaignRecordItem({ ...args, expiresAt: t.expiresAt(args.nowMs) });
    const created = await unlessConditionFails(() =>
      t.doc.send(
        new PutCommand({ TableName: t.name, Item: record, ConditionExpression: 'attribute_not_exists(pk)' }),
      ),
    );
    return created ? { outcome: 'created', record } : startExisting(t)(args);
  };

const renewIngestLease =
  (t: Table): Port['renewIngestLease'] =>
  async (args) => {
    const values: Record<string, unknown> = { ':owner': args.owner, ':until': args.leaseUntil };
    let expression = 'SET leaseUntil = :until';
    if (args.checkpoint !== undefined) {
      expression += ', checkpoint = :checkpoint';
      values[':checkpoint'] = args.checkpoint;
    }
    if (args.settings !== undefined) {
      expression += ', settings = :settings';
      values[':settings'] = args.settings;
    }
    await update(t, args.campaignId, {
      UpdateExpression: expression,
      ConditionExpression: 'leaseOwner = :owner',
      ExpressionAttributeValues: values,
    }).catch(leaseLost(args.campaignId));
  };

const failCampaign =
  (t: Table): Port['failCampaign'] =>
  async (args) => {
    await update(t, args.campaignId, {
      UpdateExpression: `SET #status = :status, ${args.restore ? 'uploadFailure' : 'failureReason'} = :reason, updatedAt = :now REMOVE leaseOwner, leaseUntil`,
      ConditionExpression: 'leaseOwner = :owner',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':status': args.restore ?? 'failed',
        ':reason': args.reason,
        ':owner': args.owner,
        ':now': new Date(args.nowMs).toISOString(),
      },
    });
  };

const finishIngest =
  (t: Table): Port['finishIngest'] =>
  async ({ campaignId, owner, nowMs, counts, chunks, empty = counts.accepted === 0, columns = '' }) => {
    const result = await update(t, campaignId, {
      UpdateExpression:
        'SET #status = :status, #columns = :columns, batches = :batches, checkpoint = :batches, listPk = :list, ' +
        `enqueuedAt = :now, updatedAt = :now${chunks === undefined ? '' : ', chunks = :chunks'}` +
        // Tracking starts with the campaign (again, after a later upload): its rooms are polled from now on.
        (empty ? ', completedAt = :now' : ', trackPk = :open, nextPollAt = :nowMs') +
        // The upload's counts join the campaign's once: the lease condition lets only one finish through.
        ' ADD #rows :rows, accepted :accepted, rejected :rejected, duplicates :duplicates, suppressed :suppressed' +
        // A poll that began before this upload must not end the tracking opened here: its end finds no owner.
        ' REMOVE leaseOwner, leaseUntil, pollOwner, pollUntil',
      ConditionExpression: 'leaseOwner = :owner',
      ExpressionAttributeNames: { '#status': 'status', '#rows': 'rows', '#columns': 'columns' },
      ExpressionAttributeValues: {
        ':status': empty ? 'completed' : 'enqueued',
        ':rows': counts.rows,
        ':accepted': counts.accepted,
        ':rejected': counts.rejected,
        ':duplicates': counts.duplicates,
        ':suppressed': counts.suppressed,
        ':batches': counts.batches,
        ...(chunks === undefined ? {} : { ':chunks': chunks }),
        ':columns': columns,
        // A campaign from before the `campaigns` index joins the list with its next upload.
        ':list': CAMPAIGN_LIST,
        ':owner': owner,
        ':now': new Date(nowMs).toISOString(),
        ...(empty ? {} : { ':open': TRACKING_OPEN, ':nowMs': nowMs }),
      },
      ReturnValues: 'ALL_NEW',
    }).catch(leaseLost(campaignId));
    return result.Attributes as CampaignRecord;
  };

// The batch number joins `doneBatches` in the same conditional update: a redelivery cannot add twice.
const tallyBatch =
  (t: Table): Port['tallyBatch'] =>
  async ({ campaignId, batch, tally, nowMs }) => {
    const result = await unlessConditionFails(() =>
      update(t, campaignId, {
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
          ':batch': new Set([String(batch)]),
          ':batchNo': String(batch),
          ':now': new Date(nowMs).toISOString(),
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    if (result) return { applied: true, record: result.Attributes as CampaignRecord };
    return { applied: false, record: await getCampaign(t)(campaignId) };
  };

const completeCampaign =
  (t: Table): Port['completeCampaign'] =>
  async (campaignId, nowMs) =>
    applied(() =>
      update(t, campaignId, {
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

const cancelCampaign =
  (t: Table): Port['cancelCampaign'] =>
  async ({ campaignId, revokeUnstarted, nowMs }) => {
    const result = await unlessConditionFails(() =>
      update(t, campaignId, {
        UpdateExpression:
          'SET #status = :cancelled, cancelledAt = if_not_exists(cancelledAt, :now), updatedAt = :now' +
          (revokeUnstarted ? ', revokeUnstarted = :yes' : ''),
        ConditionExpression: `#status IN (${CANCELLABLE.map((_, i) => `:s${i}`).join(', ')})`,
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':cancelled': 'cancelled',
          ':now': new Date(nowMs).toISOString(),
          ...Object.fromEntries(CANCELLABLE.map((status, i) => [`:s${i}`, status])),
          ...(revokeUnstarted ? { ':yes': true } : {}),
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    if (result) return { cancelled: true, record: result.Attributes as CampaignRecord };
    return { cancelled: false, record: await getCampaign(t)(campaignId) };
  };

const addCounts =
  (t: Table): Port['addCounts'] =>
  async (campaignId, counts) => {
    const entries = Object.entries(counts).filter(([, value]) => value);
    if (entries.length === 0) return;
    await update(t, campaignId, {
      UpdateExpression: `ADD ${entries.map(([name]) => `${name} :${name}`).join(', ')}`,
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: Object.fromEntries(entries.map(([name, value]) => [`:${name}`, value])),
    });
  };

const setPause =
  (t: Table): Port['setPause'] =>
  async (campaignId, pause) => {
    await unlessConditionFails(() =>
      update(
        t,
        campaignId,
        pause
          ? {
              UpdateExpression: 'SET pause = :pause',
              ConditionExpression: 'attribute_exists(pk)',
              ExpressionAttributeValues: { ':pause': pause },
            }
          : { UpdateExpression: 'REMOVE pause', ConditionExpression: 'attribute_exists(pause)' },
      ),
    );
  };

const countCreatedRooms =
  (t: Table): Port['countCreatedRooms'] =>
  async (campaignId, intentId, rooms) => {
    await unlessConditionFails(() =>
      update(t, campaignId, {
        UpdateExpression: 'ADD roomsCreated :rooms, createIntents :intent',
        ConditionExpression: 'attribute_exists(pk) AND NOT contains(createIntents, :intentId)',
        ExpressionAttributeValues: { ':rooms': rooms, ':intent': new Set([intentId]), ':intentId': intentId },
      }),
    );
  };

/** The campaign record port over the table. */
export const dynamoCampaigns = (t: Table): CampaignsPort => ({
  getCampaign: getCampaign(t),
  listCampaigns: listCampaigns(t),
  startIngest: startIngest(t),
  renewIngestLease: renewIngestLease(t),
  failCampaign: failCampaign(t),
  finishIngest: finishIngest(t),
  tallyBatch: tallyBatch(t),
  completeCampaign: completeCampaign(t),
  cancelCampaign: cancelCampaign(t),
  addCounts: addCounts(t),
  setPause: setPause(t),
  countCreatedRooms: countCreatedRooms(t),
});
