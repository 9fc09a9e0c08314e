// The DynamoDB store: one table, single-item conditional writes, BatchWriteItem and Query only (no
// transactions), so dynalite and DynamoDB Local serve as well as DynamoDB.
import type { Store } from '../ports.ts';
import { dynamoCampaigns } from './campaigns.ts';
import { dynamoCreateLock } from './create-lock.ts';
import { dynamoDeliveries } from './deliveries.ts';
import { dynamoFollowUps } from './follow-ups.ts';
import { dynamoIngestItems, dynamoRespondents } from './respondents.ts';
import { dynamoRooms } from './rooms.ts';
import { dynamoSchedule } from './schedule.ts';
import { dynamoSuppression } from './suppression.ts';
import { type DynamoStoreOptions, tableOf } from './table.ts';
import { dynamoTracking } from './tracking.ts';

export { type DynamoStoreOptions, isConditionFailed } from './table.ts';

/** Every port of the store over one DynamoDB table. */
export const createDynamoStore = (options: DynamoStoreOptions): Store & { tableName: string } => {
  const table = tableOf(options);
  return {
    tableName: table.name,
    ...dynamoCampaigns(table),
    ...dynamoIngestItems(table),
    ...dynamoRespondents(table),
    ...dynamoFollowUps(table),
    ...dynamoCreateLock(table),
    ...dynamoRooms(table),
    ...dynamoSchedule(table),
    ...dynamoDeliveries(table),
    ...dynamoSuppression(table),
    ...dynamoTracking(table),
  };
};
