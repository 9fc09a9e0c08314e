// Item shapes of the single campaign table. Every item has `pk`, `sk` and a `type`; see docs/DESIGN.md.
import type { PauseKind } from '#shared/errors.ts';
import type { JourneyStatus } from '#shared/events/journey.ts';
import type { DeliveryProgress } from '#shared/events/outcome.ts';
import type { FollowUpProgress } from '#shared/invite/follow-up.ts';
import type { RespondentProgress } from '#shared/invite/respondent.ts';
import type { FunnelSnapshot } from '#shared/report/funnel.ts';
import type { RoomProgress } from '#shared/tracker/progress.ts';

export type { RespondentState } from '#shared/invite/respondent.ts';
export { TERMINAL_STATES } from '#shared/invite/respondent.ts';

/**
 * Campaign lifecycle. `ingesting` → `enqueued` → `completed`, or `failed` (whole-file or settings error);
 * an `enqueued` or `completed` campaign may be `cancelled` (`invites cancel`). A changed upload under the
 * campaign's key turns it `ingesting` again, then back (see uploads.ts).
 */
export type CampaignStatus = 'ingesting' | 'enqueued' | 'completed' | 'failed' | 'cancelled';
/** The statuses a cancel applies to (a cancelled one again: to add `revokeUnstarted`). */
export const CANCELLABLE: readonly CampaignStatus[] = ['enqueued', 'completed', 'cancelled'];

/** Where a campaign came from. */
export interface CampaignSource {
  bucket: string;
  key: string;
  etag?: string;
  versionId?: string;
  settingsKey?: string;
}

/** One upload of a campaign's CSV, as its record keeps the latest. */
export interface UploadRound {
  /** 1 for the campaign's first upload. */
  number: number;
  /** What identifies the upload's content ({@link uploadTagOf}): the same content is never ingested twice. */
  tag: string;
  /** When its ingest began (ISO); the suppression list is read as of then. */
  at: string;
  /** Its first batch and first rejected-row chunk: numbering goes on from the uploads before it. */
  firstBatch: number;
  firstChunk: number;
  /** The campaign's status before this upload reopened it: restored if this upload fails. */
  reopened?: CampaignStatus;
}

/** Counters on the campaign record. Batch-level ones are added exactly once per batch (see tallyBatch). */
export interface CampaignCounts {
  /** Data rows in the file (accepted + rejected + duplicates + suppressed). */
  rows: number;
  accepted: number;
  rejected: number;
  duplicates: number;
  /** Rows whose address is on the suppression list: reported, no room. */
  suppressed: number;
  /** Batches (SQS messages) the ingest produced. */
  batches: number;
  /** Batches whose respondents all reached a terminal state and were tallied. */
  batchesDone: number;
  emailed: number;
  failed: number;
  /** Respondents failed because their batch reached the DLQ (included in `failed`). */
  deadLettered: number;
  /** Rooms created for this campaign (counted once per create intent). */
  roomsCreated: number;
  /** Rooms cancelled again (spares left at completion, rooms of respondents whose email failed). */
  roomsCancelled: number;
  /** Aseed create calls and SES calls made for this campaign (operational metrics, best effort). */
  createCalls: number;
  sesCalls: number;
}

/** The campaign record (`CAMPAIGN#<id>` / `META`). */
export interface CampaignRecord extends Partial<CampaignCounts> {
  pk: string;
  sk: string;
  type: 'campaign';
  campaignId: string;
  /** Partition of the `campaigns` index (every record has it; records from before the index do not). */
  listPk?: string;
  source: CampaignSource;
  status: CampaignStatus;
  /** The resolved settings (defaults + the upload's settings file); absent when resolving them failed. */
  settings?: Record<string, unknown>;
  failureReason?: string;
  /** What the CSV's columns were read as: `email ← E-Mail; name ← Vorname + Nachname; merge fields: …`. */
  columns?: string;
  createdAt: string;
  updatedAt: string;
  enqueuedAt?: string;
  completedAt?: string;
  /** When the campaign was cancelled (the first cancel), and whether emailed, unstarted rooms are revoked. */
  cancelledAt?: string;
  revokeUnstarted?: boolean;
  /** Ingest lease: who ingests and until when; a duplicate event backs off, a crashed ingest is taken over. */
  leaseOwner?: string;
  leaseUntil?: number;
  /** Batches below this number are fully written and enqueued (resume point of a taken-over ingest). */
  checkpoint?: number;
  /** The latest upload of the campaign's CSV, and the content tags of every upload ingested. */
  upload?: UploadRound;
  uploadTags?: Set<string>;
  /** Why the latest upload after the first failed (the campaign went on as it was). */
  uploadFailure?: string;
  /** Rejected-row chunks written (the next upload's chunks number on from here). */
  chunks?: number;
  /** Batch numbers already tallied (makes the per-batch ADD idempotent). */
  doneBatches?: Set<string>;
  /** Create intents already counted in roomsCreated. */
  createIntents?: Set<string>;
  /** Epoch seconds after which the table's TTL may delete it (housekeeping only, never relied on). */
  expiresAt?: number;
  /** Sending waits (a quota or a paused account); absent while it goes on. */
  pause?: CampaignPause;
  /** `open` while the tracker polls the campaign's rooms (partition of the `tracking` index). */
  trackPk?: string;
  /** Epoch ms of the next poll (the index's sort key). */
  nextPollAt?: number;
  /** The poll in progress and until when it holds the campaign (epoch ms). */
  pollOwner?: string;
  pollUntil?: number;
  /** Polls made, the last one's time (epoch ms), and when tracking ended (every room done). */
  polls?: number;
  lastPollAt?: number;
  trackingEndedAt?: string;
  /**
   * The funnel as of the last poll (written with it, the last one when tracking ended); absent until the
   * first poll. SES events between polls show from the next one.
   */
  funnel?: FunnelSnapshot;
}

/** Why and until when a campaign's sending waits. */
export interface CampaignPause {
  kind: PauseKind;
  reason: string;
  /** Epoch ms of the last pause seen. */
  at: number;
  /** Epoch ms when the waiting batches look again. */
  resumesAt: number;
}

/** One accepted respondent (`CAMPAIGN#<id>` / `R#<batch>#<seq>`): who it is, and its progress. */
export interface RespondentItem extends RespondentProgress, DeliveryProgress, RoomProgress, FollowUpProgress {
  pk: string;
  sk: string;
  type: 'respondent';
  campaignId: string;
  batch: number;
  seq: number;
  /** Spreadsheet row number of the respondent in the CSV of its upload. */
  line: number;
  /** Which upload of the campaign the respondent came in (absent: the first). */
  upload?: number;
  email: string;
  emailKey: string;
  name?: string;
  language?: string;
  /** Extra CSV columns, for the email's merge fields. */
  fields: Record<string, string>;
  /** Room-settings key: respondents of a batch share it, spares are pooled by it. */
  roomKey: string;
  /** Set once the room of a failed respondent was cancelled. */
  roomCancelled?: boolean;
  updatedAt: string;
  expiresAt?: number;
  /** Not stored: set on a respondent read from its batch record, whose own item is not written yet. */
  unwritten?: true;
}

/**
 * A respondent as the ingest records it inside its batch record, before the invite side writes its item.
 * `emailKey` is left out (it is `email` lower-cased, derived on read): a quarter of the bytes the ingest
 * encodes, signs and sends.
 */
export type IngestedRespondent = Pick<
  RespondentItem,
  'seq' | 'line' | 'upload' | 'email' | 'name' | 'language' | 'fields'
>;

/**
 * One part of a batch as the ingest wrote it (`CAMPAIGN#<id>` / `R#<batch>!<part>`): the batch's respondents
 * as JSON, split into parts below DynamoDB's item size. The invite side turns them into respondent items
 * (conditional puts) when it first handles the batch; until then reads show them as `accepted`.
 */
export interface BatchRecordItem {
  pk: string;
  sk: string;
  type: 'batch';
  campaignId: string;
  batch: number;
  part: number;
  roomKey: string;
  /**
   * UTF-8 JSON of IngestedRespondent[], stored as one binary attribute: far cheaper to marshal than 100 nested
   * maps, and unlike a string attribute the SDK does not escape it character by character.
   */
  respondents: Uint8Array;
  createdAt: string;
  expiresAt?: number;
}

/** One rejected or duplicate row, as kept for the report. */
export interface RejectedRow {
  line: number;
  /** Which upload of the campaign the row is in (absent: the first). */
  upload?: number;
  kind: 'rejected' | 'duplicate' | 'suppressed';
  email?: string;
  reason: string;
}

/** A chunk of rejected and duplicate rows (`CAMPAIGN#<id>` / `X#<chunk>`). */
export interface RejectedChunkItem {
  pk: string;
  sk: string;
  type: 'rejected';
  campaignId: string;
  rows: RejectedRow[];
  expiresAt?: number;
}

/** Room parameters a create call used; reconciliation matches listed rooms against them. */
export interface RoomParams {
  projectId: string;
  maxDurationMinutes: number;
  expiresInDays: number;
  voice?: string;
  realtimeProvider?: string;
  language?: string;
  topicsForRespondent?: string;
}

/** A create call in flight, recorded on the lock before the call so a crash mid-create can be reconciled. */
export interface CreateIntent {
  intentId: string;
  campaignId: string;
  batch: number;
  roomKey: string;
  params: RoomParams;
  count: number;
  /** Respondent sort keys the rooms are meant for, in order. */
  respondents: string[];
  /** Epoch ms just before the call. */
  startedAt: number;
}

/** The per-project create lock (`PROJECT#<projectId>` / `CREATE_LOCK`). */
export interface CreateLockItem {
  pk: string;
  sk: string;
  type: 'create-lock';
  owner?: string;
  leaseUntil?: number;
  intent?: CreateIntent;
}

/** A room as a create call returned it: what handing it out needs. */
export interface CreatedRoom {
  id: string;
  url: string;
  expiresAt?: string;
}

/**
 * The rooms one create call returned (`PROJECT#<projectId>` / `CREATED#<intentId>`). Written under the create
 * lock right after the call, so the lock can be released before the slow part (a marker and an assignment
 * per room) runs. Its writer deletes it once every room is handed out; one whose lease ran out (a crashed
 * writer) is finished by the next holder of the lock.
 */
export interface CreatedRoomsItem {
  pk: string;
  sk: string;
  type: 'created-rooms';
  intent: CreateIntent;
  rooms: CreatedRoom[];
  /** Epoch ms until which the writer is handing the rooms out. */
  leaseUntil: number;
  expiresAt?: number;
}

/** What happened to a room this system took charge of. */
export type RoomMarkerState = 'intended' | 'spare';

/** Room marker (`ROOM#<roomId>` / `ROOM`): the store knows this room; written before the room is handed out. */
export interface RoomMarkerItem {
  pk: string;
  sk: string;
  type: 'room';
  roomId: string;
  campaignId: string;
  intentId: string;
  roomKey: string;
  url: string;
  roomExpiresAt?: string;
  /** `intended`: created for `respondentSk`; `spare`: adopted into the campaign's spare pool. */
  state: RoomMarkerState;
  respondentSk?: string;
  createdAt: string;
  expiresAt?: number;
}

/** A spare room of a campaign (`CAMPAIGN#<id>` / `SPARE#<roomKey>#<roomId>`), drawn before creating new ones. */
export interface SpareRoomItem {
  pk: string;
  sk: string;
  type: 'spare';
  campaignId: string;
  roomId: string;
  roomKey: string;
  url: string;
  roomExpiresAt?: string;
  /** Respondent this spare is being handed to (claim taken before the respondent is updated). */
  takenBy?: string;
  takenAt?: number;
  createdAt: string;
  expiresAt?: number;
}

/** Why an address is on the deployment's suppression list. */
export type SuppressionReason = 'bounced' | 'complained' | 'unsubscribed';

/**
 * An address on the deployment's suppression list (`SUPPRESSION` / `ADDR#<address>`): it bounced or
 * complained in some campaign, so later campaigns create no room for it. The first entry is kept.
 */
export interface SuppressionEntry {
  emailKey: string;
  reason: SuppressionReason;
  /** SES's words (bounce type and diagnostic, complaint type). */
  detail?: string;
  /** When SES reported it (ISO). */
  at: string;
  /** The campaign whose message bounced or drew the complaint. */
  campaignId: string;
  /** When this deployment recorded it (epoch ms): an ingest uses only entries older than its campaign. */
  suppressedAt: number;
}

/** A respondent holding a room, as a poll reads it (only what tracking and the funnel snapshot need). */
export type RoomHolder = Pick<
  RespondentItem,
  | 'sk'
  | 'batch'
  | 'roomId'
  | 'roomCancelled'
  | 'roomExpiresAt'
  | 'state'
  | 'delivery'
  | 'deliveredAt'
  | 'emailedAt'
  | 'followUpsStopped'
  | keyof RoomProgress
  | keyof FollowUpProgress
>;

/** One line of the campaign report. */
export interface ReportRow {
  line: number;
  email: string;
  /** The respondent's journey status (shared/events/journey.ts), or `rejected` / `duplicate`. */
  status: JourneyStatus | 'rejected' | 'duplicate' | 'suppressed';
  roomUrl: string;
  reason: string;
  /** The respondent's name column, if the file had one. */
  name: string;
  /** The room as the API last showed it: pending, active, completed, expired or cancelled ('' if none). */
  roomStatus: string;
  /** When SES accepted the email, and when it reported it delivered (ISO; '' if not). */
  emailedAt: string;
  deliveredAt: string;
  /** When the respondent joined the room and when the interview ended (ISO; '' if not). */
  startedAt: string;
  completedAt: string;
  /** Reminders SES accepted for the respondent, and when it took the thank-you (ISO; '' if none). */
  remindersSent: number;
  thankedAt: string;
  /** Which upload of the campaign the row is in (1: the first; `line` is a line of that upload's file). */
  upload: number;
}

/** A room marker as a use case writes it: the store adds its keys, type, time and expiry. */
export type NewRoomMarker = Omit<RoomMarkerItem, 'pk' | 'sk' | 'type' | 'createdAt' | 'expiresAt'>;

/** A spare room as a use case adds it to its campaign's pool: the store adds keys, type, time and expiry. */
export type NewSpare = Pick<SpareRoomItem, 'campaignId' | 'roomId' | 'roomKey' | 'url' | 'roomExpiresAt'>;
