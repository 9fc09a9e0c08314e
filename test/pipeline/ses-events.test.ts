import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLocalCampaign } from '#local/campaign.ts';
import { type StrictSes, startStrictSes } from '#local/ses/server.ts';
import { meaningOf, parseSesEvent } from '#shared/events/ses-event.ts';
import { emulatorEndpoints } from '#test/support/aws.ts';

// The real invite side sends to the mailbox simulator through a strict SES layer; every event SES publishes
// comes back tagged with the campaign and a respondent of it, so the events consumer finds each one without a
// lookup, and reads the outcome the simulator address stands for.
const endpoints = emulatorEndpoints();
let ses: StrictSes;
beforeAll(async () => {
  ses = await startStrictSes({ upstream: endpoints.ses });
});
afterAll(() => ses.stop());

const SIMULATOR = ['success', 'success+two', 'bounce', 'complaint', 'ooto', 'suppressionlist'].map(
  (box) => `${box}@simulator.amazonses.com`,
);

describe('SES events of a campaign lead back to its respondents', () => {
  it('tags every message with the campaign and the respondent, and each simulator address gets its outcome', async () => {
    // Prepare
    const csv = ['email,name,language', ...SIMULATOR.map((to, i) => `${to},Person ${i},en`)].join('\n');

    // Act
    const result = await runLocalCampaign({
      csv: { name: 'simulator.csv', body: csv },
      emulators: { ...endpoints, ses: ses.url },
      deadlineMs: 60_000,
    });
    const meanings = ses.events
      .since()
      .map((event) => ({ to: event.detail.mail.destination[0], meaning: meaningOf(parseSesEvent(event)) }));

    // Assert: one respondent tag per address, all of this campaign.
    expect(result.summary).toMatchObject({ accepted: 6, emailed: 6, failed: 0 });
    const reports = meanings.filter((m) => m.meaning.kind === 'report');
    const respondents = new Map(
      reports.map((m) => [
        m.to,
        m.meaning.kind === 'report' ? `${m.meaning.campaignId}/${m.meaning.batch}-${m.meaning.seq}` : '',
      ]),
    );
    expect(new Set(respondents.values()).size).toBe(6);
    for (const key of respondents.values()) expect(key.startsWith(`${result.campaignId}/`)).toBe(true);
    const outcomes = (to: string) =>
      reports.flatMap((m) =>
        m.to === to && m.meaning.kind === 'report' && m.meaning.report.kind === 'outcome'
          ? [m.meaning.report.outcome]
          : [],
      );
    expect(outcomes('success@simulator.amazonses.com')).toEqual(['delivered']);
    expect(outcomes('success+two@simulator.amazonses.com')).toEqual(['delivered']);
    expect(outcomes('ooto@simulator.amazonses.com')).toEqual(['delivered']);
    expect(outcomes('bounce@simulator.amazonses.com')).toEqual(['bounced']);
    expect(outcomes('suppressionlist@simulator.amazonses.com')).toEqual(['bounced']);
    expect(outcomes('complaint@simulator.amazonses.com')).toEqual(['delivered', 'complained']);
    // Send events make no report.
    expect(meanings.filter((m) => m.meaning.kind === 'ignored')).toHaveLength(6);
  }, 90_000);
});
