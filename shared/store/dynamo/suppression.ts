// The suppression list (`SUPPRESSION` / `ADDR#<address>`): one conditional put per bounced or complained
// address, one Query for the whole list when an ingest starts (it is small: only unreachable addresses).
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { SUPPRESSION_PK, SUPPRESSION_PREFIX, suppressionSk } from '../keys.ts';
import type { SuppressionPort } from '../ports.ts';
import type { SuppressionEntry } from '../types.ts';
import { putIfAbsent, type Table } from './table.ts';

/** The entry fields the ingest reads (the report shows reason, detail, date and campaign). */
const ENTRY_FIELDS = ['emailKey', 'reason', 'detail', 'at', 'campaignId', 'suppressedAt'] as const;

const listSuppressed = async (t: Table, beforeMs: number): Promise<SuppressionEntry[]> => {
  const entries: SuppressionEntry[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const result = await t.doc.send(
      new QueryCommand({
        TableName: t.name,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        FilterExpression: 'suppressedAt < :before',
        ProjectionExpression: ENTRY_FIELDS.map((_, i) => `#f${i}`).join(', '),
        ExpressionAttributeNames: Object.fromEntries(ENTRY_FIELDS.map((f, i) => [`#f${i}`, f])),
        ExpressionAttributeValues: {
          ':pk': SUPPRESSION_PK,
          ':prefix': SUPPRESSION_PREFIX,
          ':before': beforeMs,
        },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
    );
    entries.push(...((result.Items ?? []) as SuppressionEntry[]));
    startKey = result.LastEvaluatedKey;
  } while (startKey);
  return entries;
};

/** The suppression port over the table. Entries never expire: an address stays unreachable. */
export const dynamoSuppression = (t: Table): SuppressionPort => ({
  suppress: (entry) =>
    putIfAbsent(t, { pk: SUPPRESSION_PK, sk: suppressionSk(entry.emailKey), type: 'suppression', ...entry }),
  listSuppressed: (beforeMs) => listSuppressed(t, beforeMs),
});
