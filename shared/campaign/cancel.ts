// Cancelling a campaign (`invites cancel`): the record turns `cancelled` first, so from then on no invite
// message claims anyone new and the tracker queues no follow-up; then one cancel message per batch carries
// the cancel out on the invite side (shared/invite/cancel.ts), where rooms are cancelled and tokens come back.
import type { InviteQueue } from '#shared/ingest/ports.ts';
import type { CampaignsPort } from '#shared/store/ports.ts';
import type { CampaignRecord } from '#shared/store/types.ts';
import type { InviteMessage } from './messages.ts';

/** What a cancel request needs. */
export interface CancelDeps {
  store: Pick<CampaignsPort, 'cancelCampaign'>;
  queue: InviteQueue;
  /** Epoch ms. */
  clock?: () => number;
}

/** The outcome of a cancel request: cancelled (again), with its cancel messages queued, or refused, saying why. */
export type CancelRequest =
  | { outcome: 'cancelled'; record: CampaignRecord; messages: number }
  | { outcome: 'refused'; reason: string };

/** Why a campaign in this state cannot be cancelled. */
const refusal = (campaignId: string, record: CampaignRecord | undefined): string => {
  if (!record) return `no campaign ${campaignId}`;
  if (record.status === 'ingesting') {
    return 'the campaign is still being read (ingesting): cancel again in a minute, once it shows enqueued';
  }
  return `the campaign ${record.status === 'failed' ? 'failed' : `is ${record.status}`}: nothing to cancel`;
};

/**
 * Cancels a campaign and queues its cancel on every batch. Safe to repeat (a repeat re-sends the messages,
 * which find nothing left to do); a repeat with `revokeUnstarted` adds the revocation to an earlier cancel.
 */
export const requestCancel = async (
  deps: CancelDeps,
  campaignId: string,
  options: { revokeUnstarted: boolean },
): Promise<CancelRequest> => {
  const nowMs = (deps.clock ?? Date.now)();
  const result = await deps.store.cancelCampaign({
    campaignId,
    revokeUnstarted: options.revokeUnstarted,
    nowMs,
  });
  if (!result.cancelled) return { outcome: 'refused', reason: refusal(campaignId, result.record) };
  const batches = result.record.batches ?? 0;
  const messages: InviteMessage[] = Array.from({ length: batches }, (_, batch) => ({
    campaignId,
    batch,
    cancel: true,
  }));
  await deps.queue.send(messages);
  return { outcome: 'cancelled', record: result.record, messages: messages.length };
};
