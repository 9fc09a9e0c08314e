// One invite message: a batch's respondents get rooms (exactly once), then emails (paced), then the batch
// closes; for a `finalize` message, the campaign completes; a `followUp` one goes to remind.ts, a `cancel` one
// to cancel.ts; any other message of a cancelled campaign is dropped.

import type { InviteMessage } from '#shared/campaign/messages.ts';
import { type CampaignSettings, DEFAULT_DISPLAY_NAME } from '#shared/campaign/settings.ts';
import { OutOfTimeError, PAUSE_LABEL, PausedError, RetryableError } from '#shared/errors.ts';
import type { CampaignRecord } from '#shared/store/types.ts';
import { processCancel } from './cancel.ts';
import { completeIfDone, finishBatch, isTerminal } from './close.ts';
import { type Ctx, contextOf, type InviteDeps } from './context.ts';
import { sendInvites } from './email/index.ts';
import { dueForEmail } from './email/plan.ts';
import { ensureQuotaFor } from './email/quota.ts';
import { processFollowUp } from './remind.ts';
import { type BatchResult, emptyResult } from './result.ts';
import { ensureRooms } from './rooms/create.ts';
import { labelRooms } from './rooms/label.ts';

/**
 * Invite use case for one message. Respondents already done are skipped, so redelivery is harmless. Throws a
 * RetryableError when something must be retried later (SQS redelivers the message).
 */
export const processInviteMessage = (deps: InviteDeps, msg: InviteMessage): Promise<BatchResult> =>
  processMessage(contextOf(deps), msg);

/** {@link processInviteMessage} in a record's context. */
export const processMessage = async (ctx: Ctx, msg: InviteMessage): Promise<BatchResult> => {
  const campaign = await ctx.store.getCampaign(msg.campaignId);
  const result = emptyResult(msg.campaignId);
  if (!campaign || campaign.status === 'failed') {
    ctx.logger.warn('message for a campaign that is missing or failed: dropped', {
      status: campaign?.status,
    });
    return result;
  }
  if ('cancel' in msg) return processCancel(ctx, campaign, msg.batch, { ...result, batch: msg.batch });
  if (campaign.status === 'cancelled') {
    // Its cancel messages cancel what this one would have sent; spares go with them.
    ctx.logger.info('message for a cancelled campaign: dropped');
    return result;
  }
  if (!('batch' in msg)) return { ...result, completed: await completeIfDone(ctx, campaign) };
  if ('followUp' in msg) {
    return processFollowUp(ctx, campaign, msg.batch, msg.followUp, { ...result, batch: msg.batch });
  }
  return processBatch(ctx, campaign, msg.batch, { ...result, batch: msg.batch });
};

/** A campaign whose `sendAt` is still ahead waits for it: no room is created and no email sent before. */
const waitForStart = (ctx: Ctx, settings: CampaignSettings): void => {
  if (settings.sendAt === undefined) return;
  const startsAt = Date.parse(settings.sendAt);
  if (startsAt > ctx.clock()) {
    throw new PausedError('scheduled', `${PAUSE_LABEL.scheduled} at ${settings.sendAt}`, {
      resumesAt: startsAt,
    });
  }
};

/** Rooms, then emails, then the close of one batch. */
const processBatch = async (
  ctx: Ctx,
  campaign: CampaignRecord,
  batch: number,
  result: BatchResult,
): Promise<BatchResult> => {
  const { campaignId } = campaign;
  const settings = campaign.settings as unknown as CampaignSettings;
  waitForStart(ctx, settings);
  // The ingest stored the batch as one record: a respondent's own item is created with its room.
  let respondents = await ctx.store.queryBatch(campaignId, batch);
  result.skipped = respondents.filter(isTerminal).length;
  const needRooms = respondents.filter((r) => r.state === 'accepted').length;
  // A pause (quota, paused account) is seen before rooms are created: waiting spends no tokens.
  await ensureQuotaFor(ctx, needRooms + dueForEmail(respondents).length);
  if (needRooms > 0) {
    await ensureRooms(ctx, settings, { campaignId, batch }, respondents);
    respondents = await ctx.store.queryBatch(campaignId, batch);
  }
  // Older campaigns' stored settings have no displayName: the default applies.
  await labelRooms(ctx, { displayName: settings.displayName ?? DEFAULT_DISPLAY_NAME }, respondents);
  const sent = await sendInvites(ctx, campaignId, settings, respondents);
  result.emailed = sent.emailed;
  result.failed = sent.failed;
  if (campaign.pause && sent.emailed > 0) await ctx.store.setPause(campaignId, undefined);
  if (sent.retry > 0) {
    const text = `${sent.retry} emails must be retried: ${sent.retryReason}`;
    // Only the deadline held them back: nothing failed, the batch just needs a fresh invocation.
    throw sent.retry === sent.outOfTime ? new OutOfTimeError(text) : new RetryableError(text);
  }
  respondents = await ctx.store.queryBatch(campaignId, batch);
  const waiting = respondents.filter((r) => r.state === 'accepted').length;
  if (waiting > 0) throw new RetryableError(`${waiting} respondents still wait for a room`);
  result.completed = await finishBatch(ctx, campaignId, batch, respondents, { swallowCancelErrors: false });
  ctx.logger.info('batch done', {
    emailed: result.emailed,
    failed: result.failed,
    skipped: result.skipped,
    campaignCompleted: result.completed,
  });
  return result;
};
