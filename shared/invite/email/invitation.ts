// The invitation as a kind of send: its recipients move `room_assigned → sending → emailed | failed` on the
// respondent's own state (claim.ts holds the lease logic).
import { templateFor } from '#shared/campaign/settings.ts';
import { failRespondent } from '../fail.ts';
import { claimSending, releaseSending } from './claim.ts';
import type { SendKind } from './send.ts';

/** The invitation: the first email, with the room link, that moves the respondent to `emailed`. */
export const INVITATION: SendKind = {
  label: 'invitation',
  claim: claimSending,
  release: releaseSending,
  markSent: (ctx, r, _attempt, sent) =>
    ctx.store.transition(
      { campaignId: r.campaignId, sk: r.sk, nowMs: ctx.clock() },
      { kind: 'markEmailed', messageId: sent.messageId, at: sent.at },
    ),
  // No email with its room can have gone out: the room may be cancelled.
  fail: (ctx, r, _attempt, failure) => failRespondent(ctx, r, failure, true),
  template: templateFor,
};
