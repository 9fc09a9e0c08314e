// The one table every record module writes through: the document client, the table name, the TTL rule, and
// the few request shapes they share (a conditional write as a typed outcome, a paged prefix query, bulk puts).
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { RetryableError } from '#shared/errors.ts';
import { backoffMs, mapLimit, realSleep, type Sleep } from '../concurrency.ts';
import { DEFAULT_RETENTION_DAYS } from '../items.ts';

/** BatchWriteItem accepts at most 25 requests. */
const BATCH_WRITE_MAX = 25;
/** Attempts for BatchWriteItem's UnprocessedItems before giving up (retryable). */
const BATCH_WRITE_ATTEMPTS = 8;
/** BatchWriteItem requests in flight at once. */
const BATCH_WRITES_IN_PARALLEL = 4;

/** True when DynamoDB refused a write because its ConditionExpression was false. */
export const isConditionFailed = (error: unknown): boolean =>
  error instanceof ConditionalCheckFailedException ||
  (error instanceof Error && error.name === 'ConditionalCheckFailedException');

/** Options of the DynamoDB store. */
export interface DynamoStoreOptions {
  doc: DynamoDBDocumentClient;
  tableName: string;
  sleep?: Sleep;
  /** Items get `expiresAt` this many days after they are written. */
  retentionDays?: number;
}

/** The table as the record modules use it. */
export interface Table {
  doc: DynamoDBDocumentClient;
  name: string;
  sleep: Sleep;
  /** TTL value (epoch s) for an item written at `nowMs`. */
  expiresAt(nowMs: number): number;
}

/** The table of the given options, with the defaults resolved. */
export const tableOf = (options: DynamoStoreOptions): Table => {
  const retentionSeconds = (options.retentionDays ?? DEFAULT_RETENTION_DAYS) * 86_400;
  return {
    doc: options.doc,
    name: options.tableName,
    sleep: options.sleep ?? realSleep,
    expiresAt: (nowMs) => Math.floor(nowMs / 1000) + retentionSeconds,
  };
};

/** A conditional write's outcome: `false` when its condition did not hold; any other error is thrown. */
export const unlessConditionFails = async <T>(write: () => Promise<T>): Promise<T | false> => {
  try {
    return await write();
  } catch (error) {
    if (isConditionFailed(error)) return false;
    throw error;
  }
};

/** A conditional write that reports whether its condition held (it was applied). */
export const applied = async (write: () => Promise<unknown>): Promise<boolean> =>
  (await unlessConditionFails(write)) !== false;

/** Puts an item only if no item has its keys; true when this call put it. */
export const putIfAbsent = (t: Table, item: object): Promise<boolean> =>
  applied(() =>
    t.doc.send(
      new PutCommand({ TableName: t.name, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }),
    ),
  );

/** What a prefix query may narrow: a filter, the fields to return, and eventual consistency (half the cost). */
export interface QueryOptions {
  filter?: { expression: string; values: Record<string, unknown> };
  fields?: readonly string[];
  eventuallyConsistent?: boolean;
}

/** Every item of partition `pk` whose sort key starts with `prefix` (strongly consistent unless asked, all pages). */
export const queryPrefix = async <T>(
  table: Table,
  pk: string,
  prefix: string,
  options: QueryOptions = {},
): Promise<T[]> => {
  const items: T[] = [];
  const { filter, fields } = options;
  let startKey: Record<string, unknown> | undefined;
  do {
    const result = await table.doc.send(
      new QueryCommand({
        TableName: table.name,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ...(filter ? { FilterExpression: filter.expression } : {}),
        ...(fields
          ? {
              ProjectionExpression: fields.map((_, i) => `#f${i}`).join(', '),
              ExpressionAttributeNames: Object.fromEntries(fields.map((f, i) => [`#f${i}`, f])),
            }
          : {}),
        ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix, ...filter?.values },
        ConsistentRead: !options.eventuallyConsistent,
        ExclusiveStartKey: startKey,
      }),
    );
    items.push(...((result.Items ?? []) as T[]));
    startKey = result.LastEvaluatedKey;
  } while (startKey);
  return items;
};

/** Puts items unconditionally, 25 to a BatchWriteItem request, a few requests at a time. */
export const batchPutAll = async (table: Table, items: ReadonlyArray<object>): Promise<void> => {
  const chunks: Array<ReadonlyArray<object>> = [];
  for (let i = 0; i < items.length; i += BATCH_WRITE_MAX) chunks.push(items.slice(i, i + BATCH_WRITE_MAX));
  await mapLimit(chunks, BATCH_WRITES_IN_PARALLEL, (chunk) => batchPut(table, chunk));
};

/** One BatchWriteItem, its unprocessed items retried with backoff. */
const batchPut = async (table: Table, items: ReadonlyArray<object>): Promise<void> => {
  let requests: Array<Record<string, unknown>> = items.map((Item) => ({ PutRequest: { Item } }));
  for (let attempt = 0; requests.length > 0; attempt++) {
    if (attempt >= BATCH_WRITE_ATTEMPTS) {
      throw new RetryableError(`BatchWriteItem left ${requests.length} items unprocessed`);
    }
    if (attempt > 0) await table.sleep(backoffMs(attempt, 50, 2000));
    const result = await table.doc.send(
      new BatchWriteCommand({ RequestItems: { [table.name]: requests as never } }),
    );
    requests = (result.UnprocessedItems?.[table.name] ?? []) as Array<Record<string, unknown>>;
  }
};
