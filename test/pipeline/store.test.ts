import { beforeAll, describe, expect, it } from 'vitest';
import { createSharedPacer } from '#shared/campaign/pacer.ts';
import type { FunnelSnapshot } from '#shared/report/funnel.ts';
import { campaignIdFor, campaignPk, respondentSk, spareSk } from '#shared/store/keys.ts';
import type { Store } from '#shared/store/ports.ts';
import type { CreateIntent, IngestedRespondent, RespondentItem } from '#shared/store/types.ts';
import { uniqueName } from '#test/support/aws.ts';
import { respondent, storeTargets, useStore } from '#test/support/store.ts';

/** The JSON part of a batch record holding respondents `seqs`, as the ingest encodes it. */
const partOf = (campaignId: string, batch: number, seqs: number[]): Buffer =>
  Buffer.from(
    JSON.stringify(
      seqs.map((seq) => {
        const { line, email, fields } = respondent(campaignId, batch, seq);
        return { seq, line, email, fields } satisfies IngestedRespondent;
      }),
    ),
  );

/** Records batch `batch` of `campaignId` as the ingest does, one part per list of respondents. */
const recordBatch = (store: Store, campaignId: string, batch: number, parts: number[][]) =>
  store.writeBatches(
    [{ campaignId, batch, roomKey: 'k', parts: parts.map((seqs) => partOf(campaignId, batch, seqs)) }],
    0,
  );

/** An empty funnel snapshot as of `ms`. */
const funnelAt = (ms: number): FunnelSnapshot => ({
  emailed: 0,
  delivered: 0,
  bounced: 0,
  complained: 0,
  unsubscribed: 0,
  started: 0,
  completed: 0,
  expired: 0,
  at: new Date(ms).toISOString(),
});

/** Takes a respondent read from its batch through the transitions a send makes, to `emailed`. */
const emailRespondent = async (store: Store, r: RespondentItem, roomId: string, messageId: string) => {
  const ref = { campaignId: r.campaignId, sk: r.sk, nowMs: 1 };
  await store.transition(
    { ...ref, orCreate: r },
    { kind: 'assignRoom', room: { id: roomId, url: `https://x/${roomId}` } },
  );
  await store.transition(ref, { kind: 'claimSend', attempt: 'a', until: 2 });
  await store.transition(ref, { kind: 'markEmailed', messageId, at: '2026-01-01T00:00:00.000Z' });
};

describe.each(storeTargets())('campaign store on $name', ({ endpoint }) => {
  const storeOf = useStore(endpoint, 'store');
  let store: Store;
  beforeAll(() => {
    store = storeOf();
  });

  const source = { bucket: 'b', key: 'campaigns/a.csv', etag: 'e' };

  it('derives one campaign id from one bucket and key, another from another key or bucket', () => {
    // Act / Assert
    expect(campaignIdFor(source)).toBe(campaignIdFor({ bucket: 'b', key: 'campaigns/a.csv' }));
    expect(campaignIdFor(source)).not.toBe(campaignIdFor({ bucket: 'b', key: 'campaigns/b.csv' }));
    expect(campaignIdFor(source)).not.toBe(campaignIdFor({ bucket: 'c', key: 'campaigns/a.csv' }));
  });

  it('gives the ingest lease to one owner, makes a second wait, and lets it take over once expired', async () => {
    // Prepare
    const campaignId = uniqueName('c');

    // Act
    const first = await store.startIngest({ campaignId, source, owner: 'a', nowMs: 1000, leaseMs: 100 });
    const busy = await store.startIngest({ campaignId, source, owner: 'b', nowMs: 1050, leaseMs: 100 });
    const takeOver = await store.startIngest({ campaignId, source, owner: 'b', nowMs: 1200, leaseMs: 100 });
    const lost = store.renewIngestLease({ campaignId, owner: 'a', leaseUntil: 5000 });

    // Assert
    expect(first.outcome).toBe('created');
    expect(busy.outcome).toBe('busy');
    expect(takeOver.outcome).toBe('taken-over');
    await expect(lost).rejects.toThrow(/taken over/);
    const done = await store.finishIngest({
      campaignId,
      owner: 'b',
      nowMs: 1300,
      counts: { rows: 3, accepted: 2, rejected: 1, duplicates: 0, suppressed: 0, batches: 1 },
      columns: 'email ← E-Mail; merge fields: firma',
    });
    expect(done).toMatchObject({
      status: 'enqueued',
      batches: 1,
      columns: 'email ← E-Mail; merge fields: firma',
    });
    expect(
      (await store.startIngest({ campaignId, source, owner: 'c', nowMs: 9999, leaseMs: 1 })).outcome,
    ).toBe('done');
  });

  it("reopens a finished campaign for changed content once, adding the upload's counts to the campaign's", async () => {
    // Prepare: a first upload of 2 respondents in 1 batch and 1 rejected-row chunk.
    const campaignId = uniqueName('c');
    const counts = { rows: 3, accepted: 2, rejected: 1, duplicates: 0, suppressed: 0 };
    await store.startIngest({ campaignId, source, owner: 'a', nowMs: 0, leaseMs: 100 });
    await store.finishIngest({
      campaignId,
      owner: 'a',
      nowMs: 1,
      counts: { ...counts, batches: 1 },
      chunks: 1,
    });
    const changed = { ...source, etag: 'e2' };

    // Act: two starters race for the same new content, a third brings content again seen.
    const [one, two] = await Promise.all([
      store.startIngest({ campaignId, source: changed, owner: 'b', nowMs: 10, leaseMs: 100 }),
      store.startIngest({ campaignId, source: changed, owner: 'c', nowMs: 10, leaseMs: 100 }),
    ]);
    const seen = await store.startIngest({ campaignId, source, owner: 'd', nowMs: 10, leaseMs: 100 });
    const winner = one.outcome === 'reopened' ? 'b' : 'c';
    const done = await store.finishIngest({
      campaignId,
      owner: winner,
      nowMs: 20,
      counts: { ...counts, batches: 3 },
      chunks: 2,
      empty: false,
    });
    const again = await store.startIngest({
      campaignId,
      source: changed,
      owner: 'e',
      nowMs: 30,
      leaseMs: 100,
    });

    // Assert
    expect([one.outcome, two.outcome].sort()).toEqual(['busy', 'reopened']);
    const reopened = one.outcome === 'reopened' ? one.record : two.record;
    expect(reopened).toMatchObject({
      status: 'ingesting',
      checkpoint: 1,
      upload: { number: 2, tag: 'etag:e2', firstBatch: 1, firstChunk: 1, reopened: 'enqueued' },
    });
    expect(seen.outcome).toBe('done');
    expect(done).toMatchObject({
      status: 'enqueued',
      rows: 6,
      accepted: 4,
      rejected: 2,
      batches: 3,
      chunks: 2,
    });
    expect(again.outcome).toBe('done');
  });

  it('keeps tracking a campaign a later upload finished while a poll that began before ends', async () => {
    // Prepare: a poll takes a completed campaign whose rooms are all done; meanwhile upload 2 is ingested.
    const campaignId = uniqueName('c');
    const counts = { rows: 1, accepted: 1, rejected: 0, duplicates: 0, suppressed: 0, batches: 1 };
    await store.startIngest({ campaignId, source, owner: 'a', nowMs: 0, leaseMs: 100 });
    await store.finishIngest({ campaignId, owner: 'a', nowMs: 1, counts });
    const polled = await store.claimPoll({ campaignId, owner: 'poll', nowMs: 10, leaseMs: 1000 });
    await store.startIngest({
      campaignId,
      source: { ...source, etag: 'e2' },
      owner: 'b',
      nowMs: 11,
      leaseMs: 100,
    });
    await store.finishIngest({ campaignId, owner: 'b', nowMs: 12, counts: { ...counts, batches: 2 } });

    // Act: the old poll ends tracking, as it saw nothing left to poll.
    await store.endPoll({
      campaignId,
      owner: 'poll',
      nowMs: 13,
      nextPollAt: undefined,
      funnel: funnelAt(13),
    });

    // Assert: nor does its funnel snapshot land (the next poll counts one with the new upload's respondents).
    expect(polled).toBeDefined();
    const record = await store.getCampaign(campaignId);
    expect(record).toMatchObject({ trackPk: 'open', nextPollAt: 12, batches: 2 });
    expect(record).not.toHaveProperty('funnel');
  });

  it("records each poll's funnel snapshot with its end, the last one when tracking ends", async () => {
    // Prepare: a tracked campaign (due at once).
    const campaignId = uniqueName('c');
    const counts = { rows: 2, accepted: 2, rejected: 0, duplicates: 0, suppressed: 0, batches: 1 };
    await store.startIngest({ campaignId, source, owner: 'a', nowMs: 0, leaseMs: 100 });
    await store.finishIngest({ campaignId, owner: 'a', nowMs: 1, counts });
    const first = { ...funnelAt(10), emailed: 2, delivered: 1 };
    const last = { ...funnelAt(20), emailed: 2, delivered: 2, started: 1, completed: 1, expired: 1 };

    // Act: a poll that books the next one, then one that ends tracking.
    await store.claimPoll({ campaignId, owner: 'p1', nowMs: 10, leaseMs: 5 });
    await store.endPoll({ campaignId, owner: 'p1', nowMs: 10, nextPollAt: 20, funnel: first });
    const afterFirst = await store.getCampaign(campaignId);
    await store.claimPoll({ campaignId, owner: 'p2', nowMs: 20, leaseMs: 5 });
    await store.endPoll({ campaignId, owner: 'p2', nowMs: 20, nextPollAt: undefined, funnel: last });
    const afterLast = await store.getCampaign(campaignId);

    // Assert: replaced whole, and kept once the campaign leaves the tracking index.
    expect(afterFirst).toMatchObject({ nextPollAt: 20, polls: 1 });
    expect(afterFirst?.funnel).toEqual(first);
    expect(afterLast).not.toHaveProperty('trackPk');
    expect(afterLast?.funnel).toEqual(last);
  });

  it('lists campaigns newest first, a page at a time, without their settings', async () => {
    // Prepare: three campaigns newer than any other of this table (created in 2096), one with settings.
    const at = 4_000_000_000_000;
    const ids = [uniqueName('old'), uniqueName('mid'), uniqueName('new')];
    for (const [i, campaignId] of ids.entries()) {
      await store.startIngest({ campaignId, source, owner: 'o', nowMs: at + i * 1000, leaseMs: 1 });
    }
    await store.renewIngestLease({ campaignId: ids[2] ?? '', owner: 'o', leaseUntil: 1, settings: { a: 1 } });

    // Act
    const first = await store.listCampaigns({ limit: 2 });
    const second = await store.listCampaigns({ limit: 1, ...(first.next ? { next: first.next } : {}) });
    const bad = store.listCampaigns({ limit: 1, next: 'not-a-cursor' });

    // Assert
    expect(first.campaigns.map((c) => c.campaignId)).toEqual([ids[2], ids[1]]);
    expect(first.campaigns[0]?.settings).toBeUndefined();
    expect(first.next).toBeDefined();
    expect(second.campaigns.map((c) => c.campaignId)).toEqual([ids[0]]);
    await expect(bad).rejects.toThrow(/not a page cursor/);
  });

  it('puts a campaign back as it was when a later upload fails, keeping the reason apart', async () => {
    // Prepare
    const campaignId = uniqueName('c');
    const counts = { rows: 1, accepted: 1, rejected: 0, duplicates: 0, suppressed: 0, batches: 1 };
    await store.startIngest({ campaignId, source, owner: 'a', nowMs: 0, leaseMs: 100 });
    await store.finishIngest({ campaignId, owner: 'a', nowMs: 1, counts });
    await store.startIngest({
      campaignId,
      source: { ...source, etag: 'e2' },
      owner: 'b',
      nowMs: 2,
      leaseMs: 100,
    });

    // Act
    await store.failCampaign({
      campaignId,
      owner: 'b',
      reason: 'no email column',
      nowMs: 3,
      restore: 'enqueued',
    });

    // Assert
    const record = await store.getCampaign(campaignId);
    expect(record).toMatchObject({ status: 'enqueued', uploadFailure: 'no email column', accepted: 1 });
    expect(record?.failureReason).toBeUndefined();
    expect(record?.leaseOwner).toBeUndefined();
  });

  it('adds a batch tally once however often it is applied, then completes the campaign', async () => {
    // Prepare
    const campaignId = uniqueName('c');
    await store.startIngest({ campaignId, source, owner: 'a', nowMs: 0, leaseMs: 1000 });
    await store.finishIngest({
      campaignId,
      owner: 'a',
      nowMs: 1,
      counts: { rows: 3, accepted: 3, rejected: 0, duplicates: 0, suppressed: 0, batches: 2 },
    });
    const tally = { emailed: 2, failed: 0, deadLettered: 0, roomsCancelled: 0 };

    // Act
    const once = await store.tallyBatch({ campaignId, batch: 0, tally, nowMs: 2 });
    const twice = await store.tallyBatch({ campaignId, batch: 0, tally, nowMs: 3 });
    const early = await store.completeCampaign(campaignId, 4);
    await store.tallyBatch({ campaignId, batch: 1, tally: { ...tally, emailed: 0, failed: 1 }, nowMs: 5 });
    const completed = await store.completeCampaign(campaignId, 6);
    const again = await store.completeCampaign(campaignId, 7);

    // Assert
    expect(once.applied).toBe(true);
    expect(twice.applied).toBe(false);
    expect(early).toBe(false);
    expect(completed).toBe(true);
    expect(again).toBe(false);
    expect(await store.getCampaign(campaignId)).toMatchObject({
      status: 'completed',
      emailed: 2,
      failed: 1,
      batchesDone: 2,
    });
  });

  it('moves a respondent only from the expected state', async () => {
    // Prepare
    const campaignId = uniqueName('c');
    const r = respondent(campaignId, 0, 0);
    await recordBatch(store, campaignId, 0, [[0]]);
    await store.writeBatchRespondents(campaignId, 0);

    // Act
    const assigned = await store.transition(
      { campaignId, sk: r.sk, nowMs: 1 },
      { kind: 'assignRoom', room: { id: 'room-1', url: 'https://x/1' } },
    );
    const second = await store.transition(
      { campaignId, sk: r.sk, nowMs: 2 },
      { kind: 'assignRoom', room: { id: 'room-2', url: 'https://x/2' } },
    );
    // Writing the batch's items again (a later delivery) must not reset it.
    await store.writeBatchRespondents(campaignId, 0);

    // Assert
    expect(assigned).toBe(true);
    expect(second).toBe(false);
    expect(await store.getRespondent(campaignId, r.sk)).toMatchObject({
      state: 'room_assigned',
      roomId: 'room-1',
    });
  });

  it('creates a respondent read from its batch record with its first transition, never over a newer state', async () => {
    // Prepare: two respondents without items; the second is meanwhile written by someone else, and emailed.
    const campaignId = uniqueName('c');
    const unwritten = (seq: number): RespondentItem => ({
      ...respondent(campaignId, 0, seq),
      name: `Person ${seq}`,
      unwritten: true,
    });
    await recordBatch(store, campaignId, 0, [[0, 1]]);
    const [, second] = await store.queryBatch(campaignId, 0);
    if (!second) throw new Error('no respondent 1');
    await emailRespondent(store, second, 'room-early', 'm-1');
    const assign = (r: RespondentItem, roomId: string) =>
      store.transition(
        { campaignId, sk: r.sk, nowMs: 1, orCreate: r },
        { kind: 'assignRoom', room: { id: roomId, url: `https://x/${roomId}` } },
      );

    // Act
    const created = await assign(unwritten(0), 'room-0');
    const again = await assign(unwritten(0), 'room-x');
    const moved = await assign(unwritten(1), 'room-1');

    // Assert: the item has every field of the respondent, plus the room; nothing else changed.
    const item = await store.getRespondent(campaignId, respondentSk(0, 0));
    expect(created).toBe(true);
    expect(item).toMatchObject({ state: 'room_assigned', roomId: 'room-0', name: 'Person 0', line: 2 });
    expect(item).not.toHaveProperty('unwritten');
    expect(again).toBe(false);
    expect(moved).toBe(false);
    expect(await store.getRespondent(campaignId, respondentSk(0, 1))).toMatchObject({ state: 'emailed' });
    expect(await store.getRespondent(campaignId, respondentSk(0, 1))).toMatchObject({ roomId: 'room-early' });
  });

  it('serialises creates with a lease lock that keeps a crashed holder’s intent for the next holder', async () => {
    // Prepare
    const projectId = uniqueName('p');
    const intent: CreateIntent = {
      intentId: 'i1',
      campaignId: 'c',
      batch: 0,
      roomKey: 'k',
      params: { projectId, maxDurationMinutes: 30, expiresInDays: 7 },
      count: 2,
      respondents: ['R#000000#000', 'R#000000#001'],
      startedAt: 100,
    };

    // Act
    const a = await store.acquireCreateLock({ projectId, owner: 'a', nowMs: 100, leaseMs: 50 });
    await store.writeCreateIntent({ projectId, owner: 'a', intent, leaseUntil: 150 });
    const b = await store.acquireCreateLock({ projectId, owner: 'b', nowMs: 120, leaseMs: 50 });
    const c = await store.acquireCreateLock({ projectId, owner: 'c', nowMs: 200, leaseMs: 50 });
    const staleClear = await store.clearCreateIntent({ projectId, owner: 'a', intentId: 'i1' });
    const clear = await store.clearCreateIntent({ projectId, owner: 'c', intentId: 'i1' });

    // Assert
    expect(a.acquired).toBe(true);
    expect(b.acquired).toBe(false);
    expect(c.acquired && c.lock.intent).toMatchObject({ intentId: 'i1', count: 2 });
    expect(staleClear).toBe(false);
    expect(clear).toBe(true);
    await store.releaseCreateLock({ projectId, owner: 'c' });
    expect((await store.acquireCreateLock({ projectId, owner: 'd', nowMs: 201, leaseMs: 50 })).acquired).toBe(
      true,
    );
  });

  it('hands a spare room to one respondent only', async () => {
    // Prepare
    const campaignId = uniqueName('c');
    await store.putSpare({ campaignId, roomId: 'room-9', roomKey: 'k', url: 'https://x/9' }, 0);
    await store.putSpare({ campaignId, roomId: 'room-9', roomKey: 'k', url: 'https://x/9' }, 1);
    const [spare, ...more] = await store.listSpares(campaignId, 'k');
    if (!spare) throw new Error('no spare');
    expect(more).toHaveLength(0);
    expect(spare).toMatchObject({ pk: campaignPk(campaignId), sk: spareSk('k', 'room-9'), type: 'spare' });

    // Act
    const first = await store.takeSpare({ spare, respondentSk: 'R#1', nowMs: 1 });
    const other = await store.takeSpare({ spare, respondentSk: 'R#2', nowMs: 2 });
    const mineAgain = await store.takeSpare({ spare, respondentSk: 'R#1', nowMs: 3 });
    await store.releaseSpare({ spare, respondentSk: 'R#1' });
    const afterRelease = await store.takeSpare({ spare, respondentSk: 'R#2', nowMs: 4 });

    // Assert
    expect([first, other, mineAgain, afterRelease]).toEqual([true, false, true, true]);
    expect(await store.listSpares(campaignId, 'k')).toHaveLength(1);
  });
});

describe.each(storeTargets())('batch records on $name', ({ endpoint }) => {
  const storeOf = useStore(endpoint, 'batches');
  let store: Store;
  beforeAll(() => {
    store = storeOf();
  });

  it('reads respondents of an unhandled batch as accepted, from every part, in order', async () => {
    // Prepare: batch 3 in two parts, batch 4 beside it.
    const campaignId = uniqueName('c');
    await recordBatch(store, campaignId, 3, [[0, 1], [2]]);
    await recordBatch(store, campaignId, 4, [[0]]);

    // Act
    const batch = await store.queryBatch(campaignId, 3);
    const all = await store.listRespondents(campaignId);

    // Assert
    expect(batch.map((r) => [r.sk, r.state, r.email, r.unwritten])).toEqual([
      [respondentSk(3, 0), 'accepted', 'r0@example.com', true],
      [respondentSk(3, 1), 'accepted', 'r1@example.com', true],
      [respondentSk(3, 2), 'accepted', 'r2@example.com', true],
    ]);
    expect(all.map((r) => r.sk)).toEqual([...batch.map((r) => r.sk), respondentSk(4, 0)]);
  });

  it('gives a respondent read from its batch record the dedupe key of its address', async () => {
    // Prepare: the ingest stores the address as written, without its key.
    const campaignId = uniqueName('c');
    const stored: IngestedRespondent[] = [{ seq: 0, line: 2, email: 'Mixed.Case@Example.COM', fields: {} }];
    await store.writeBatches(
      [{ campaignId, batch: 0, roomKey: 'k', parts: [Buffer.from(JSON.stringify(stored))] }],
      0,
    );

    // Act
    const [read] = await store.queryBatch(campaignId, 0);

    // Assert
    expect(read).toMatchObject({ email: 'Mixed.Case@Example.COM', emailKey: 'mixed.case@example.com' });
  });

  it('writes each respondent its own item once, never over one that already moved on', async () => {
    // Prepare: respondent 1 already has an item that progressed (a concurrent delivery got there first).
    const campaignId = uniqueName('c');
    await recordBatch(store, campaignId, 0, [[0, 1, 2]]);
    const [, progressed] = await store.queryBatch(campaignId, 0);
    if (!progressed) throw new Error('no respondent 1');
    await emailRespondent(store, progressed, 'room-1', 'm-1');

    // Act: two deliveries at once.
    const [first, second] = await Promise.all([
      store.writeBatchRespondents(campaignId, 0),
      store.writeBatchRespondents(campaignId, 0),
    ]);

    // Assert
    for (const result of [first, second]) {
      expect(result.map((r) => [r.state, r.unwritten])).toEqual([
        ['accepted', undefined],
        ['emailed', undefined],
        ['accepted', undefined],
      ]);
    }
    expect(await store.getRespondent(campaignId, respondentSk(0, 2))).toMatchObject({
      state: 'accepted',
      email: 'r2@example.com',
      roomKey: 'k',
    });
    expect(await store.getRespondent(campaignId, respondentSk(0, 1))).toMatchObject({ messageId: 'm-1' });
  });
});

describe.each(storeTargets())('shared send schedule on $name', ({ endpoint }) => {
  const storeOf = useStore(endpoint, 'pacer');
  let store: Store;
  beforeAll(() => {
    store = storeOf();
  });

  it('paces every invocation on one schedule: together they stay within the rate', async () => {
    // Prepare: two invocations' pacers on one schedule at 50/s with no headroom; a clock that stands still.
    const key = uniqueName('ses');
    const now = 1_700_000_000_000;
    const pacer = () => createSharedPacer({ store, key, ratePerSecond: 50, headroom: 0, clock: () => now });
    const [a, b] = [pacer(), pacer()];

    // Act: a lone invocation uses the whole rate; then the second joins.
    const due = [await a.reserve(50), await b.reserve(50), await a.reserve(50)];

    // Assert: the first second's worth at once, then one second per 50, whoever sends.
    expect(due.map((slot) => slot.at - now)).toEqual([0, 1000, 2000]);
  });

  it('loses no reservation when invocations reserve at the same moment', async () => {
    // Prepare
    const key = uniqueName('ses');
    const now = 1_700_000_000_000;
    const pacers = Array.from({ length: 5 }, () =>
      createSharedPacer({ store, key, ratePerSecond: 50, headroom: 0, clock: () => now }),
    );

    // Act: 5 × 20 at once = 2 s of sending, then one more 50.
    const together = await Promise.all(pacers.map((p) => p.reserve(20)));
    const next = await pacers[0]?.reserve(50);

    // Assert: the 100 concurrent sends took their 2 s of schedule; the next 50 waits for it.
    expect(Math.max(...together.map((slot) => slot.at)) - now).toBeLessThanOrEqual(1000);
    expect((next?.at ?? 0) - now).toBe(2000);
  });

  it('makes a slot punctual, booked a lead ahead, only when its sends are a large part of a second', async () => {
    // Prepare: 50 sends at 50/s are a whole second's allowance; 50 at 1,000/s a twentieth of it.
    const now = 1_700_000_000_000;
    const at = (ratePerSecond: number) =>
      createSharedPacer({ store, key: uniqueName('ses'), ratePerSecond, clock: () => now });

    // Act
    const tight = await at(50).reserve(50, 300);
    const small = await at(50).reserve(10, 300);
    const loose = await at(1000).reserve(50, 300);

    // Assert: only the tight one waits for its lead; the others are due at once and claimed after.
    expect(tight).toEqual({ at: now + 300, punctual: true });
    expect(small).toEqual({ at: now, punctual: false });
    expect(loose).toEqual({ at: now, punctual: false });
  });

  it('leaves the default headroom of the rate unused, and banks no idle time', async () => {
    // Prepare: the default 5 % headroom at 50/s: 50 sends take 1000 / 0.95 ms of schedule.
    const key = uniqueName('ses');
    let now = 1_700_000_000_000;
    const pacer = createSharedPacer({ store, key, ratePerSecond: 50, clock: () => now });

    // Act: three calls of 50 back to back; then, after a minute idle, two more.
    const busy = [await pacer.reserve(50), await pacer.reserve(50), await pacer.reserve(50)].map(
      (slot) => slot.at - now,
    );
    now += 60_000;
    const afterIdle = [await pacer.reserve(50), await pacer.reserve(50)].map((slot) => slot.at - now);

    // Assert: the first goes at once (a full bucket), each next one 1052.6 ms of sends later (47.5/s),
    // rounded up to the next ms; idle time gives no extra burst.
    expect(busy).toEqual([0, 1053, 2106]);
    expect(afterIdle).toEqual([0, 1053]);
  });

  it('makes a small call wait for what a big one before it drew, as the SES bucket does', async () => {
    // Prepare: a sandbox account, 1/s (0.95/s with the headroom): a call of 16, then one of 2.
    const now = 1_700_000_000_000;
    const pacer = createSharedPacer({ store, key: uniqueName('ses'), ratePerSecond: 1, clock: () => now });

    // Act
    const big = await pacer.reserve(16);
    const small = await pacer.reserve(2);
    const next = await pacer.reserve(2);

    // Assert: the 2 go once the bucket has refilled what the 16 overdrew (16 / 0.95 s), not 2 / 0.95 s later.
    expect(big.at - now).toBe(0);
    expect(small.at - now).toBe(Math.ceil(16_000 / 0.95));
    expect(next.at - small.at).toBeGreaterThanOrEqual(Math.floor(2_000 / 0.95));
  });
});
