// The store as the use cases see it: one small port per kind of record. The DynamoDB adapter (dynamo/) and
// the in-memory one (memory/) implement all of them; a use case names only the ports it needs.

import type { FollowUpKind } from '#shared/campaign/follow-ups.ts';
import { RetryableError } from '#shared/errors.ts';
import type { DeliveryRecordResult, DeliveryReport } from '#shared/events/outcome.ts';
import type { FollowUpOutcome } from '#shared/invite/follow-up.ts';
import type { RespondentTransition } from '#shared/invite/respondent.ts';
import type { FunnelSnapshot } from '#shared/report/funnel.ts';
import type { RoomObservation } from '#shared/tracker/progress.ts';
import type { NewBatch, NewRejectedChunk } from './items.ts';
import type {
  CampaignCounts,
  CampaignPause,
  CampaignRecord,
  CampaignSource,
  CampaignStatus,
  CreatedRoom,
  CreatedRoomsItem,
  CreateIntent,
  CreateLockItem,
  NewRoomMarker,
  NewSpare,
  RejectedRow,
  RespondentItem,
  RoomHolder,
  RoomMarkerItem,
  SpareRoomItem,
  SuppressionEntry,
} from './types.ts';

/** Raised when a lease this process held was taken over: stop and let the new owner carry on. */
export class LeaseLostError extends RetryableError {}

/** Outcome of starting (or resuming) the ingest of a campaign. */
export type StartIngestOutcome =
  | { outcome: 'created'; record: CampaignRecord }
  /** A changed upload under the campaign's key: the campaign is ingesting its next upload under this lease. */
  | { outcome: 'reopened'; record: CampaignRecord }
  /** A changed upload under the key of a cancelled campaign: it takes no one new. */
  | { outcome: 'closed'; record: CampaignRecord }
  | { outcome: 'taken-over'; record: CampaignRecord }
  | { outcome: 'busy'; record: CampaignRecord }
  | { outcome: 'done'; record: CampaignRecord };

/** A page of {@link CampaignsPort.listCampaigns}. */
export interface CampaignPage {
  campaigns: CampaignRecord[];
  /** Opaque: pass it back to read the page after this one. */
  next?: string;
}

/** Per-batch counters added once when a batch is finished. */
export interface BatchTally {
  emailed: number;
  failed: number;
  deadLettered: number;
  roomsCancelled: number;
}

/** Counters that are added as they happen (metrics, not idempotent). */
export type OperationalCounts = Partial<Pick<CampaignCounts, 'createCalls' | 'sesCalls' | 'roomsCancelled'>>;

/** Outcome of cancelling a campaign: the record after, or (not cancelled) the record as it is, if any. */
export type CancelOutcome =
  | { cancelled: true; record: CampaignRecord }
  | { cancelled: false; record: CampaignRecord | undefined };

/** The campaign record: ingest lease, status, counters. */
export interface CampaignsPort {
  /** The campaign record, read strongly consistent. */
  getCampaign(campaignId: string): Promise<CampaignRecord | undefined>;
  /**
   * One page of campaigns, newest first (the `campaigns` index, so it may lag a moment), without their
   * settings; `next` continues after the page when there is more.
   */
  listCampaigns(args: { limit: number; next?: string }): Promise<CampaignPage>;
  /**
   * Creates the record with an ingest lease, takes over a crashed ingest's lease, or, for content the campaign
   * has not seen, reopens it for that upload (once the ingest before is done).
   */
  startIngest(args: {
    campaignId: string;
    source: CampaignSource;
    owner: string;
    nowMs: number;
    leaseMs: number;
  }): Promise<StartIngestOutcome>;
  /** Extends the ingest lease and records progress; LeaseLostError when another ingest took over. */
  renewIngestLease(args: {
    campaignId: string;
    owner: string;
    leaseUntil: number;
    checkpoint?: number;
    settings?: Record<string, unknown>;
  }): Promise<void>;
  /**
   * Marks an ingesting campaign failed with one clear reason and drops the lease; with `restore`, only the
   * upload failed: the campaign goes back to that status, the reason kept as `uploadFailure`.
   */
  failCampaign(args: {
    campaignId: string;
    owner: string;
    reason: string;
    nowMs: number;
    restore?: CampaignStatus;
  }): Promise<void>;
  /**
   * Ends the upload's ingest: its counts added to the campaign's, `batches` and `chunks` the totals so far,
   * `enqueued` (or `completed` when the campaign has nobody at all), lease dropped.
   */
  finishIngest(args: {
    campaignId: string;
    owner: string;
    nowMs: number;
    counts: Pick<CampaignCounts, 'rows' | 'accepted' | 'rejected' | 'duplicates' | 'suppressed' | 'batches'>;
    /** Rejected-row chunks written so far (left as it is when absent). */
    chunks?: number;
    /** Nobody accepted in any upload: the campaign is complete at once (default: none in this upload). */
    empty?: boolean;
    /** What the CSV's columns were read as (see `describeColumns`). */
    columns?: string;
  }): Promise<CampaignRecord>;
  /** Adds a finished batch's counts exactly once; returns the record as it is after. */
  tallyBatch(args: {
    campaignId: string;
    batch: number;
    tally: BatchTally;
    nowMs: number;
  }): Promise<{ applied: boolean; record: CampaignRecord | undefined }>;
  /** Records that the campaign's sending waits (or, with `undefined`, that it goes on again). */
  setPause(campaignId: string, pause: CampaignPause | undefined): Promise<void>;
  /** Moves an enqueued campaign whose batches are all tallied to `completed`; false if not (yet) due. */
  completeCampaign(campaignId: string, nowMs: number): Promise<boolean>;
  /**
   * Cancels an `enqueued` or `completed` campaign (first `cancelledAt` kept); `revokeUnstarted` is only ever
   * turned on. Not cancelled: the campaign is missing, still ingesting, or failed.
   */
  cancelCampaign(args: {
    campaignId: string;
    revokeUnstarted: boolean;
    nowMs: number;
  }): Promise<CancelOutcome>;
  /** Adds operational counters (call counts, cancelled spares). */
  addCounts(campaignId: string, counts: OperationalCounts): Promise<void>;
  /** Counts the rooms of one create intent into `roomsCreated`, once per intent. */
  countCreatedRooms(campaignId: string, intentId: string, rooms: number): Promise<void>;
}

/** What the ingest writes: batch records and rejected-row chunks. */
export interface IngestItemsPort {
  /** Records batches (the same file always gives the same records, so a rewrite is harmless). */
  writeBatches(batches: readonly NewBatch[], nowMs: number): Promise<void>;
  /** Records one chunk of rejected and duplicate rows (the same file gives the same chunk). */
  writeRejected(chunk: NewRejectedChunk, nowMs: number): Promise<void>;
}

/** Which respondent a transition applies to; `orCreate` (read from its batch record) creates its item. */
export interface RespondentRef {
  campaignId: string;
  sk: string;
  nowMs: number;
  orCreate?: RespondentItem;
}

/** Respondents: read by batch or campaign, moved by named transitions. */
export interface RespondentsPort {
  /** One batch's respondents in order; those without an item yet come from the batch record, `unwritten`. */
  queryBatch(campaignId: string, batch: number): Promise<RespondentItem[]>;
  /** Makes sure every respondent of the batch has its own item; returns them all, written. */
  writeBatchRespondents(campaignId: string, batch: number): Promise<RespondentItem[]>;
  /** Every respondent of a campaign, in order (unwritten ones as in queryBatch). */
  listRespondents(campaignId: string): Promise<RespondentItem[]>;
  /** Every rejected or duplicate row of a campaign. */
  listRejected(campaignId: string): Promise<RejectedRow[]>;
  /** One respondent, read strongly consistent. */
  getRespondent(campaignId: string, sk: string): Promise<RespondentItem | undefined>;
  /** Applies a transition if the respondent is in one of its `from` states; true when it moved. */
  transition(ref: RespondentRef, transition: RespondentTransition): Promise<boolean>;
  /** Takes over a `sending` respondent whose attempt's lease ran out (or is this attempt); the item after. */
  takeOverSend(ref: RespondentRef, attempt: string, until: number): Promise<RespondentItem | undefined>;
  /** Marks that the room of a failed respondent was cancelled (idempotent). */
  markRoomCancelled(campaignId: string, sk: string): Promise<void>;
}

/** A follow-up claimed for one send attempt: the respondent after the claim; `fresh` if nobody had before. */
export interface FollowUpClaim {
  respondent: RespondentItem;
  fresh: boolean;
}

/** Follow-up emails (reminders, the thank-you): one attribute per kind, claimed and settled under a lease. */
export interface FollowUpsPort {
  /**
   * Claims follow-up `kind` for `attempt` until `until` (epoch ms) while the respondent may get it (see
   * followUpEligible) and no live attempt holds it and it was never sent or refused; undefined otherwise.
   */
  claimFollowUp(
    ref: RespondentRef,
    claim: { kind: FollowUpKind; attempt: string; until: number },
  ): Promise<FollowUpClaim | undefined>;
  /** Records how `attempt`'s send ended, while that attempt still holds the follow-up; true if recorded. */
  settleFollowUp(
    ref: RespondentRef,
    settle: { kind: FollowUpKind; attempt: string; outcome: FollowUpOutcome },
  ): Promise<boolean>;
}

/** Result of trying to take the per-project create lock. */
export type AcquireLockResult = { acquired: true; lock: CreateLockItem } | { acquired: false };

/** The per-project create lock, its intent, and the records of rooms created but not yet handed out. */
export interface CreateLockPort {
  /** Takes the lock if free, expired or ours; the lock shows any intent a crashed holder left. */
  acquireCreateLock(args: {
    projectId: string;
    owner: string;
    nowMs: number;
    leaseMs: number;
  }): Promise<AcquireLockResult>;
  /** Records the create about to be made (renewing the lease); LeaseLostError if the lock is not ours. */
  writeCreateIntent(args: {
    projectId: string;
    owner: string;
    intent: CreateIntent;
    leaseUntil: number;
  }): Promise<void>;
  /** Removes the named intent while we hold the lock; false if it was not there. */
  clearCreateIntent(args: { projectId: string; owner: string; intentId: string }): Promise<boolean>;
  /** Releases the lock if ours; with `intentId`, that intent goes with it (its rooms are recorded). */
  releaseCreateLock(args: { projectId: string; owner: string; intentId?: string }): Promise<void>;
  /** Records the rooms a create call returned, under the lock. */
  putCreatedRooms(args: {
    projectId: string;
    intent: CreateIntent;
    rooms: CreatedRoom[];
    leaseUntil: number;
    nowMs: number;
  }): Promise<CreatedRoomsItem>;
  /** Every created-rooms record of a project whose rooms are not all handed out yet. */
  listCreatedRooms(projectId: string): Promise<CreatedRoomsItem[]>;
  /** Drops a created-rooms record once every one of its rooms is handed out. */
  deleteCreatedRooms(projectId: string, intentId: string): Promise<void>;
}

/** Room markers (which rooms this system took charge of) and each campaign's spare-room pool. */
export interface RoomsPort {
  /** Puts a marker only if absent: undefined when this call made it, else the marker that was there. */
  putRoomMarker(marker: NewRoomMarker, nowMs: number): Promise<RoomMarkerItem | undefined>;
  /** Puts the markers of rooms a create call returned (nobody else's: unconditional, in bulk). */
  putRoomMarkers(markers: readonly NewRoomMarker[], nowMs: number): Promise<void>;
  /** The marker of a room, if this system ever took charge of it. */
  getRoomMarker(roomId: string): Promise<RoomMarkerItem | undefined>;
  /** Adds a room to its campaign's spare pool unless it is already there. */
  putSpare(spare: NewSpare, nowMs: number): Promise<void>;
  /** Spare rooms of a campaign, optionally only those of one room-settings key. */
  listSpares(campaignId: string, roomKey?: string): Promise<SpareRoomItem[]>;
  /** Claims a spare for a respondent (or confirms our own claim); false if someone else has it. */
  takeSpare(args: { spare: SpareRoomItem; respondentSk: string; nowMs: number }): Promise<boolean>;
  /** Gives a claimed spare back to the pool (only if still claimed by that respondent). */
  releaseSpare(args: { spare: SpareRoomItem; respondentSk: string }): Promise<void>;
  /** Removes a spare that was handed out or cancelled. */
  deleteSpare(spare: SpareRoomItem): Promise<void>;
}

/** The account-wide send schedule shared by every invite invocation. */
export interface SendSchedulePort {
  /** Books `count` sends at `msPerSend`; returns the epoch ms from which they may go out. */
  reserveSends(args: {
    key: string;
    count: number;
    msPerSend: number;
    burstMs: number;
    nowMs: () => number;
  }): Promise<number>;
}

/** What SES reported about each respondent's message (events arrive at least once, in any order). */
export interface DeliveriesPort {
  /**
   * Records a report on an existing respondent: an outcome only over a lower-ranked one (its first time kept
   * either way), a delay only over an older one. Never creates an item.
   */
  recordDelivery(args: {
    campaignId: string;
    batch: number;
    seq: number;
    report: DeliveryReport;
    nowMs: number;
  }): Promise<DeliveryRecordResult>;
}

/** The deployment's suppression list: addresses that bounced or complained, kept across campaigns. */
export interface SuppressionPort {
  /** Adds an address unless it is on the list already (the first entry is kept); true when this call added it. */
  suppress(entry: SuppressionEntry): Promise<boolean>;
  /** Every entry recorded before `beforeMs` (epoch ms): what an ingest of a campaign created then applies. */
  listSuppressed(beforeMs: number): Promise<SuppressionEntry[]>;
}

/** Room tracking: which campaigns are due for a poll, the poll's lease, and the progress it records. */
export interface TrackingPort {
  /** Campaigns whose next poll is due at `nowMs`, oldest due first (the `tracking` index; may lag a little). */
  dueCampaigns(nowMs: number, limit: number): Promise<string[]>;
  /** Takes the poll lease of a tracked, due campaign; its record, or undefined if not due or held by a poll. */
  claimPoll(args: {
    campaignId: string;
    owner: string;
    nowMs: number;
    leaseMs: number;
  }): Promise<CampaignRecord | undefined>;
  /**
   * Ends this poll: the next one at `nextPollAt`, or (undefined) tracking stops, and the campaign's funnel
   * snapshot replaced by `funnel`, in the same write. No-op if the lease was lost.
   */
  endPoll(args: {
    campaignId: string;
    owner: string;
    nowMs: number;
    nextPollAt: number | undefined;
    funnel: FunnelSnapshot;
  }): Promise<void>;
  /** Every respondent of the campaign that holds a room, with its progress. */
  listRoomHolders(campaignId: string): Promise<RoomHolder[]>;
  /** Records a room's progress over a lower rank (first times kept); true when this call changed it. */
  recordRoomProgress(args: {
    campaignId: string;
    sk: string;
    observation: RoomObservation;
    nowMs: number;
  }): Promise<boolean>;
  /** Records a room's new expiry (ISO) after its `expires_at` was moved; false if the respondent has none. */
  recordRoomExpiry(args: {
    campaignId: string;
    sk: string;
    expiresAt: string;
    nowMs: number;
  }): Promise<boolean>;
}

/** The whole store: every port. */
export type Store = CampaignsPort &
  IngestItemsPort &
  RespondentsPort &
  FollowUpsPort &
  CreateLockPort &
  RoomsPort &
  SendSchedulePort &
  DeliveriesPort &
  SuppressionPort &
  TrackingPort;

/** What the invite side uses. */
export type InviteStore = CampaignsPort &
  RespondentsPort &
  FollowUpsPort &
  CreateLockPort &
  RoomsPort &
  SendSchedulePort;
