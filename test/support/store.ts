// Stores on fresh tables for tests that hold every store to one contract: each DynamoDB emulator of the run,
// and the in-memory store.
import { CreateTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { makeDocClient, makeDynamoClient } from '#local/aws.ts';
import { tableInput } from '#local/runtime/resources.ts';
import { createDynamoStore } from '#shared/store/dynamo/index.ts';
import { campaignPk, respondentSk } from '#shared/store/keys.ts';
import { createMemoryStore } from '#shared/store/memory/index.ts';
import type { Store } from '#shared/store/ports.ts';
import type { RespondentItem } from '#shared/store/types.ts';
import { dynamoTargets, uniqueName } from './aws.ts';

/** A respondent item of `campaignId`, accepted. */
export const respondent = (campaignId: string, batch: number, seq: number): RespondentItem => ({
  pk: campaignPk(campaignId),
  sk: respondentSk(batch, seq),
  type: 'respondent',
  campaignId,
  batch,
  seq,
  line: 2 + seq,
  email: `r${seq}@example.com`,
  emailKey: `r${seq}@example.com`,
  fields: {},
  roomKey: 'k',
  state: 'accepted',
  updatedAt: new Date(0).toISOString(),
});

/** A table with the stack's key schema and indexes. */
export const createTable = async (dynamo: ReturnType<typeof makeDynamoClient>, tableName: string) => {
  await dynamo.send(new CreateTableCommand(tableInput(tableName)));
  // An emulator may answer ResourceNotFound for a table still CREATING: wait until it is ACTIVE.
  for (let waited = 0; waited < 10_000; waited += 50) {
    const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`table ${tableName} did not become ACTIVE within 10 s`);
};

/** Every store these tests hold to one contract: each DynamoDB emulator, and the in-memory store. */
export const storeTargets = (): Array<{ name: string; endpoint?: string }> => [
  ...dynamoTargets(),
  { name: 'memory' },
];

/**
 * A store on a fresh table at `endpoint` (in memory without one) for the enclosing describe block (created
 * before, clients closed after).
 */
export const useStore = (endpoint: string | undefined, prefix: string): (() => Store) => {
  if (endpoint === undefined) {
    const memory = createMemoryStore();
    return () => memory;
  }
  const dynamo = makeDynamoClient(endpoint);
  const doc = makeDocClient(dynamo);
  let store: Store | undefined;
  beforeAll(async () => {
    const tableName = uniqueName(prefix);
    await createTable(dynamo, tableName);
    store = createDynamoStore({ doc, tableName });
  });
  afterAll(() => {
    doc.destroy();
    dynamo.destroy();
  });
  return () => {
    if (!store) throw new Error('store not ready');
    return store;
  };
};
