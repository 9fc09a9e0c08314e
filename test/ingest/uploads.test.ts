// A campaign's later uploads (invites send --campaign NAME): a changed CSV under the campaign's key adds the
// people it did not have, reports the others, and never invites anyone twice, even across crashes.
import { describe, expect, it } from 'vitest';
import { RetryableError } from '#shared/errors.ts';
import { ingestUpload } from '#shared/ingest/ingest.ts';
import { alreadyReason, keepsSettings } from '#shared/ingest/uploads.ts';
import { campaignIdFor, legacyCampaignIdFor } from '#shared/store/keys.ts';
import type { CampaignRecord } from '#shared/store/types.ts';
import { fakeIngest } from './fakes.ts';

const first = { bucket: 'uploads', key: 'campaigns/panel.csv', etag: '"e1"' };
const second = { ...first, etag: '"e2"' };
const campaignId = campaignIdFor(first);

/** A CSV of respondents p<from> … p<to - 1>, one per line from line 2. */
const people = (from: number, to: number, domain = 'example.com') =>
  `email,name\n${Array.from({ length: to - from }, (_, i) => `p${from + i}@${domain},Person ${from + i}`).join('\n')}\n`;

/** A campaign whose first upload (p0 … p149, two batches) was ingested. */
const ingestedFirst = async () => {
  const fakes = fakeIngest();
  fakes.upload.objects.set(first.key, people(0, 150));
  await ingestUpload(fakes.deps, first);
  fakes.invites.calls.length = 0;
  fakes.clock.now += 60_000;
  return fakes;
};

describe('a later upload of a campaign', () => {
  it('invites only the people new to the campaign, in batches numbered on, and reports the others', async () => {
    // Prepare: the second file repeats p100 … p149 (in a different case) and adds p150 … p249.
    const { deps, store, upload: s3, invites } = await ingestedFirst();
    s3.objects.set(
      first.key,
      people(100, 250).replace(/p1[0-4]\d@/g, (m) => m.toUpperCase()),
    );

    // Act
    const result = await ingestUpload({ ...deps, newId: () => 'owner-2' }, second);

    // Assert
    expect(result).toMatchObject({ campaignId, outcome: 'ingested' });
    expect(result.record).toMatchObject({
      status: 'enqueued',
      rows: 300,
      accepted: 250,
      duplicates: 50,
      batches: 3,
      upload: { number: 2, firstBatch: 2, firstChunk: 0 },
    });
    expect(invites.messages()).toEqual([{ campaignId, batch: 2 }]);
    const added = await store.queryBatch(campaignId, 2);
    expect(added).toHaveLength(100);
    expect(added[0]).toMatchObject({ email: 'p150@example.com', line: 52, upload: 2 });
    const rejected = await store.listRejected(campaignId);
    expect(rejected).toHaveLength(50);
    expect(rejected[0]).toEqual({
      line: 2,
      upload: 2,
      kind: 'duplicate',
      email: 'P100@example.com',
      reason: 'already in this campaign (upload 1, line 102), not emailed',
    });
  });

  it('says when someone already in the campaign was invited', () => {
    // Act / Assert
    expect(alreadyReason({ upload: 1, line: 7, emailedAt: '2026-12-01T09:30:00.000Z' })).toBe(
      'already invited on 2026-12-01 (upload 1, line 7)',
    );
  });

  it('leaves an identical re-upload and a late event of an earlier upload as no-ops', async () => {
    // Prepare
    const { deps, upload: s3, invites } = await ingestedFirst();
    s3.objects.set(first.key, people(100, 250));
    await ingestUpload(deps, second);
    invites.calls.length = 0;

    // Act
    const again = await ingestUpload({ ...deps, newId: () => 'owner-3' }, second);
    const late = await ingestUpload({ ...deps, newId: () => 'owner-4' }, first);

    // Assert
    expect(again.outcome).toBe('duplicate');
    expect(late.outcome).toBe('duplicate');
    expect(late.record).toMatchObject({ accepted: 250, batches: 3, upload: { number: 2 } });
    expect(invites.messages()).toEqual([]);
  });

  it('takes nobody new into a cancelled campaign', async () => {
    // Prepare
    const { deps, store, upload: s3, invites, clock } = await ingestedFirst();
    await store.cancelCampaign({ campaignId, revokeUnstarted: false, nowMs: clock.now });
    s3.objects.set(first.key, people(100, 250));

    // Act
    const result = await ingestUpload(deps, second);

    // Assert
    expect(result).toMatchObject({ outcome: 'refused', record: { status: 'cancelled', accepted: 150 } });
    expect(invites.messages()).toEqual([]);
    expect(await store.queryBatch(campaignId, 2)).toEqual([]);
  });

  it('fails a bad later upload alone: the campaign goes on as it was, and a good upload after it works', async () => {
    // Prepare
    const { deps, store, upload: s3, invites } = await ingestedFirst();
    s3.objects.set(first.key, 'name\nAnn\n');

    // Act
    const failed = await ingestUpload(deps, second);
    s3.objects.set(first.key, people(150, 160));
    const fixed = await ingestUpload(deps, { ...first, etag: '"e3"' });

    // Assert
    expect(failed.outcome).toBe('failed');
    expect(failed.record).toMatchObject({ status: 'enqueued', accepted: 150, batches: 2 });
    expect(failed.record?.uploadFailure).toMatch(/email/);
    expect(failed.record?.failureReason).toBeUndefined();
    expect(fixed.record).toMatchObject({
      status: 'enqueued',
      accepted: 160,
      batches: 3,
      upload: { number: 3 },
    });
    expect(fixed.record?.uploadFailure).toBeUndefined();
    expect(invites.messages()).toEqual([{ campaignId, batch: 2 }]);
    expect(await store.queryBatch(campaignId, 2)).toHaveLength(10);
  });

  it('completes at once a later upload that adds nobody to a finished campaign', async () => {
    // Prepare: every batch of the first upload is done.
    const { deps, store, upload: s3, invites } = await ingestedFirst();
    const tally = { emailed: 100, failed: 0, deadLettered: 0, roomsCancelled: 0 };
    for (const batch of [0, 1]) await store.tallyBatch({ campaignId, batch, tally, nowMs: 1 });
    await store.completeCampaign(campaignId, 2);
    s3.objects.set(first.key, people(0, 10));

    // Act
    const result = await ingestUpload(deps, second);

    // Assert: enqueued again with every batch done, so the invite side is asked to complete it.
    expect(result.record).toMatchObject({ accepted: 150, duplicates: 10, batches: 2, status: 'enqueued' });
    expect(invites.messages()).toEqual([{ campaignId, finalize: true }]);
  });

  it('resumes a later upload that crashed after writing its batches, without taking them for earlier ones', async () => {
    // Prepare: 2,150 new people (22 batches) written and enqueued; the crash comes before the final counts.
    const { deps, store, upload: s3, invites, clock } = await ingestedFirst();
    s3.objects.set(first.key, people(100, 2_300));
    const crashing = {
      ...deps,
      newId: () => 'crashing',
      store: { ...store, finishIngest: async () => Promise.reject(new RetryableError('crashed')) },
    };
    await expect(ingestUpload(crashing, second)).rejects.toThrow('crashed');
    clock.now += 120_000;

    // Act: the S3 event comes again and the ingest is resumed.
    const retried = await ingestUpload({ ...deps, newId: () => 'owner-2' }, second);

    // Assert: the same 22 batches (sent again: the invite side takes each once), nobody new taken for a duplicate.
    expect(retried.outcome).toBe('resumed');
    expect(retried.record).toMatchObject({
      accepted: 2_300,
      duplicates: 50,
      batches: 24,
      status: 'enqueued',
    });
    expect(new Set(invites.messages().map((m) => ('batch' in m ? m.batch : -1)))).toEqual(
      new Set(Array.from({ length: 22 }, (_, i) => i + 2)),
    );
    expect(await store.queryBatch(campaignId, 23)).toHaveLength(50);
  });

  it('keeps the stored settings when resuming a crashed later upload, even of a campaign that had failed', () => {
    // Prepare
    const upload = { number: 2, tag: 't', at: '', firstBatch: 0, firstChunk: 0, reopened: 'failed' as const };
    const record = { upload } as unknown as CampaignRecord;

    // Act / Assert
    expect(keepsSettings({ outcome: 'taken-over', record })).toBe(true);
    expect(keepsSettings({ outcome: 'reopened', record })).toBe(false);
    expect(
      keepsSettings({
        outcome: 'reopened',
        record: { upload: { ...upload, reopened: 'enqueued' } } as unknown as CampaignRecord,
      }),
    ).toBe(true);
  });

  it('sends the finalize a crash lost when the upload event comes again', async () => {
    // Prepare: a later upload adding nobody ended while every batch was done, and its finalize was lost.
    const { deps, store, upload: s3, invites } = await ingestedFirst();
    const tally = { emailed: 100, failed: 0, deadLettered: 0, roomsCancelled: 0 };
    for (const batch of [0, 1]) await store.tallyBatch({ campaignId, batch, tally, nowMs: 1 });
    s3.objects.set(first.key, people(0, 10));
    const losing = { ...deps, queue: { send: async () => Promise.reject(new RetryableError('lost')) } };
    await expect(ingestUpload(losing, second)).rejects.toThrow('lost');

    // Act
    const again = await ingestUpload(deps, second);

    // Assert
    expect(again.outcome).toBe('duplicate');
    expect(invites.messages()).toEqual([{ campaignId, finalize: true }]);
  });

  it('treats an event of an upload ingested under its id from before campaigns were keys as a duplicate', async () => {
    // Prepare: the campaign of this very upload exists under the id of bucket + key + ETag.
    const { deps, store, upload: s3, invites, clock } = fakeIngest();
    s3.objects.set(first.key, people(0, 5));
    const legacy = legacyCampaignIdFor(first);
    const source = { bucket: first.bucket, key: first.key, etag: 'e1' };
    await store.startIngest({ campaignId: legacy, source, owner: 'old', nowMs: clock.now, leaseMs: 1 });

    // Act
    const result = await ingestUpload(deps, first);

    // Assert
    expect(result).toMatchObject({ campaignId: legacy, outcome: 'duplicate' });
    expect(await store.getCampaign(campaignId)).toBeUndefined();
    expect(invites.messages()).toEqual([]);
  });
});
