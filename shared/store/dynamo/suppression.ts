// The suppression list (`SUPPRESSION` / `ADDR#<address>`): one conditional put per bounced or complained
// address, one Query for the whole list when an ingest starts (it is small: only unreachable addresses).
import { SUPPRESSION_PK, SUPPRESSION_PREFIX, suppressionSk } from '../keys.ts';
import type { SuppressionPort } from '../ports.ts';
import type { SuppressionEntry } from '../types.ts';
import { putIfAbsent, queryPrefix, type Table } from './table.ts';

/** The entry fields the ingest reads (the report shows reason, detail, date and campaign). */
const ENTRY_FIELDS = ['emailKey', 'reason', 'detail', 'at', 'campaignId', 'suppressedAt'] as const;

const listSuppressed = (t: Table, beforeMs: number): Promise<SuppressionEntry[]> =>
  queryPrefix<SuppressionEntry>(t, SUPPRESSION_PK, SUPPRESSION_PREFIX, {
    filter: { expression: 'suppressedAt < :before', values: { ':before': beforeMs } },
    fields: ENTRY_FIELDS,
  });

/** The suppression port over the table. Entries never expire: an address stays unreachable. */
export const dynamoSuppression = (t: Table): SuppressionPort => ({
  suppress: (entry) =>
    putIfAbsent(t, { pk: SUPPRESSION_PK, sk: suppressionSk(entry.emailKey), type: 'suppression', ...entry }),
  listSuppressed: (beforeMs) => listSuppressed(t, beforeMs),
});
