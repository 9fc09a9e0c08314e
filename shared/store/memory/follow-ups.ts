// Follow-up claims and settles in memory, with the conditions of the DynamoDB adapter (dynamo/follow-ups.ts).
import { type FollowUpSend, followUpEligible, followUpOpen, settledSend } from '#shared/invite/follow-up.ts';
import { campaignPk } from '../keys.ts';
import type { FollowUpsPort } from '../ports.ts';
import type { RespondentItem } from '../types.ts';
import type { MemoryTable } from './table.ts';

/** The follow-ups port in memory. */
export const memoryFollowUps = (t: MemoryTable): FollowUpsPort => ({
  async claimFollowUp(ref, { kind, attempt, until }) {
    let fresh = false;
    const send: FollowUpSend = { state: 'sending', attempt, until };
    const claimed = t.update<RespondentItem>(campaignPk(ref.campaignId), ref.sk, (r) => {
      if (!r || !followUpEligible(r, kind)) return false;
      const held = r[kind];
      const ours = held?.state === 'sending' && held.attempt === attempt;
      if (!ours && !followUpOpen(r, kind, ref.nowMs)) return false;
      fresh = held === undefined;
      return { ...r, [kind]: send, updatedAt: new Date(ref.nowMs).toISOString() };
    });
    return claimed ? { respondent: claimed, fresh } : undefined;
  },
  async settleFollowUp(ref, { kind, attempt, outcome }) {
    const settled = t.update<RespondentItem>(campaignPk(ref.campaignId), ref.sk, (r) => {
      const held = r?.[kind];
      if (!r || held?.state !== 'sending' || held.attempt !== attempt) return false;
      const next: RespondentItem = { ...r };
      const after = settledSend(held, outcome);
      if (after) next[kind] = after;
      else delete next[kind];
      return next;
    });
    return settled !== false;
  },
});
