// The emails of one batch: every respondent with a room, in chunks of one locale, each chunk paced, claimed,
// sent and recorded (email/send.ts).
import type { CampaignSettings } from '#shared/campaign/settings.ts';
import type { RespondentItem } from '#shared/store/types.ts';
import type { Ctx } from '../context.ts';
import { chunksByLocale, dueForEmail } from './plan.ts';
import { type SendSummary, sendChunk } from './send.ts';

export type { SendSummary } from './send.ts';

/**
 * Emails every respondent of the batch with a room (`room_assigned`, or `sending` from an interrupted
 * attempt: those are sent again, at-least-once). Throttled or deadline-held ones are counted to retry.
 */
export const sendInvites = async (
  ctx: Ctx,
  campaignId: string,
  settings: CampaignSettings,
  respondents: readonly RespondentItem[],
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
    for (const { locale, chunk } of chunksByLocale(settings, dueForEmail(respondents))) {
      await sendChunk(ctx, { campaignId, settings, locale }, chunk, summary);
    }
  } finally {
    if (summary.sesCalls > 0) {
      await ctx.store.addCounts(campaignId, { sesCalls: summary.sesCalls }).catch(() => {});
    }
  }
  return summary;
};
