import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorld, groundTruth, makeCsv, type World } from './support.ts';

describe('pipeline: upload → ingest → invite', () => {
  let world: World;
  beforeAll(async () => {
    world = await createWorld();
  });
  afterAll(() => world.close());

  it('(g) invites every good row once and reports rejected rows and duplicates with their reasons', async () => {
    // Prepare: 120 good rows, then a bad address, a duplicate (other case) and a row without email.
    const csv = makeCsv(120, world.domain, [
      'not-an-email,Bad Row,en,t1',
      `PERSON5@${world.domain.toUpperCase()},Dup,en,t2`,
      ',No Email,en,t3',
    ]);
    const { etag } = await world.upload('campaigns/happy.csv', csv);

    // Act
    const [ingested] = await world.ingest(world.s3Event('campaigns/happy.csv', etag));
    await world.drain();

    // Assert
    const campaignId = ingested?.campaignId ?? '';
    const campaign = await world.store.getCampaign(campaignId);
    expect(campaign?.failureReason).toBeUndefined();
    expect(campaign).toMatchObject({
      status: 'completed',
      rows: 123,
      accepted: 120,
      rejected: 2,
      duplicates: 1,
    });
    expect(campaign).toMatchObject({ emailed: 120, failed: 0 });
    const truth = await groundTruth(world, campaignId);
    expect(truth.rooms).toHaveLength(120);
    expect(truth.byRecipient.size).toBe(120);
    expect([...truth.byRecipient.values()].every((list) => list.length === 1)).toBe(true);
    expect([...truth.urlOwners.values()].every((owners) => owners.size === 1)).toBe(true);
    const report = await world.report(campaignId);
    expect(report).toHaveLength(123);
    expect(report.filter((r) => r.status === 'emailed')).toHaveLength(120);
    expect(report.find((r) => r.line === 122)).toMatchObject({ status: 'rejected' });
    expect(report.find((r) => r.line === 123)).toMatchObject({
      status: 'duplicate',
      reason: 'duplicate of line 7',
    });
    expect(report.find((r) => r.line === 124)).toMatchObject({ status: 'rejected' });
    expect(report.find((r) => r.line === 122)?.reason).not.toBe('');
  });
});
