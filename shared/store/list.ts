// The campaign list, the same for both stores: a page cursor that is opaque to callers, and the record as a
// list shows it (no settings or per-batch bookkeeping, which can be large).
import { PermanentError } from '#shared/errors.ts';
import { CAMPAIGN_LIST } from './keys.ts';
import type { CampaignRecord } from './types.ts';

/** A page cursor: the index key a page ended at, as base64url JSON. */
export const encodeCursor = (key: Record<string, unknown>): string =>
  Buffer.from(JSON.stringify(key)).toString('base64url');

/** The keys a cursor holds: the index's and the table's. */
const CURSOR_KEYS = ['createdAt', 'listPk', 'pk', 'sk'];

/** The index key a cursor names; a PermanentError for one this store did not write. */
export const decodeCursor = (cursor: string): Record<string, string> => {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  const fields = typeof key === 'object' && key !== null ? Object.entries(key) : [];
  const ours =
    fields.length === CURSOR_KEYS.length &&
    fields.every(([name, value]) => CURSOR_KEYS.includes(name) && typeof value === 'string') &&
    (key as Record<string, string>).listPk === CAMPAIGN_LIST;
  if (!ours)
    throw new PermanentError('next: not a page cursor of this list (pass back the one a page returned)');
  return key as Record<string, string>;
};

/** A campaign record as the list shows it. */
export const listed = ({ settings: _s, doneBatches: _d, createIntents: _c, ...record }: CampaignRecord) =>
  record as CampaignRecord;

/** Newest first, the id breaking ties (the index's order). */
export const newestFirst = (a: CampaignRecord, b: CampaignRecord): number =>
  b.createdAt.localeCompare(a.createdAt) || b.pk.localeCompare(a.pk);
