// Ending a respondent in `failed`: one place, so every failure carries its kind (counted) and reason (shown).
import type { RespondentItem } from '#shared/store/types.ts';
import type { Ctx } from './context.ts';
import type { Failure } from './respondent.ts';

/** Ends a respondent in `failed`; `roomUnsent` says no email with its room can have gone out. True if moved. */
export const failRespondent = (
  ctx: Ctx,
  r: RespondentItem,
  failure: Failure,
  roomUnsent: boolean,
): Promise<boolean> =>
  ctx.store.transition(
    { campaignId: r.campaignId, sk: r.sk, nowMs: ctx.clock() },
    { kind: 'fail', failure, failedFrom: r.state, roomUnsent },
  );
