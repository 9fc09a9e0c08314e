// A campaign's spare rooms: rooms created but not needed by the respondent they were meant for (or found by
// reconciliation). They are drawn before any new room is created, and cancelled when the campaign is over.
import { cancelPendingRoom } from '#shared/aseed/cancel.ts';
import { errorFields } from '#shared/log.ts';
import type { RespondentItem, SpareRoomItem } from '#shared/store/types.ts';
import type { Ctx } from '../context.ts';

/** The claim {@link cancelSpares} puts on a spare before cancelling its room: no draw hands it out meanwhile. */
const CANCELLING = 'CANCELLING';

/**
 * Draws `spares` (of the batch's room settings, as just read) for waiting respondents. Runs under the
 * create lock, so a spare claimed by someone else is a leftover of a crash and is finished or released here.
 * Returns the respondents still without a room.
 */
export const drawSpares = async (
  ctx: Ctx,
  spares: readonly SpareRoomItem[],
  needing: RespondentItem[],
): Promise<RespondentItem[]> => {
  if (spares.length === 0) return needing;
  const waiting = new Map(needing.map((r) => [r.sk, r]));
  const free: SpareRoomItem[] = [];
  for (const spare of spares) {
    if (spare.takenBy === CANCELLING) continue;
    if (!spare.takenBy) free.push(spare);
    else {
      // A claim left by a crashed holder: finish it (the respondent may belong to another batch) or release it.
      await handOverSpare(ctx, spare, spare.takenBy);
      waiting.delete(spare.takenBy);
    }
  }
  for (const spare of free) {
    const next = waiting.values().next();
    if (next.done) break;
    const respondent = next.value;
    if (!(await ctx.store.takeSpare({ spare, respondentSk: respondent.sk, nowMs: ctx.clock() }))) continue;
    await handOverSpare(ctx, spare, respondent.sk, respondent);
    // Either it has this room now, or it was no longer waiting: both mean it needs nothing more from us.
    waiting.delete(respondent.sk);
  }
  return [...waiting.values()];
};

/**
 * Completes a claimed spare: the respondent gets its room (`respondent`, if given as read, may have no item
 * yet: it gets one) and the spare is removed; or the spare is released. True if assigned.
 */
const handOverSpare = async (
  ctx: Ctx,
  spare: SpareRoomItem,
  respondentSk: string,
  respondent?: RespondentItem,
): Promise<boolean> => {
  const assigned = await ctx.store.transition(
    {
      campaignId: spare.campaignId,
      sk: respondentSk,
      nowMs: ctx.clock(),
      ...(respondent?.unwritten ? { orCreate: respondent } : {}),
    },
    { kind: 'assignRoom', room: { id: spare.roomId, url: spare.url, expiresAt: spare.roomExpiresAt } },
  );
  if (assigned || (await ctx.store.getRespondent(spare.campaignId, respondentSk))?.roomId === spare.roomId) {
    await ctx.store.deleteSpare(spare);
    return assigned;
  }
  await ctx.store.releaseSpare({ spare, respondentSk });
  return false;
};

/** Cancels a room through the API; a room already gone or no longer pending counts as done. */
export const cancelRoom = async (ctx: Ctx, roomId: string): Promise<void> => {
  await cancelPendingRoom(ctx.deps.aseed, roomId);
};

/** Cancels every spare of a finished campaign (releasing their token reservations) and drops them. */
export const cancelSpares = async (ctx: Ctx, campaignId: string, swallowErrors: boolean): Promise<void> => {
  let cancelled = 0;
  for (const spare of await ctx.store.listSpares(campaignId)) {
    try {
      if (spare.takenBy && spare.takenBy !== CANCELLING) {
        const holder = await ctx.store.getRespondent(campaignId, spare.takenBy);
        if (holder?.roomId === spare.roomId) {
          await ctx.store.deleteSpare(spare);
          continue;
        }
      }
      // Claimed first: a campaign reopened by a later upload may be drawing spares right now.
      const claim = { spare, respondentSk: CANCELLING, nowMs: ctx.clock() };
      if (!spare.takenBy && !(await ctx.store.takeSpare(claim))) continue;
      await cancelRoom(ctx, spare.roomId);
      await ctx.store.deleteSpare(spare);
      cancelled++;
    } catch (error) {
      if (!swallowErrors) throw error;
      ctx.logger.warn('could not cancel a spare room', { roomId: spare.roomId, ...errorFields(error) });
    }
  }
  if (cancelled > 0) {
    ctx.logger.info('spare rooms cancelled', { cancelled });
    await ctx.store.addCounts(campaignId, { roomsCancelled: cancelled });
  }
};

/** Spares adopted into a campaign that is already over are cancelled at once: nobody will draw them. */
export const cancelSparesIfOver = async (ctx: Ctx, campaignId: string): Promise<void> => {
  const campaign = await ctx.store.getCampaign(campaignId);
  if (campaign?.status === 'completed' || campaign?.status === 'cancelled')
    await cancelSpares(ctx, campaignId, true);
};
