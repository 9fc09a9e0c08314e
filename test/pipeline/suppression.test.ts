import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventsHandler } from '#functions/events/app.ts';
import { sesEvent } from '#local/ses/events.ts';
import { AseedClient } from '#shared/aseed/client.ts';
import { respondentTag } from '#shared/events/outcome.ts';
import { createWorld, ingestCampaign, type World } from './support.ts';

// Across campaigns of one deployment: a bounce gives its room's tokens back at once, and the address is
// suppressed in every later campaign (reported with the reason and date, no room, no email).
let world: World;
beforeAll(async () => {
  world = await createWorld();
});
afterAll(() => world.close());

describe('a bounced address in a later campaign', () => {
  it('is reported suppressed with reason and date, and gets no room and no email', async () => {
    // Prepare: campaign A is sent; SES reports a bounce for its first respondent.
    const first = await ingestCampaign(world, 'spring', 3, undefined, 'en');
    await world.drain();
    const [bounced] = (await world.report(first)).filter((r) => r.status === 'emailed');
    if (!bounced) throw new Error('campaign A emailed nobody');
    const respondent = (await world.store.listRespondents(first)).find((r) => r.email === bounced.email);
    const aseed = new AseedClient({
      baseUrl: world.standin.baseUrl,
      token: world.standin.token,
      timeoutMs: 3000,
    });
    const events = createEventsHandler({ store: world.store, aseed });
    const bounce = sesEvent(
      'Bounce',
      {
        messageId: respondent?.messageId ?? 'm',
        from: 'research@example.com',
        to: bounced.email,
        subject: 's',
        tags: { campaign: first, respondent: respondentTag(respondent?.batch ?? 0, respondent?.seq ?? 0) },
      },
      { account: '111122223333', region: 'eu-west-1' },
    );
    await events(JSON.parse(JSON.stringify(bounce)));
    const roomsBefore = world.standin.rooms().length;
    const emailsBefore = (await world.emails()).length;

    // Act: campaign B has the bounced address (upper-cased) and one new one.
    const key = 'campaigns/autumn.csv';
    const csv = `email,name\n${bounced.email.toUpperCase()},Again\nnew@autumn.${world.domain},New\n`;
    const { etag } = await world.upload(key, csv);
    const [ingested] = await world.ingest(world.s3Event(key, etag));
    await world.drain();
    const second = ingested?.campaignId ?? '';

    // Assert: A's room went back to the API; B has one room and one email, for the new address only.
    expect(world.standin.rooms().find((r) => r.id === respondent?.roomId)?.status).toBe('cancelled');
    expect((await world.report(first)).find((r) => r.email === bounced.email)).toMatchObject({
      status: 'bounced',
      roomUrl: '',
    });
    const report = await world.report(second);
    expect(report.map((r) => r.status)).toEqual(['suppressed', 'emailed']);
    expect(report[0]?.reason).toMatch(
      new RegExp(`^suppressed: bounced on \\d{4}-\\d\\d-\\d\\d in campaign ${first} \\(`),
    );
    expect(await world.store.getCampaign(second)).toMatchObject({ accepted: 1, suppressed: 1, emailed: 1 });
    expect(world.standin.rooms().length - roomsBefore).toBe(1);
    const sent = (await world.emails()).slice(emailsBefore).map((e) => e.to.toLowerCase());
    expect(sent).toEqual([`new@autumn.${world.domain}`]);
  }, 60_000);
});
