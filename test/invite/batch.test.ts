import { describe, expect, it } from 'vitest';
import { AseedInsufficientTokensError, CreateOutcomeUnknownError } from '#shared/aseed/errors.ts';
import { PAUSE_LOG_FIELD } from '#shared/errors.ts';
import { processDeadLetterRecord, processInviteMessage, processInviteRecord } from '#shared/invite/index.ts';
import { AccountQuota } from '#shared/mail/quota.ts';
import { recordingLogger } from '#test/support/logger.ts';
import { fakeAseed, fakeMailer, inviteDeps, seededCampaign } from './fakes.ts';

describe('invite use case on the in-memory store', () => {
  it('gives each respondent of a batch one room and one email, then completes the campaign', async () => {
    // Prepare
    const { store, campaignId } = await seededCampaign([3]);
    const aseed = fakeAseed();
    const mail = fakeMailer();

    // Act
    const result = await processInviteMessage(inviteDeps(store, aseed.api, mail.mailer), {
      campaignId,
      batch: 0,
    });

    // Assert
    const respondents = await store.listRespondents(campaignId);
    expect(result).toMatchObject({ emailed: 3, failed: 0, completed: true });
    expect(respondents.map((r) => r.state)).toEqual(['emailed', 'emailed', 'emailed']);
    expect(new Set(respondents.map((r) => r.roomId)).size).toBe(3);
    expect(mail.sent.map((m) => m.to).sort()).toEqual(respondents.map((r) => r.email).sort());
    expect(aseed.calls.create).toBe(1);
    expect(await store.getCampaign(campaignId)).toMatchObject({
      status: 'completed',
      emailed: 3,
      roomsCreated: 3,
      batchesDone: 1,
      createCalls: 1,
      sesCalls: 1,
    });
  });

  it('does nothing twice when the same message is delivered again', async () => {
    // Prepare
    const { store, campaignId } = await seededCampaign([2, 2]);
    const aseed = fakeAseed();
    const mail = fakeMailer();
    const deps = inviteDeps(store, aseed.api, mail.mailer);
    await processInviteMessage(deps, { campaignId, batch: 0 });

    // Act
    const again = await processInviteMessage(deps, { campaignId, batch: 0 });

    // Assert
    expect(again).toMatchObject({ emailed: 0, skipped: 2, completed: false });
    expect(aseed.rooms).toHaveLength(2);
    expect(mail.sent).toHaveLength(2);
    expect(await store.getCampaign(campaignId)).toMatchObject({
      status: 'enqueued',
      emailed: 2,
      batchesDone: 1,
    });
  });

  it('reconciles a create whose outcome is unknown: the rooms it made are used, none is made twice', async () => {
    // Prepare: the first create makes its rooms on the server, then the connection drops.
    const { store, campaignId } = await seededCampaign([4]);
    const aseed = fakeAseed();
    aseed.failures.push({
      error: (request) =>
        new CreateOutcomeUnknownError('socket hang up', {
          request,
          startedAt: new Date(),
          endedAt: new Date(),
        }),
      afterCreating: true,
    });
    const mail = fakeMailer();

    // Act
    const result = await processInviteMessage(inviteDeps(store, aseed.api, mail.mailer), {
      campaignId,
      batch: 0,
    });

    // Assert
    expect(result).toMatchObject({ emailed: 4, completed: true });
    expect(aseed.rooms).toHaveLength(4);
    expect(aseed.calls).toMatchObject({ create: 1, list: 1 });
    const roomIds = (await store.listRespondents(campaignId)).map((r) => r.roomId).sort();
    expect(roomIds).toEqual(aseed.rooms.map((r) => r.id).sort());
  });

  it('fails a recipient SES rejects, counts it by kind, and cancels its room', async () => {
    // Prepare
    const { store, campaignId } = await seededCampaign([2]);
    const aseed = fakeAseed();
    const mail = fakeMailer((to) =>
      to.startsWith('person0-1')
        ? { status: 'failed', reason: 'address is on the suppression list' }
        : undefined,
    );

    // Act
    await processInviteMessage(inviteDeps(store, aseed.api, mail.mailer), { campaignId, batch: 0 });

    // Assert
    const rejected = (await store.listRespondents(campaignId)).find((r) => r.state === 'failed');
    expect(rejected).toMatchObject({ failureKind: 'rejected', roomUnsent: true, roomCancelled: true });
    expect(aseed.rooms.find((r) => r.id === rejected?.roomId)?.status).toBe('cancelled');
    expect(await store.getCampaign(campaignId)).toMatchObject({ emailed: 1, failed: 1, deadLettered: 0 });
  });

  it('dead-letters a batch on its last receive: respondents failed as dead-lettered, counted by kind', async () => {
    // Prepare: every create is refused by the server.
    const { store, campaignId } = await seededCampaign([2]);
    const aseed = fakeAseed();
    const refused = Object.assign(new Error('internal error'), { name: 'AseedServerError' });
    aseed.failures.push({ error: () => refused });
    const deps = inviteDeps(store, aseed.api, fakeMailer().mailer);
    const body = JSON.stringify({ campaignId, batch: 0 });

    // Act
    const lastReceive = processInviteRecord(deps, body, deps.maxReceiveCount);
    await expect(lastReceive).rejects.toThrow('internal error');
    await processDeadLetterRecord(deps, body);

    // Assert
    const respondents = await store.listRespondents(campaignId);
    expect(respondents.map((r) => [r.state, r.failureKind])).toEqual([
      ['failed', 'dead-lettered'],
      ['failed', 'dead-lettered'],
    ]);
    expect(respondents[0]?.reason).toMatch(/^dead-lettered: /);
    expect(await store.getCampaign(campaignId)).toMatchObject({
      status: 'completed',
      failed: 2,
      deadLettered: 2,
      batchesDone: 1,
    });
  });
});

describe('invite use case: sending waits for the SES account', () => {
  const quotaOf = (remaining: number, sendingEnabled = true) =>
    new AccountQuota({
      read: async () => ({
        maxSendRate: 14,
        max24HourSend: 100,
        sentLast24Hours: 100 - remaining,
        sendingEnabled,
      }),
    });

  it('creates no room while the quota cannot cover the batch, records the pause and hands the batch on', async () => {
    // Prepare
    const { store, campaignId } = await seededCampaign([3]);
    const aseed = fakeAseed();
    const mail = fakeMailer();
    const delays: number[] = [];
    const deps = { ...inviteDeps(store, aseed.api, mail.mailer), quota: quotaOf(2), pauseRecheckMs: 60_000 };

    // Act
    const result = await processInviteRecord(deps, JSON.stringify({ campaignId, batch: 0 }), 1, {
      requeueAfter: async (delayMs) => {
        delays.push(delayMs);
      },
    });

    // Assert
    expect(result).toMatchObject({ deferred: true, emailed: 0, failed: 0 });
    expect(delays).toEqual([60_000]);
    expect(aseed.calls.create).toBe(0);
    expect((await store.listRespondents(campaignId)).map((r) => r.state)).toEqual([
      'accepted',
      'accepted',
      'accepted',
    ]);
    const pause = (await store.getCampaign(campaignId))?.pause;
    expect(pause).toMatchObject({
      kind: 'daily-quota',
      reason: expect.stringMatching(/daily sending quota: 2 of 100/),
    });
    expect((pause?.resumesAt ?? 0) - (pause?.at ?? 0)).toBe(60_000);
  });

  it('gives back respondents SES held for the quota, fails none, and clears the pause once sending resumes', async () => {
    // Prepare: SES takes the first respondent and holds the others back for the daily quota.
    const { store, campaignId } = await seededCampaign([3]);
    const aseed = fakeAseed();
    let held = true;
    const mail = fakeMailer((to) =>
      held && !to.startsWith('person0-0@')
        ? {
            status: 'paused',
            kind: 'daily-quota',
            reason: 'ACCOUNT_DAILY_QUOTA_EXCEEDED',
            code: 'ACCOUNT_DAILY_QUOTA_EXCEEDED',
          }
        : undefined,
    );
    const deps = { ...inviteDeps(store, aseed.api, mail.mailer), quota: quotaOf(50) };
    const body = JSON.stringify({ campaignId, batch: 0 });
    const first = await processInviteRecord(deps, body, 1, { requeueAfter: async () => {} });
    held = false;

    // Act
    const second = await processInviteRecord(deps, body, 1, { requeueAfter: async () => {} });

    // Assert
    expect(first).toMatchObject({ deferred: true });
    expect(second).toMatchObject({ emailed: 2, failed: 0, completed: true });
    expect((await store.listRespondents(campaignId)).map((r) => r.state)).toEqual([
      'emailed',
      'emailed',
      'emailed',
    ]);
    expect(aseed.rooms).toHaveLength(3);
    expect((await store.getCampaign(campaignId))?.pause).toBeUndefined();
  });

  it('logs a paused account at ERROR with the pause kind, the field the stack alarm filters on', async () => {
    // Prepare: SES says sending is paused for the account.
    const { store, campaignId } = await seededCampaign([2]);
    const { logger, lines } = recordingLogger();
    const mail = fakeMailer(() => ({
      status: 'paused',
      kind: 'account-paused',
      reason: 'ACCOUNT_SENDING_PAUSED',
      code: 'ACCOUNT_SENDING_PAUSED',
    }));
    const deps = { ...inviteDeps(store, fakeAseed().api, mail.mailer), quota: quotaOf(50), logger };

    // Act
    const result = await processInviteRecord(deps, JSON.stringify({ campaignId, batch: 0 }), 1, {
      requeueAfter: async () => {},
    });

    // Assert
    expect(result).toMatchObject({ deferred: true, failed: 0 });
    const paused = lines.filter((line) => line.message.startsWith('sending paused'));
    expect(paused).toEqual([
      expect.objectContaining({
        level: 'error',
        fields: expect.objectContaining({ [PAUSE_LOG_FIELD]: 'account-paused' }),
      }),
    ]);
  });

  it('holds a campaign until its sendAt: no room, the batch handed on until then, sent after', async () => {
    // Prepare: sendAt 40 minutes ahead of the clock.
    const { store, campaignId } = await seededCampaign([2], undefined, {
      sendAt: '2026-12-24T10:00:00+01:00',
    });
    const now = { ms: Date.parse('2026-12-24T08:20:00Z') };
    const aseed = fakeAseed();
    const deps = { ...inviteDeps(store, aseed.api, fakeMailer().mailer), clock: () => now.ms };
    const body = JSON.stringify({ campaignId, batch: 0 });
    const delays: number[] = [];

    // Act
    const early = await processInviteRecord(deps, body, 1, {
      requeueAfter: async (ms) => void delays.push(ms),
    });
    const pause = (await store.getCampaign(campaignId))?.pause;
    now.ms = Date.parse('2026-12-24T09:00:01Z');
    const due = await processInviteRecord(deps, body, 1, { requeueAfter: async () => {} });

    // Assert
    expect(early).toMatchObject({ deferred: true, emailed: 0 });
    expect(delays).toEqual([900_000]); // SQS's longest delay; the next look waits again
    expect(pause).toMatchObject({
      kind: 'scheduled',
      reason: 'scheduled start at 2026-12-24T10:00:00+01:00',
      resumesAt: Date.parse('2026-12-24T09:00:00Z'),
    });
    expect(due).toMatchObject({ emailed: 2, completed: true });
    expect(aseed.calls.create).toBe(1);
    expect((await store.getCampaign(campaignId))?.pause).toBeUndefined();
  });

  it('pauses the campaign on too few tokens (402), keeps the batch, and goes on once tokens are back', async () => {
    // Prepare: the first create is refused for tokens (nothing created); the next one is served.
    const { store, campaignId } = await seededCampaign([3]);
    const aseed = fakeAseed();
    aseed.failures.push({
      error: () =>
        new AseedInsufficientTokensError('Insufficient tokens: 3 rooms reserve 30 tokens, 12 available', {
          operation: 'createRooms',
          status: 402,
        }),
    });
    const { logger, lines } = recordingLogger();
    const deps = { ...inviteDeps(store, aseed.api, fakeMailer().mailer), logger, pauseRecheckMs: 60_000 };
    const body = JSON.stringify({ campaignId, batch: 0 });
    const delays: number[] = [];

    // Act
    const first = await processInviteRecord(deps, body, 1, {
      requeueAfter: async (ms) => void delays.push(ms),
    });
    const paused = (await store.getCampaign(campaignId))?.pause;
    const states = (await store.listRespondents(campaignId)).map((r) => r.state);
    const second = await processInviteRecord(deps, body, 1, { requeueAfter: async () => {} });

    // Assert
    expect(first).toMatchObject({ deferred: true, emailed: 0, failed: 0 });
    expect(delays).toEqual([60_000]);
    expect(states).toEqual(['accepted', 'accepted', 'accepted']);
    expect(paused).toMatchObject({
      kind: 'tokens',
      reason: 'not enough Aseed tokens: Insufficient tokens: 3 rooms reserve 30 tokens, 12 available',
    });
    expect(lines.filter((l) => l.message.startsWith('sending paused'))).toEqual([
      expect.objectContaining({
        level: 'error',
        fields: expect.objectContaining({ [PAUSE_LOG_FIELD]: 'tokens' }),
      }),
    ]);
    expect(second).toMatchObject({ emailed: 3, failed: 0, completed: true });
    expect(aseed.calls.create).toBe(2);
    expect(aseed.rooms).toHaveLength(3);
    expect((await store.getCampaign(campaignId))?.pause).toBeUndefined();
  });
});
