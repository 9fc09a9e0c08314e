import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorld, groundTruth, makeCsv, type World } from './support.ts';

// The closing-note figures: create calls, SES calls and DynamoDB writes per 1,000 respondents.
describe('a 1,000-respondent campaign', () => {
  let world: World;
  beforeAll(async () => {
    world = await createWorld();
  });
  afterAll(() => world.close());

  it('costs 10 create calls, 20 SES calls and about 5 DynamoDB writes per respondent', async () => {
    // Prepare
    const n = 1000;
    const { etag } = await world.upload('campaigns/thousand.csv', makeCsv(n, world.domain, [], 'en'));
    const started = Date.now();

    // Act
    const [ingested] = await world.ingest(world.s3Event('campaigns/thousand.csv', etag));
    const afterIngest = { ...world.counts };
    await world.drain();
    const durationMs = Date.now() - started;

    // Assert
    const campaignId = ingested?.campaignId ?? '';
    const truth = await groundTruth(world, campaignId);
    expect(truth.byRecipient.size).toBe(n);
    expect([...truth.byRecipient.values()].every((list) => list.length === 1)).toBe(true);
    const figures = {
      respondents: n,
      createCalls: world.standin.stats().createCalls,
      roomsCreated: world.standin.rooms().length,
      sesCalls: world.counts.sesCalls,
      dynamoWriteRequests: world.counts.dynamoWriteRequests,
      dynamoWriteItems: world.counts.dynamoWriteItems,
      ingestWriteRequests: afterIngest.dynamoWriteRequests,
      ingestWriteItems: afterIngest.dynamoWriteItems,
      dynamoReads: world.counts.dynamoReads,
      durationMs,
    };
    console.log(`figures per 1,000 respondents: ${JSON.stringify(figures)}`);
    expect(figures.createCalls).toBe(10);
    expect(figures.roomsCreated).toBe(n);
    expect(figures.sesCalls).toBe(20);
    expect(figures.dynamoWriteItems).toBeLessThan(6 * n);
    // Per respondent: its item with its room, `sending`, `emailed`; the markers go 25 to a request.
    expect(figures.dynamoWriteRequests).toBeLessThan(3.5 * n);
    expect(await world.store.getCampaign(campaignId)).toMatchObject({ status: 'completed', emailed: n });
  }, 600_000);
});
