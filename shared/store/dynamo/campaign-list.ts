// The campaign list over the `campaigns` index: one Query for a page of keys, one BatchGetItem for the records.
import { BatchGetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { RetryableError } from '#shared/errors.ts';
import { CAMPAIGN_LIST, CAMPAIGNS_INDEX } from '../keys.ts';
import { decodeCursor, encodeCursor, listed, newestFirst } from '../list.ts';
import type { CampaignsPort } from '../ports.ts';
import type { CampaignRecord } from '../types.ts';
import type { Table } from './table.ts';

/** BatchGetItem rounds for keys DynamoDB left unprocessed (throttling) before the read fails, retryable. */
const BATCH_GET_ROUNDS = 5;

/** The records of `keys` (≤ 100), in no particular order. */
const getAll = async (t: Table, keys: Record<string, unknown>[]): Promise<CampaignRecord[]> => {
  const records: CampaignRecord[] = [];
  let pending = keys;
  for (let round = 0; pending.length > 0; round++) {
    if (round === BATCH_GET_ROUNDS)
      throw new RetryableError('the campaign list could not be read: throttled');
    const result = await t.doc.send(new BatchGetCommand({ RequestItems: { [t.name]: { Keys: pending } } }));
    records.push(...((result.Responses?.[t.name] ?? []) as CampaignRecord[]));
    pending = (result.UnprocessedKeys?.[t.name]?.Keys ?? []) as Record<string, unknown>[];
  }
  return records;
};

/** One page of the list, newest first. */
export const listCampaigns =
  (t: Table): CampaignsPort['listCampaigns'] =>
  async ({ limit, next }) => {
    const result = await t.doc.send(
      new QueryCommand({
        TableName: t.name,
        IndexName: CAMPAIGNS_INDEX,
        KeyConditionExpression: 'listPk = :list',
        ExpressionAttributeValues: { ':list': CAMPAIGN_LIST },
        ScanIndexForward: false,
        Limit: Math.min(Math.max(1, limit), 100),
        ...(next ? { ExclusiveStartKey: decodeCursor(next) } : {}),
      }),
    );
    const keys = (result.Items ?? []).map((item) => ({ pk: item.pk, sk: item.sk }));
    const campaigns = keys.length > 0 ? (await getAll(t, keys)).map(listed).sort(newestFirst) : [];
    return { campaigns, ...(result.LastEvaluatedKey ? { next: encodeCursor(result.LastEvaluatedKey) } : {}) };
  };
