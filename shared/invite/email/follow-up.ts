// A follow-up (a reminder, the thank-you) as a kind of send: claimed on the respondent's attribute of that
// kind under the same lease as the invitation, so a duplicate delivery or a retry sends it at most once.
import { type FollowUpKind, followUpTemplate } from '#shared/campaign/follow-ups.ts';
import { errorFields, maskEmail } from '#shared/log.ts';
import { mapLimit } from '#shared/store/concurrency.ts';
import type { RespondentItem } from '#shared/store/types.ts';
import type { Ctx } from '../context.ts';
import { followUpEligible } from '../follow-up.ts';
import type { SendClaim } from './claim.ts';
import type { SendKind } from './send.ts';

/** What each follow-up is called in logs and reasons. */
const LABEL: Record<FollowUpKind, string> = {
  reminder1: 'first reminder',
  reminder2: 'second reminder',
  reminder3: 'third reminder',
  thanks: 'thank-you',
};

const refOf = (ctx: Ctx, r: RespondentItem) => ({ campaignId: r.campaignId, sk: r.sk, nowMs: ctx.clock() });

/** Claims the follow-up for this attempt; one a live attempt holds is busy, anything else is done. */
const claimOf =
  (kind: FollowUpKind) =>
  async (ctx: Ctx, r: RespondentItem, attempt: string): Promise<SendClaim> => {
    const until = ctx.clock() + ctx.config.sendLeaseMs;
    const claim = await ctx.store.claimFollowUp(refOf(ctx, r), { kind, attempt, until });
    if (claim) return { kind: 'claimed', ...claim };
    const current = await ctx.store.getRespondent(r.campaignId, r.sk);
    const held = current?.[kind];
    const busy = current && followUpEligible(current, kind) && held?.state === 'sending';
    return busy ? { kind: 'busy' } : { kind: 'done' };
  };

/** Gives back what SES did not send: a fresh claim goes, one taken over keeps its record, lease ended. */
const releaseOf =
  (kind: FollowUpKind): SendKind['release'] =>
  async (ctx, held, attempt, fresh) => {
    await mapLimit(held, ctx.config.writesInParallel, async (r) => {
      const outcome = fresh.has(r.sk) ? ({ kind: 'release' } as const) : ({ kind: 'endLease' } as const);
      try {
        await ctx.store.settleFollowUp(refOf(ctx, r), { kind, attempt, outcome });
      } catch (error) {
        // Best effort: one left held is sent again once its lease runs out.
        ctx.logger.warn('could not release a follow-up after a failed send', {
          respondent: maskEmail(r.email),
          ...errorFields(error),
        });
      }
    });
  };

/** The send kind of follow-up `kind`. */
export const followUpSendKind = (kind: FollowUpKind): SendKind => ({
  label: LABEL[kind],
  claim: claimOf(kind),
  release: releaseOf(kind),
  markSent: (ctx, r, attempt, sent) =>
    ctx.store.settleFollowUp(refOf(ctx, r), { kind, attempt, outcome: { kind: 'sent', ...sent } }),
  fail: (ctx, r, attempt, failure) =>
    ctx.store.settleFollowUp(refOf(ctx, r), {
      kind,
      attempt,
      outcome: { kind: 'failed', reason: failure.reason, at: new Date(ctx.clock()).toISOString() },
    }),
  template: (settings, locale) => followUpTemplate(settings, kind, locale),
});
