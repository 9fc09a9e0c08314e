// What the ingest reaches outside itself: the uploaded objects, the invite queue, and the store.
import type { InviteMessage } from '#shared/campaign/messages.ts';
import type { CsvInput } from '#shared/csv/encoding.ts';
import type {
  CampaignsPort,
  IngestItemsPort,
  RespondentsPort,
  SuppressionPort,
} from '#shared/store/ports.ts';

/** One uploaded object, as the S3 event names it (key already URL-decoded). */
export interface UploadRef {
  bucket: string;
  key: string;
  etag?: string;
  versionId?: string;
}

/** The uploads bucket as the ingest reads it. */
export interface UploadSource {
  /** The JSON of the settings object at `key`; undefined when there is none; SettingsFileError if not JSON. */
  readSettings(bucket: string, key: string): Promise<unknown>;
  /** The CSV as a stream, pinned to the version/ETag the event named; CsvFileError if it changed or went. */
  openCsv(upload: UploadRef): Promise<CsvInput>;
}

/** The invite queue as the ingest feeds it. */
export interface InviteQueue {
  /** Sends every message (in as few calls as the queue allows), retrying what the queue reports failed. */
  send(messages: readonly InviteMessage[]): Promise<void>;
}

/** The store methods the ingest uses (a small slice, so a fake or another store fits). */
export type IngestStore = Pick<
  CampaignsPort & IngestItemsPort & SuppressionPort & Pick<RespondentsPort, 'listRespondents' | 'queryBatch'>,
  | 'getCampaign'
  | 'startIngest'
  | 'renewIngestLease'
  | 'failCampaign'
  | 'finishIngest'
  | 'writeBatches'
  | 'writeRejected'
  | 'listSuppressed'
  | 'listRespondents'
  | 'queryBatch'
>;
