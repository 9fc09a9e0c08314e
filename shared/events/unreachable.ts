// After a bounce, a complaint or an opt-out: the address joins the deployment's suppression list, and the respondent's
// room, if still pending, is cancelled so its tokens come back. Both steps are idempotent (the list keeps its
// first entry, the room's cancellation is flagged on the respondent), so a repeated event does nothing twice.

import { cancelPendingRoom } from '#shared/aseed/cancel.ts';
import type { AseedClient } from '#shared/aseed/client.ts';
import type { AppLogger } from '#shared/log.ts';
import type { RespondentsPort, SuppressionPort } from '#shared/store/ports.ts';
import type { RespondentItem, SuppressionReason } from '#shared/store/types.ts';
import { OUTCOME_TIME_FIELD, UNREACHABLE_OUTCOMES } from './outcome.ts';

/** The Aseed calls settling an unreachable respondent makes. */
export type UnreachableAseed = Pick<AseedClient, 'deleteRoom' | 'getRoom'>;

/** What settling an unreachable respondent needs. */
export interface UnreachableDeps {
  store: Pick<RespondentsPort, 'getRespondent' | 'markRoomCancelled'> & SuppressionPort;
  aseed: UnreachableAseed;
  logger: AppLogger;
  clock: () => number;
}

/** What became of the respondent's room: cancelled now (or found cancelled), none to cancel, or kept. */
export type RoomSettlement = 'cancelled' | 'none' | 'kept';

/** What settling did: whether the address was added to the list now, and the room's fate. */
export interface Settlement {
  suppressed: boolean;
  room: RoomSettlement;
}

/** Suppresses the respondent's address and gives its pending room back, once; undefined if not unreachable. */
export const settleUnreachable = async (
  deps: UnreachableDeps,
  campaignId: string,
  sk: string,
): Promise<Settlement | undefined> => {
  const r = await deps.store.getRespondent(campaignId, sk);
  if (!r?.delivery || !UNREACHABLE_OUTCOMES.includes(r.delivery)) return undefined;
  const nowMs = deps.clock();
  const suppressed = await deps.store.suppress({
    emailKey: r.emailKey,
    reason: r.delivery as SuppressionReason,
    ...(r.deliveryReason ? { detail: r.deliveryReason } : {}),
    at: r[OUTCOME_TIME_FIELD[r.delivery]] ?? new Date(nowMs).toISOString(),
    campaignId,
    suppressedAt: nowMs,
  });
  return { suppressed, room: await giveRoomBack(deps, r) };
};

/** Cancels the respondent's room unless it is done already; flags it when cancelled or gone. */
const giveRoomBack = async (deps: UnreachableDeps, r: RespondentItem): Promise<RoomSettlement> => {
  if (!r.roomId) return 'none';
  if (r.roomCancelled) return 'cancelled';
  let outcome = await cancelPendingRoom(deps.aseed, r.roomId);
  // A room no longer pending may have been cancelled by an earlier, unrecorded attempt or by hand.
  if (outcome === 'not-pending' && (await deps.aseed.getRoom(r.roomId)).status === 'cancelled') {
    outcome = 'cancelled';
  }
  if (outcome === 'not-pending') {
    deps.logger.info('room of an unreachable respondent kept: no longer pending', { roomId: r.roomId });
    return 'kept';
  }
  await deps.store.markRoomCancelled(r.campaignId, r.sk);
  return 'cancelled';
};
