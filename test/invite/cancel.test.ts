import { describe, expect, it } from 'vitest';
import { requestCancel } from '#shared/campaign/cancel.ts';
import type { CampaignSettings } from '#shared/campaign/settings.ts';
import { RetryableError } from '#shared/errors.ts';
import { type InviteDeps, processDeadLetterRecord, processInviteMessage } from '#shared/invite/index.ts';
import type { Store } from '#shared/store/ports.ts';
import { fakeQueue } from '../ingest/fakes.ts';
import { fakeAseed, fakeMailer, inviteDeps, seededCampaign } from './fakes.ts';

// A cancelled campaign sends nothing more: respondents not invited end `cancelled` with their rooms cancelled
// (tokens back), invited ones get no follow-up, and `revokeUnstarted` cancels their unstarted rooms too. The
// only sends after the cancel are those claimed before it reached the respondents.
const DAY = 86_400_000;

/** A campaign of `sizes` batches over the fakes, with a queue that keeps the cancel messages. */
const campaign = async (sizes: number[], settings: Partial<CampaignSettings> = {}) => {
  const { store, campaignId } = await seededCampaign(sizes, undefined, settings);
  const aseed = fakeAseed();
  const mail = fakeMailer();
  const queue = fakeQueue();
  const clock = { now: Date.now() };
  const deps: InviteDeps = { ...inviteDeps(store, aseed.api, mail.mailer), clock: () => clock.now };
  const cancel = (revokeUnstarted = false) =>
    requestCancel({ store, queue: queue.queue }, campaignId, { revokeUnstarted });
  /** Carries out every cancel message queued so far (as the invite queue would deliver them). */
  const deliverCancels = async () => {
    for (const message of queue.messages().splice(0)) await processInviteMessage(deps, message);
    queue.calls.length = 0;
  };
  return { store, campaignId, aseed, mail, queue, deps, clock, cancel, deliverCancels };
};

const states = async (store: Store, campaignId: string) =>
  (await store.listRespondents(campaignId)).map((r) => r.state);

describe('cancelling a campaign', () => {
  it('cancels everyone of a campaign nothing was sent for yet, and a late invite message sends nothing', async () => {
    // Prepare
    const run = await campaign([3, 2]);

    // Act: the cancel, its messages, then the invite messages SQS still delivers.
    const request = await run.cancel();
    const messages = run.queue.messages();
    await run.deliverCancels();
    await processInviteMessage(run.deps, { campaignId: run.campaignId, batch: 0 });
    await processInviteMessage(run.deps, { campaignId: run.campaignId, batch: 1 });

    // Assert
    expect(request).toMatchObject({ outcome: 'cancelled', messages: 2, record: { status: 'cancelled' } });
    expect(messages).toEqual([
      { campaignId: run.campaignId, batch: 0, cancel: true },
      { campaignId: run.campaignId, batch: 1, cancel: true },
    ]);
    expect(await states(run.store, run.campaignId)).toEqual(Array(5).fill('cancelled'));
    expect(run.aseed.calls.create).toBe(0);
    expect(run.mail.sent).toHaveLength(0);
  });

  it('cancels the rooms of respondents who have one but no email yet', async () => {
    // Prepare: rooms created, then every send fails for a while (throttled), so nobody is emailed.
    const run = await campaign([4]);
    run.mail.mailer.sendBulk = async () => {
      throw new RetryableError('throttled');
    };
    await expect(processInviteMessage(run.deps, { campaignId: run.campaignId, batch: 0 })).rejects.toThrow();
    expect(await states(run.store, run.campaignId)).toEqual(Array(4).fill('room_assigned'));

    // Act
    await run.cancel();
    await run.deliverCancels();

    // Assert: every room DELETEd once, the respondents say why.
    const respondents = await run.store.listRespondents(run.campaignId);
    expect(respondents.map((r) => [r.state, r.roomCancelled])).toEqual(Array(4).fill(['cancelled', true]));
    expect(respondents[0]?.reason).toMatch(/^campaign cancelled on \d{4}-/);
    expect(run.aseed.rooms.map((r) => r.status)).toEqual(Array(4).fill('cancelled'));
    expect(run.aseed.calls.delete).toBe(4);
  });

  it('keeps invited respondents and their links, and stops their reminders', async () => {
    // Prepare: everyone invited; a reminder due in two days.
    const run = await campaign([3], { reminders: [{ afterDays: 2 }] });
    await processInviteMessage(run.deps, { campaignId: run.campaignId, batch: 0 });
    const invitations = run.mail.sent.length;

    // Act: cancel; two days later a reminder message read before the cancel is still delivered.
    await run.cancel();
    await run.deliverCancels();
    run.clock.now += 2 * DAY + 1;
    const late = await processInviteMessage(run.deps, {
      campaignId: run.campaignId,
      batch: 0,
      followUp: 'reminder1',
    });

    // Assert
    const respondents = await run.store.listRespondents(run.campaignId);
    expect(respondents.map((r) => [r.state, r.followUpsStopped, r.roomCancelled])).toEqual(
      Array(3).fill(['emailed', true, undefined]),
    );
    expect(run.aseed.rooms.map((r) => r.status)).toEqual(Array(3).fill('pending'));
    expect(late.emailed).toBe(0);
    expect(run.mail.sent).toHaveLength(invitations);
  });

  it('refuses a follow-up claim on a stopped respondent even to an attempt that read the campaign before', async () => {
    // Prepare: an invited respondent; the cancel reached it.
    const run = await campaign([1], { reminders: [{ afterDays: 2 }] });
    await processInviteMessage(run.deps, { campaignId: run.campaignId, batch: 0 });
    await run.cancel();
    await run.deliverCancels();
    const [r] = await run.store.listRespondents(run.campaignId);
    if (!r) throw new Error('no respondent');

    // Act: the claim a reminder attempt makes.
    const claim = await run.store.claimFollowUp(
      { campaignId: run.campaignId, sk: r.sk, nowMs: run.clock.now },
      { kind: 'reminder1', attempt: 'a', until: run.clock.now + 30_000 },
    );

    // Assert
    expect(claim).toBeUndefined();
  });

  it('with revokeUnstarted cancels the unstarted rooms of invited respondents, never a started one', async () => {
    // Prepare: three invited, one of them started.
    const run = await campaign([3]);
    await processInviteMessage(run.deps, { campaignId: run.campaignId, batch: 0 });
    const [started] = await run.store.listRespondents(run.campaignId);
    if (!started) throw new Error('no respondent');
    await run.store.recordRoomProgress({
      campaignId: run.campaignId,
      sk: started.sk,
      observation: { status: 'started', startedAt: new Date().toISOString() },
      nowMs: run.clock.now,
    });

    // Act: a plain cancel first, then the same with the revocation, each message delivered twice.
    await run.cancel();
    const revoked = await run.cancel(true);
    for (const message of [...run.queue.messages(), ...run.queue.messages()]) {
      await processInviteMessage(run.deps, message);
    }

    // Assert
    const respondents = await run.store.listRespondents(run.campaignId);
    expect(revoked).toMatchObject({ outcome: 'cancelled', record: { revokeUnstarted: true } });
    expect(respondents.map((r) => r.state)).toEqual(['emailed', 'cancelled', 'cancelled']);
    expect(respondents[1]?.reason).toMatch(/unstarted room was revoked/);
    expect(run.aseed.rooms.map((r) => r.status)).toEqual(['pending', 'cancelled', 'cancelled']);
    expect(run.aseed.calls.delete).toBe(2);
  });

  it('lets a send claimed before the cancel finish, and cancels the rest of the batch', async () => {
    // Prepare: one batch of 100 (two SES calls of 50); the cancel arrives during the first call.
    const run = await campaign([100]);
    const send = run.mail.mailer.sendBulk.bind(run.mail.mailer);
    let cancelDuringSend: unknown;
    run.mail.mailer.sendBulk = async (email) => {
      if (cancelDuringSend === undefined) {
        await run.cancel();
        cancelDuringSend = await run.deliverCancels().catch((error: unknown) => error);
      }
      return send(email);
    };

    // Act: the invitation batch, then the cancel message again (SQS redelivers it after the busy attempt).
    await processInviteMessage(run.deps, { campaignId: run.campaignId, batch: 0 });
    await processInviteMessage(run.deps, { campaignId: run.campaignId, batch: 0, cancel: true });

    // Assert: the claimed 50 went (the window), the other 50 are cancelled with their rooms.
    const respondents = await run.store.listRespondents(run.campaignId);
    expect(cancelDuringSend).toBeInstanceOf(RetryableError);
    expect(run.mail.sent).toHaveLength(50);
    const emailed = respondents.filter((r) => r.state === 'emailed');
    const cancelled = respondents.filter((r) => r.state === 'cancelled');
    expect(emailed).toHaveLength(50);
    expect(cancelled).toHaveLength(50);
    expect(new Set(run.mail.sent.map((m) => m.to))).toEqual(new Set(emailed.map((r) => r.email)));
    expect(emailed.every((r) => r.followUpsStopped)).toBe(true);
    expect(cancelled.every((r) => r.roomCancelled)).toBe(true);
    expect(run.aseed.rooms.filter((r) => r.status === 'cancelled')).toHaveLength(50);
  });

  it('cancels a respondent a crashed send left once its lease ran out, keeping its room (it may be emailed)', async () => {
    // Prepare: the SES call "crashes" the attempt after it claimed the respondent.
    const run = await campaign([1]);
    run.mail.mailer.sendBulk = async () => {
      throw new Error('killed mid-send');
    };
    await processInviteMessage(run.deps, { campaignId: run.campaignId, batch: 0 }).catch(() => {});
    const before = await states(run.store, run.campaignId);

    // Act: cancel while the lease runs, then after it ran out.
    await run.cancel();
    const busy = await run.deliverCancels().catch((error: unknown) => error);
    run.clock.now += 60_000;
    await processInviteMessage(run.deps, { campaignId: run.campaignId, batch: 0, cancel: true });

    // Assert
    const [r] = await run.store.listRespondents(run.campaignId);
    expect(before).toEqual(['sending']);
    expect(busy).toBeInstanceOf(RetryableError);
    expect(r).toMatchObject({ state: 'cancelled', revoked: false });
    expect(r?.reason).toMatch(/may have gone/);
    expect(run.aseed.rooms.map((room) => room.status)).toEqual(['pending']);
  });

  it('carries out a cancel message that reached the dead-letter queue, and dead-letters nobody', async () => {
    // Prepare: invited respondents; the cancel's message used up its receives.
    const run = await campaign([2]);
    await processInviteMessage(run.deps, { campaignId: run.campaignId, batch: 0 });
    await run.cancel(true);
    const [message] = run.queue.messages();

    // Act
    await processDeadLetterRecord(run.deps, JSON.stringify(message));

    // Assert
    const respondents = await run.store.listRespondents(run.campaignId);
    expect(respondents.map((r) => [r.state, r.roomCancelled])).toEqual(Array(2).fill(['cancelled', true]));
    expect(respondents.some((r) => r.failureKind === 'dead-lettered')).toBe(false);
  });

  it('refuses a campaign that is still ingesting, failed or unknown, saying why', async () => {
    // Prepare
    const run = await campaign([1]);
    await run.store.startIngest({
      campaignId: 'reading',
      source: { bucket: 'b', key: 'r.csv' },
      owner: 'o',
      nowMs: 0,
      leaseMs: 1000,
    });

    // Act
    const reading = await requestCancel({ store: run.store, queue: run.queue.queue }, 'reading', {
      revokeUnstarted: false,
    });
    const unknown = await requestCancel({ store: run.store, queue: run.queue.queue }, 'nope', {
      revokeUnstarted: false,
    });

    // Assert
    expect(reading).toEqual({ outcome: 'refused', reason: expect.stringMatching(/still being read/) });
    expect(unknown).toEqual({ outcome: 'refused', reason: 'no campaign nope' });
    expect(run.queue.messages()).toEqual([]);
  });
});
