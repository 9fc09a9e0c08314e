// Rooms handed out in a batch are labelled (PATCH display_name) before their emails go: the room is still
// pending, and the researcher sees in the Aseed UI whose interview it is. A label is best effort: a failed
// PATCH is logged and the email goes anyway. Repeating one is harmless (the same value).

import { displayNameOf } from '#shared/campaign/label.ts';
import type { CampaignSettings } from '#shared/campaign/settings.ts';
import { errorFields } from '#shared/log.ts';
import { mapLimit } from '#shared/store/concurrency.ts';
import type { RespondentItem } from '#shared/store/types.ts';
import type { Ctx } from '../context.ts';

/** PATCH calls in flight at once. */
const LABELS_IN_PARALLEL = 8;

/** Labels the rooms of respondents about to be emailed; returns how many were labelled. */
export const labelRooms = async (
  ctx: Ctx,
  settings: Pick<CampaignSettings, 'displayName'>,
  respondents: readonly RespondentItem[],
): Promise<number> => {
  const template = settings.displayName;
  if (template === false) return 0;
  const due = respondents.filter((r) => r.state === 'room_assigned' && r.roomId);
  const done = await mapLimit(due, LABELS_IN_PARALLEL, async (r) => {
    try {
      await ctx.deps.aseed.updateRoom(r.roomId as string, { display_name: displayNameOf(template, r) });
      return true;
    } catch (error) {
      ctx.logger.warn('room not labelled; the email goes anyway', {
        respondent: r.sk,
        roomId: r.roomId,
        ...errorFields(error),
      });
      return false;
    }
  });
  return done.filter(Boolean).length;
};
