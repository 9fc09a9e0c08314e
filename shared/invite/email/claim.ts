// Claiming respondents for one send attempt and giving them back: the lease that keeps a concurrent
// duplicate delivery from sending the same email while a crashed attempt's claims run out.
import { errorFields, maskEmail } from '#shared/log.ts';
import { mapLimit } from '#shared/store/concurrency.ts';
import type { RespondentItem } from '#shared/store/types.ts';
import type { Ctx } from '../context.ts';

/** Outcome of claiming a respondent for one send attempt. */
export type SendClaim =
  /** `fresh`: claimed from `room_assigned`, not taken over from an earlier attempt. */
  | { kind: 'claimed'; respondent: RespondentItem; fresh: boolean }
  /** Another live attempt holds it (concurrent duplicate delivery). */
  | { kind: 'busy' }
  /** It moved on meanwhile (emailed or failed): nothing to do. */
  | { kind: 'done' };

/**
 * Claims a respondent for this send attempt: `room_assigned → sending` with a short lease, or takes over a
 * `sending` left by an attempt whose lease ran out (it crashed: at-least-once resend). A `sending` whose
 * lease is still running belongs to a concurrent delivery and is left to it.
 */
export const claimSending = async (ctx: Ctx, r: RespondentItem, attempt: string): Promise<SendClaim> => {
  const nowMs = ctx.clock();
  const until = nowMs + ctx.config.sendLeaseMs;
  const ref = { campaignId: r.campaignId, sk: r.sk, nowMs };
  if (
    r.state === 'room_assigned' &&
    (await ctx.store.transition(ref, { kind: 'claimSend', attempt, until }))
  ) {
    // An assigned room never changes, so the copy we read is the item now, but for the claim.
    return {
      kind: 'claimed',
      respondent: { ...r, state: 'sending', sendAttempt: attempt, sendingUntil: until },
      fresh: true,
    };
  }
  const taken = await ctx.store.takeOverSend(ref, attempt, until);
  if (taken) return { kind: 'claimed', respondent: taken, fresh: false };
  const current = await ctx.store.getRespondent(r.campaignId, r.sk);
  return current?.state === 'sending' || current?.state === 'room_assigned'
    ? { kind: 'busy' }
    : { kind: 'done' };
};

/**
 * Releases the respondents of an attempt whose SES call failed as a whole (nothing sent), while this attempt
 * still holds them: back to `room_assigned`, so a redelivery sends at once and a dead-lettering cancels their
 * rooms. One taken over from a crashed attempt (`fresh` lacks it) may have been emailed by that attempt: it
 * stays `sending`, only its lease ends. Best effort: one left as it was is resent once its lease runs out.
 */
export const releaseSending = async (
  ctx: Ctx,
  respondents: readonly RespondentItem[],
  attempt: string,
  fresh: ReadonlySet<string>,
): Promise<void> => {
  await mapLimit(respondents, ctx.config.writesInParallel, async (r) => {
    try {
      await ctx.store.transition(
        { campaignId: r.campaignId, sk: r.sk, nowMs: ctx.clock() },
        fresh.has(r.sk) ? { kind: 'releaseSend', attempt } : { kind: 'endSendLease', attempt },
      );
    } catch (error) {
      ctx.logger.warn('could not release a respondent after a failed send', {
        respondent: maskEmail(r.email),
        ...errorFields(error),
      });
    }
  });
};
