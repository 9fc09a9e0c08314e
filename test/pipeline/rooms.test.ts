import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AseedClient } from '#shared/aseed/client.ts';
import type { InviteMailer } from '#shared/invite/index.ts';
import { createWorld, groundTruth, makeCsv, type World } from './support.ts';

describe('spare rooms, rejected recipients, concurrent ingest', () => {
  let world: World;
  beforeAll(async () => {
    world = await createWorld();
  });
  afterAll(() => world.close());

  it('draws spare rooms before creating, and cancels the spares left when the campaign completes', async () => {
    // Prepare: a campaign of 2 whose pool already holds 3 matching rooms (as a reconcile would leave them).
    const key = 'campaigns/spares.csv';
    const { etag } = await world.upload(key, makeCsv(2, `spares.${world.domain}`, [], 'en'));
    const [ingested] = await world.ingest(world.s3Event(key, etag));
    const campaignId = ingested?.campaignId ?? '';
    const [first] = await world.store.listRespondents(campaignId);
    const roomKey = first?.roomKey ?? '';
    const api = new AseedClient({ baseUrl: world.standin.baseUrl, token: world.standin.token });
    const spares = await api.createRooms({ project_id: world.standin.projectId, count: 3, language: 'en' });
    for (const room of spares) {
      await world.store.putSpare({ campaignId, roomId: room.id, roomKey, url: room.url }, Date.now());
    }
    const createCallsBefore = world.standin.stats().createCalls;

    // Act
    await world.drain();

    // Assert: no create call; 2 spares handed out, the third cancelled.
    expect(world.standin.stats().createCalls).toBe(createCallsBefore);
    const truth = await groundTruth(world, campaignId);
    expect(truth.respondents.every((r) => r.state === 'emailed')).toBe(true);
    const used = new Set(truth.respondents.map((r) => r.roomId));
    expect(used.size).toBe(2);
    const statuses = world.standin
      .rooms()
      .filter((room) => spares.some((s) => s.id === room.id))
      .map((room) => (used.has(room.id) ? `used:${room.status}` : `left:${room.status}`))
      .sort();
    expect(statuses).toEqual(['left:cancelled', 'used:pending', 'used:pending']);
    expect(await world.store.listSpares(campaignId)).toEqual([]);
    expect(await world.store.getCampaign(campaignId)).toMatchObject({
      status: 'completed',
      roomsCancelled: 1,
    });
  });

  it('a permanent per-recipient rejection fails that respondent only and cancels its room', async () => {
    // Prepare: SES refuses person3 (as it would a suppressed address).
    const key = 'campaigns/reject-one.csv';
    const domain = `rej.${world.domain}`;
    const { etag } = await world.upload(key, makeCsv(6, domain, [], 'en'));
    const [ingested] = await world.ingest(world.s3Event(key, etag));
    const campaignId = ingested?.campaignId ?? '';
    const refusing = world.inviteWith({
      kill: { dead: false },
      mailer: (real): InviteMailer => ({
        sendBulk: async (email) => {
          const refused = email.destinations.findIndex((d) => d.to.startsWith('person3@'));
          const others = email.destinations.filter((_, i) => i !== refused);
          const sent = await real.sendBulk({ ...email, destinations: others });
          return email.destinations.map((_, i) =>
            i === refused
              ? { status: 'failed' as const, reason: 'MESSAGE_REJECTED: address on the suppression list' }
              : (sent[i < refused || refused < 0 ? i : i - 1] ?? { status: 'retry' as const, reason: '?' }),
          );
        },
      }),
    });

    // Act
    await world.drain(refusing);

    // Assert
    const truth = await groundTruth(world, campaignId);
    const refused = truth.respondents.find((r) => r.email.startsWith('person3@'));
    expect(refused).toMatchObject({ state: 'failed', reason: expect.stringContaining('MESSAGE_REJECTED') });
    expect(truth.respondents.filter((r) => r.state === 'emailed')).toHaveLength(5);
    expect(world.standin.rooms().find((room) => room.id === refused?.roomId)?.status).toBe('cancelled');
    expect(await world.store.getCampaign(campaignId)).toMatchObject({
      status: 'completed',
      emailed: 5,
      failed: 1,
    });
    const report = await world.report(campaignId);
    expect(report.find((r) => r.email === refused?.email)).toMatchObject({ status: 'failed', roomUrl: '' });
  });

  it('two concurrent deliveries of one S3 event ingest once', async () => {
    // Prepare
    const key = 'campaigns/concurrent.csv';
    const { etag } = await world.upload(key, makeCsv(150, `conc.${world.domain}`, [], 'en'));
    const event = world.s3Event(key, etag);

    // Act
    const [a, b] = await Promise.all([world.ingest(event), world.ingest(event)]);
    const messages = await world.drain();

    // Assert
    expect([a?.[0]?.outcome, b?.[0]?.outcome].sort()).toEqual(['duplicate', 'ingested']);
    expect(messages.rounds).toBeGreaterThan(0);
    const truth = await groundTruth(world, a?.[0]?.campaignId ?? '');
    expect(truth.byRecipient.size).toBe(150);
    expect([...truth.byRecipient.values()].every((list) => list.length === 1)).toBe(true);
    expect(await world.store.getCampaign(a?.[0]?.campaignId ?? '')).toMatchObject({
      status: 'completed',
      batches: 2,
      roomsCreated: 150,
    });
  });
});
