// The console's read model over a memory store filled by the real ingest: the list, and one campaign's
// funnel and respondent table (filter, search, pages).
import { describe, expect, it } from 'vitest';
import { campaignList, campaignName, campaignView, tablePage } from '#shared/console/read.ts';
import { ingestUpload } from '#shared/ingest/ingest.ts';
import type { ReportLine } from '#shared/store/report.ts';
import { csvOf, fakeIngest } from '#test/ingest/fakes.ts';

/** Two campaigns ingested one after the other: `spring` (250 people and 2 bad rows), then `autumn` (3). */
const twoCampaigns = async () => {
  const fakes = fakeIngest();
  const spring = { bucket: 'uploads', key: 'campaigns/spring.csv', etag: '"s"' };
  const autumn = { bucket: 'uploads', key: 'campaigns/autumn-20261206T101500.csv', etag: '"a"' };
  fakes.upload.objects.set(spring.key, `${csvOf(250)}not-an-address,Nobody,en\np1@example.com,Again,en\n`);
  fakes.upload.objects.set(autumn.key, csvOf(3));
  const first = await ingestUpload(fakes.deps, spring);
  fakes.clock.now += 60_000;
  const second = await ingestUpload(fakes.deps, autumn);
  return { ...fakes, springId: first.campaignId, autumnId: second.campaignId };
};

describe('console read model', () => {
  it('lists campaigns newest first with their names, counts and progress, a page at a time', async () => {
    // Prepare
    const { store, springId, autumnId } = await twoCampaigns();

    // Act
    const first = await campaignList(store, { limit: 1 });
    const second = await campaignList(store, { limit: 1, ...(first.next ? { next: first.next } : {}) });

    // Assert
    expect(first.campaigns).toEqual([
      expect.objectContaining({ campaignId: autumnId, name: 'autumn-20261206T101500', status: 'enqueued' }),
    ]);
    expect(second.campaigns).toEqual([
      expect.objectContaining({
        campaignId: springId,
        name: 'spring',
        rows: 252,
        accepted: 250,
        uploads: 1,
        progress: { done: 0, total: 250 },
      }),
    ]);
    expect(second.next).toBeUndefined();
  });

  it("shows in the list the funnel the tracker's last poll left on a campaign, and none before a poll", async () => {
    // Prepare: the spring campaign polled once (as the tracker ends a poll), autumn not yet.
    const { store, clock, springId } = await twoCampaigns();
    const funnel = {
      emailed: 240,
      delivered: 230,
      bounced: 3,
      complained: 1,
      unsubscribed: 2,
      started: 90,
      completed: 70,
      expired: 5,
      at: new Date(clock.now).toISOString(),
    };
    await store.claimPoll({ campaignId: springId, owner: 'poll', nowMs: clock.now, leaseMs: 60_000 });
    await store.endPoll({ campaignId: springId, owner: 'poll', nowMs: clock.now, nextPollAt: 1, funnel });

    // Act
    const { campaigns } = await campaignList(store, {});

    // Assert
    const [autumn, spring] = campaigns;
    expect(spring).toMatchObject({ campaignId: springId, funnel });
    expect(autumn).not.toHaveProperty('funnel');
  });

  it('shows a campaign with its funnel and a filtered, searched page of its respondent table', async () => {
    // Prepare
    const { store, springId } = await twoCampaigns();

    // Act
    const all = await campaignView(store, springId, { pageSize: 100, page: 3 });
    const rejected = await campaignView(store, springId, { statuses: ['rejected', 'duplicate'] });
    const found = await campaignView(store, springId, { search: 'PERSON 24' });
    const missing = await campaignView(store, 'no-such-campaign', {});

    // Assert
    expect(all?.summary).toMatchObject({ name: 'spring', accepted: 250 });
    expect(all?.funnel).toMatchObject({ emailed: 0, delivered: 0, started: 0 });
    expect(all?.table).toMatchObject({ page: 3, pageSize: 100, matching: 252 });
    expect(all?.table.rows.map((r) => r.line)).toEqual(Array.from({ length: 52 }, (_, i) => 202 + i));
    expect(all?.table.byStatus).toEqual({ accepted: 250, rejected: 1, duplicate: 1 });
    expect(rejected?.table.rows.map((r) => [r.line, r.status])).toEqual([
      [252, 'rejected'],
      [253, 'duplicate'],
    ]);
    // "Person 24" and "Person 240" … "Person 249".
    expect(found?.table.matching).toBe(11);
    expect(missing).toBeUndefined();
  });

  it('refuses a page size or page it cannot serve, naming the limit', () => {
    // Prepare
    const lines: ReportLine[] = [];

    // Act / Assert
    expect(() => tablePage(lines, { pageSize: 500 })).toThrow(
      'pageSize must be a whole number from 1 to 200',
    );
    expect(() => tablePage(lines, { page: 0 })).toThrow('page must be a whole number from 1');
    expect(tablePage(lines, { page: 9 })).toMatchObject({ rows: [], matching: 0 });
  });

  it('names a campaign by its key', () => {
    // Act / Assert
    expect(campaignName('campaigns/spring-panel.csv')).toBe('spring-panel');
    expect(campaignName('campaigns/Q4.CSV')).toBe('Q4');
  });
});
