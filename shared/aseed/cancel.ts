// Giving a room's tokens back: DELETE cancels a pending room. A room already gone, or no longer pending
// (started, expired, or cancelled by an earlier attempt or by hand), is not an error: there is nothing to do.
import type { AseedClient } from './client.ts';
import { AseedNotFoundError, AseedRejectedError } from './errors.ts';

/** What cancelling a room found: cancelled now, unknown to the API, or not pending (left as it is). */
export type CancelOutcome = 'cancelled' | 'gone' | 'not-pending';

/** Cancels a pending room; throws only what a retry may fix (or an auth problem). */
export const cancelPendingRoom = async (
  aseed: Pick<AseedClient, 'deleteRoom'>,
  roomId: string,
): Promise<CancelOutcome> => {
  try {
    await aseed.deleteRoom(roomId);
    return 'cancelled';
  } catch (error) {
    if (error instanceof AseedNotFoundError) return 'gone';
    if (error instanceof AseedRejectedError) return 'not-pending';
    throw error;
  }
};
