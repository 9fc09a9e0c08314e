// `invites cancel`: cancels a campaign on the deployed stack (or the local one), then waits until the invite
// side has carried the cancel out on every batch and says what it did.
import { requestCancel } from '#shared/campaign/cancel.ts';
import { cancelLeft } from '#shared/invite/cancel.ts';
import type { Store } from '#shared/store/ports.ts';
import type { RespondentItem } from '#shared/store/types.ts';
import { EXIT, onePositional, parse } from './args.ts';
import type { Io } from './local.ts';
import { findCampaign, targetOf } from './target.ts';

/** How long the command waits for the cancel messages to be carried out before it leaves them to it. */
const WAIT_MS = 120_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Where a cancelled campaign's respondents stand: what is left to do, and what was done. */
export interface CancelProgress {
  /** Respondents still to be cancelled, or rooms still to be cancelled through the API. */
  left: number;
  cancelled: number;
  roomsCancelled: number;
  /** Invited respondents who keep their room (started, or unstarted without revocation). */
  kept: number;
}

/** The cancel's progress from the respondents as stored now. */
export const cancelProgress = (respondents: readonly RespondentItem[], revoke: boolean): CancelProgress => {
  const open = (r: RespondentItem) => cancelLeft(r, revoke);
  return {
    left: respondents.filter(open).length,
    cancelled: respondents.filter((r) => r.state === 'cancelled').length,
    roomsCancelled: respondents.filter((r) => r.state === 'cancelled' && r.roomCancelled).length,
    kept: respondents.filter((r) => r.state === 'emailed' && !r.roomCancelled).length,
  };
};

/** Polls the respondents until nothing is left to cancel or `WAIT_MS` passed; the last progress seen. */
const waitForCancel = async (store: Store, campaignId: string, revoke: boolean, io: Io) => {
  const started = Date.now();
  const stop = io.interrupted().then(() => 'interrupted' as const);
  for (;;) {
    const progress = cancelProgress(await store.listRespondents(campaignId), revoke);
    if (progress.left === 0 || Date.now() - started > WAIT_MS) return progress;
    io.stderr.write(`  waiting: ${progress.left} respondents still being cancelled\n`);
    if ((await Promise.race([stop, sleep(2000)])) === 'interrupted') return progress;
  }
};

/** `invites cancel`. */
export const cancelCommand = async (args: string[], io: Io): Promise<number> => {
  const { values, positionals } = parse('cancel', args, {
    stack: { type: 'string' },
    local: { type: 'boolean' },
    'revoke-unstarted': { type: 'boolean' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return -1;
  const named = onePositional('cancel', positionals, 'campaign id');
  const revoke = values['revoke-unstarted'] === true;
  const target = await targetOf('cancel', values);
  try {
    const campaignId = (await findCampaign(target, named))?.campaignId ?? named;
    const request = await requestCancel({ store: target.store, queue: target.inviteQueue() }, campaignId, {
      revokeUnstarted: revoke,
    });
    if (request.outcome === 'refused') {
      io.stderr.write(`invites: cannot cancel ${campaignId}: ${request.reason}\n`);
      return EXIT.failed;
    }
    const revoking = request.record.revokeUnstarted === true;
    io.stderr.write(
      `Campaign ${campaignId} cancelled at ${request.record.cancelledAt}${revoking ? ' (unstarted rooms revoked)' : ''}: no new email goes out; ${request.messages} batches to cancel\n`,
    );
    const progress = await waitForCancel(target.store, campaignId, revoking, io);
    io.stdout(
      values.json
        ? `${JSON.stringify({ campaignId, cancelledAt: request.record.cancelledAt, revokeUnstarted: revoking, ...progress })}\n`
        : `  cancelled ${progress.cancelled} respondents (${progress.roomsCancelled} rooms cancelled, tokens back); ` +
            `${progress.kept} invited keep their room${progress.left > 0 ? `; ${progress.left} still in progress (see invites status)` : ''}\n`,
    );
    return progress.left === 0 ? EXIT.ok : EXIT.failed;
  } finally {
    target.destroy();
  }
};
