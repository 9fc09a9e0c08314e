import { describe, expect, it, vi } from 'vitest';
import { resolveSettings } from '#shared/campaign/settings.ts';
import { CsvFileError } from '#shared/csv/parse.ts';
import { RetryableError } from '#shared/errors.ts';
import { SettingsFileError } from '#shared/ingest/aws.ts';
import { BATCH_SIZE } from '#shared/ingest/config.ts';
import { ingestUpload } from '#shared/ingest/ingest.ts';
import { campaignIdFor } from '#shared/store/keys.ts';
import { csvOf, DEFAULTS, fakeIngest } from './fakes.ts';

const upload = { bucket: 'uploads', key: 'campaigns/spring.csv', etag: '"e1"' };
const campaignId = campaignIdFor(upload);

describe('ingestUpload through its ports', () => {
  it('stores 250 respondents as batches of 100, 100 and 50 and enqueues one message per batch', async () => {
    // Prepare
    const { deps, store, upload: s3, invites } = fakeIngest();
    s3.objects.set(upload.key, csvOf(250));

    // Act
    const result = await ingestUpload(deps, upload);

    // Assert
    expect(BATCH_SIZE).toBe(100);
    expect(result).toMatchObject({ campaignId, outcome: 'ingested' });
    expect(result.record).toMatchObject({ status: 'enqueued', rows: 250, accepted: 250, batches: 3 });
    expect(invites.messages()).toEqual([0, 1, 2].map((batch) => ({ campaignId, batch })));
    const sizes = await Promise.all(
      [0, 1, 2].map(async (b) => (await store.queryBatch(campaignId, b)).length),
    );
    expect(sizes).toEqual([100, 100, 50]);
    const first = await store.queryBatch(campaignId, 0);
    expect(first[0]).toMatchObject({ email: 'p0@example.com', name: 'Person 0', line: 2 });
    // The CSV is read pinned to the ETag the event named.
    expect(s3.opened).toEqual([upload]);
  });

  it('records every batch before its message goes out', async () => {
    // Prepare
    const { deps, store, upload: s3, invites } = fakeIngest();
    s3.objects.set(upload.key, csvOf(2_150));
    const events: string[] = [];
    const writeBatches = store.writeBatches.bind(store);
    deps.store = {
      ...store,
      writeBatches: async (batches, nowMs) => {
        events.push(...batches.map((b) => `record ${b.batch}`));
        await writeBatches(batches, nowMs);
      },
    };
    const send = invites.queue.send.bind(invites.queue);
    deps.queue = {
      send: async (messages) => {
        events.push(...messages.map((m) => `send ${'batch' in m ? m.batch : 'finalize'}`));
        await send(messages);
      },
    };

    // Act
    const result = await ingestUpload(deps, upload);

    // Assert: 22 batches, in two groups (20 + 2), each batch recorded before it is sent.
    expect(result.record).toMatchObject({ batches: 22 });
    expect(invites.calls.map((call) => call.length)).toEqual([20, 2]);
    for (let batch = 0; batch < 22; batch++) {
      expect(events.indexOf(`record ${batch}`)).toBeGreaterThanOrEqual(0);
      expect(events.indexOf(`record ${batch}`)).toBeLessThan(events.indexOf(`send ${batch}`));
    }
  });

  it('keeps respondents of different room settings in separate batches, numbered in flush order', async () => {
    // Prepare: 150 English and 150 Russian rows, interleaved.
    const { deps, store, upload: s3 } = fakeIngest();
    const rows = Array.from({ length: 300 }, (_, i) => `p${i}@example.com,P ${i},${i % 2 ? 'ru' : 'en'}`);
    s3.objects.set(upload.key, `email,name,language\n${rows.join('\n')}\n`);

    // Act
    const result = await ingestUpload(deps, upload);

    // Assert
    expect(result.record).toMatchObject({ accepted: 300, batches: 4 });
    const batches = await Promise.all([0, 1, 2, 3].map((b) => store.queryBatch(campaignId, b)));
    expect(batches.map((b) => b.length)).toEqual([100, 100, 50, 50]);
    expect(batches.map((b) => [...new Set(b.map((r) => r.language))])).toEqual([
      ['en'],
      ['ru'],
      ['en'],
      ['ru'],
    ]);
    expect(batches[0]?.map((r) => r.line).slice(0, 3)).toEqual([2, 4, 6]);
  });

  it('reports rejected and duplicate rows with their lines and reasons', async () => {
    // Prepare
    const { deps, store, upload: s3, invites } = fakeIngest();
    s3.objects.set(
      upload.key,
      'email\na@example.com\nnot-an-address\n@example.com\nA@example.com\nb@example.com\n',
    );

    // Act
    const result = await ingestUpload(deps, upload);

    // Assert
    expect(result.record).toMatchObject({ accepted: 2, rejected: 2, duplicates: 1, batches: 1 });
    const rejected = await store.listRejected(campaignId);
    expect(rejected.map((r) => [r.line, r.kind])).toEqual([
      [3, 'rejected'],
      [4, 'rejected'],
      [5, 'duplicate'],
    ]);
    expect(rejected[0]).toMatchObject({ email: 'not-an-address', reason: 'email has no "@"' });
    expect(rejected[2]).toMatchObject({ email: 'A@example.com', reason: 'duplicate of line 2' });
    expect(invites.messages()).toEqual([{ campaignId, batch: 0 }]);
  });

  it('reports an address on the suppression list as suppressed, with reason and date, and gives it no batch', async () => {
    // Prepare: one address bounced in an earlier campaign; another is suppressed only after this one began.
    const { deps, store, upload: s3, clock } = fakeIngest();
    const entry = { campaignId: 'earlier', at: '2026-11-30T10:00:00.000Z', suppressedAt: clock.now - 1 };
    await store.suppress({
      ...entry,
      emailKey: 'gone@example.com',
      reason: 'bounced',
      detail: 'Permanent: General',
    });
    await store.suppress({
      ...entry,
      emailKey: 'late@example.com',
      reason: 'complained',
      suppressedAt: clock.now + 1,
    });
    s3.objects.set(upload.key, 'email\na@example.com\nGone@Example.com\nlate@example.com\n');

    // Act
    const result = await ingestUpload(deps, upload);

    // Assert
    expect(result.record).toMatchObject({ rows: 3, accepted: 2, suppressed: 1, rejected: 0, batches: 1 });
    expect(await store.listRejected(campaignId)).toEqual([
      {
        line: 3,
        kind: 'suppressed',
        email: 'Gone@example.com',
        reason: 'suppressed: bounced on 2026-11-30 in campaign earlier (Permanent: General)',
      },
    ]);
    const batch = await store.queryBatch(campaignId, 0);
    expect(batch.map((r) => r.email)).toEqual(['a@example.com', 'late@example.com']);
  });

  it('completes a campaign with nobody accepted, and enqueues nothing', async () => {
    // Prepare
    const { deps, upload: s3, invites } = fakeIngest();
    s3.objects.set(upload.key, 'email\nnope\nstill-nope\n');

    // Act
    const result = await ingestUpload(deps, upload);

    // Assert
    expect(result.record).toMatchObject({ status: 'completed', accepted: 0, rejected: 2, batches: 0 });
    expect(invites.calls).toEqual([]);
  });

  it('applies and stores the settings object beside the CSV', async () => {
    // Prepare
    const { deps, store, upload: s3 } = fakeIngest();
    s3.objects.set(upload.key, csvOf(3));
    s3.settings.set('campaigns/spring.settings.json', { maxDurationMinutes: 45 });

    // Act
    await ingestUpload(deps, upload);

    // Assert
    expect((await store.getCampaign(campaignId))?.settings).toMatchObject({
      maxDurationMinutes: 45,
      projectId: '7d1f3c2a-5b6e-4f80-9a1b-2c3d4e5f6a7b',
    });
  });

  it('fails the campaign on invalid settings, naming the field, without reading the CSV', async () => {
    // Prepare
    const { deps, upload: s3, invites } = fakeIngest();
    s3.objects.set(upload.key, csvOf(3));
    s3.settings.set('campaigns/spring.settings.json', { maxDurationMinutes: 'long' });

    // Act
    const result = await ingestUpload(deps, upload);

    // Assert
    expect(result.outcome).toBe('failed');
    expect(result.record).toMatchObject({ status: 'failed' });
    expect(result.record?.failureReason).toContain('maxDurationMinutes');
    expect(s3.opened).toEqual([]);
    expect(invites.calls).toEqual([]);
  });

  it.each([
    [
      'a settings object that is not JSON',
      'readSettings',
      new SettingsFileError('settings file is not valid JSON'),
    ],
    [
      'a CSV that changed before it was read',
      'openCsv',
      new CsvFileError('the object changed or disappeared'),
    ],
  ] as const)('fails the campaign on %s', async (_, port, error) => {
    // Prepare
    const { deps, upload: s3, invites } = fakeIngest();
    s3.objects.set(upload.key, csvOf(3));
    s3.failures[port].push(error);

    // Act
    const result = await ingestUpload(deps, upload);

    // Assert
    expect(result.record).toMatchObject({ status: 'failed', failureReason: error.message });
    expect(invites.calls).toEqual([]);
  });

  it('reads the columns the settings name and records what each column was read as', async () => {
    // Prepare
    const { deps, store, upload: s3 } = fakeIngest();
    s3.objects.set(
      upload.key,
      'Privat,Arbeit,Vorname,Nachname\nanna@home.example.com,anna@work.example.com,Anna,Schmidt\n',
    );
    s3.settings.set('campaigns/spring.settings.json', {
      columns: { email: 'Arbeit', name: ['Vorname', 'Nachname'] },
    });

    // Act
    const result = await ingestUpload(deps, upload);

    // Assert
    expect(result.record).toMatchObject({
      status: 'enqueued',
      accepted: 1,
      columns: 'email ← Arbeit; name ← Vorname + Nachname; merge fields: privat',
    });
    expect(await store.queryBatch(campaignId, 0)).toMatchObject([
      { email: 'anna@work.example.com', name: 'Anna Schmidt' },
    ]);
  });

  it('fails the campaign when a mapped column is not in the file, naming it, before any batch', async () => {
    // Prepare
    const { deps, upload: s3, invites } = fakeIngest();
    s3.objects.set(upload.key, 'email,name\nanna@example.com,Anna\n');
    s3.settings.set('campaigns/spring.settings.json', { columns: { email: 'Work e-mail' } });

    // Act
    const result = await ingestUpload(deps, upload);

    // Assert
    expect(result.record).toMatchObject({ status: 'failed' });
    expect(result.record?.failureReason).toContain('settings columns.email names the column "Work e-mail"');
    expect(invites.messages()).toEqual([]);
  });

  it('fails an over-budget campaign before any batch, naming the reservation and the budget', async () => {
    // Prepare: 3 respondents × ceil(45 / 30) × 10 tokens = 60 tokens against a budget of 50.
    const { deps, store, upload: s3, invites } = fakeIngest();
    let priceCalls = 0;
    deps.price = {
      tokensPer30Min: async () => {
        priceCalls++;
        return 10;
      },
    };
    s3.objects.set(upload.key, csvOf(3));
    s3.settings.set('campaigns/spring.settings.json', { maxTokens: 50, maxDurationMinutes: 45 });

    // Act
    const result = await ingestUpload(deps, upload);

    // Assert
    expect(result.record).toMatchObject({
      status: 'failed',
      failureReason:
        'over budget: the rooms would reserve 60 tokens (3 respondents × 2 × 10 tokens per 30 min = 60 tokens), more than maxTokens 50',
    });
    expect(priceCalls).toBe(1);
    expect(invites.messages()).toEqual([]);
    expect(await store.queryBatch(campaignId, 0)).toEqual([]);
  });

  it('ingests a campaign within its budget, not counting suppressed addresses', async () => {
    // Prepare: 4 rows, one suppressed: 3 × 1 × 10 = 30 tokens, exactly the budget.
    const { deps, store, upload: s3, invites } = fakeIngest();
    deps.price = { tokensPer30Min: async () => 10 };
    await store.suppress({
      emailKey: 'p3@example.com',
      reason: 'bounced',
      campaignId: 'c-earlier',
      detail: 'mailbox does not exist',
      at: '2026-11-01T00:00:00.000Z',
      suppressedAt: 1,
    });
    s3.objects.set(upload.key, csvOf(4));
    s3.settings.set('campaigns/spring.settings.json', { maxTokens: 30 });

    // Act
    const result = await ingestUpload(deps, upload);

    // Assert
    expect(result.record).toMatchObject({ status: 'enqueued', accepted: 3, suppressed: 1 });
    expect(invites.messages()).toHaveLength(1);
  });

  it('fails a campaign with a budget when the ingest has no way to read the price', async () => {
    // Prepare
    const { deps, upload: s3, invites } = fakeIngest();
    s3.objects.set(upload.key, csvOf(2));
    s3.settings.set('campaigns/spring.settings.json', { maxTokens: 1000 });

    // Act
    const result = await ingestUpload(deps, upload);

    // Assert
    expect(result.record).toMatchObject({
      status: 'failed',
      failureReason: 'maxTokens is set, but this ingest cannot read the token price',
    });
    expect(invites.messages()).toEqual([]);
  });

  it('fails the campaign when the file has no email column', async () => {
    // Prepare
    const { deps, upload: s3, invites } = fakeIngest();
    s3.objects.set(upload.key, 'name,team\nAnna,x\n');

    // Act
    const result = await ingestUpload(deps, upload);

    // Assert
    expect(result.record).toMatchObject({ status: 'failed' });
    expect(result.record?.failureReason).toMatch(/email/i);
    expect(invites.calls).toEqual([]);
  });

  it('fails the campaign on a merge field no column provides, before any batch, naming field and part', async () => {
    // Prepare: the text says {{compnay}}; the file has a "company" column.
    const { deps, store, upload: s3, invites } = fakeIngest();
    s3.settings.set('campaigns/spring.settings.json', {
      templates: { en: { text: 'From {{compnay}}: {{roomUrl}}' } },
    });
    s3.objects.set(upload.key, 'email,company\na@example.com,Acme\nb@example.com,Acme\n');

    // Act
    const result = await ingestUpload(deps, upload);

    // Assert
    expect(result.outcome).toBe('failed');
    expect(result.record?.failureReason).toMatch(/settings\.templates\.en\.text: uses \{\{compnay\}\}/);
    expect(invites.calls).toEqual([]);
    expect(await store.queryBatch(campaignId, 0)).toEqual([]);
  });
  it('throws a transient read error (the event is retried) and leaves the campaign ingesting', async () => {
    // Prepare
    const { deps, store, upload: s3 } = fakeIngest();
    s3.objects.set(upload.key, csvOf(3));
    s3.failures.openCsv.push(new RetryableError('S3 timed out'));

    // Act
    const ingesting = ingestUpload(deps, upload);

    // Assert
    await expect(ingesting).rejects.toThrow('S3 timed out');
    expect(await store.getCampaign(campaignId)).toMatchObject({ status: 'ingesting' });
  });

  it('ignores an object that is not a CSV and touches nothing', async () => {
    // Prepare
    const { deps, store } = fakeIngest();

    // Act
    const result = await ingestUpload(deps, { ...upload, key: 'campaigns/spring.settings.json' });

    // Assert
    expect(result.outcome).toBe('ignored');
    expect(await store.getCampaign(result.campaignId)).toBeUndefined();
  });

  it('treats a second event for the same upload as a duplicate and enqueues nothing more', async () => {
    // Prepare
    const { deps, upload: s3, invites } = fakeIngest();
    s3.objects.set(upload.key, csvOf(120));
    await ingestUpload(deps, upload);

    // Act
    const again = await ingestUpload({ ...deps, newId: () => 'owner-2' }, upload);

    // Assert
    expect(again).toMatchObject({ campaignId, outcome: 'duplicate', record: { status: 'enqueued' } });
    expect(invites.messages()).toHaveLength(2);
  });

  it('resumes a crashed ingest from its checkpoint with its stored settings', async () => {
    // Prepare: a crashed owner enqueued batches 0 and 1 and stored its settings; its lease has run out.
    const { deps, store, upload: s3, invites, clock } = fakeIngest();
    s3.objects.set(upload.key, csvOf(450));
    const source = { bucket: upload.bucket, key: upload.key, etag: 'e1', settingsKey: 'x' };
    await store.startIngest({ campaignId, source, owner: 'crashed', nowMs: clock.now, leaseMs: 1000 });
    const settings = resolveSettings(DEFAULTS, { maxDurationMinutes: 45 });
    await store.renewIngestLease({
      campaignId,
      owner: 'crashed',
      leaseUntil: clock.now + 1000,
      checkpoint: 2,
      settings: JSON.parse(JSON.stringify(settings)),
    });
    clock.now += 5000;
    s3.failures.readSettings.push(new SettingsFileError('must not be read on resume'));

    // Act
    const result = await ingestUpload(deps, upload);

    // Assert
    expect(result).toMatchObject({ campaignId, outcome: 'resumed' });
    expect(result.record).toMatchObject({ accepted: 450, batches: 5, status: 'enqueued' });
    expect(result.record?.settings).toMatchObject({ maxDurationMinutes: 45 });
    expect(invites.messages()).toEqual([2, 3, 4].map((batch) => ({ campaignId, batch })));
    expect(await store.queryBatch(campaignId, 0)).toEqual([]);
    expect(await store.queryBatch(campaignId, 4)).toHaveLength(50);
  });

  it('waits for a busy ingest whose lease runs out, then takes over', async () => {
    // Prepare
    const { deps, store, upload: s3, invites, clock } = fakeIngest();
    s3.objects.set(upload.key, csvOf(5));
    const source = { bucket: upload.bucket, key: upload.key, etag: 'e1', settingsKey: 'x' };
    await store.startIngest({ campaignId, source, owner: 'other', nowMs: clock.now, leaseMs: 3000 });
    const sleep = vi.fn(deps.sleep);

    // Act
    const result = await ingestUpload({ ...deps, sleep }, upload);

    // Assert
    expect(sleep).toHaveBeenCalled();
    expect(result.outcome).toBe('resumed');
    expect(invites.messages()).toEqual([{ campaignId, batch: 0 }]);
  });

  it('gives up on a busy ingest whose lease outlasts the deadline, with a retryable error', async () => {
    // Prepare
    const { deps, store, upload: s3, clock } = fakeIngest();
    s3.objects.set(upload.key, csvOf(5));
    const source = { bucket: upload.bucket, key: upload.key, etag: 'e1', settingsKey: 'x' };
    await store.startIngest({ campaignId, source, owner: 'other', nowMs: clock.now, leaseMs: 30_000 });

    // Act
    const ingesting = ingestUpload(deps, { ...upload, deadlineMs: clock.now + 10_000 });

    // Assert
    await expect(ingesting).rejects.toBeInstanceOf(RetryableError);
    await expect(ingesting).rejects.toThrow(/being ingested by another invocation/);
  });

  it('throws when the queue fails, and a retry of the event sends every batch', async () => {
    // Prepare
    const { deps, store, upload: s3, invites, clock } = fakeIngest();
    s3.objects.set(upload.key, csvOf(150));
    invites.failNext.push(new RetryableError('SQS refused 2 messages repeatedly'));

    // Act
    const failed = ingestUpload(deps, upload);
    await expect(failed).rejects.toThrow('SQS refused');
    const statusAfterFailure = (await store.getCampaign(campaignId))?.status;
    clock.now += 61_000;
    const retried = await ingestUpload({ ...deps, newId: () => 'owner-2' }, upload);

    // Assert
    expect(statusAfterFailure).toBe('ingesting');
    expect(retried.outcome).toBe('resumed');
    expect(invites.messages()).toEqual([0, 1].map((batch) => ({ campaignId, batch })));
  });

  it('records a checkpoint once 2 s have passed since the last, after a group is enqueued', async () => {
    // Prepare: a clock that moves 1 ms per reading, so the first group of 20 batches goes out after ~2 s.
    const { deps, store, upload: s3 } = fakeIngest();
    s3.objects.set(upload.key, csvOf(2_500));
    let now = 1_000_000;
    const renew = vi.spyOn(store, 'renewIngestLease');

    // Act
    const result = await ingestUpload({ ...deps, clock: () => now++ }, upload);

    // Assert
    const checkpoints = renew.mock.calls.flatMap(([args]) =>
      args.checkpoint === undefined ? [] : [args.checkpoint],
    );
    expect(result.record).toMatchObject({ batches: 25 });
    expect(checkpoints).toEqual([20]);
  });

  it('asks the invite side to complete the campaign when it already finished every batch', async () => {
    // Prepare: the store reports every batch done by the time the ingest finishes.
    const { deps, store, upload: s3, invites } = fakeIngest();
    s3.objects.set(upload.key, csvOf(150));
    deps.store = {
      ...store,
      finishIngest: async (args) => ({ ...(await store.finishIngest(args)), batchesDone: 2 }),
    };

    // Act
    await ingestUpload(deps, upload);

    // Assert
    expect(invites.messages()).toEqual([
      { campaignId, batch: 0 },
      { campaignId, batch: 1 },
      { campaignId, finalize: true },
    ]);
  });
});
