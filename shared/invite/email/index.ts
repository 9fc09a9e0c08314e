// The emails of one batch: the invitations to every respondent with a room, or one follow-up to those due it,
// in chunks of one locale, each chunk paced, claimed, sent and recorded (email/send.ts).
import type { FollowUpKind } from '#shared/campaign/follow-ups.ts';
import type { CampaignSettings } from '#shared/campaign/settings.ts';
import type { RespondentItem } from '#shared/store/types.ts';
import type { Ctx } from '../context.ts';
import { followUpSendKind } from './follow-up.ts';
import { INVITATION } from './invitation.ts';
import { chunksByLocale, dueForEmail } from './plan.ts';
import { type SendKind, type SendSummary, sendChunk } from './send.ts';

export type { SendSummary } from './send.ts';

/**
 * Emails every respondent of the batch with a room (`room_assigned`, or `sending` from an interrupted
 * attempt: those are sent again, at-least-once). Throttled or deadline-held ones are counted to retry.
 */
export const sendInvites = (
  ctx: Ctx,
  campaignId: string,
  settings: CampaignSettings,
  respondents: readonly RespondentItem[],
): Promise<SendSummary> => sendAll(ctx, { campaignId, settings, kind: INVITATION }, dueForEmail(respondents));

/** Sends follow-up `kind` to the given respondents (the caller picked those due it); the same pacing and lease. */
export const sendFollowUps = (
  ctx: Ctx,
  campaignId: string,
  settings: CampaignSettings,
  kind: FollowUpKind,
  due: readonly RespondentItem[],
): Promise<SendSummary> => sendAll(ctx, { campaignId, settings, kind: followUpSendKind(kind) }, due);

const sendAll = async (
  ctx: Ctx,
  job: { campaignId: string; settings: CampaignSettings; kind: SendKind },
  due: readonly RespondentItem[],
): Promise<SendSummary> => {
  const summary: SendSummary = {
    emailed: 0,
    failed: 0,
    retry: 0,
    outOfTime: 0,
    retryReason: '',
    sesCalls: 0,
  };
  try {
    for (const { locale, chunk } of chunksByLocale(job.settings, due)) {
      await sendChunk(ctx, { ...job, locale }, chunk, summary);
    }
  } finally {
    if (summary.sesCalls > 0) {
      await ctx.store.addCounts(job.campaignId, { sesCalls: summary.sesCalls }).catch(() => {});
    }
  }
  return summary;
};
