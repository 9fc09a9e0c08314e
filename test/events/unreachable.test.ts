import { beforeAll, describe, expect, it } from 'vitest';
import { type SesEventType, sesEvent } from '#local/ses/events.ts';
import { AseedServerError } from '#shared/aseed/errors.ts';
import { respondentTag } from '#shared/events/outcome.ts';
import { recordSesEvent } from '#shared/events/record.ts';
import type { Store } from '#shared/store/ports.ts';
import { fakeAseed } from '#test/invite/fakes.ts';
import { uniqueName } from '#test/support/aws.ts';
import { respondent, storeTargets, useStore } from '#test/support/store.ts';

// A bounce or complaint gives the respondent's pending room back (DELETE, once) and puts the address on the
// deployment's suppression list (first entry kept), however often and in whatever order the events come.
const origin = { account: '111122223333', region: 'eu-west-1' };
const at = (s: number) => new Date(Date.UTC(2026, 11, 3, 12, 0, s));

const eventFor = (type: SesEventType, campaignId: string, seq: number, s: number) =>
  JSON.parse(
    JSON.stringify(
      sesEvent(
        type,
        {
          messageId: `m-${seq}`,
          from: 'research@invites.example.org',
          to: 'bounce@simulator.amazonses.com',
          subject: 's',
          tags: { campaign: campaignId, respondent: respondentTag(0, seq) },
        },
        origin,
        at(s),
      ),
    ),
  );

/** An emailed respondent holding a fresh pending room of `aseed`; returns its sort key and room id. */
const emailedWithRoom = async (
  store: Store,
  aseed: ReturnType<typeof fakeAseed>,
  campaignId: string,
  seq = 1,
) => {
  const [room] = await aseed.api.createRooms({ project_id: 'p', count: 1 });
  if (!room) throw new Error('the fake made no room');
  const item = respondent(campaignId, 0, seq);
  const ref = { campaignId, sk: item.sk, nowMs: 1 };
  await store.transition(
    { ...ref, orCreate: item },
    { kind: 'assignRoom', room: { id: room.id, url: room.url } },
  );
  await store.transition(ref, { kind: 'claimSend', attempt: 'a', until: 2 });
  await store.transition(ref, { kind: 'markEmailed', messageId: `m-${seq}`, at: at(0).toISOString() });
  return { sk: item.sk, roomId: room.id, email: item.email };
};

describe.each(storeTargets())('bounced and complained respondents on $name', ({ endpoint }) => {
  const storeOf = useStore(endpoint, 'unreachable');
  let store: Store;
  beforeAll(() => {
    store = storeOf();
  });

  it('cancels the room once and suppresses the address once, whatever the repeats and order', async () => {
    // Prepare
    const campaignId = uniqueName('c');
    const aseed = fakeAseed();
    const { sk, roomId, email } = await emailedWithRoom(store, aseed, campaignId);
    const deps = { store, aseed: aseed.api, clock: () => 5_000 };

    // Act: a bounce twice, then a late delivery and a complaint.
    const results = [];
    for (const [type, s] of [
      ['Bounce', 3],
      ['Bounce', 3],
      ['Delivery', 1],
      ['Complaint', 6],
    ] as const)
      results.push(await recordSesEvent(deps, eventFor(type, campaignId, 1, s)));

    // Assert
    expect(aseed.calls.delete).toBe(1);
    expect(aseed.rooms.find((r) => r.id === roomId)?.status).toBe('cancelled');
    expect(results.map((r) => ('settled' in r ? r.settled : undefined))).toEqual([
      { suppressed: true, room: 'cancelled' },
      { suppressed: false, room: 'cancelled' },
      undefined,
      { suppressed: false, room: 'cancelled' },
    ]);
    expect(await store.getRespondent(campaignId, sk)).toMatchObject({
      roomCancelled: true,
      delivery: 'complained',
    });
    const entries = (await store.listSuppressed(Number.MAX_SAFE_INTEGER)).filter(
      (e) => e.campaignId === campaignId,
    );
    expect(entries).toEqual([
      expect.objectContaining({
        emailKey: email,
        reason: 'bounced',
        at: at(3).toISOString(),
        suppressedAt: 5_000,
      }),
    ]);
  });

  it('keeps a room the respondent already started, and flags one the API no longer knows', async () => {
    // Prepare
    const campaignId = uniqueName('c');
    const aseed = fakeAseed();
    const started = await emailedWithRoom(store, aseed, campaignId, 1);
    const gone = await emailedWithRoom(store, aseed, campaignId, 2);
    const startedRoom = aseed.rooms.find((r) => r.id === started.roomId);
    if (startedRoom) startedRoom.status = 'active';
    aseed.rooms.splice(
      aseed.rooms.findIndex((r) => r.id === gone.roomId),
      1,
    );
    const deps = { store, aseed: aseed.api };

    // Act
    const kept = await recordSesEvent(deps, eventFor('Complaint', campaignId, 1, 4));
    const flagged = await recordSesEvent(deps, eventFor('Bounce', campaignId, 2, 4));

    // Assert
    expect('settled' in kept && kept.settled?.room).toBe('kept');
    expect(startedRoom?.status).toBe('active');
    expect((await store.getRespondent(campaignId, started.sk))?.roomCancelled).toBeUndefined();
    expect('settled' in flagged && flagged.settled?.room).toBe('cancelled');
    expect((await store.getRespondent(campaignId, gone.sk))?.roomCancelled).toBe(true);
  });

  it('throws when the API fails, and the repeated event finishes the job', async () => {
    // Prepare
    const campaignId = uniqueName('c');
    const aseed = fakeAseed();
    const { sk, roomId } = await emailedWithRoom(store, aseed, campaignId);
    const failing = {
      ...aseed.api,
      deleteRoom: async () => {
        throw new AseedServerError('503', { operation: 'deleteRoom', status: 503 });
      },
    };

    // Act
    const first = recordSesEvent({ store, aseed: failing }, eventFor('Bounce', campaignId, 1, 3));
    await expect(first).rejects.toBeInstanceOf(AseedServerError);
    const retry = await recordSesEvent({ store, aseed: aseed.api }, eventFor('Bounce', campaignId, 1, 3));

    // Assert: the retry found the outcome recorded (stale) and still gave the room back.
    expect(retry).toMatchObject({ kind: 'stale', settled: { room: 'cancelled' } });
    expect(aseed.rooms.find((r) => r.id === roomId)?.status).toBe('cancelled');
    expect((await store.getRespondent(campaignId, sk))?.roomCancelled).toBe(true);
  });
});
