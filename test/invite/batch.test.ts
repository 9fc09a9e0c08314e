import { describe, expect, it } from 'vitest';
import { CreateOutcomeUnknownError } from '#shared/aseed/errors.ts';
import { processDeadLetterRecord, processInviteMessage, processInviteRecord } from '#shared/invite/index.ts';
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
