// One follow-up message: a reminder or the thank-you to those of a batch due it, through the invitation's
// paced send path. The claim on each respondent's attribute of that kind makes a duplicate message harmless.
import type { FollowUpKind } from '#shared/campaign/follow-ups.ts';
import type { CampaignSettings } from '#shared/campaign/settings.ts';
import { OutOfTimeError, RetryableError } from '#shared/errors.ts';
import type { CampaignRecord } from '#shared/store/types.ts';
import type { Ctx } from './context.ts';
import { sendFollowUps } from './email/index.ts';
import { ensureQuotaFor } from './email/quota.ts';
import { followUpDue } from './follow-up.ts';
import type { BatchResult } from './result.ts';

/**
 * Sends follow-up `kind` to the batch's respondents due it and not sent it yet (one a crashed attempt left
 * is taken over once its lease runs out; a live one makes the message retry). Throws a RetryableError while
 * some must be retried.
 */
export const processFollowUp = async (
  ctx: Ctx,
  campaign: CampaignRecord,
  batch: number,
  kind: FollowUpKind,
  result: BatchResult,
): Promise<BatchResult> => {
  const { campaignId } = campaign;
  const settings = campaign.settings as unknown as CampaignSettings;
  const nowMs = ctx.clock();
  const respondents = await ctx.store.queryBatch(campaignId, batch);
  const due = respondents.filter(
    (r) => followUpDue(settings, r, kind, nowMs) && (r[kind] === undefined || r[kind].state === 'sending'),
  );
  result.skipped = respondents.length - due.length;
  if (due.length === 0) return result;
  await ensureQuotaFor(ctx, due.length);
  const sent = await sendFollowUps(ctx, campaignId, settings, kind, due);
  result.emailed = sent.emailed;
  result.failed = sent.failed;
  if (campaign.pause && sent.emailed > 0) await ctx.store.setPause(campaignId, undefined);
  if (sent.retry > 0) {
    const text = `${sent.retry} ${kind} emails must be retried: ${sent.retryReason}`;
    throw sent.retry === sent.outOfTime ? new OutOfTimeError(text) : new RetryableError(text);
  }
  ctx.logger.info('follow-up sent', { followUp: kind, emailed: sent.emailed, failed: sent.failed });
  return result;
};
