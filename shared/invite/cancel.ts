// One cancel message: a cancelled campaign's cancel carried out on one batch. Every respondent not invited yet
// ends `cancelled` (its room, if any, is cancelled through the API); an invited one gets no follow-up any more,
// and with `revokeUnstarted` one whose room is still unstarted is cancelled too. A send attempt that claimed
// respondents before the cancel reached them may finish (at most one SES call per invocation, within its send
// lease): the message then looks again, and with `revokeUnstarted` those rooms go once the send has settled.
import { RetryableError } from '#shared/errors.ts';
import { errorFields, maskEmail } from '#shared/log.ts';
import { mapLimit } from '#shared/store/concurrency.ts';
import type { CampaignRecord, RespondentItem } from '#shared/store/types.ts';
import type { Ctx } from './context.ts';
import { type RespondentTransition, roomToCancel } from './respondent.ts';
import type { BatchResult } from './result.ts';
import { cancelRoom, cancelSpares } from './rooms/spares.ts';

/** What cancelling did to one respondent. */
type CancelStep = 'cancelled' | 'stopped' | 'busy' | 'unchanged';

/** Moves one respondent as the cancel asks; `busy` while a live send attempt holds it. */
const cancelRespondent = async (
  ctx: Ctx,
  first: RespondentItem,
  campaign: CampaignRecord,
): Promise<CancelStep> => {
  const reason = `campaign cancelled on ${campaign.cancelledAt ?? 'request'}`;
  const revoke = campaign.revokeUnstarted === true;
  let r: RespondentItem | undefined = first;
  // A respondent may move between the read and the write (a send settling): read again and decide again.
  for (let attempt = 0; attempt < 3 && r; attempt++) {
    const nowMs = ctx.clock();
    const move = moveOf(r, { reason, revoke, nowMs });
    if (move === 'busy' || move === undefined) return move ?? 'unchanged';
    if (await ctx.store.transition({ campaignId: r.campaignId, sk: r.sk, nowMs }, move)) {
      return move.kind === 'stopFollowUps' ? 'stopped' : 'cancelled';
    }
    r = await ctx.store.getRespondent(r.campaignId, r.sk);
  }
  return r ? 'busy' : 'unchanged';
};

/** The cancel's move for a respondent in its current state; `busy` while a live attempt sends to it. */
const moveOf = (
  r: RespondentItem,
  cancel: { reason: string; revoke: boolean; nowMs: number },
): RespondentTransition | 'busy' | undefined => {
  switch (r.state) {
    case 'accepted':
    case 'room_assigned':
      return { kind: 'cancel', reason: cancel.reason };
    case 'sending':
      return (r.sendingUntil ?? 0) < cancel.nowMs
        ? { kind: 'cancelStale', ...cancel, reason: `${cancel.reason} (its invitation may have gone)` }
        : 'busy';
    case 'emailed':
      if (cancel.revoke && r.roomRank === undefined && !r.roomCancelled) {
        return { kind: 'revoke', reason: `${cancel.reason}: its unstarted room was revoked` };
      }
      return r.followUpsStopped ? undefined : { kind: 'stopFollowUps' };
    default:
      return undefined;
  }
};

/** True while a cancel still has something to do for this respondent: a move to make, or a room to cancel. */
export const cancelLeft = (r: RespondentItem, revoke: boolean): boolean =>
  roomToCancel(r) || moveOf(r, { reason: '', revoke, nowMs: 0 }) !== undefined;

/** Cancels the rooms of the batch's cancelled respondents that still hold one (once each). */
const cancelRooms = async (ctx: Ctx, respondents: readonly RespondentItem[]): Promise<number> => {
  let cancelled = 0;
  await mapLimit(respondents.filter(roomToCancel), ctx.config.writesInParallel, async (r) => {
    await cancelRoom(ctx, r.roomId as string);
    await ctx.store.markRoomCancelled(r.campaignId, r.sk);
    cancelled++;
  });
  return cancelled;
};

/**
 * Carries out the cancel of `campaign` on one batch, idempotently (a repeated message finds nothing to do).
 * Throws a RetryableError while a live send attempt holds some respondent, so the message looks again.
 */
export const processCancel = async (
  ctx: Ctx,
  campaign: CampaignRecord,
  batch: number,
  result: BatchResult,
): Promise<BatchResult> => {
  const { campaignId } = campaign;
  // A batch no attempt reached yet has only its ingest record: each respondent needs its own item to move.
  const respondents = await ctx.store.writeBatchRespondents(campaignId, batch);
  const steps = await mapLimit(respondents, ctx.config.writesInParallel, async (r) => {
    try {
      return await cancelRespondent(ctx, r, campaign);
    } catch (error) {
      ctx.logger.warn('could not cancel a respondent', {
        respondent: maskEmail(r.email),
        ...errorFields(error),
      });
      return 'busy' as const;
    }
  });
  const roomsCancelled = await cancelRooms(ctx, await ctx.store.queryBatch(campaignId, batch));
  // Rooms a create left unassigned (a create racing the cancel) would otherwise hold tokens until they expire.
  await cancelSpares(ctx, campaignId, false);
  const busy = steps.filter((s) => s === 'busy').length;
  ctx.logger.info('batch cancelled', {
    cancelled: steps.filter((s) => s === 'cancelled').length,
    followUpsStopped: steps.filter((s) => s === 'stopped').length,
    roomsCancelled,
    busy,
  });
  if (busy > 0) throw new RetryableError(`${busy} respondents are being emailed: the cancel looks again`);
  return { ...result, skipped: respondents.length };
};
