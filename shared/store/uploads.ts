// The uploads of one campaign: the campaign is its CSV's key, and each changed upload under that key is one
// more upload of it (people already in the campaign are reported, new ones invited).
import type { CampaignRecord, CampaignSource, CampaignStatus, UploadRound } from './types.ts';

/** Key of the optional settings object beside a CSV: `<key without .csv>.settings.json`. */
export const settingsKeyFor = (csvKey: string): string => `${csvKey.replace(/\.csv$/i, '')}.settings.json`;

/** The statuses a changed upload reopens: a cancelled campaign takes no one new, an ingesting one waits. */
export const REOPENABLE: readonly CampaignStatus[] = ['enqueued', 'completed', 'failed'];

/** The identity of an upload's content: its ETag (quotes dropped), else its version id. */
export const uploadTagOf = (source: Pick<CampaignSource, 'etag' | 'versionId'>): string => {
  const etag = source.etag?.replace(/"/g, '');
  return etag ? `etag:${etag}` : `version:${source.versionId ?? ''}`;
};

/** The first upload of a campaign, as its record is created with. */
export const firstUpload = (source: CampaignSource, at: string): UploadRound => ({
  number: 1,
  tag: uploadTagOf(source),
  at,
  firstBatch: 0,
  firstChunk: 0,
});

/** The campaign's latest upload (a record written before uploads were numbered has one: the first). */
export const uploadOf = (record: CampaignRecord): UploadRound =>
  record.upload ?? firstUpload(record.source, record.createdAt);

/** Whether this content was already uploaded to the campaign (a duplicate event or an identical re-upload). */
export const knownUpload = (record: CampaignRecord, tag: string): boolean =>
  record.uploadTags ? record.uploadTags.has(tag) : uploadTagOf(record.source) === tag;

/** The upload that follows the campaign's latest one, when a changed file arrives under its key. */
export const nextUpload = (record: CampaignRecord, source: CampaignSource, nowMs: number): UploadRound => ({
  number: uploadOf(record).number + 1,
  tag: uploadTagOf(source),
  at: new Date(nowMs).toISOString(),
  firstBatch: record.batches ?? 0,
  firstChunk: record.chunks ?? 0,
  reopened: record.status,
});

/** What starting an ingest does with a campaign record that exists (see CampaignsPort.startIngest). */
export type StartVerdict = 'done' | 'busy' | 'closed' | 'take-over' | 'reopen';

/**
 * The same content again is done (or, if its ingest crashed, taken over); changed content reopens the
 * campaign once no other upload is being ingested, unless it was cancelled.
 */
export const startVerdict = (
  record: CampaignRecord,
  tag: string,
  owner: string,
  nowMs: number,
): StartVerdict => {
  const held = record.leaseOwner !== owner && (record.leaseUntil ?? 0) > nowMs;
  if (knownUpload(record, tag)) {
    if (record.status !== 'ingesting' || uploadOf(record).tag !== tag) return 'done';
    return held ? 'busy' : 'take-over';
  }
  if (record.status === 'ingesting') return 'busy';
  return REOPENABLE.includes(record.status) ? 'reopen' : 'closed';
};

/** The content tags a reopened campaign knows: those before (a record from before tags: its source's) and this one. */
export const tagsAfter = (record: CampaignRecord, tag: string): Set<string> =>
  new Set([...(record.uploadTags ?? [uploadTagOf(record.source)]), tag]);
