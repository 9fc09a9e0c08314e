// The end of a batch: rooms nobody will use are cancelled, the batch's counts are added once, the campaign
// completes with its last batch; and the last receive of a failing batch dead-letters it.

import type { CampaignSettings } from '#shared/campaign/settings.ts';
import { errorFields } from '#shared/log.ts';
import { mapLimit } from '#shared/store/concurrency.ts';
import type { BatchTally } from '#shared/store/ports.ts';
import type { CampaignRecord, RespondentItem } from '#shared/store/types.ts';
import { type Ctx, messageOf } from './context.ts';
import { failRespondent } from './fail.ts';
import { isTerminalState, roomToCancel } from './respondent.ts';
import { reconcileLeftovers } from './rooms/lock.ts';
import { cancelRoom, cancelSpares } from './rooms/spares.ts';

/** True when nothing more happens to the respondent. */
export const isTerminal = (r: RespondentItem): boolean => isTerminalState(r.state);

/**
 * A batch's counters from its respondents' final states (by kind, never by reason text). Emailed counts the
 * invitations SES accepted: a respondent a revoking cancel took after its email still had one.
 */
export const tallyOf = (respondents: readonly RespondentItem[]): BatchTally => ({
  emailed: respondents.filter((r) => r.state === 'emailed' || (r.state === 'cancelled' && r.emailedAt))
    .length,
  failed: respondents.filter((r) => r.state === 'failed').length,
  deadLettered: respondents.filter((r) => r.state === 'failed' && r.failureKind === 'dead-lettered').length,
  roomsCancelled: respondents.filter((r) => r.roomCancelled).length,
});

/** Cancels the rooms of respondents that failed or were cancelled before any email could carry them (once each). */
const cancelUnsentRooms = async (ctx: Ctx, respondents: RespondentItem[], swallowErrors: boolean) => {
  for (const r of respondents) {
    if (!roomToCancel(r)) continue;
    try {
      await cancelRoom(ctx, r.roomId as string);
      await ctx.store.markRoomCancelled(r.campaignId, r.sk);
      r.roomCancelled = true;
    } catch (error) {
      if (!swallowErrors) throw error;
      ctx.logger.warn('could not cancel the room of a failed respondent', errorFields(error));
    }
  }
};

/**
 * Closes a batch whose respondents are all terminal: cancels rooms no email can have carried, adds the
 * batch's counts once, and completes the campaign when it was the last. True when the campaign is complete.
 */
export const finishBatch = async (
  ctx: Ctx,
  campaignId: string,
  batch: number,
  respondents: RespondentItem[],
  options: { swallowCancelErrors: boolean },
): Promise<boolean> => {
  if (!respondents.every(isTerminal)) return false;
  await cancelUnsentRooms(ctx, respondents, options.swallowCancelErrors);
  const { record } = await ctx.store.tallyBatch({
    campaignId,
    batch,
    tally: tallyOf(respondents),
    nowMs: ctx.clock(),
  });
  return record ? completeIfDone(ctx, record) : false;
};

/** Completes the campaign when every batch is tallied, then cancels its leftover spare rooms. */
export const completeIfDone = async (ctx: Ctx, record: CampaignRecord): Promise<boolean> => {
  const due =
    record.status === 'enqueued' && (record.batchesDone ?? 0) >= (record.batches ?? Number.POSITIVE_INFINITY);
  if (due && (await ctx.store.completeCampaign(record.campaignId, ctx.clock())))
    ctx.logger.info('campaign completed');
  const now = record.status === 'completed' ? record : await ctx.store.getCampaign(record.campaignId);
  // A cancelled campaign never completes, and nobody will draw its spares either.
  if (now?.status !== 'completed' && now?.status !== 'cancelled') return false;
  await cancelSpares(ctx, record.campaignId, false);
  return now.status === 'completed';
};

/**
 * Last receive of a failing batch: rooms its attempts left are handed out, every respondent not yet done
 * ends `failed` (kind `dead-lettered`, with the last error), rooms that cannot have been emailed are
 * cancelled (best effort), and the batch is tallied so the campaign shows it and can still complete.
 */
export const deadLetterBatch = async (ctx: Ctx, campaignId: string, batch: number, error: unknown) => {
  const campaign = await ctx.store.getCampaign(campaignId);
  if (!campaign) return;
  const settings = campaign.settings as unknown as CampaignSettings;
  await reconcileLeftovers(ctx, settings.projectId, { campaignId, batch });
  const failure = { kind: 'dead-lettered', reason: `dead-lettered: ${messageOf(error)}` } as const;
  // A batch dead-lettered before any attempt got this far still has only its ingest record.
  const respondents = await ctx.store.writeBatchRespondents(campaignId, batch);
  await mapLimit(
    respondents.filter((r) => !isTerminal(r)),
    ctx.config.writesInParallel,
    // A respondent in `sending` may have been emailed: its room stays.
    (r) => failRespondent(ctx, r, failure, r.state !== 'sending'),
  );
  const after = await ctx.store.queryBatch(campaignId, batch);
  await finishBatch(ctx, campaignId, batch, after, { swallowCancelErrors: true });
};
