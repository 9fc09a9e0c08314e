import { randomUUID } from 'node:crypto';
import type { AseedClient } from '#shared/aseed/client.ts';
import {
  AseedNotFoundError,
  AseedRateLimitedError,
  AseedRejectedError,
  CreateOutcomeUnknownError,
} from '#shared/aseed/errors.ts';
import type { InterviewRoom } from '#shared/aseed/schemas.ts';
import { isRetryable, OutOfTimeError, PermanentError, RetryableError } from '#shared/errors.ts';
import { type AppLogger, errorFields, maskEmail, silentLogger } from '#shared/log.ts';
import { type Mailer, type SendOutcome, SesThrottledError } from '#shared/mail/mailer.ts';
import { inviteData } from '#shared/mail/template.ts';
import { mapLimit, realSleep, type Sleep } from '#shared/store/concurrency.ts';
import { campaignPk, spareSk } from '#shared/store/keys.ts';
import type { CampaignStore } from '#shared/store/store.ts';
import {
  type CampaignRecord,
  type CreatedRoom,
  type CreatedRoomsItem,
  type CreateIntent,
  type RespondentItem,
  type RespondentState,
  type RoomMarkerItem,
  type SpareRoomItem,
  TERMINAL_STATES,
} from '#shared/store/types.ts';
import { type InviteMessage, parseInviteMessage } from './messages.ts';
import { type Pacer, type SendSlot, sleepUntil } from './pacer.ts';
import { createRequestOf, roomMatchesParams, roomParamsFor } from './rooms.ts';
import { type CampaignSettings, languageFor, templateFor } from './settings.ts';

/** Most destinations per SendBulkEmail call. */
const SES_CHUNK = 50;
/** Create attempts per invocation (after a 429 or an unknown outcome) before leaving it to SQS. */
const CREATE_ROUNDS = 3;
/** Parallel single-item writes per batch. */
const WRITES_IN_PARALLEL = 16;
/** Repeats of a SendBulkEmail call SES throttled (it sent nothing), within one invocation and send lease. */
const SES_THROTTLE_RETRIES = 3;
/** Longest lead of a chunk's claims on its slot on the send schedule (also at most ¼ of the send lease). */
const CLAIM_LEAD_MAX_MS = 1000;
/** Claim time assumed for a chunk before this container has measured one. */
const CLAIM_ESTIMATE_MS = 250;
/**
 * How late after its slot a call may still go out on it. Below the schedule's headroom per call
 * (SEND_RATE_HEADROOM: ~50 ms per second of sending), so the next slot's call cannot outrun the rate.
 */
const LATE_TOLERANCE_MS = 20;

/** The Aseed calls the invite side makes. */
export type InviteAseed = Pick<AseedClient, 'createRooms' | 'listRooms' | 'deleteRoom'>;
/** The mail call the invite side makes. */
export type InviteMailer = Pick<Mailer, 'sendBulk'>;

/** What the invite use case needs; everything is injectable so tests and the local runtime pass their own. */
export interface InviteDeps {
  store: CampaignStore;
  aseed: InviteAseed;
  mailer: InviteMailer;
  /** SES configuration set to send through, if any. */
  configurationSetName?: string;
  /** Pacing of SES sends: the account's SES_SEND_RATE, shared by every invocation (createSharedPacer); none if absent. */
  pacer?: Pacer;
  /** Receives after which SQS moves a message to the DLQ (the last receive records it on the campaign). */
  maxReceiveCount: number;
  logger?: AppLogger;
  /** Epoch ms. */
  clock?: () => number;
  sleep?: Sleep;
  newId?: () => string;
  /** Lease of the per-project create lock; must exceed one create call's timeout by a margin (default 60 s). */
  lockLeaseMs?: number;
  /**
   * How long to wait for a busy create lock before failing the message for a later retry (default 120 s,
   * never past the deadline minus one lease). Long on purpose: the lock is not fair, so under contention
   * an unlucky batch can lose many rounds, and a failed message waits out the whole visibility timeout
   * (6 × the function timeout) before it is tried again.
   */
  lockWaitMs?: number;
  /** Clock skew allowed between us and Aseed when matching rooms to a create intent (default 60 s). */
  reconcileSkewMs?: number;
  /** Pause before listing rooms after an unknown create outcome (default 1 s). */
  reconcileDelayMs?: number;
  /**
   * Epoch ms when this invocation will be killed (Lambda deadline). No SES call is started within
   * `sendSafetyMs` of it, so a timeout cannot fall between SES accepting and us recording (the email window).
   */
  deadlineMs?: number;
  /**
   * Margin before the deadline in which no new SES call starts (default 20 s). It widens to twice the recent
   * slowest send + record, up to 3 × this value.
   */
  sendSafetyMs?: number;
  /**
   * Timings seen by this container (shared across records; the handler makes one): the recent slowest SES
   * call + recording, and the recent slowest claim of a chunk's respondents.
   */
  sendTiming?: SendTiming;
  /**
   * Lease of a send attempt on its `sending` respondents (default 30 s): longer than one SES call plus the
   * writes after it, so a concurrent duplicate delivery leaves them alone while a crashed attempt's expire.
   */
  sendLeaseMs?: number;
}

/** Recent slowest send steps of one container (each halves when a faster one follows: outliers fade). */
export interface SendTiming {
  /** One SES call plus recording its outcomes (ms). */
  worstMs: number;
  /** Claiming one chunk's respondents (ms); unset until measured. */
  claimMs?: number;
}

/** What one processed batch did (for logs and tests). */
export interface BatchResult {
  campaignId: string;
  batch?: number;
  emailed: number;
  failed: number;
  skipped: number;
  completed: boolean;
  /** Handed to a fresh message because the invocation ran out of time (see {@link InviteRecordOptions}). */
  deferred?: boolean;
}

/** How the caller lets a record be retried without spending one of its receives. */
export interface InviteRecordOptions {
  /**
   * Sends the record's body again as a new message. Given (by the handler) to every record but the first of
   * an invocation: when the invocation runs out of time before such a batch can start or go on, the batch
   * is handed to a fresh message and acknowledged, instead of failing and using up one of its
   * `maxReceiveCount` receives without a real attempt. The first record always gets a real attempt, so an
   * invocation always makes progress.
   */
  requeue?: () => Promise<void>;
}

interface Ctx {
  deps: InviteDeps;
  store: CampaignStore;
  logger: AppLogger;
  clock: () => number;
  sleep: Sleep;
  newId: () => string;
  /** Books `count` sends on the schedule (a punctual slot at least `leadMs` ahead). */
  reserveSends: (count: number, leadMs?: number) => Promise<SendSlot>;
  sendTiming: SendTiming;
}

const context = (deps: InviteDeps): Ctx => ({
  deps,
  store: deps.store,
  logger: deps.logger ?? silentLogger,
  clock: deps.clock ?? Date.now,
  sleep: deps.sleep ?? realSleep,
  newId: deps.newId ?? randomUUID,
  // Unpaced without a schedule: every send is due at once.
  reserveSends: deps.pacer?.reserve.bind(deps.pacer) ?? (async () => ({ at: 0, punctual: false })),
  sendTiming: deps.sendTiming ?? { worstMs: 0 },
});

const isTerminal = (r: RespondentItem) => TERMINAL_STATES.includes(r.state);
const message = (error: unknown) => (error instanceof Error ? error.message : String(error)).slice(0, 300);

/**
 * Handles one invite-queue record: parse, process, and on the last allowed receive of a failing batch
 * record the dead-lettering on the campaign before failing the record (so SQS moves it to the DLQ).
 */
export const processInviteRecord = async (
  deps: InviteDeps,
  body: string,
  receiveCount: number,
  options: InviteRecordOptions = {},
): Promise<BatchResult> => {
  const ctx = context(deps);
  let msg: InviteMessage;
  try {
    msg = parseInviteMessage(body);
  } catch (error) {
    ctx.logger.error('poison message: not an invite message', { receiveCount, ...errorFields(error) });
    throw new PermanentError('not an invite message', { cause: error });
  }
  ctx.logger.appendKeys({ campaignId: msg.campaignId, ...('batch' in msg ? { batch: msg.batch } : {}) });
  try {
    return await processInviteMessage(deps, msg);
  } catch (error) {
    if (error instanceof OutOfTimeError && options.requeue) {
      try {
        await options.requeue();
        ctx.logger.info('out of time for this batch: handed to a fresh message', {
          receiveCount,
          ...errorFields(error),
        });
        return {
          campaignId: msg.campaignId,
          ...('batch' in msg ? { batch: msg.batch } : {}),
          emailed: 0,
          failed: 0,
          skipped: 0,
          completed: false,
          deferred: true,
        };
      } catch (requeueError) {
        ctx.logger.warn('could not hand the batch to a fresh message', errorFields(requeueError));
      }
    }
    if ('batch' in msg && receiveCount >= deps.maxReceiveCount) {
      ctx.logger.error('last receive failed: dead-lettering the batch', {
        receiveCount,
        ...errorFields(error),
      });
      try {
        await deadLetterBatch(ctx, msg.campaignId, msg.batch, error);
      } catch (recordError) {
        ctx.logger.error('could not record the dead-lettering', errorFields(recordError));
      }
    } else {
      ctx.logger.warn('batch failed; SQS will redeliver', { receiveCount, ...errorFields(error) });
    }
    throw error;
  } finally {
    ctx.logger.removeKeys(['campaignId', 'batch']);
  }
};

/**
 * Handles one record of the dead-letter queue (the invite handler attached to the DLQ): makes sure its
 * batch is recorded as dead-lettered on the campaign even when the last receive died before it could do so
 * (a crash or timeout on the last attempt). Idempotent: a batch already recorded is left as it is.
 */
export const processDeadLetterRecord = async (deps: InviteDeps, body: string): Promise<void> => {
  const ctx = context(deps);
  let msg: InviteMessage;
  try {
    msg = parseInviteMessage(body);
  } catch {
    ctx.logger.warn('dead-lettered message is not an invite message: nothing to record');
    return;
  }
  if (!('batch' in msg)) return;
  ctx.logger.appendKeys({ campaignId: msg.campaignId, batch: msg.batch });
  try {
    await deadLetterBatch(ctx, msg.campaignId, msg.batch, 'the batch failed on every allowed receive');
    ctx.logger.warn('dead-lettered batch recorded on the campaign');
  } finally {
    ctx.logger.removeKeys(['campaignId', 'batch']);
  }
};

/**
 * Invite use case for one message: the batch's respondents get rooms (exactly once, reconciling any
 * interrupted create), the assignment is stored, then emails go out (≤ 50 per SES call, paced), each
 * recorded with its SES message id. Respondents already done are skipped, so redelivery is harmless.
 * Throws a RetryableError when something must be retried later (SQS redelivers the message).
 */
export const processInviteMessage = async (deps: InviteDeps, msg: InviteMessage): Promise<BatchResult> => {
  const ctx = context(deps);
  const campaign = await ctx.store.getCampaign(msg.campaignId);
  const result: BatchResult = {
    campaignId: msg.campaignId,
    emailed: 0,
    failed: 0,
    skipped: 0,
    completed: false,
  };
  if (!campaign || campaign.status === 'failed') {
    ctx.logger.warn('message for a campaign that is missing or failed: dropped', {
      status: campaign?.status,
    });
    return result;
  }
  if (!('batch' in msg)) {
    result.completed = await completeIfDone(ctx, campaign);
    return result;
  }
  result.batch = msg.batch;
  const settings = campaign.settings as unknown as CampaignSettings;
  // The ingest stored the batch as one record: a respondent's own item is created with its room.
  let respondents = await ctx.store.queryBatch(msg.campaignId, msg.batch);
  result.skipped = respondents.filter(isTerminal).length;
  if (respondents.some((r) => r.state === 'accepted')) {
    await ensureRooms(ctx, campaign, settings, msg.batch, respondents);
    respondents = await ctx.store.queryBatch(msg.campaignId, msg.batch);
  }
  const sent = await sendInvites(ctx, campaign, settings, respondents);
  result.emailed = sent.emailed;
  result.failed = sent.failed;
  if (sent.retry > 0) {
    const text = `${sent.retry} emails must be retried: ${sent.retryReason}`;
    // Only the deadline held them back: nothing failed, the batch just needs a fresh invocation.
    throw sent.retry === sent.outOfTime ? new OutOfTimeError(text) : new RetryableError(text);
  }
  respondents = await ctx.store.queryBatch(msg.campaignId, msg.batch);
  const waiting = respondents.filter((r) => r.state === 'accepted').length;
  if (waiting > 0) throw new RetryableError(`${waiting} respondents still wait for a room`);
  result.completed = await finishBatch(ctx, campaign, msg.batch, respondents, { swallowCancelErrors: false });
  ctx.logger.info('batch done', {
    emailed: result.emailed,
    failed: result.failed,
    skipped: result.skipped,
    campaignCompleted: result.completed,
  });
  return result;
};

// ------------------------------------------------------------------------------------------------ rooms

/**
 * Gives every `accepted` respondent of the batch a room. The create runs under the per-project create lock,
 * so creates are serialised and whatever a crashed holder left is finished before anything new is created.
 * The lock is held for the create call and one write of the rooms it returned; handing them out (two writes
 * per room) runs after it is released, so the project's next create need not wait for it.
 */
const ensureRooms = async (
  ctx: Ctx,
  campaign: CampaignRecord,
  settings: CampaignSettings,
  batch: number,
  respondents: RespondentItem[],
): Promise<void> => {
  const first = respondents.find((r) => r.state === 'accepted');
  if (!first) return;
  const params = roomParamsFor(
    settings,
    languageFor(settings, first.language as Parameters<typeof languageFor>[1]).roomLanguage,
  );
  const projectId = params.projectId;
  const owner = ctx.newId();
  const leaseMs = ctx.deps.lockLeaseMs ?? 60_000;
  // Never hold the lock past the invocation's deadline: a killed holder would block the project for a lease.
  const deadline = ctx.deps.deadlineMs ?? Number.POSITIVE_INFINITY;
  const waitUntil = Math.min(ctx.clock() + (ctx.deps.lockWaitMs ?? 120_000), deadline - leaseMs);
  if (ctx.clock() > waitUntil)
    throw new OutOfTimeError('too little time left in this invocation to create rooms');
  let leftover: CreateIntent | undefined;
  let created: CreatedRoomsItem | undefined;
  let createdFor: ReadonlyMap<string, RespondentItem> | undefined;
  for (let attempt = 0; ; attempt++) {
    const acquired = await ctx.store.acquireCreateLock({ projectId, owner, nowMs: ctx.clock(), leaseMs });
    if (acquired.acquired) {
      leftover = acquired.lock.intent;
      break;
    }
    if (ctx.clock() > waitUntil) {
      const text = `create lock of project ${projectId} stayed busy`;
      // A wait cut short by the invocation's deadline is lack of time, not contention.
      throw waitUntil === deadline - leaseMs ? new OutOfTimeError(text) : new RetryableError(text);
    }
    await ctx.sleep(100 + Math.floor(Math.random() * Math.min(1000, 100 * 2 ** attempt)));
  }
  try {
    // The lock's reads in one round trip: what other creates left, who still needs a room (a duplicate
    // delivery may have served some meanwhile), the spares. The last two are read again whenever
    // anything since may have changed them.
    const readBatch = () =>
      Promise.all([
        ctx.store.queryBatch(campaign.campaignId, batch),
        ctx.store.listSpares(campaign.campaignId, first.roomKey),
      ]);
    const [records, firstRead] = await Promise.all([ctx.store.listCreatedRooms(projectId), readBatch()]);
    let read: typeof firstRead | undefined = firstRead;
    // What crashed holders left comes first: its rooms may be exactly the ones our respondents need.
    const { recorded, changed } = await finishLeftovers(ctx, owner, records, leftover, {
      campaignId: campaign.campaignId,
      batch,
    });
    if (changed) read = undefined;
    // A few create attempts per invocation: a 429/5xx or an unknown outcome need not cost a whole SQS receive.
    for (let round = 0; round < CREATE_ROUNDS; round++) {
      const [current, spares] = read ?? (await readBatch());
      read = undefined;
      const accepted = current.filter((r) => r.state === 'accepted');
      const needing = await drawSpares(ctx, spares, accepted);
      if (needing.length === 0) return;
      if (round > 0 && ctx.clock() + leaseMs > deadline) return; // the redelivery carries on
      const intent: CreateIntent = {
        intentId: ctx.newId(),
        campaignId: campaign.campaignId,
        batch,
        roomKey: first.roomKey,
        params,
        count: needing.length,
        respondents: needing.map((r) => r.sk),
        startedAt: ctx.clock(),
      };
      await ctx.store.writeCreateIntent({ projectId, owner, intent, leaseUntil: ctx.clock() + leaseMs });
      let rooms: InterviewRoom[];
      try {
        rooms = await ctx.deps.aseed.createRooms(createRequestOf(params, needing.length));
      } catch (error) {
        await ctx.store.addCounts(campaign.campaignId, { createCalls: 1 }).catch(() => {});
        if (error instanceof CreateOutcomeUnknownError) {
          ctx.logger.warn('create outcome unknown: reconciling', errorFields(error));
          // Give a create still running server-side a moment to land before listing.
          await ctx.sleep(ctx.deps.reconcileDelayMs ?? 1000);
          await reconcileIntent(ctx, intent, owner, ctx.clock(), recorded);
          continue; // respondents the reconcile could not serve get another create
        }
        // 429 and 4xx: the server created nothing.
        await ctx.store.clearCreateIntent({ projectId, owner, intentId: intent.intentId });
        if (error instanceof AseedRateLimitedError && round + 1 < CREATE_ROUNDS) {
          ctx.logger.warn('create throttled; retrying', errorFields(error));
          await ctx.sleep(Math.min(error.retryAfterMs ?? 500 * 2 ** round, 5_000));
          continue;
        }
        throw error;
      }
      ctx.logger.info('rooms created', { count: rooms.length });
      created = await ctx.store.putCreatedRooms({
        projectId,
        intent,
        rooms: rooms.map(createdRoom),
        leaseUntil: ctx.clock() + leaseMs,
        nowMs: ctx.clock(),
      });
      createdFor = new Map(needing.map((r) => [r.sk, r]));
      // Respondents a short answer left without a room wait for the redelivery's create.
      break;
    }
  } finally {
    // The intent goes with the lock once its rooms are recorded: they are handed out from the record.
    await ctx.store
      .releaseCreateLock({ projectId, owner, ...(created ? { intentId: created.intent.intentId } : {}) })
      .catch(() => {});
  }
  if (created) {
    await ctx.store.addCounts(campaign.campaignId, { createCalls: 1 });
    await handOutCreatedRooms(ctx, created, false, createdFor);
  }
};

/** The part of a returned room that handing it out needs. */
const createdRoom = (room: InterviewRoom): CreatedRoom => ({
  id: room.id,
  url: room.url,
  ...(room.expires_at ? { expiresAt: room.expires_at } : {}),
});

/** What the created-rooms records of a project held when the lock was taken (see {@link reconcileIntent}). */
interface Recorded {
  roomIds: ReadonlySet<string>;
  intentIds: ReadonlySet<string>;
}

/**
 * Under the create lock: finishes the project's created-rooms `records` whose writer's lease ran out (it
 * crashed while handing them out), and those of `batchOf` (a concurrent delivery of the same batch: handing
 * out is idempotent, and it spares this one a create). Returns what all records held, finished or not, and
 * how many it finished.
 */
const finishCreatedRooms = async (
  ctx: Ctx,
  records: readonly CreatedRoomsItem[],
  batchOf: { campaignId: string; batch: number },
): Promise<{ recorded: Recorded; handedOut: number }> => {
  let handedOut = 0;
  for (const record of records) {
    const sameBatch =
      record.intent.campaignId === batchOf.campaignId && record.intent.batch === batchOf.batch;
    if (record.leaseUntil > ctx.clock() && !sameBatch) continue; // its writer is handing them out
    ctx.logger.info('handing out rooms another invocation created', {
      intentId: record.intent.intentId,
      rooms: record.rooms.length,
    });
    await handOutCreatedRooms(ctx, record, true);
    handedOut++;
  }
  return {
    recorded: {
      roomIds: new Set(records.flatMap((record) => record.rooms.map((room) => room.id))),
      intentIds: new Set(records.map((record) => record.intent.intentId)),
    },
    handedOut,
  };
};

/**
 * Under the create lock (`owner`), finishes what crashed creates left, in order: the project's created-rooms
 * `records` (see {@link finishCreatedRooms}), then an intent left on the lock, reconciled without taking any
 * room a record holds. `changed`: anything was handed out, so the batch may have moved on.
 */
const finishLeftovers = async (
  ctx: Ctx,
  owner: string,
  records: readonly CreatedRoomsItem[],
  leftover: CreateIntent | undefined,
  batchOf: { campaignId: string; batch: number },
): Promise<{ recorded: Recorded; changed: boolean }> => {
  const { recorded, handedOut } = await finishCreatedRooms(ctx, records, batchOf);
  if (leftover) await reconcileIntent(ctx, leftover, owner, undefined, recorded);
  return { recorded, changed: handedOut > 0 || leftover !== undefined };
};

/**
 * Hands out the rooms of one created-rooms record (counted once per intent), then drops the record. A
 * `leftover` (another invocation's) may belong to a campaign that completed meanwhile: its spares are
 * cancelled at once, since nobody will draw them. `batch`: the intent's respondents as just read, if known.
 */
const handOutCreatedRooms = async (
  ctx: Ctx,
  record: CreatedRoomsItem,
  leftover: boolean,
  batch?: ReadonlyMap<string, RespondentItem>,
): Promise<void> => {
  const { intent } = record;
  await ctx.store.countCreatedRooms(intent.campaignId, intent.intentId, record.rooms.length);
  await adoptRooms(
    ctx,
    intent,
    record.rooms,
    intent.respondents,
    batch ?? (await batchOf(ctx, intent)),
    true,
  );
  await ctx.store.deleteCreatedRooms(intent.params.projectId, intent.intentId);
  if (leftover) await cancelSparesIfOver(ctx, intent.campaignId);
};

/** Spares adopted into a campaign that is already over are cancelled at once: nobody will draw them. */
const cancelSparesIfOver = async (ctx: Ctx, campaignId: string): Promise<void> => {
  const campaign = await ctx.store.getCampaign(campaignId);
  if (campaign?.status === 'completed') await cancelSpares(ctx, campaignId, true);
};

/** The respondents of an intent's batch by sort key, as read now (unwritten ones included). */
const batchOf = async (ctx: Ctx, intent: CreateIntent): Promise<ReadonlyMap<string, RespondentItem>> =>
  new Map((await ctx.store.queryBatch(intent.campaignId, intent.batch)).map((r) => [r.sk, r]));

/**
 * Takes charge of rooms of one create intent: a marker per room first (so the store knows it before it is
 * handed out), then the respondent it was meant for gets it (conditional on still being `accepted`), and any
 * room nobody can take goes to the campaign's spare pool. Rooms of the create's response (`fromResponse`) are
 * nobody else's: their markers go in bulk. Rooms found by listing are marked one by one, conditionally, and
 * left alone when another create already took charge of them.
 */
const adoptRooms = async (
  ctx: Ctx,
  intent: CreateIntent,
  rooms: readonly CreatedRoom[],
  respondentSks: readonly string[],
  batch: ReadonlyMap<string, RespondentItem>,
  fromResponse: boolean,
): Promise<void> => {
  const createdAt = new Date(ctx.clock()).toISOString();
  const markers = rooms.map((room, index): RoomMarkerItem => {
    const respondentSk = respondentSks[index];
    return {
      pk: `ROOM#${room.id}`,
      sk: 'ROOM',
      type: 'room',
      roomId: room.id,
      campaignId: intent.campaignId,
      intentId: intent.intentId,
      roomKey: intent.roomKey,
      url: room.url,
      ...(room.expiresAt ? { roomExpiresAt: room.expiresAt } : {}),
      state: respondentSk ? 'intended' : 'spare',
      ...(respondentSk ? { respondentSk } : {}),
      createdAt,
      expiresAt: ctx.store.expiresAt(ctx.clock()),
    };
  });
  if (fromResponse) {
    await ctx.store.putRoomMarkers(markers);
    await mapLimit(markers, WRITES_IN_PARALLEL, (marker) => settleMarker(ctx, marker, batch));
    return;
  }
  await mapLimit(markers, WRITES_IN_PARALLEL, async (marker) => {
    const existing = await ctx.store.putRoomMarker(marker);
    // A marker from another intent means someone else already owns the room: leave it alone.
    if (existing && existing.intentId !== intent.intentId) return;
    await settleMarker(ctx, existing ?? marker, batch);
  });
};

/**
 * Hands a marked room to its intended respondent (found in `batch`; one without an item yet gets it with the
 * room), or to the spare pool when that is no longer possible.
 */
const settleMarker = async (
  ctx: Ctx,
  marker: RoomMarkerItem,
  batch: ReadonlyMap<string, RespondentItem>,
): Promise<void> => {
  if (marker.state === 'intended' && marker.respondentSk) {
    const respondent = batch.get(marker.respondentSk);
    const assigned = await ctx.store.moveRespondent({
      ...(respondent?.unwritten ? { orCreate: respondent } : {}),
      campaignId: marker.campaignId,
      sk: marker.respondentSk,
      from: ['accepted'],
      to: 'room_assigned',
      set: { roomId: marker.roomId, roomUrl: marker.url, roomExpiresAt: marker.roomExpiresAt },
      nowMs: ctx.clock(),
    });
    if (assigned) return;
    const current = await ctx.store.getRespondent(marker.campaignId, marker.respondentSk);
    if (current?.roomId === marker.roomId) return;
  }
  await ctx.store.putSpare({
    pk: campaignPk(marker.campaignId),
    sk: spareSk(marker.roomKey, marker.roomId),
    type: 'spare',
    campaignId: marker.campaignId,
    roomId: marker.roomId,
    roomKey: marker.roomKey,
    url: marker.url,
    ...(marker.roomExpiresAt ? { roomExpiresAt: marker.roomExpiresAt } : {}),
    createdAt: new Date(ctx.clock()).toISOString(),
    expiresAt: ctx.store.expiresAt(ctx.clock()),
  });
};

/**
 * Finds the rooms of an interrupted create (crash mid-create or unknown outcome): pending rooms of the
 * project created inside the intent window with the intent's parameters. Rooms already marked by this intent
 * are settled again (idempotent); unmarked ones (at most as many as the call could have made) are adopted:
 * given to the intent's respondents still waiting, the rest to the spare pool. Then the intent is cleared.
 * Rooms in a created-rooms record belong to that record's create (still being handed out, unmarked): they
 * are never taken; an intent with a record of its own needs no listing at all.
 */
const reconcileIntent = async (
  ctx: Ctx,
  intent: CreateIntent,
  owner: string,
  endedAtMs: number | undefined,
  recorded: Recorded,
): Promise<void> => {
  if (recorded.intentIds.has(intent.intentId)) {
    // It crashed after recording the rooms, before releasing the lock: the record hands them out.
    await ctx.store.clearCreateIntent({
      projectId: intent.params.projectId,
      owner,
      intentId: intent.intentId,
    });
    return;
  }
  const skew = ctx.deps.reconcileSkewMs ?? 60_000;
  const from = intent.startedAt - skew;
  const to = (endedAtMs ?? ctx.clock()) + skew;
  const listed = await ctx.deps.aseed.listRooms({ projectId: intent.params.projectId, status: 'pending' });
  const candidates = listed
    .filter((room) => {
      const created = Date.parse(room.created_at);
      return (
        created >= from &&
        created <= to &&
        !recorded.roomIds.has(room.id) &&
        roomMatchesParams(room, intent.params)
      );
    })
    .sort(
      (a, b) =>
        Math.abs(Date.parse(a.created_at) - intent.startedAt) -
        Math.abs(Date.parse(b.created_at) - intent.startedAt),
    );
  let ours = 0;
  const covered = new Set<string>();
  const unknown: InterviewRoom[] = [];
  const batch = await batchOf(ctx, intent);
  const markers = await mapLimit(candidates, WRITES_IN_PARALLEL, (room) => ctx.store.getRoomMarker(room.id));
  for (const [index, room] of candidates.entries()) {
    const marker = markers[index];
    if (!marker) unknown.push(room);
    else if (marker.intentId === intent.intentId) {
      ours++;
      if (marker.respondentSk) covered.add(marker.respondentSk);
      await settleMarker(ctx, marker, batch);
    }
  }
  const adopt = unknown.slice(0, Math.max(0, intent.count - ours));
  if (adopt.length > 0) {
    const waiting = intent.respondents.filter((sk) => !covered.has(sk));
    await adoptRooms(ctx, intent, adopt.map(createdRoom), waiting, batch, false);
  }
  ctx.logger.info('create intent reconciled', {
    intentId: intent.intentId,
    alreadyMarked: ours,
    adopted: adopt.length,
    candidates: candidates.length,
  });
  await ctx.store.countCreatedRooms(intent.campaignId, intent.intentId, ours + adopt.length);
  await ctx.store.clearCreateIntent({ projectId: intent.params.projectId, owner, intentId: intent.intentId });
  await cancelSparesIfOver(ctx, intent.campaignId);
};

/**
 * Draws `spares` (of the batch's room settings, as just read) for waiting respondents (before any new room
 * is created). Runs under the create lock, so a spare claimed by someone else is a leftover of a crash and
 * is finished or released here. Returns the respondents still without a room.
 */
const drawSpares = async (
  ctx: Ctx,
  spares: readonly SpareRoomItem[],
  needing: RespondentItem[],
): Promise<RespondentItem[]> => {
  if (spares.length === 0) return needing;
  const waiting = new Map(needing.map((r) => [r.sk, r]));
  const free: SpareRoomItem[] = [];
  for (const spare of spares) {
    if (!spare.takenBy) free.push(spare);
    else {
      // A claim left by a crashed holder: finish it (the respondent may belong to another batch) or release it.
      await handOverSpare(ctx, spare, spare.takenBy);
      waiting.delete(spare.takenBy);
    }
  }
  for (const spare of free) {
    const next = waiting.values().next();
    if (next.done) break;
    const respondent = next.value;
    if (!(await ctx.store.takeSpare({ spare, respondentSk: respondent.sk, nowMs: ctx.clock() }))) continue;
    await handOverSpare(ctx, spare, respondent.sk, respondent);
    // Either it has this room now, or it was no longer waiting: both mean it needs nothing more from us.
    waiting.delete(respondent.sk);
  }
  return [...waiting.values()];
};

/**
 * Completes a claimed spare: respondent → room_assigned (`respondent`, if given as read, may have no item
 * yet: it gets one), spare removed; or releases it. True if assigned.
 */
const handOverSpare = async (
  ctx: Ctx,
  spare: SpareRoomItem,
  respondentSk: string,
  respondent?: RespondentItem,
): Promise<boolean> => {
  const assigned = await ctx.store.moveRespondent({
    ...(respondent?.unwritten ? { orCreate: respondent } : {}),
    campaignId: spare.campaignId,
    sk: respondentSk,
    from: ['accepted'],
    to: 'room_assigned',
    set: { roomId: spare.roomId, roomUrl: spare.url, roomExpiresAt: spare.roomExpiresAt },
    nowMs: ctx.clock(),
  });
  if (assigned || (await ctx.store.getRespondent(spare.campaignId, respondentSk))?.roomId === spare.roomId) {
    await ctx.store.deleteSpare(spare);
    return assigned;
  }
  await ctx.store.releaseSpare({ spare, respondentSk });
  return false;
};

/** Cancels a room through the API; a room already gone or no longer pending counts as done. */
const cancelRoom = async (ctx: Ctx, roomId: string): Promise<void> => {
  try {
    await ctx.deps.aseed.deleteRoom(roomId);
  } catch (error) {
    if (error instanceof AseedNotFoundError || error instanceof AseedRejectedError) return;
    throw error;
  }
};

/** Cancels every spare of a finished campaign (releasing their token reservations) and drops them. */
const cancelSpares = async (ctx: Ctx, campaignId: string, swallowErrors: boolean): Promise<void> => {
  const spares = await ctx.store.listSpares(campaignId);
  let cancelled = 0;
  for (const spare of spares) {
    try {
      if (spare.takenBy) {
        const holder = await ctx.store.getRespondent(campaignId, spare.takenBy);
        if (holder?.roomId === spare.roomId) {
          await ctx.store.deleteSpare(spare);
          continue;
        }
      }
      await cancelRoom(ctx, spare.roomId);
      await ctx.store.deleteSpare(spare);
      cancelled++;
    } catch (error) {
      if (!swallowErrors) throw error;
      ctx.logger.warn('could not cancel a spare room', { roomId: spare.roomId, ...errorFields(error) });
    }
  }
  if (cancelled > 0) {
    ctx.logger.info('spare rooms cancelled', { cancelled });
    await ctx.store.addCounts(campaignId, { roomsCancelled: cancelled });
  }
};

// ------------------------------------------------------------------------------------------------ email

interface SendSummary {
  emailed: number;
  failed: number;
  retry: number;
  /** Of `retry`: held back only because the invocation's deadline was too close. */
  outOfTime: number;
  retryReason: string;
}

/**
 * Emails every respondent with a room (`room_assigned`, or `sending` from an interrupted attempt: those are
 * sent again, at-least-once). Per chunk of ≤ 50 with one locale: mark `sending`, one SendBulkEmail, then
 * `emailed` with the message id or `failed` with SES's reason; throttled ones stay `sending` for a retry.
 */
const sendInvites = async (
  ctx: Ctx,
  campaign: CampaignRecord,
  settings: CampaignSettings,
  respondents: RespondentItem[],
): Promise<SendSummary> => {
  const summary: SendSummary = { emailed: 0, failed: 0, retry: 0, outOfTime: 0, retryReason: '' };
  const due = respondents.filter((r) => r.state === 'room_assigned' || r.state === 'sending');
  const byLocale = new Map<string, RespondentItem[]>();
  for (const r of due) {
    const { locale } = languageFor(settings, r.language as Parameters<typeof languageFor>[1]);
    byLocale.set(locale, [...(byLocale.get(locale) ?? []), r]);
  }
  let sesCalls = 0;
  try {
    for (const [locale, group] of byLocale) {
      for (let i = 0; i < group.length; i += SES_CHUNK) {
        const chunk = group.slice(i, i + SES_CHUNK);
        const leaseMs = ctx.deps.sendLeaseMs ?? 30_000;
        // A punctual slot's claims run just ahead of it: it is booked at least that far ahead.
        const lead = Math.min(
          2 * (ctx.sendTiming.claimMs ?? CLAIM_ESTIMATE_MS),
          CLAIM_LEAD_MAX_MS,
          leaseMs / 4,
        );
        const slot = await ctx.reserveSends(chunk.length, lead);
        const sendAt = slot.at;
        const deadline = ctx.deps.deadlineMs;
        // The margin grows with the slowest send+record seen, so a slow store cannot stretch the window.
        const safety = ctx.deps.sendSafetyMs ?? 20_000;
        const margin = Math.max(safety, Math.min(2 * ctx.sendTiming.worstMs, 3 * safety));
        if (deadline !== undefined && Math.max(sendAt, ctx.clock()) > deadline - margin) {
          // Too close to the Lambda timeout to send and record safely: leave them for the redelivery.
          summary.retry += chunk.length;
          summary.outOfTime += chunk.length;
          summary.retryReason = 'invocation deadline too close to send safely';
          continue;
        }
        // A punctual slot is claimed for shortly before it: the claims' writes are done when it comes (a call
        // that reaches SES late lets the next sender's reach it early, into a throttle), and the send lease,
        // counted from the claim, still covers the rest of the wait and the call. Any other slot is claimed
        // for once it has come (the claims' delay crowds nobody): no wait beyond the schedule's.
        await sleepUntil(slot.punctual ? sendAt - lead : sendAt, ctx.clock, ctx.sleep);
        const attempt = ctx.newId();
        const claimedAt = ctx.clock();
        const claims = await mapLimit(chunk, WRITES_IN_PARALLEL, (r) =>
          claimSending(ctx, campaign.campaignId, r, attempt),
        );
        const claimMs = ctx.clock() - claimedAt;
        ctx.sendTiming.claimMs = Math.max(claimMs, (ctx.sendTiming.claimMs ?? claimMs) / 2);
        const marked: RespondentItem[] = [];
        // Claimed from `room_assigned` (not taken over from a crashed attempt that may have sent).
        const fresh = new Set<string>();
        for (const claim of claims) {
          if (claim.kind === 'claimed') {
            marked.push(claim.respondent);
            if (claim.fresh) fresh.add(claim.respondent.sk);
          } else if (claim.kind === 'busy') {
            // A concurrent delivery of this batch is sending to them right now: not ours to send.
            summary.retry++;
            summary.retryReason = 'being sent by a concurrent delivery of this batch';
          }
        }
        const ready: Array<{ respondent: RespondentItem; data: ReturnType<typeof inviteData> }> = [];
        for (const respondent of marked) {
          try {
            ready.push({ respondent, data: invitationData(settings, locale, respondent) });
          } catch (error) {
            await failRespondent(ctx, respondent, `cannot render the invitation: ${message(error)}`, true);
            summary.failed++;
          }
        }
        if (ready.length === 0) continue;
        // Every call, a repeat included, starts while this attempt's lease still covers it with room to spare.
        const sendBy = Math.min(claimedAt + leaseMs / 2, (deadline ?? Number.POSITIVE_INFINITY) - margin);
        const nextSendMs = () => Math.max(ctx.sendTiming.worstMs, 100);
        /** Books a new slot and waits for it; false (nothing waited) when the lease would not cover the call. */
        const waitForNewSlot = async (): Promise<boolean> => {
          const at = (await ctx.reserveSends(ready.length)).at;
          if (Math.max(at, ctx.clock()) + nextSendMs() > sendBy) return false;
          await sleepUntil(at, ctx.clock, ctx.sleep);
          return true;
        };
        await sleepUntil(sendAt, ctx.clock, ctx.sleep);
        if (slot.punctual && ctx.clock() - sendAt > LATE_TOLERANCE_MS) {
          // The claims outran their lead. A call that reaches SES late lets the next slot's reach it early,
          // into a throttle: this one takes a new slot at the end of the schedule instead, if the lease
          // allows (else it goes out now, late).
          await waitForNewSlot();
        }
        sesCalls++;
        const sendStarted = ctx.clock();
        let outcomes: SendOutcome[];
        const send = () =>
          ctx.deps.mailer.sendBulk({
            from: settings.sender,
            ...(settings.replyTo ? { replyTo: settings.replyTo } : {}),
            ...(ctx.deps.configurationSetName ? { configurationSetName: ctx.deps.configurationSetName } : {}),
            template: templateFor(settings, locale as Parameters<typeof templateFor>[1]),
            tags: { campaign: campaign.campaignId },
            destinations: ready.map(({ respondent, data }) => ({ to: respondent.email, data })),
          });
        try {
          for (let retry = 0; ; retry++) {
            try {
              outcomes = await send();
              break;
            } catch (error) {
              // Throttled: SES sent nothing. The same call again after a short pause and a new slot on the
              // send schedule (a retry outside the schedule would take the next sender's slot and get it
              // throttled in turn), within `sendBy`: transient throttling then costs the batch none of its
              // receives.
              const pauseMs = Math.min(200 * 2 ** retry, 2000) * (0.5 + Math.random() / 2);
              if (
                !(error instanceof SesThrottledError) ||
                retry >= SES_THROTTLE_RETRIES ||
                ctx.clock() + pauseMs + nextSendMs() > sendBy
              ) {
                throw error;
              }
              ctx.logger.warn('SES throttled the send; trying again shortly', {
                retry: retry + 1,
                pauseMs: Math.round(pauseMs),
              });
              await ctx.sleep(pauseMs);
              // Only send while the lease still covers the call once the new slot has come.
              if (!(await waitForNewSlot())) throw error;
              sesCalls++;
            }
          }
        } catch (error) {
          // The mailer throws a retryable error only while nothing was sent: hand the chunk back
          // (`room_assigned`), so a redelivery sends at once and a dead-lettering cancels their rooms.
          if (isRetryable(error)) {
            await releaseSending(
              ctx,
              ready.map(({ respondent }) => respondent),
              attempt,
              fresh,
            );
          }
          throw error;
        }
        await mapLimit(ready, WRITES_IN_PARALLEL, async ({ respondent }, index) => {
          const outcome: SendOutcome = outcomes[index] ?? { status: 'retry', reason: 'no outcome' };
          if (outcome.status === 'sent') {
            const done = await ctx.store.moveRespondent({
              campaignId: campaign.campaignId,
              sk: respondent.sk,
              from: ['sending'],
              to: 'emailed',
              set: { messageId: outcome.messageId },
              nowMs: ctx.clock(),
            });
            if (done) {
              summary.emailed++;
              ctx.logger.debug('emailed', {
                respondent: maskEmail(respondent.email),
                messageId: outcome.messageId,
              });
            }
          } else if (outcome.status === 'failed') {
            ctx.logger.warn('recipient rejected', {
              respondent: maskEmail(respondent.email),
              reason: outcome.reason,
            });
            if (await failRespondent(ctx, respondent, outcome.reason, true)) summary.failed++;
          } else {
            summary.retry++;
            summary.retryReason = outcome.reason;
          }
        });
        // Recent worst case: one slow outlier fades instead of widening the margin for good.
        ctx.sendTiming.worstMs = Math.max(ctx.clock() - sendStarted, ctx.sendTiming.worstMs / 2);
      }
    }
  } finally {
    if (sesCalls > 0) await ctx.store.addCounts(campaign.campaignId, { sesCalls }).catch(() => {});
  }
  return summary;
};

/** Outcome of claiming a respondent for one send attempt. */
type SendClaim =
  /** `fresh`: claimed from `room_assigned`, not taken over from an earlier attempt. */
  | { kind: 'claimed'; respondent: RespondentItem; fresh: boolean }
  /** Another live attempt holds it (concurrent duplicate delivery). */
  | { kind: 'busy' }
  /** It moved on meanwhile (emailed or failed): nothing to do. */
  | { kind: 'done' };

/**
 * Claims a respondent for this send attempt: `room_assigned → sending` with the attempt id and a short
 * lease, or takes over a `sending` left by an attempt whose lease ran out (it crashed: at-least-once resend).
 * A `sending` whose lease is still running belongs to a concurrent delivery and is left to it.
 */
const claimSending = async (
  ctx: Ctx,
  campaignId: string,
  r: RespondentItem,
  attempt: string,
): Promise<SendClaim> => {
  const nowMs = ctx.clock();
  const until = nowMs + (ctx.deps.sendLeaseMs ?? 30_000);
  if (r.state === 'room_assigned') {
    const moved = await ctx.store.moveRespondent({
      campaignId,
      sk: r.sk,
      from: ['room_assigned'],
      to: 'sending',
      set: { sendAttempt: attempt, sendingUntil: until },
      nowMs,
    });
    // An assigned room never changes, so the copy we read is the item now, but for the claim.
    const claimed: RespondentItem = { ...r, state: 'sending', sendAttempt: attempt, sendingUntil: until };
    if (moved) return { kind: 'claimed', respondent: claimed, fresh: true };
  }
  const taken = await ctx.store.takeOverSending({ campaignId, sk: r.sk, attempt, nowMs, until });
  if (taken) return { kind: 'claimed', respondent: taken, fresh: false };
  const current = await ctx.store.getRespondent(campaignId, r.sk);
  return current?.state === 'sending' || current?.state === 'room_assigned'
    ? { kind: 'busy' }
    : { kind: 'done' };
};

/**
 * Releases the respondents of a send attempt whose SES call failed as a whole (nothing sent), conditional on
 * this attempt still holding them: `sending → room_assigned`, so a redelivery sends at once and a
 * dead-lettering cancels their rooms. One taken over from a crashed attempt (`fresh` lacks it) may have been
 * emailed by that attempt: it stays `sending`, only its lease is ended. Best effort: one left as it was is
 * resent once its lease runs out.
 */
const releaseSending = async (
  ctx: Ctx,
  respondents: RespondentItem[],
  attempt: string,
  fresh: ReadonlySet<string>,
): Promise<void> => {
  await mapLimit(respondents, WRITES_IN_PARALLEL, async (r) => {
    try {
      const common = { campaignId: r.campaignId, sk: r.sk, sendAttempt: attempt, nowMs: ctx.clock() };
      await ctx.store.moveRespondent(
        fresh.has(r.sk)
          ? { ...common, from: ['sending'], to: 'room_assigned', remove: ['sendAttempt', 'sendingUntil'] }
          : { ...common, from: ['sending'], to: 'sending', set: { sendingUntil: 0 } },
      );
    } catch (error) {
      ctx.logger.warn('could not release a respondent after a failed send', {
        respondent: maskEmail(r.email),
        ...errorFields(error),
      });
    }
  });
};

/** Merge data of one invitation. */
const invitationData = (settings: CampaignSettings, locale: string, r: RespondentItem) => {
  if (!r.roomUrl) throw new PermanentError('no room URL');
  const expiresAt = r.roomExpiresAt
    ? new Date(r.roomExpiresAt)
    : new Date(Date.parse(r.updatedAt) + settings.expiresInDays * 86_400_000);
  return inviteData({
    locale: locale as Parameters<typeof templateFor>[1],
    ...(r.name ? { name: r.name } : {}),
    roomUrl: r.roomUrl,
    durationMinutes: settings.maxDurationMinutes,
    expiresAt,
    fields: r.fields,
  });
};

/** Ends a respondent in `failed`; `roomUnsent` says no email with its room can have gone out. */
const failRespondent = async (
  ctx: Ctx,
  r: RespondentItem,
  reason: string,
  roomUnsent: boolean,
): Promise<boolean> => {
  const from: RespondentState[] = ['accepted', 'room_assigned', 'sending'];
  return ctx.store.moveRespondent({
    campaignId: r.campaignId,
    sk: r.sk,
    from,
    to: 'failed',
    set: { reason, failedFrom: r.state, roomUnsent },
    nowMs: ctx.clock(),
  });
};

// ------------------------------------------------------------------------------------------------ batch end

/**
 * Closes a batch whose respondents are all terminal: cancels rooms of respondents that failed before any
 * email could carry them, adds the batch's counts once, and completes the campaign when it was the last.
 */
const finishBatch = async (
  ctx: Ctx,
  campaign: CampaignRecord,
  batch: number,
  respondents: RespondentItem[],
  options: { swallowCancelErrors: boolean },
): Promise<boolean> => {
  if (!respondents.every(isTerminal)) return false;
  for (const r of respondents) {
    if (r.state !== 'failed' || !r.roomUnsent || !r.roomId || r.roomCancelled) continue;
    try {
      await cancelRoom(ctx, r.roomId);
      await ctx.store.markRoomCancelled(r.campaignId, r.sk);
      r.roomCancelled = true;
    } catch (error) {
      if (!options.swallowCancelErrors) throw error;
      ctx.logger.warn('could not cancel the room of a failed respondent', errorFields(error));
    }
  }
  const tally = {
    emailed: respondents.filter((r) => r.state === 'emailed').length,
    failed: respondents.filter((r) => r.state === 'failed').length,
    deadLettered: respondents.filter((r) => r.state === 'failed' && r.reason?.startsWith('dead-lettered'))
      .length,
    roomsCancelled: respondents.filter((r) => r.roomCancelled).length,
  };
  const { record } = await ctx.store.tallyBatch({
    campaignId: campaign.campaignId,
    batch,
    tally,
    nowMs: ctx.clock(),
  });
  return record ? completeIfDone(ctx, record) : false;
};

/** Completes the campaign when every batch is tallied, then cancels its leftover spare rooms. */
const completeIfDone = async (ctx: Ctx, record: CampaignRecord): Promise<boolean> => {
  if (
    record.status === 'enqueued' &&
    (record.batchesDone ?? 0) >= (record.batches ?? Number.POSITIVE_INFINITY)
  ) {
    if (await ctx.store.completeCampaign(record.campaignId, ctx.clock())) {
      ctx.logger.info('campaign completed');
    }
  }
  const now = record.status === 'completed' ? record : await ctx.store.getCampaign(record.campaignId);
  if (now?.status !== 'completed') return false;
  await cancelSpares(ctx, record.campaignId, false);
  return true;
};

/**
 * Before a batch is dead-lettered: rooms its last attempt created but did not hand out (a create intent left
 * on the project's lock, or a created-rooms record of the batch) are handed out now, so they go to the
 * batch's respondents (and are cancelled with them) or to the spare pool, instead of staying live and unsent
 * until some later create in the project happens to take the lock. Best effort: a lock held by a live
 * invocation means that holder has already reconciled any leftover intent.
 */
const reconcileLeftovers = async (ctx: Ctx, campaign: CampaignRecord, batch: number): Promise<void> => {
  const settings = campaign.settings as unknown as CampaignSettings;
  const projectId = settings.projectId;
  const owner = ctx.newId();
  const leaseMs = ctx.deps.lockLeaseMs ?? 60_000;
  try {
    const acquired = await ctx.store.acquireCreateLock({ projectId, owner, nowMs: ctx.clock(), leaseMs });
    if (!acquired.acquired) return;
    try {
      const records = await ctx.store.listCreatedRooms(projectId);
      await finishLeftovers(ctx, owner, records, acquired.lock.intent, {
        campaignId: campaign.campaignId,
        batch,
      });
    } finally {
      await ctx.store.releaseCreateLock({ projectId, owner }).catch(() => {});
    }
  } catch (error) {
    ctx.logger.warn('could not hand out leftover rooms before dead-lettering', errorFields(error));
  }
};

/**
 * Last receive of a failing batch: every respondent not yet done ends `failed` with
 * `dead-lettered: <last error>`, rooms that cannot have been emailed are cancelled (best effort), and the
 * batch is tallied (deadLettered count) so the campaign record shows it and can still complete.
 */
const deadLetterBatch = async (
  ctx: Ctx,
  campaignId: string,
  batch: number,
  error: unknown,
): Promise<void> => {
  const campaign = await ctx.store.getCampaign(campaignId);
  if (!campaign) return;
  await reconcileLeftovers(ctx, campaign, batch);
  const reason = `dead-lettered: ${message(error)}`;
  // A batch dead-lettered before any attempt got this far still has only its ingest record.
  const respondents = await ctx.store.writeBatchRespondents(campaignId, batch);
  await mapLimit(
    respondents.filter((r) => !isTerminal(r)),
    WRITES_IN_PARALLEL,
    (r) =>
      // A respondent in `sending` may have been emailed: its room stays.
      failRespondent(ctx, r, reason, r.state !== 'sending'),
  );
  const after = await ctx.store.queryBatch(campaignId, batch);
  await finishBatch(ctx, campaign, batch, after, { swallowCancelErrors: true });
};
