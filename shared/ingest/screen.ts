// The suppression list as the ingest screens a file with it: by lower-cased address, and the report's reason
// for a row it holds back. The console's validation reads the list the same way (without the ingest).
import type { SuppressionEntry } from '#shared/store/types.ts';

/** The suppression list by lower-cased address. */
export const suppressionsOf = (entries: readonly SuppressionEntry[]): Map<string, SuppressionEntry> =>
  new Map(entries.map((entry) => [entry.emailKey, entry]));

/** The report's reason for a row whose address is on the suppression list: why, since when, from where. */
export const suppressedReason = (entry: SuppressionEntry): string =>
  `suppressed: ${entry.reason} on ${entry.at.slice(0, 10)} in campaign ${entry.campaignId}` +
  (entry.detail ? ` (${entry.detail})` : '');
