// Rooms for a batch: under the project's create lock, spares first, then at most a few create calls, each
// recorded as an intent before the call (the API has no idempotency key) and as a record of its rooms after.
import {
  AseedInsufficientTokensError,
  AseedRateLimitedError,
  CreateOutcomeUnknownError,
} from '#shared/aseed/errors.ts';
import type { InterviewRoom } from '#shared/aseed/schemas.ts';
import { createRequestOf, roomParamsFor } from '#shared/campaign/rooms.ts';
import { type CampaignSettings, languageFor } from '#shared/campaign/settings.ts';
import { PAUSE_LABEL, PausedError } from '#shared/errors.ts';
import { errorFields } from '#shared/log.ts';
import type { CreatedRoomsItem, CreateIntent, RespondentItem, RoomParams } from '#shared/store/types.ts';
import type { Ctx } from '../context.ts';
import { type BatchBySk, createdRoom, handOutCreatedRooms } from './hand-out.ts';
import { acquireLock, type BatchRef, finishLeftovers } from './lock.ts';
import type { Recorded } from './reconcile.ts';
import { reconcileIntent } from './reconcile.ts';
import { drawSpares } from './spares.ts';

/** One batch's room job: which batch, with which room settings. */
interface RoomJob extends BatchRef {
  roomKey: string;
  params: RoomParams;
  owner: string;
}

/** Rooms this invocation created and recorded, and the respondents they were created for. */
interface Created {
  record: CreatedRoomsItem;
  for: BatchBySk;
}

/**
 * Gives every `accepted` respondent of the batch a room. The lock is held for the create call and one write
 * of the rooms it returned; handing them out (a write or two per room) runs after it is released, so the
 * project's next create need not wait for it.
 */
export const ensureRooms = async (
  ctx: Ctx,
  settings: CampaignSettings,
  batch: BatchRef,
  respondents: readonly RespondentItem[],
): Promise<void> => {
  const first = respondents.find((r) => r.state === 'accepted');
  if (!first) return;
  const language = languageFor(settings, first.language as Parameters<typeof languageFor>[1]).roomLanguage;
  const params = roomParamsFor(settings, language);
  const job: RoomJob = { ...batch, roomKey: first.roomKey, params, owner: ctx.newId() };
  const lock = await acquireLock(ctx, params.projectId, job.owner);
  let created: Created | undefined;
  try {
    created = await createUnderLock(ctx, job, lock.intent);
  } finally {
    // The intent goes with the lock once its rooms are recorded: they are handed out from the record.
    await ctx.store
      .releaseCreateLock({
        projectId: params.projectId,
        owner: job.owner,
        ...(created ? { intentId: created.record.intent.intentId } : {}),
      })
      .catch(() => {});
  }
  if (created) {
    await ctx.store.addCounts(batch.campaignId, { createCalls: 1 });
    await handOutCreatedRooms(ctx, created.record, false, created.for);
  }
};

/**
 * The lock's part: leftovers of crashed creates first (their rooms may be exactly the ones needed), then
 * spares, then up to `createRounds` create attempts (a 429/5xx or an unknown outcome need not cost a whole
 * SQS receive). Respondents a short answer left without a room wait for the redelivery's create.
 */
const createUnderLock = async (
  ctx: Ctx,
  job: RoomJob,
  leftover: CreateIntent | undefined,
): Promise<Created | undefined> => {
  // The lock's reads in one round trip; the batch and spares are read again whenever anything may have
  // changed them.
  const readBatch = () =>
    Promise.all([
      ctx.store.queryBatch(job.campaignId, job.batch),
      ctx.store.listSpares(job.campaignId, job.roomKey),
    ]);
  const [records, firstRead] = await Promise.all([
    ctx.store.listCreatedRooms(job.params.projectId),
    readBatch(),
  ]);
  const { recorded, changed } = await finishLeftovers(ctx, job.owner, records, leftover, job);
  let read: typeof firstRead | undefined = changed ? undefined : firstRead;
  for (let round = 0; round < ctx.config.createRounds; round++) {
    const [current, spares] = read ?? (await readBatch());
    read = undefined;
    const needing = await drawSpares(
      ctx,
      spares,
      current.filter((r) => r.state === 'accepted'),
    );
    if (needing.length === 0) return undefined;
    if (round > 0 && ctx.clock() + ctx.config.lockLeaseMs > ctx.deadline) return undefined; // the redelivery carries on
    const created = await attemptCreate(ctx, job, needing, round, recorded);
    if (created) return created;
  }
  return undefined;
};

/** One create call for `needing`, its intent written first; undefined when another round should follow. */
const attemptCreate = async (
  ctx: Ctx,
  job: RoomJob,
  needing: readonly RespondentItem[],
  round: number,
  recorded: Recorded,
): Promise<Created | undefined> => {
  const projectId = job.params.projectId;
  const intent: CreateIntent = {
    intentId: ctx.newId(),
    campaignId: job.campaignId,
    batch: job.batch,
    roomKey: job.roomKey,
    params: job.params,
    count: needing.length,
    respondents: needing.map((r) => r.sk),
    startedAt: ctx.clock(),
  };
  const leaseUntil = () => ctx.clock() + ctx.config.lockLeaseMs;
  await ctx.store.writeCreateIntent({ projectId, owner: job.owner, intent, leaseUntil: leaseUntil() });
  let rooms: InterviewRoom[];
  try {
    rooms = await ctx.deps.aseed.createRooms(createRequestOf(job.params, needing.length));
  } catch (error) {
    await afterFailedCreate(ctx, job, intent, error, round, recorded);
    return undefined;
  }
  ctx.logger.info('rooms created', { count: rooms.length });
  const record = await ctx.store.putCreatedRooms({
    projectId,
    intent,
    rooms: rooms.map(createdRoom),
    leaseUntil: leaseUntil(),
    nowMs: ctx.clock(),
  });
  return { record, for: new Map(needing.map((r) => [r.sk, r])) };
};

/**
 * After a failed create: an unknown outcome is reconciled (the server may have created the rooms); a 429
 * pauses before the next round while rounds remain; a 402 pauses the campaign; anything else (the server
 * created nothing) is thrown.
 */
const afterFailedCreate = async (
  ctx: Ctx,
  job: RoomJob,
  intent: CreateIntent,
  error: unknown,
  round: number,
  recorded: Recorded,
): Promise<void> => {
  await ctx.store.addCounts(job.campaignId, { createCalls: 1 }).catch(() => {});
  if (error instanceof CreateOutcomeUnknownError) {
    ctx.logger.warn('create outcome unknown: reconciling', errorFields(error));
    // Give a create still running server-side a moment to land before listing.
    await ctx.sleep(ctx.config.reconcileDelayMs);
    await reconcileIntent(ctx, intent, job.owner, ctx.clock(), recorded);
    return; // respondents the reconcile could not serve get another create
  }
  await ctx.store.clearCreateIntent({
    projectId: job.params.projectId,
    owner: job.owner,
    intentId: intent.intentId,
  });
  if (error instanceof AseedRateLimitedError && round + 1 < ctx.config.createRounds) {
    ctx.logger.warn('create throttled; retrying', errorFields(error));
    await ctx.sleep(Math.min(error.retryAfterMs ?? 500 * 2 ** round, ctx.config.createThrottleMaxMs));
    return;
  }
  // Too few tokens (402: nothing was created) lifts only when someone tops up: the campaign waits,
  // the batch keeps its receives instead of running into the dead-letter queue.
  if (error instanceof AseedInsufficientTokensError) {
    throw new PausedError('tokens', `${PAUSE_LABEL.tokens}: ${error.message}`, { cause: error });
  }
  throw error;
};
