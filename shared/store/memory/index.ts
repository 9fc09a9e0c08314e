// The store in memory: every port, with the DynamoDB adapters' conditions, for fast unit tests of the use
// cases (milliseconds, no emulator).
import type { Store } from '../ports.ts';
import { memoryCampaigns } from './campaigns.ts';
import { memoryDeliveries } from './deliveries.ts';
import { memoryFollowUps } from './follow-ups.ts';
import {
  memoryCreateLock,
  memoryIngestItems,
  memoryRespondents,
  memoryRooms,
  memorySchedule,
} from './records.ts';
import { memorySuppression } from './suppression.ts';
import { memoryTable } from './table.ts';
import { memoryTracking } from './tracking.ts';

/** A new, empty in-memory store. */
export const createMemoryStore = (): Store => {
  const table = memoryTable();
  return {
    ...memoryCampaigns(table),
    ...memoryIngestItems(table),
    ...memoryRespondents(table),
    ...memoryFollowUps(table),
    ...memoryCreateLock(table),
    ...memoryRooms(table),
    ...memorySchedule(table),
    ...memoryDeliveries(table),
    ...memorySuppression(table),
    ...memoryTracking(table),
  };
};
