import { createHash } from 'node:crypto';

// Key layout of the single table (pk/sk strings). Zero-padded numbers keep sort order = numeric order.

/** Partition key of everything that belongs to one campaign. */
export const campaignPk = (campaignId: string): string => `CAMPAIGN#${campaignId}`;
/** Sort key of the campaign record. */
export const META_SK = 'META';
/** Width of the batch number in respondent sort keys (a million batches = 100M respondents). */
const BATCH_WIDTH = 6;
/** Width of the respondent position inside its batch (≤ 100). */
const SEQ_WIDTH = 3;
/** Width of the rejected-row chunk number. */
const CHUNK_WIDTH = 6;

/** Prefix of everything of one batch: its ingest record parts and its respondents (one Query reads both). */
export const batchKey = (batch: number): string => `R#${String(batch).padStart(BATCH_WIDTH, '0')}`;
/** Prefix of the respondent items of one batch. */
export const batchPrefix = (batch: number): string => `${batchKey(batch)}#`;
/** Sort key of one part of a batch's ingest record (`!` sorts before `#`: parts come before respondents). */
export const batchRecordSk = (batch: number, part: number): string =>
  `${batchKey(batch)}!${String(part).padStart(SEQ_WIDTH, '0')}`;
/** Sort key of one respondent. */
export const respondentSk = (batch: number, seq: number): string =>
  `${batchPrefix(batch)}${String(seq).padStart(SEQ_WIDTH, '0')}`;
/** Prefix of every respondent of a campaign. */
export const RESPONDENT_PREFIX = 'R#';
/** Sort key of one chunk of rejected and duplicate rows (for the report). */
export const rejectedChunkSk = (chunk: number): string => `X#${String(chunk).padStart(CHUNK_WIDTH, '0')}`;
/** Prefix of the rejected-row chunks. */
export const REJECTED_PREFIX = 'X#';
/** Prefix of the spare rooms of a campaign with one room-settings key. */
export const sparePrefix = (roomKey: string): string => `SPARE#${roomKey}#`;
/** Sort key of one spare room of a campaign. */
export const spareSk = (roomKey: string, roomId: string): string => `${sparePrefix(roomKey)}${roomId}`;
/** Prefix of all spare rooms of a campaign. */
export const SPARE_PREFIX = 'SPARE#';

/** Partition key of an account-wide send schedule (the SES send rate shared by all invite invocations). */
export const pacerPk = (key: string): string => `PACER#${key}`;
/** Sort key of the send schedule. */
export const PACER_SK = 'PACER';
/** Partition key of the per-project room-creation lock. */
export const projectPk = (projectId: string): string => `PROJECT#${projectId}`;
/** Sort key of the room-creation lock. */
export const CREATE_LOCK_SK = 'CREATE_LOCK';
/** Prefix of the records of rooms created but not yet all handed out, under the project's partition. */
export const CREATED_PREFIX = 'CREATED#';
/** Sort key of the record of the rooms one create call returned. */
export const createdSk = (intentId: string): string => `${CREATED_PREFIX}${intentId}`;
/** Partition key of a room's ownership marker: one item per room this system ever took charge of. */
export const roomPk = (roomId: string): string => `ROOM#${roomId}`;
/** Sort key of the room marker. */
export const ROOM_SK = 'ROOM';

/**
 * Campaign id derived from where the CSV was uploaded (bucket + key): every upload under one key belongs to one
 * campaign. Which uploads it has already seen is the campaign record's business (see uploads.ts).
 */
export const campaignIdFor = (source: { bucket: string; key: string }) =>
  createHash('sha256').update(`${source.bucket}\n${source.key}`).digest('base64url').slice(0, 22);

/**
 * The id a campaign had before campaigns were keys (bucket + key + content): an S3 event of such an upload,
 * retried after the deploy, finds its campaign under it and is not ingested a second time.
 */
export const legacyCampaignIdFor = (source: {
  bucket: string;
  key: string;
  etag?: string;
  versionId?: string;
}) => {
  const etag = source.etag?.replace(/"/g, '');
  const content = etag ? `etag:${etag}` : `version:${source.versionId ?? ''}`;
  return createHash('sha256')
    .update(`${source.bucket}\n${source.key}\n${content}`)
    .digest('base64url')
    .slice(0, 22);
};

/** Short stable hash of a JSON-able value (room-settings keys). */
export const shortHash = (value: unknown): string =>
  createHash('sha256').update(JSON.stringify(value)).digest('base64url').slice(0, 12);

/** Partition key of the deployment's suppression list (addresses that bounced or complained). */
export const SUPPRESSION_PK = 'SUPPRESSION';
/** Sort key of one suppressed address (lower-cased): one Query reads the whole list at ingest. */
export const suppressionSk = (emailKey: string): string => `ADDR#${emailKey}`;
/** Prefix of the suppressed addresses. */
export const SUPPRESSION_PREFIX = 'ADDR#';

/** Partition value of the `campaigns` index: every campaign record carries it, so one Query lists them. */
export const CAMPAIGN_LIST = 'CAMPAIGNS';
/** Name of the index of campaigns by creation time. */
export const CAMPAIGNS_INDEX = 'campaigns';

/** Partition value of the `tracking` index for campaigns whose rooms are still polled (sparse: removed at the end). */
export const TRACKING_OPEN = 'open';
/** Name of the index of tracked campaigns by next poll time. */
export const TRACKING_INDEX = 'tracking';
