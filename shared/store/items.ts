// The one place that builds stored items: keys, `type` and TTL are added here, never by a use case.
import {
  batchRecordSk,
  CAMPAIGN_LIST,
  campaignPk,
  createdSk,
  META_SK,
  projectPk,
  ROOM_SK,
  rejectedChunkSk,
  respondentSk,
  roomPk,
  spareSk,
} from './keys.ts';
import type {
  BatchRecordItem,
  CampaignRecord,
  CampaignSource,
  CreatedRoom,
  CreatedRoomsItem,
  CreateIntent,
  IngestedRespondent,
  NewRoomMarker,
  NewSpare,
  RejectedChunkItem,
  RejectedRow,
  RespondentItem,
  RoomMarkerItem,
  SpareRoomItem,
} from './types.ts';
import { firstUpload, uploadTagOf } from './uploads.ts';

/** Days after which items may be removed by the table's TTL (housekeeping; never relied on). */
export const DEFAULT_RETENTION_DAYS = 180;

/** A new campaign record, ingesting under `owner`'s lease. */
export const campaignRecordItem = (args: {
  campaignId: string;
  source: CampaignSource;
  owner: string;
  nowMs: number;
  leaseMs: number;
  expiresAt: number;
}): CampaignRecord => {
  const iso = new Date(args.nowMs).toISOString();
  return {
    pk: campaignPk(args.campaignId),
    sk: META_SK,
    type: 'campaign',
    campaignId: args.campaignId,
    listPk: CAMPAIGN_LIST,
    source: args.source,
    status: 'ingesting',
    createdAt: iso,
    updatedAt: iso,
    leaseOwner: args.owner,
    leaseUntil: args.nowMs + args.leaseMs,
    checkpoint: 0,
    upload: firstUpload(args.source, iso),
    uploadTags: new Set([uploadTagOf(args.source)]),
    expiresAt: args.expiresAt,
  };
};

/** The attributes a respondent item is created with (everything but its key, state and progress). */
export const respondentCreatedFields = (r: RespondentItem): Record<string, unknown> => ({
  type: r.type,
  campaignId: r.campaignId,
  batch: r.batch,
  seq: r.seq,
  line: r.line,
  upload: r.upload,
  email: r.email,
  emailKey: r.emailKey,
  name: r.name,
  language: r.language,
  fields: r.fields,
  roomKey: r.roomKey,
  expiresAt: r.expiresAt,
});

/** The stored marker of a room. */
export const roomMarkerItem = (marker: NewRoomMarker, nowMs: number, expiresAt: number): RoomMarkerItem => ({
  pk: roomPk(marker.roomId),
  sk: ROOM_SK,
  type: 'room',
  ...marker,
  createdAt: new Date(nowMs).toISOString(),
  expiresAt,
});

/** The stored spare of a campaign's pool. */
export const spareItem = (spare: NewSpare, nowMs: number, expiresAt: number): SpareRoomItem => ({
  pk: campaignPk(spare.campaignId),
  sk: spareSk(spare.roomKey, spare.roomId),
  type: 'spare',
  campaignId: spare.campaignId,
  roomId: spare.roomId,
  roomKey: spare.roomKey,
  url: spare.url,
  ...(spare.roomExpiresAt ? { roomExpiresAt: spare.roomExpiresAt } : {}),
  createdAt: new Date(nowMs).toISOString(),
  expiresAt,
});

/** The stored record of the rooms one create call returned. */
export const createdRoomsItem = (args: {
  projectId: string;
  intent: CreateIntent;
  rooms: CreatedRoom[];
  leaseUntil: number;
  expiresAt: number;
}): CreatedRoomsItem => ({
  pk: projectPk(args.projectId),
  sk: createdSk(args.intent.intentId),
  type: 'created-rooms',
  intent: args.intent,
  rooms: args.rooms,
  leaseUntil: args.leaseUntil,
  expiresAt: args.expiresAt,
});

/** Orders items by sort key, as a Query returns them. */
export const bySortKey = (a: { sk: string }, b: { sk: string }): number =>
  a.sk < b.sk ? -1 : a.sk > b.sk ? 1 : 0;

/**
 * Respondent items plus, for every respondent a batch record lists without an item yet, an `accepted`
 * stand-in built from the record (flagged `unwritten`), ordered by sort key.
 */
export const mergeRespondents = (
  items: ReadonlyArray<RespondentItem | BatchRecordItem>,
): RespondentItem[] => {
  const respondents = items.filter((item): item is RespondentItem => item.type === 'respondent');
  const written = new Set(respondents.map((r) => r.sk));
  for (const record of items) {
    if (record.type !== 'batch') continue;
    for (const r of decodeBatchRecord(record)) {
      const sk = respondentSk(record.batch, r.seq);
      if (!written.has(sk)) respondents.push(respondentOfRecord(record, r, sk));
    }
  }
  return respondents.sort(bySortKey);
};

/** The respondents a batch record holds (UTF-8 JSON in one binary attribute). */
const decodeBatchRecord = (record: BatchRecordItem): IngestedRespondent[] => {
  const json = Buffer.from(
    record.respondents.buffer,
    record.respondents.byteOffset,
    record.respondents.length,
  );
  return JSON.parse(json.toString('utf8')) as IngestedRespondent[];
};

/** A respondent as its batch record shows it before its own item is written. */
const respondentOfRecord = (record: BatchRecordItem, r: IngestedRespondent, sk: string): RespondentItem => ({
  pk: record.pk,
  sk,
  type: 'respondent',
  campaignId: record.campaignId,
  batch: record.batch,
  ...r,
  emailKey: r.email.toLowerCase(),
  roomKey: record.roomKey,
  state: 'accepted',
  updatedAt: record.createdAt,
  ...(record.expiresAt !== undefined ? { expiresAt: record.expiresAt } : {}),
  unwritten: true,
});

/** A respondent read from its batch record as the item to write (the `unwritten` flag is not stored). */
export const writtenRespondent = ({ unwritten: _, ...item }: RespondentItem): RespondentItem => item;

/** One batch as the ingest recorded it: its respondents' JSON in one or more parts. */
export interface NewBatch {
  campaignId: string;
  batch: number;
  roomKey: string;
  /** UTF-8 JSON of IngestedRespondent[], each part below the item size limit. */
  parts: readonly Uint8Array[];
}

/** One chunk of rejected and duplicate rows, numbered in file order. */
export interface NewRejectedChunk {
  campaignId: string;
  chunk: number;
  rows: RejectedRow[];
}

/** The stored parts of a batch record. */
export const batchRecordItems = (batch: NewBatch, nowMs: number, expiresAt: number): BatchRecordItem[] =>
  batch.parts.map((respondents, part) => ({
    pk: campaignPk(batch.campaignId),
    sk: batchRecordSk(batch.batch, part),
    type: 'batch',
    campaignId: batch.campaignId,
    batch: batch.batch,
    part,
    roomKey: batch.roomKey,
    respondents,
    createdAt: new Date(nowMs).toISOString(),
    expiresAt,
  }));

/** The stored chunk of rejected rows. */
export const rejectedChunkItem = (chunk: NewRejectedChunk, expiresAt: number): RejectedChunkItem => ({
  pk: campaignPk(chunk.campaignId),
  sk: rejectedChunkSk(chunk.chunk),
  type: 'rejected',
  campaignId: chunk.campaignId,
  rows: chunk.rows,
  expiresAt,
});
