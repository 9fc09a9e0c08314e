import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { awsIngestPorts } from '#shared/ingest/aws.ts';
import { ingestUpload } from '#shared/ingest/ingest.ts';
import { campaignPk, respondentSk } from '#shared/store/keys.ts';
import { createWorld, groundTruth, type KillSwitch, makeCsv, receiveAll, type World } from './support.ts';

describe('ingest', () => {
  let world: World;
  beforeAll(async () => {
    world = await createWorld({ ingestLeaseMs: 400 });
  });
  afterAll(() => world.close());

  it('a duplicate S3 event and an identical re-upload map to the same campaign and invite nobody twice', async () => {
    // Prepare
    const key = 'campaigns/dup event.csv';
    const csv = makeCsv(12, `dupe.${world.domain}`);
    const { etag } = await world.upload(key, csv);

    // Act: the event twice, then the same bytes uploaded again (same ETag) and its event.
    const [first] = await world.ingest(world.s3Event(key, etag));
    const [second] = await world.ingest(world.s3Event(key, etag));
    const again = await world.upload(key, csv);
    const [third] = await world.ingest(world.s3Event(key, again.etag));
    await world.drain();

    // Assert
    expect(first?.outcome).toBe('ingested');
    expect(second).toMatchObject({ campaignId: first?.campaignId, outcome: 'duplicate' });
    expect(third).toMatchObject({ campaignId: first?.campaignId, outcome: 'duplicate' });
    const truth = await groundTruth(world, first?.campaignId ?? '');
    expect(truth.byRecipient.size).toBe(12);
    expect([...truth.byRecipient.values()].every((list) => list.length === 1)).toBe(true);
  });

  it('stores a batch of long rows in parts that each fit in one DynamoDB item, and loses no column', async () => {
    // Prepare: 100 respondents with 40 extra columns of 900 characters (~3.6 MB for the batch).
    const columns = Array.from({ length: 40 }, (_, i) => `c${i}`);
    const value = (row: number, col: number) => `${row}-${col}-`.padEnd(900, 'x');
    const lines = [
      ['email', 'language', ...columns].join(','),
      ...Array.from({ length: 100 }, (_, row) =>
        [`long${row}@long.${world.domain}`, 'en', ...columns.map((_, col) => value(row, col))].join(','),
      ),
    ];
    const key = 'campaigns/long-rows.csv';
    const { etag } = await world.upload(key, `${lines.join('\n')}\n`);

    // Act
    const [result] = await world.ingest(world.s3Event(key, etag));
    const respondents = await world.store.listRespondents(result?.campaignId ?? '');
    const parts = (
      await world.queryItems<{ type: string; respondents?: Uint8Array }>(
        campaignPk(result?.campaignId ?? ''),
        'R#',
      )
    ).filter((item) => item.type === 'batch');

    // Assert
    expect(result?.record).toMatchObject({ accepted: 100, batches: 1 });
    expect(parts.length).toBeGreaterThan(10);
    for (const part of parts) expect(part.respondents?.length).toBeLessThan(350_000);
    expect(respondents).toHaveLength(100);
    expect(respondents[57]?.fields.c39).toBe(value(57, 39));
    expect(respondents.every((r) => r.state === 'accepted')).toBe(true);
    // The invite side writes each respondent's item from the parts and invites all of them.
    await world.drain();
    const invited = await world.store.listRespondents(result?.campaignId ?? '');
    expect(invited.filter((r) => r.state === 'emailed' && !r.unwritten)).toHaveLength(100);
    expect(invited[57]?.fields.c39).toBe(value(57, 39));
  });

  it('applies the settings object beside the CSV (room duration, subject)', async () => {
    // Prepare
    const key = 'campaigns/with-settings.csv';
    const settings = {
      maxDurationMinutes: 45,
      templates: { en: { subject: 'Custom {{name}}' }, ru: { subject: 'Своя тема {{name}}' } },
    };
    const roomsBefore = world.standin.rooms().length;
    const { etag } = await world.upload(key, makeCsv(3, `set.${world.domain}`, [], 'en'), settings);

    // Act
    const [result] = await world.ingest(world.s3Event(key, etag));
    await world.drain();

    // Assert
    expect((await world.store.getCampaign(result?.campaignId ?? ''))?.settings).toMatchObject({
      maxDurationMinutes: 45,
    });
    expect(
      world.standin
        .rooms()
        .slice(roomsBefore)
        .every((room) => room.max_duration_minutes === 45),
    ).toBe(true);
    const mails = (await world.emails()).filter((m) => m.to.includes('@set.'));
    expect(mails.map((m) => m.subject)).toContain('Custom Person 0');
  });

  it('invalid settings fail the campaign naming the field, and nothing is enqueued', async () => {
    // Prepare
    const key = 'campaigns/bad-settings.csv';
    const { etag } = await world.upload(key, makeCsv(5, `bad.${world.domain}`), {
      maxDurationMinutes: 'long',
    });

    // Act
    const [result] = await world.ingest(world.s3Event(key, etag));

    // Assert
    expect(result?.outcome).toBe('failed');
    const campaign = await world.store.getCampaign(result?.campaignId ?? '');
    expect(campaign?.status).toBe('failed');
    expect(campaign?.failureReason).toContain('maxDurationMinutes');
    expect(await receiveAll(world.clients.sqs, world.queueUrl)).toEqual([]);
    expect(await world.store.listRespondents(result?.campaignId ?? '')).toEqual([]);
  });

  it('a settings object that is not JSON fails the campaign with one clear error', async () => {
    // Prepare
    const key = 'campaigns/broken-json.csv';
    await world.clients.s3.send(
      new PutObjectCommand({
        Bucket: world.bucket,
        Key: 'campaigns/broken-json.settings.json',
        Body: '{oops',
      }),
    );
    const { etag } = await world.upload(key, makeCsv(2, `json.${world.domain}`));

    // Act
    const [result] = await world.ingest(world.s3Event(key, etag));

    // Assert
    expect(result?.record).toMatchObject({ status: 'failed' });
    expect(result?.record?.failureReason).toMatch(/not valid JSON/);
  });

  it('a whole-file failure (binary, no email column) fails the campaign and enqueues nothing', async () => {
    // Prepare
    const binary = await world.upload(
      'campaigns/binary.csv',
      new Uint8Array([0x50, 0x4b, 3, 4, 0, 0, 1, 2, 0, 0]),
    );
    const noEmail = await world.upload('campaigns/no-email.csv', 'name,team\nAnna,x\n');

    // Act
    const [a] = await world.ingest(world.s3Event('campaigns/binary.csv', binary.etag));
    const [b] = await world.ingest(world.s3Event('campaigns/no-email.csv', noEmail.etag));

    // Assert
    expect(a?.record).toMatchObject({ status: 'failed' });
    expect(b?.record).toMatchObject({ status: 'failed' });
    expect(b?.record?.failureReason).toMatch(/email/i);
    expect(await receiveAll(world.clients.sqs, world.queueUrl)).toEqual([]);
  });

  it('ignores objects that are not CSVs (the settings object itself)', async () => {
    // Act
    const results = await world.ingest(world.s3Event('campaigns/x.settings.json', 'abc'));

    // Assert
    expect(results[0]?.outcome).toBe('ignored');
  });

  it('keeps its lease alive through a long run of rejected rows, which write nothing else', async () => {
    // Prepare: 1,000 bad rows and one good one; a clock that moves 50 ms per reading, lease 400 ms.
    const key = 'campaigns/all-bad.csv';
    const lines = [
      'email',
      ...Array.from({ length: 1000 }, (_, i) => `not-an-address-${i}`),
      `ok@${world.domain}`,
    ];
    const { etag } = await world.upload(key, `${lines.join('\n')}\n`);
    let now = Date.now();
    const renew = vi.spyOn(world.store, 'renewIngestLease');

    // Act
    const result = await ingestUpload(
      {
        ...awsIngestPorts({ s3: world.clients.s3, sqs: world.clients.sqs, queueUrl: world.queueUrl }),
        store: world.store,
        campaignDefaults: world.campaignDefaults,
        leaseMs: 400,
        clock: () => (now += 50),
      },
      { bucket: world.bucket, key, etag },
    );
    const renewals = renew.mock.calls.map(([args]) => args.leaseUntil);
    renew.mockRestore();

    // Assert: ~50 s of this clock in 1,000 rows: renewed every third of the lease, none skipped.
    expect(result.record).toMatchObject({ rejected: 1000, accepted: 1, batches: 1 });
    expect(renewals.length).toBeGreaterThan(100);
    for (let i = 1; i < renewals.length; i++) {
      expect((renewals[i] ?? 0) - (renewals[i - 1] ?? 0)).toBeLessThanOrEqual(400);
    }
    await world.drain();
  });

  it('a crashed ingest is resumed after its lease expires without clobbering invited respondents', async () => {
    // Prepare: the ingest dies on its first campaign-record write (checkpoint or final counts) after its
    // messages went out.
    const key = 'campaigns/resume.csv';
    const n = 250;
    const { etag } = await world.upload(key, makeCsv(n, `resume.${world.domain}`, [], 'en'));
    const kill: KillSwitch = { dead: false };
    let sent = false;
    const dying = world.ingestWith({
      kill,
      onWrite: (name) => {
        if (sent && name === 'UpdateItemCommand') kill.dead = true;
      },
    });
    const sqsSend = world.clients.sqs.send.bind(world.clients.sqs);
    world.clients.sqs.send = ((command: never) => {
      sent = true;
      return sqsSend(command);
    }) as typeof world.clients.sqs.send;
    await expect(dying(world.s3Event(key, etag))).rejects.toThrow();
    world.clients.sqs.send = sqsSend as typeof world.clients.sqs.send;
    // The invite side already works on the enqueued batches.
    await world.drain();

    // Act: Lambda retries the event once the dead invocation's lease is over.
    await new Promise((resolve) => setTimeout(resolve, 450));
    const [resumed] = await world.ingest(world.s3Event(key, etag));
    await world.drain();

    // Assert
    expect(resumed?.outcome).toBe('resumed');
    const campaignId = resumed?.campaignId ?? '';
    const truth = await groundTruth(world, campaignId);
    expect(truth.respondents).toHaveLength(n);
    expect(truth.respondents.every((r) => r.state === 'emailed')).toBe(true);
    expect([...truth.byRecipient.values()].every((list) => list.length === 1)).toBe(true);
    expect(truth.byRecipient.size).toBe(n);
    expect(await world.store.getCampaign(campaignId)).toMatchObject({
      status: 'completed',
      accepted: n,
      emailed: n,
    });
    expect(campaignPk(campaignId)).toContain(campaignId);
    expect(respondentSk(2, 49)).toBe('R#000002#049');
  }, 120_000);
});
