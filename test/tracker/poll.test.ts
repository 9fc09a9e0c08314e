import { beforeAll, describe, expect, it } from 'vitest';
import type { InterviewRoom } from '#shared/aseed/schemas.ts';
import { funnelOf } from '#shared/report/funnel.ts';
import type { Store } from '#shared/store/ports.ts';
import { readReport, reportLine } from '#shared/store/report.ts';
import { pollDueCampaigns, type TrackerDeps } from '#shared/tracker/poll.ts';
import { fakeQueue } from '#test/ingest/fakes.ts';
import { fakeAseed } from '#test/invite/fakes.ts';
import { uniqueName } from '#test/support/aws.ts';
import { respondent, storeTargets, useStore } from '#test/support/store.ts';

// The tracker reads each project's rooms with one list call per tracked status, whatever the number of
// respondents, and writes only respondents whose room moved; its lease and rank-guarded writes make a crashed
// or concurrent poll lose or double nothing.
const T0 = Date.UTC(2026, 11, 3, 9, 0, 0);
const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** A campaign (enqueued at T0, tracked from then) whose `n` respondents each hold a fresh room of `aseed`. */
const trackedCampaign = async (
  store: Store,
  aseed: ReturnType<typeof fakeAseed>,
  n: number,
  options: { settings?: Record<string, unknown>; emailed?: boolean } = {},
) => {
  const campaignId = uniqueName('c');
  const projectId = `project-${campaignId}`;
  await store.startIngest({
    campaignId,
    source: { bucket: 'b', key: 'k.csv' },
    owner: 'o',
    nowMs: T0,
    leaseMs: MIN,
  });
  await store.renewIngestLease({
    campaignId,
    owner: 'o',
    leaseUntil: T0 + MIN,
    settings: { projectId, ...options.settings },
  });
  await store.finishIngest({
    campaignId,
    owner: 'o',
    nowMs: T0,
    counts: { rows: n, accepted: n, rejected: 0, duplicates: 0, suppressed: 0, batches: 1 },
  });
  const rooms = await aseed.api.createRooms({ project_id: projectId, count: n });
  const sks: string[] = [];
  for (const [seq, room] of rooms.entries()) {
    const item = respondent(campaignId, 0, seq);
    const room_ = { id: room.id, url: room.url, expiresAt: iso(T0 + 7 * 24 * 60 * MIN) };
    await store.transition(
      { campaignId, sk: item.sk, nowMs: T0, orCreate: item },
      { kind: 'assignRoom', room: room_ },
    );
    if (options.emailed) {
      const ref = { campaignId, sk: item.sk, nowMs: T0 };
      await store.transition(ref, { kind: 'claimSend', attempt: 'a', until: T0 + MIN });
      await store.transition(ref, { kind: 'markEmailed', messageId: `m-${seq}`, at: iso(T0) });
    }
    sks.push(item.sk);
  }
  return { campaignId, projectId, rooms, sks };
};

/** `store`, noting in `writes` each of its tracking writes (each one UpdateItem in the DynamoDB adapter). */
const countingWrites = (store: Store, writes: string[]): Store => {
  const names = ['claimPoll', 'endPoll', 'recordRoomProgress', 'recordRoomExpiry'] as const;
  const counted = { ...store };
  for (const name of names) {
    const write = store[name] as (args: never) => Promise<unknown>;
    (counted as Record<string, unknown>)[name] = (args: never) => {
      writes.push(name);
      return write(args);
    };
  }
  return counted;
};

/** Moves a room on the fake API as the real one would show it. */
const move = (room: InterviewRoom, status: 'active' | 'completed' | 'expired', atMs: number) => {
  room.status = status;
  if (status !== 'expired') room.started_at = room.started_at ?? iso(atMs - 10 * MIN);
  if (status === 'completed') room.finished_at = iso(atMs);
};

describe.each(storeTargets())('room tracking on $name', ({ endpoint }) => {
  const storeOf = useStore(endpoint, 'tracker');
  let store: Store;
  beforeAll(() => {
    store = storeOf();
  });
  const depsOf = (
    aseed: ReturnType<typeof fakeAseed>,
    clock: { now: number },
    id = 'poll',
    queue = fakeQueue().queue,
  ): TrackerDeps => ({
    store,
    aseed: aseed.api,
    queue,
    clock: () => clock.now,
    newId: () => `${id}-${clock.now}`,
  });

  it('records started, completed and expired with three list calls per project, and writes only what moved', async () => {
    // Prepare
    const aseed = fakeAseed();
    const { campaignId, rooms, sks } = await trackedCampaign(store, aseed, 40);
    const [a, b, c] = rooms;
    if (!a || !b || !c) throw new Error('no rooms');
    move(a, 'active', T0 + 20 * MIN);
    move(b, 'completed', T0 + 25 * MIN);
    move(c, 'expired', T0 + 30 * MIN);
    const clock = { now: T0 + 30 * MIN };

    // Act: a poll, then another at the next interval with nothing new.
    const first = await pollDueCampaigns(depsOf(aseed, clock));
    const listsAfterFirst = aseed.calls.list;
    clock.now += 5 * MIN;
    const second = await pollDueCampaigns(depsOf(aseed, clock));

    // Assert
    expect(first).toEqual([
      { campaignId, outcome: 'polled', listCalls: 3, changed: 3, open: 38, enqueued: 0, extended: 0 },
    ]);
    expect(listsAfterFirst).toBe(3);
    expect(second).toEqual([
      { campaignId, outcome: 'polled', listCalls: 3, changed: 0, open: 38, enqueued: 0, extended: 0 },
    ]);
    expect(await store.getRespondent(campaignId, sks[0] ?? '')).toMatchObject({
      roomStatus: 'started',
      startedAt: a.started_at,
    });
    expect(await store.getRespondent(campaignId, sks[1] ?? '')).toMatchObject({
      roomStatus: 'completed',
      startedAt: b.started_at,
      completedAt: b.finished_at,
    });
    expect(await store.getRespondent(campaignId, sks[2] ?? '')).toMatchObject({
      roomStatus: 'expired',
      expiredAt: c.expires_at,
    });
    expect(await store.getRespondent(campaignId, sks[3] ?? '')).not.toHaveProperty('roomStatus');
  });

  it("leaves each poll's funnel snapshot on the record, as funnelOf counts the report, at no write of its own", async () => {
    // Prepare: 6 emailed; SES reported 4 delivered, a bounce and an opt-out; 3 rooms moved on the API.
    const aseed = fakeAseed();
    const { campaignId, rooms } = await trackedCampaign(store, aseed, 6, { emailed: true });
    const outcomes = ['delivered', 'delivered', 'delivered', 'delivered', 'bounced', 'unsubscribed'] as const;
    const deliver = (seq: number, outcome: (typeof outcomes)[number]) =>
      store.recordDelivery({
        campaignId,
        batch: 0,
        seq,
        report: { kind: 'outcome', outcome, at: iso(T0 + MIN) },
        nowMs: T0 + MIN,
      });
    for (const [seq, outcome] of outcomes.entries()) await deliver(seq, outcome);
    const [a, b, c] = rooms;
    if (!a || !b || !c) throw new Error('no rooms');
    move(a, 'active', T0 + 20 * MIN);
    move(b, 'completed', T0 + 25 * MIN);
    move(c, 'expired', T0 + 30 * MIN);
    const clock = { now: T0 + 30 * MIN };
    const writes: string[] = [];
    const counted = (deps: TrackerDeps): TrackerDeps => ({ ...deps, store: countingWrites(store, writes) });
    const reportFunnel = async () => funnelOf((await readReport(store, campaignId)).map(reportLine));

    // Act: a poll; then SES reports the bounced address delivered after all (no room moves) and one more poll.
    await pollDueCampaigns(counted(depsOf(aseed, clock)));
    const first = (await store.getCampaign(campaignId))?.funnel;
    const firstReport = await reportFunnel();
    const firstWrites = writes.splice(0);
    await deliver(4, 'delivered');
    clock.now += 5 * MIN;
    await pollDueCampaigns(counted(depsOf(aseed, clock)));
    const second = (await store.getCampaign(campaignId))?.funnel;

    // Assert: the report's figures as of each poll; the lease's two writes plus the 3 moves, then 2.
    expect(first).toEqual({ ...firstReport, at: iso(T0 + 30 * MIN) });
    expect(first).toMatchObject({ emailed: 6, delivered: 4, bounced: 1, unsubscribed: 1, started: 2 });
    expect(first).toMatchObject({ completed: 1, expired: 1, complained: 0 });
    expect(second).toEqual({ ...(await reportFunnel()), at: iso(T0 + 35 * MIN) });
    expect(second?.delivered).toBe(5);
    expect(firstWrites.filter((w) => w === 'recordRoomProgress')).toHaveLength(3);
    expect(firstWrites.filter((w) => w !== 'recordRoomProgress')).toEqual(['claimPoll', 'endPoll']);
    expect(writes).toEqual(['claimPoll', 'endPoll']);
  });

  it('polls a campaign only when due: every 5 minutes on day one, every 15 on day two', async () => {
    // Prepare
    const aseed = fakeAseed();
    const { campaignId } = await trackedCampaign(store, aseed, 2);
    const clock = { now: T0 };

    // Act
    await pollDueCampaigns(depsOf(aseed, clock));
    clock.now = T0 + 4 * MIN;
    const early = await pollDueCampaigns(depsOf(aseed, clock));
    clock.now = T0 + 26 * 60 * MIN;
    await pollDueCampaigns(depsOf(aseed, clock));
    const record = await store.getCampaign(campaignId);

    // Assert
    expect(early.filter((r) => r.campaignId === campaignId)).toEqual([]);
    expect(record).toMatchObject({ polls: 2, lastPollAt: clock.now, nextPollAt: clock.now + 15 * MIN });
  });

  it('stops once sending is over and every room is done, and the index no longer lists the campaign', async () => {
    // Prepare
    const aseed = fakeAseed();
    const { campaignId, rooms, sks } = await trackedCampaign(store, aseed, 2);
    const clock = { now: T0 + 60 * MIN };
    for (const room of rooms) move(room, 'completed', clock.now);
    // The invite side finished: tally the batch and complete the campaign.
    await store.tallyBatch({
      campaignId,
      batch: 0,
      tally: { emailed: 2, failed: 0, deadLettered: 0, roomsCancelled: 0 },
      nowMs: clock.now,
    });
    await store.completeCampaign(campaignId, clock.now);
    await store.markRoomCancelled(campaignId, sks[1] ?? '');

    // Act
    const polled = await pollDueCampaigns(depsOf(aseed, clock));
    clock.now += 60 * MIN;
    const later = await pollDueCampaigns(depsOf(aseed, clock));

    // Assert: the cancelled room is not tracked; the completed one ends tracking, with a final funnel.
    expect(polled).toEqual([
      { campaignId, outcome: 'finished', listCalls: 3, changed: 1, open: 0, enqueued: 0, extended: 0 },
    ]);
    expect(later.filter((r) => r.campaignId === campaignId)).toEqual([]);
    const record = await store.getCampaign(campaignId);
    expect(record?.trackingEndedAt).toBe(iso(T0 + 60 * MIN));
    expect(record).not.toHaveProperty('trackPk');
    const lines = (await readReport(store, campaignId)).map(reportLine);
    expect(record?.funnel).toEqual({ ...funnelOf(lines), at: iso(T0 + 60 * MIN) });
    expect(record?.funnel).toMatchObject({ started: 1, completed: 1 });
  });

  it('loses nothing when a poll dies mid-way, and doubles nothing when two polls race', async () => {
    // Prepare
    const aseed = fakeAseed();
    const { campaignId, rooms } = await trackedCampaign(store, aseed, 6);
    for (const [i, room] of rooms.entries()) move(room, i % 2 ? 'completed' : 'active', T0 + 10 * MIN);
    const clock = { now: T0 + 10 * MIN };
    const dying: TrackerDeps = {
      ...depsOf(aseed, clock, 'dying'),
      store: {
        ...store,
        // Dies after its second write: the lease stays until it runs out.
        recordRoomProgress: (() => {
          let writes = 0;
          return async (args) => {
            if (++writes > 2) throw new Error('killed');
            return store.recordRoomProgress(args);
          };
        })(),
      },
    };

    // Act
    const died = await pollDueCampaigns(dying);
    const whileHeld = await pollDueCampaigns(depsOf(aseed, clock, 'second'));
    clock.now += 4 * MIN; // past the 3-minute lease
    const [left, right] = await Promise.all([
      pollDueCampaigns(depsOf(aseed, clock, 'left')),
      pollDueCampaigns(depsOf(aseed, clock, 'right')),
    ]);

    // Assert: the dead poll wrote 2, the lease kept the next one out, and one racer finished the rest.
    expect(died.find((r) => r.campaignId === campaignId)).toMatchObject({ outcome: 'failed' });
    expect(whileHeld.find((r) => r.campaignId === campaignId)).toEqual({ campaignId, outcome: 'busy' });
    const results = [...(left ?? []), ...(right ?? [])].filter((r) => r.campaignId === campaignId);
    const polled = results.filter((r) => r.outcome === 'polled');
    expect(polled).toHaveLength(1);
    expect(polled[0]).toMatchObject({ changed: 4 });
    const holders = await store.listRoomHolders(campaignId);
    expect(holders.map((h) => h.roomStatus).sort()).toEqual([
      'completed',
      'completed',
      'completed',
      'started',
      'started',
      'started',
    ]);
  });

  it('hands a due reminder to the invite queue once, and keeps pending rooms open for it with PATCH', async () => {
    // Prepare: invited at T0, rooms expire on day 7; the reminder is due on day 6, rooms kept 2 days past it.
    const aseed = fakeAseed();
    const settings = { reminders: [{ afterDays: 6 }], extendExpiryDays: 2 };
    const { campaignId, rooms, sks } = await trackedCampaign(store, aseed, 3, { settings, emailed: true });
    const [started] = rooms;
    if (!started) throw new Error('no rooms');
    move(started, 'active', T0 + 10 * MIN);
    const queue = fakeQueue();
    const clock = { now: T0 + 6 * 24 * 60 * MIN - 2 * MIN };

    // Act: the poll before it is due, the one after (polls are hourly by day 6), and one after it was sent.
    const before = await pollDueCampaigns(depsOf(aseed, clock, 'p1', queue.queue));
    clock.now += 60 * MIN;
    const due = await pollDueCampaigns(depsOf(aseed, clock, 'p2', queue.queue));
    for (const sk of sks.slice(1)) {
      const ref = { campaignId, sk, nowMs: clock.now };
      await store.claimFollowUp(ref, { kind: 'reminder1', attempt: 'i', until: clock.now + MIN });
      const outcome = { kind: 'sent', messageId: 'm', at: iso(clock.now) } as const;
      await store.settleFollowUp(ref, { kind: 'reminder1', attempt: 'i', outcome });
    }
    clock.now += 60 * MIN;
    const next = await pollDueCampaigns(depsOf(aseed, clock, 'p3', queue.queue));

    // Assert: two rooms moved once each (not the started one); one message for the batch.
    const mine = (results: typeof before) => results.find((r) => r.campaignId === campaignId);
    expect(mine(before)).toMatchObject({ outcome: 'polled', extended: 2, enqueued: 0 });
    expect(mine(due)).toMatchObject({ outcome: 'polled', extended: 0, enqueued: 1 });
    expect(mine(next)).toMatchObject({ outcome: 'polled', extended: 0, enqueued: 0 });
    expect(queue.messages()).toEqual([{ campaignId, batch: 0, followUp: 'reminder1' }]);
    const newExpiry = iso(T0 + 8 * 24 * 60 * MIN);
    expect(aseed.rooms.map((r) => r.expires_at)).toEqual([started.expires_at, newExpiry, newExpiry]);
    expect(aseed.calls.update).toBe(2);
    expect(await store.getRespondent(campaignId, sks[1] ?? '')).toMatchObject({ roomExpiresAt: newExpiry });
  });

  it('queues no follow-up and moves no expiry for a cancelled campaign, and still records its rooms', async () => {
    // Prepare: as above, but the campaign was cancelled before the reminder fell due.
    const aseed = fakeAseed();
    const settings = { reminders: [{ afterDays: 6 }], extendExpiryDays: 2 };
    const { campaignId, rooms } = await trackedCampaign(store, aseed, 2, { settings, emailed: true });
    const [started] = rooms;
    if (!started) throw new Error('no rooms');
    move(started, 'active', T0 + 10 * MIN);
    await store.cancelCampaign({ campaignId, revokeUnstarted: false, nowMs: T0 + MIN });
    const queue = fakeQueue();
    const clock = { now: T0 + 6 * 24 * 60 * MIN + 2 * MIN };

    // Act
    const results = await pollDueCampaigns(depsOf(aseed, clock, 'p1', queue.queue));

    // Assert
    expect(results.find((r) => r.campaignId === campaignId)).toMatchObject({
      enqueued: 0,
      extended: 0,
      changed: 1,
    });
    expect(queue.messages()).toEqual([]);
    expect(aseed.calls.update).toBe(0);
  });

  it('keeps polling the other campaigns when one project cannot be listed', async () => {
    // Prepare
    const aseed = fakeAseed();
    const broken = await trackedCampaign(store, aseed, 1);
    const healthy = await trackedCampaign(store, aseed, 1);
    const [room] = healthy.rooms;
    if (room) move(room, 'active', T0 + MIN);
    const clock = { now: T0 + 2 * MIN };
    const deps: TrackerDeps = {
      ...depsOf(aseed, clock),
      aseed: {
        ...aseed.api,
        listRooms: async (filter) => {
          if (filter?.projectId === broken.projectId) throw new Error('503 from the API');
          return aseed.api.listRooms(filter);
        },
      },
    };

    // Act
    const results = await pollDueCampaigns(deps);

    // Assert
    expect(results.find((r) => r.campaignId === broken.campaignId)).toMatchObject({ outcome: 'failed' });
    expect(results.find((r) => r.campaignId === healthy.campaignId)).toMatchObject({
      outcome: 'polled',
      changed: 1,
    });
  });
});
