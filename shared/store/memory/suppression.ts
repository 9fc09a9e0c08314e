// The suppression list in memory, with the DynamoDB adapter's conditions (dynamo/suppression.ts).
import { SUPPRESSION_PK, SUPPRESSION_PREFIX, suppressionSk } from '../keys.ts';
import type { SuppressionPort } from '../ports.ts';
import type { SuppressionEntry } from '../types.ts';
import type { MemoryTable } from './table.ts';

/** The suppression port over the memory table. */
export const memorySuppression = (table: MemoryTable): SuppressionPort => ({
  async suppress(entry) {
    return table.put({ pk: SUPPRESSION_PK, sk: suppressionSk(entry.emailKey), ...entry }, { ifAbsent: true });
  },
  async listSuppressed(beforeMs) {
    return table
      .query<SuppressionEntry & { pk: string; sk: string }>(SUPPRESSION_PK, SUPPRESSION_PREFIX)
      .filter((entry) => entry.suppressedAt < beforeMs)
      .map(({ pk: _pk, sk: _sk, ...entry }) => entry);
  },
});
