import { afterEach, describe, expect, it } from 'vitest';
import { runLocalCampaign } from '#local/campaign.ts';
import type { LocalProgress } from '#local/run-types.ts';
import { type StrictSes, startStrictSes } from '#local/ses/server.ts';
import { emulatorEndpoints, uniqueName } from '#test/support/aws.ts';

// The real handlers against a strict SES layer of the test's own, whose account has a small quota or is
// paused: sending waits, nobody fails, and it resumes on its own.
const endpoints = emulatorEndpoints();
let ses: StrictSes | undefined;
afterEach(async () => {
  await ses?.stop();
  ses = undefined;
});

const csvOf = (n: number) => {
  const domain = `${uniqueName('pause')}.example.com`;
  const rows = Array.from({ length: n }, (_, i) => `p${i}@${domain},P ${i},en`);
  return { name: 'pause.csv', body: ['email,name,language', ...rows].join('\n') };
};

const run = (csv: ReturnType<typeof csvOf>, pauses: LocalProgress['pause'][]) =>
  runLocalCampaign({
    csv,
    emulators: { ...endpoints, ses: (ses as StrictSes).url },
    deadlineMs: 60_000,
    onProgress: (p) => {
      if (p.pause && !pauses.some((seen) => seen?.at === p.pause?.at)) pauses.push(p.pause);
    },
  });

describe('sending waits for the SES account', () => {
  it('pauses at the 24-hour quota, shows when it resumes, and resumes with nobody failed', async () => {
    // Prepare: 120 respondents (batches of 100 and 20), a quota of 110 per 8-second window.
    ses = await startStrictSes({
      upstream: endpoints.ses,
      account: { max24HourSend: 110, quotaWindowMs: 8_000 },
    });
    const pauses: LocalProgress['pause'][] = [];

    // Act
    const result = await run(csvOf(120), pauses);

    // Assert
    expect(result.problems).toEqual([]);
    expect(result.status).toBe('completed');
    expect(result.summary).toMatchObject({ accepted: 120, emailed: 120, failed: 0 });
    expect(pauses.length).toBeGreaterThan(0);
    expect(pauses[0]).toMatchObject({
      kind: 'daily-quota',
      reason: expect.stringMatching(/daily sending quota/),
    });
    expect(pauses[0]?.resumesAt).toBeGreaterThan(pauses[0]?.at ?? Number.POSITIVE_INFINITY);
    expect(result.record?.pause).toBeUndefined();
    // One room each: waiting created no extra rooms.
    expect(result.rooms).toHaveLength(120);
  }, 90_000);

  it('waits while Aseed has too few tokens (402), and creates the rooms once the account is topped up', async () => {
    // Prepare: a balance for 10 of the 40 rooms (10 tokens each); topped up after 6 s.
    ses = await startStrictSes({ upstream: endpoints.ses, account: {} });
    const pauses: LocalProgress['pause'][] = [];
    let topUp: NodeJS.Timeout | undefined;
    const csv = csvOf(40);

    // Act
    const result = await runLocalCampaign({
      csv,
      emulators: { ...endpoints, ses: ses.url },
      deadlineMs: 60_000,
      onStandin: (standin) => {
        standin.setBalance(100);
        topUp = setTimeout(() => standin.setBalance(100_000), 6_000);
      },
      onProgress: (p) => {
        if (p.pause && !pauses.some((seen) => seen?.at === p.pause?.at)) pauses.push(p.pause);
      },
    });
    clearTimeout(topUp);

    // Assert
    expect(result.problems).toEqual([]);
    expect(result.summary).toMatchObject({ accepted: 40, emailed: 40, failed: 0 });
    expect(pauses[0]).toMatchObject({
      kind: 'tokens',
      reason: expect.stringMatching(/^not enough Aseed tokens: /),
    });
    expect(result.record?.pause).toBeUndefined();
    // All-or-nothing creates: one room each, none left over from the refused attempts.
    expect(result.rooms).toHaveLength(40);
  }, 90_000);

  it('holds a campaign with sendAt until then: no room and no email before it', async () => {
    // Prepare: a start 5 s ahead.
    ses = await startStrictSes({ upstream: endpoints.ses, account: {} });
    const sendAt = new Date(Math.ceil((Date.now() + 5_000) / 1000) * 1000);
    const pauses: LocalProgress['pause'][] = [];

    // Act
    const result = await runLocalCampaign({
      csv: csvOf(15),
      settings: { sendAt: sendAt.toISOString() },
      emulators: { ...endpoints, ses: ses.url },
      deadlineMs: 60_000,
      onProgress: (p) => {
        if (p.pause && !pauses.some((seen) => seen?.at === p.pause?.at)) pauses.push(p.pause);
      },
    });

    // Assert
    expect(result.problems).toEqual([]);
    expect(result.summary).toMatchObject({ accepted: 15, emailed: 15, failed: 0 });
    expect(pauses[0]).toMatchObject({ kind: 'scheduled', resumesAt: sendAt.getTime() });
    const roomsCreated = result.rooms.map((r) => Date.parse(r.created_at));
    const emailed = result.report.map((line) => Date.parse(line.emailed_at));
    expect(Math.min(...roomsCreated)).toBeGreaterThanOrEqual(sendAt.getTime());
    expect(Math.min(...emailed)).toBeGreaterThanOrEqual(sendAt.getTime());
  }, 90_000);

  it('waits while SES has paused the account, and sends once it is enabled again', async () => {
    // Prepare
    ses = await startStrictSes({ upstream: endpoints.ses, account: { sendingPaused: true } });
    const pauses: LocalProgress['pause'][] = [];
    const layer = ses;
    const enable = setTimeout(() => layer.account.update({ sendingPaused: false }), 6_000);

    // Act
    const result = await run(csvOf(30), pauses);
    clearTimeout(enable);

    // Assert
    expect(result.problems).toEqual([]);
    expect(result.summary).toMatchObject({ accepted: 30, emailed: 30, failed: 0 });
    expect(pauses[0]).toMatchObject({ kind: 'account-paused' });
    // Rooms were not created while the account was paused: one each, none cancelled.
    expect(result.rooms.filter((r) => r.status === 'cancelled')).toEqual([]);
  }, 90_000);
});
