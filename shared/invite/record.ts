// The invite side's entry points, one queue record each: parse, process, and the last-receive policy (a batch
// failing on its last allowed receive is dead-lettered on the campaign before SQS moves it to the DLQ).
import { type InviteMessage, parseInviteMessage } from '#shared/campaign/messages.ts';
import {
  NEEDS_A_PERSON,
  OutOfTimeError,
  PAUSE_LABEL,
  PAUSE_LOG_FIELD,
  PausedError,
  PermanentError,
} from '#shared/errors.ts';
import { errorFields } from '#shared/log.ts';
import { processMessage } from './batch.ts';
import { deadLetterBatch } from './close.ts';
import { type Ctx, contextOf, type InviteDeps } from './context.ts';
import { type BatchResult, emptyResult } from './result.ts';

/** How the caller lets a record be retried without spending one of its receives. */
export interface InviteRecordOptions {
  /**
   * Sends the record's body again as a new message. Given (by the handler) to every record but the first of
   * an invocation: when the invocation runs out of time before such a batch can start or go on, the batch is
   * handed to a fresh message and acknowledged, instead of failing and using up one of its receives without
   * a real attempt. The first record always gets a real attempt, so an invocation always makes progress.
   */
  requeue?: () => Promise<void>;
  /**
   * Sends the record's body again as a new message delayed by `delayMs` (at most SQS's 15 minutes). Used when
   * sending must pause (quota, paused account): the batch waits in a delayed message and keeps its receives.
   */
  requeueAfter?: (delayMs: number) => Promise<void>;
}

/** SQS's longest message delay. */
const MAX_DELAY_MS = 900_000;

const batchKeys = (msg: InviteMessage) => ('batch' in msg ? { batch: msg.batch } : {});

/** Handles one invite-queue record; throws when SQS should redeliver it. */
export const processInviteRecord = async (
  deps: InviteDeps,
  body: string,
  receiveCount: number,
  options: InviteRecordOptions = {},
): Promise<BatchResult> => {
  const ctx = contextOf(deps);
  let msg: InviteMessage;
  try {
    msg = parseInviteMessage(body);
  } catch (error) {
    ctx.logger.error('poison message: not an invite message', { receiveCount, ...errorFields(error) });
    throw new PermanentError('not an invite message', { cause: error });
  }
  ctx.logger.appendKeys({ campaignId: msg.campaignId, ...batchKeys(msg) });
  try {
    return await processMessage(ctx, msg);
  } catch (error) {
    if (error instanceof PausedError && (await pausedUntilLater(ctx, msg, error, options))) {
      return { ...emptyResult(msg.campaignId), ...batchKeys(msg), deferred: true };
    }
    const deferred =
      error instanceof OutOfTimeError && options.requeue && (await requeued(ctx, options.requeue));
    if (deferred) {
      ctx.logger.info('out of time for this batch: handed to a fresh message', {
        receiveCount,
        ...errorFields(error),
      });
      return { ...emptyResult(msg.campaignId), ...batchKeys(msg), deferred: true };
    }
    await onFailedReceive(ctx, deps.maxReceiveCount, msg, receiveCount, error);
    throw error;
  } finally {
    ctx.logger.removeKeys(['campaignId', 'batch']);
  }
};

/**
 * Sending must wait: the campaign shows the pause and until when, and the batch goes on in a message delayed
 * until then. False without a way to delay it (the record then fails and SQS redelivers it).
 */
const pausedUntilLater = async (
  ctx: Ctx,
  msg: InviteMessage,
  error: PausedError,
  options: InviteRecordOptions,
): Promise<boolean> => {
  const now = ctx.clock();
  // A known start is a time, not a wait: the record shows it exactly, however long this took to get here.
  const resumesAt = error.resumesAt ?? now + ctx.config.pauseRecheckMs;
  const waitMs = Math.max(0, resumesAt - now);
  const pause = { kind: error.kind, reason: error.message.slice(0, 300), at: now, resumesAt };
  // An account SES paused, or tokens to top up, need a person: logged as an error the stack's alarms count.
  const log = NEEDS_A_PERSON.has(error.kind)
    ? ctx.logger.error
    : error.kind === 'scheduled'
      ? ctx.logger.info
      : ctx.logger.warn;
  log.call(
    ctx.logger,
    `sending paused: ${PAUSE_LABEL[error.kind]}, resumes at ${new Date(resumesAt).toISOString()}`,
    { [PAUSE_LOG_FIELD]: error.kind, ...errorFields(error) },
  );
  await ctx.store.setPause(msg.campaignId, pause).catch((e: unknown) => {
    ctx.logger.warn('could not record the pause on the campaign', errorFields(e));
  });
  const { requeueAfter } = options;
  // SQS delays a message 15 minutes at most: a longer wait (a start days ahead) takes several hops.
  const delayMs = Math.min(waitMs, MAX_DELAY_MS);
  return requeueAfter !== undefined && (await requeued(ctx, () => requeueAfter(delayMs)));
};

/** Hands the record to a fresh message; false when that failed (the record then fails as usual). */
const requeued = async (ctx: Ctx, requeue: () => Promise<void>): Promise<boolean> => {
  try {
    await requeue();
    return true;
  } catch (requeueError) {
    ctx.logger.warn('could not hand the batch to a fresh message', errorFields(requeueError));
    return false;
  }
};

/** The last-receive policy: on the last allowed receive a failing batch is dead-lettered on the campaign. */
const onFailedReceive = async (
  ctx: Ctx,
  maxReceiveCount: number,
  msg: InviteMessage,
  receiveCount: number,
  error: unknown,
): Promise<void> => {
  // A follow-up that fails for good fails nobody: the respondent was invited, it only misses that email. A
  // cancel neither: what it could not finish, the batch's other cancel messages or a new cancel carry out.
  if (!('batch' in msg) || 'followUp' in msg || 'cancel' in msg || receiveCount < maxReceiveCount) {
    ctx.logger.warn('batch failed; SQS will redeliver', { receiveCount, ...errorFields(error) });
    return;
  }
  ctx.logger.error('last receive failed: dead-lettering the batch', { receiveCount, ...errorFields(error) });
  try {
    await deadLetterBatch(ctx, msg.campaignId, msg.batch, error);
  } catch (recordError) {
    ctx.logger.error('could not record the dead-lettering', errorFields(recordError));
  }
};

/**
 * Handles one record of the dead-letter queue: makes sure its batch is recorded as dead-lettered on the
 * campaign even when the last receive died before it could (a crash or timeout); a cancel message is carried
 * out instead, so a cancel is never lost to the DLQ. Idempotent.
 */
export const processDeadLetterRecord = async (deps: InviteDeps, body: string): Promise<void> => {
  const ctx = contextOf(deps);
  let msg: InviteMessage;
  try {
    msg = parseInviteMessage(body);
  } catch {
    ctx.logger.warn('dead-lettered message is not an invite message: nothing to record');
    return;
  }
  if (!('batch' in msg) || 'followUp' in msg) return;
  if ('cancel' in msg) {
    // A cancel that used up its receives is carried out here once more; failing again, it stays in the DLQ
    // (alarmed) for a redrive, and `invites cancel` may be repeated.
    ctx.logger.warn('dead-lettered cancel: carrying it out', {
      campaignId: msg.campaignId,
      batch: msg.batch,
    });
    await processMessage(ctx, msg);
    return;
  }
  ctx.logger.appendKeys({ campaignId: msg.campaignId, batch: msg.batch });
  try {
    await deadLetterBatch(ctx, msg.campaignId, msg.batch, 'the batch failed on every allowed receive');
    ctx.logger.warn('dead-lettered batch recorded on the campaign');
  } finally {
    ctx.logger.removeKeys(['campaignId', 'batch']);
  }
};
