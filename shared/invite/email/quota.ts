// Whether the account may send `count` more now: the 24-hour quota and SES's own pause, checked before rooms
// are created and before each chunk is claimed, so a pause spends no tokens and fails nobody.
import { PAUSE_LABEL, PausedError } from '#shared/errors.ts';
import type { Ctx } from '../context.ts';

/** Throws a PausedError when the account cannot send `count` recipients now (no quota deps: no check). */
export const ensureQuotaFor = async (ctx: Ctx, count: number): Promise<void> => {
  if (!ctx.quota || count === 0) return;
  const quota = await ctx.quota.current();
  if (!quota.sendingEnabled) {
    throw new PausedError(
      'account-paused',
      `${PAUSE_LABEL['account-paused']} (GetAccount: SendingEnabled false)`,
    );
  }
  if (quota.remaining < count) {
    throw new PausedError(
      'daily-quota',
      `${PAUSE_LABEL['daily-quota']}: ${quota.remaining} of ${quota.max24HourSend} left, ${count} to send`,
    );
  }
};
