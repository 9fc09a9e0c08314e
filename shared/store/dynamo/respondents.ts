// Respondents (`CAMPAIGN#<id>` / `R#<batch>#<seq>`), their batch records and rejected rows: reads, and the
// named transitions of the state machine as single conditional updates.
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type RespondentTransition, type TransitionSpec, transitionSpec } from '#shared/invite/respondent.ts';
import { mapLimit } from '../concurrency.ts';
import {
  batchRecordItems,
  mergeRespondents,
  rejectedChunkItem,
  respondentCreatedFields,
  writtenRespondent,
} from '../items.ts';
import { batchKey, campaignPk, REJECTED_PREFIX, RESPONDENT_PREFIX } from '../keys.ts';
import type { IngestItemsPort, RespondentRef, RespondentsPort } from '../ports.ts';
import type { BatchRecordItem, RejectedChunkItem, RespondentItem } from '../types.ts';
import { applied, batchPutAll, putIfAbsent, queryPrefix, type Table, unlessConditionFails } from './table.ts';

/** Single-item writes in flight at once. */
const WRITE_CONCURRENCY = 16;

type Port = RespondentsPort;

/** Puts each item only if absent: an item that exists, in whatever state, is never overwritten. */
const putAllIfAbsent = (t: Table, items: readonly object[]) =>
  mapLimit(items, WRITE_CONCURRENCY, (item) => putIfAbsent(t, item));

const queryBatch =
  (t: Table): Port['queryBatch'] =>
  async (campaignId, batch) =>
    mergeRespondents(
      await queryPrefix<RespondentItem | BatchRecordItem>(t, campaignPk(campaignId), batchKey(batch)),
    );

const writeBatchRespondents =
  (t: Table): Port['writeBatchRespondents'] =>
  async (campaignId, batch) => {
    const respondents = await queryBatch(t)(campaignId, batch);
    const unwritten = respondents.filter((r) => r.unwritten);
    if (unwritten.length === 0) return respondents;
    await putAllIfAbsent(t, unwritten.map(writtenRespondent));
    return queryBatch(t)(campaignId, batch);
  };

/** The UpdateItem input that applies a transition spec (see {@link transitionSpec}) to one respondent. */
export const transitionUpdate = (ref: RespondentRef, spec: TransitionSpec) => {
  const names: Record<string, string> = { '#state': 'state' };
  const values: Record<string, unknown> = { ':to': spec.to, ':now': new Date(ref.nowMs).toISOString() };
  const sets = ['#state = :to', 'updatedAt = :now'];
  // The fields an item has from its creation: rewriting them on an existing item changes nothing.
  const created = ref.orCreate ? respondentCreatedFields(ref.orCreate) : {};
  let i = 0;
  for (const [name, value] of Object.entries({ ...created, ...spec.set })) {
    if (value === undefined) continue;
    names[`#a${i}`] = name;
    values[`:a${i}`] = value;
    sets.push(`#a${i} = :a${i}`);
    i++;
  }
  const froms = spec.from.map((state, index) => {
    values[`:from${index}`] = state;
    return `#state = :from${index}`;
  });
  let condition = ref.orCreate
    ? `(attribute_not_exists(pk) OR ${froms.join(' OR ')})`
    : `(${froms.join(' OR ')})`;
  if (spec.heldBy !== undefined) {
    values[':sendAttempt'] = spec.heldBy;
    condition += ' AND sendAttempt = :sendAttempt';
  }
  if (spec.leaseEndedBefore !== undefined) {
    values[':leaseEnd'] = spec.leaseEndedBefore;
    condition += ' AND (attribute_not_exists(sendingUntil) OR sendingUntil < :leaseEnd)';
  }
  if (spec.unstarted) condition += ' AND attribute_not_exists(roomRank)';
  const removes = spec.remove.map((name, index) => {
    names[`#r${index}`] = name;
    return `#r${index}`;
  });
  return {
    Key: { pk: campaignPk(ref.campaignId), sk: ref.sk },
    UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
    ConditionExpression: condition,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
};

const transition =
  (t: Table): Port['transition'] =>
  async (ref, move: RespondentTransition) =>
    applied(() =>
      t.doc.send(new UpdateCommand({ TableName: t.name, ...transitionUpdate(ref, transitionSpec(move)) })),
    );

const takeOverSend =
  (t: Table): Port['takeOverSend'] =>
  async (ref, attempt, until) => {
    const result = await unlessConditionFails(() =>
      t.doc.send(
        new UpdateCommand({
          TableName: t.name,
          Key: { pk: campaignPk(ref.campaignId), sk: ref.sk },
          UpdateExpression: 'SET sendAttempt = :attempt, sendingUntil = :until, updatedAt = :now',
          ConditionExpression:
            '#state = :sending AND (attribute_not_exists(sendingUntil) OR sendingUntil < :nowMs OR sendAttempt = :attempt)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':attempt': attempt,
            ':until': until,
            ':now': new Date(ref.nowMs).toISOString(),
            ':nowMs': ref.nowMs,
            ':sending': 'sending',
          },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    return result ? (result.Attributes as RespondentItem) : undefined;
  };

const markRoomCancelled =
  (t: Table): Port['markRoomCancelled'] =>
  async (campaignId, sk) => {
    await t.doc.send(
      new UpdateCommand({
        TableName: t.name,
        Key: { pk: campaignPk(campaignId), sk },
        UpdateExpression: 'SET roomCancelled = :yes',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':yes': true },
      }),
    );
  };

const getRespondent =
  (t: Table): Port['getRespondent'] =>
  async (campaignId, sk) =>
    (
      await t.doc.send(
        new GetCommand({ TableName: t.name, Key: { pk: campaignPk(campaignId), sk }, ConsistentRead: true }),
      )
    ).Item as RespondentItem | undefined;

/** The respondents port over the table. */
export const dynamoRespondents = (t: Table): RespondentsPort => ({
  queryBatch: queryBatch(t),
  writeBatchRespondents: writeBatchRespondents(t),
  listRespondents: async (campaignId) =>
    mergeRespondents(
      await queryPrefix<RespondentItem | BatchRecordItem>(t, campaignPk(campaignId), RESPONDENT_PREFIX),
    ),
  listRejected: async (campaignId) =>
    (await queryPrefix<RejectedChunkItem>(t, campaignPk(campaignId), REJECTED_PREFIX)).flatMap((c) => c.rows),
  getRespondent: getRespondent(t),
  transition: transition(t),
  takeOverSend: takeOverSend(t),
  markRoomCancelled: markRoomCancelled(t),
});

/** The ingest's writes over the table. */
export const dynamoIngestItems = (t: Table): IngestItemsPort => ({
  writeBatches: (batches, nowMs) =>
    batchPutAll(
      t,
      batches.flatMap((batch) => batchRecordItems(batch, nowMs, t.expiresAt(nowMs))),
    ),
  writeRejected: (chunk, nowMs) => batchPutAll(t, [rejectedChunkItem(chunk, t.expiresAt(nowMs))]),
});
