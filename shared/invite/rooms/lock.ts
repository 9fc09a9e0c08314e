// The per-project create lock: creates are serialised per project, and whatever a crashed holder left
// (a created-rooms record not handed out, an intent whose outcome is unknown) is finished before anything new.
import { OutOfTimeError, RetryableError } from '#shared/errors.ts';
import { errorFields } from '#shared/log.ts';
import type { CreatedRoomsItem, CreateIntent, CreateLockItem } from '#shared/store/types.ts';
import type { Ctx } from '../context.ts';
import { handOutCreatedRooms } from './hand-out.ts';
import { type Recorded, reconcileIntent } from './reconcile.ts';

/** One batch of one campaign. */
export interface BatchRef {
  campaignId: string;
  batch: number;
}

/** Pause before trying a busy lock again: grows with the attempts, jittered (the lock is not fair). */
const retryPauseMs = (attempt: number) =>
  100 + Math.floor(Math.random() * Math.min(1000, 100 * 2 ** attempt));

/**
 * Takes the project's create lock as `owner`, waiting for it up to `lockWaitMs` and never past the
 * deadline minus one lease (a killed holder would block the project for a lease). Throws OutOfTimeError
 * when the deadline cut the wait short, RetryableError when the lock stayed busy.
 */
export const acquireLock = async (ctx: Ctx, projectId: string, owner: string): Promise<CreateLockItem> => {
  const leaseMs = ctx.config.lockLeaseMs;
  const latest = ctx.deadline - leaseMs;
  const waitUntil = Math.min(ctx.clock() + ctx.config.lockWaitMs, latest);
  if (ctx.clock() > waitUntil)
    throw new OutOfTimeError('too little time left in this invocation to create rooms');
  for (let attempt = 0; ; attempt++) {
    const acquired = await ctx.store.acquireCreateLock({ projectId, owner, nowMs: ctx.clock(), leaseMs });
    if (acquired.acquired) return acquired.lock;
    if (ctx.clock() > waitUntil) {
      const text = `create lock of project ${projectId} stayed busy`;
      // A wait cut short by the invocation's deadline is lack of time, not contention.
      throw waitUntil === latest ? new OutOfTimeError(text) : new RetryableError(text);
    }
    await ctx.sleep(retryPauseMs(attempt));
  }
};

/**
 * Under the lock: finishes the project's created-rooms `records` whose writer's lease ran out (it crashed
 * while handing them out), and those of `batchOf` (a concurrent delivery of the same batch: handing out is
 * idempotent, and it spares this one a create). Returns what all records held and how many it finished.
 */
const finishCreatedRooms = async (
  ctx: Ctx,
  records: readonly CreatedRoomsItem[],
  batchOf: BatchRef,
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
 * Under the lock (`owner`), finishes what crashed creates left, in order: the project's created-rooms
 * records, then an intent left on the lock, reconciled without taking any room a record holds.
 * `changed`: anything was handed out, so the batch may have moved on.
 */
export const finishLeftovers = async (
  ctx: Ctx,
  owner: string,
  records: readonly CreatedRoomsItem[],
  leftover: CreateIntent | undefined,
  batchOf: BatchRef,
): Promise<{ recorded: Recorded; changed: boolean }> => {
  const { recorded, handedOut } = await finishCreatedRooms(ctx, records, batchOf);
  if (leftover) await reconcileIntent(ctx, leftover, owner, undefined, recorded);
  return { recorded, changed: handedOut > 0 || leftover !== undefined };
};

/**
 * Before a batch is dead-lettered: rooms its last attempt created but did not hand out are handed out now,
 * so they go to the batch's respondents (and are cancelled with them) or to the spare pool, instead of
 * staying live and unsent until some later create in the project takes the lock. Best effort: a lock held
 * by a live invocation means that holder has already reconciled any leftover intent.
 */
export const reconcileLeftovers = async (ctx: Ctx, projectId: string, batchOf: BatchRef): Promise<void> => {
  const owner = ctx.newId();
  try {
    const acquired = await ctx.store.acquireCreateLock({
      projectId,
      owner,
      nowMs: ctx.clock(),
      leaseMs: ctx.config.lockLeaseMs,
    });
    if (!acquired.acquired) return;
    try {
      const records = await ctx.store.listCreatedRooms(projectId);
      await finishLeftovers(ctx, owner, records, acquired.lock.intent, batchOf);
    } finally {
      await ctx.store.releaseCreateLock({ projectId, owner }).catch(() => {});
    }
  } catch (error) {
    ctx.logger.warn('could not hand out leftover rooms before dead-lettering', errorFields(error));
  }
};
