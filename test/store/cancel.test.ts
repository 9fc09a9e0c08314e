import { beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '#shared/store/ports.ts';
import type { RespondentItem } from '#shared/store/types.ts';
import { uniqueName } from '#test/support/aws.ts';
import { respondent, storeTargets, useStore } from '#test/support/store.ts';

// Every store holds a cancel to one contract: only a campaign past its ingest and not failed is cancelled, the
// first cancel time stays, a revocation is only ever added; and each cancel move applies only from its states.
const T0 = Date.UTC(2026, 11, 4, 9, 0, 0);
const MIN = 60_000;
const source = { bucket: 'b', key: 'campaigns/a.csv' };

describe.each(storeTargets())('cancel on $name', ({ endpoint }) => {
  const storeOf = useStore(endpoint, 'cancel');
  let store: Store;
  beforeAll(() => {
    store = storeOf();
  });

  const ingested = async (finish: boolean) => {
    const campaignId = uniqueName('c');
    await store.startIngest({ campaignId, source, owner: 'o', nowMs: T0, leaseMs: MIN });
    if (finish) {
      await store.finishIngest({
        campaignId,
        owner: 'o',
        nowMs: T0,
        counts: { rows: 2, accepted: 2, rejected: 0, duplicates: 0, suppressed: 0, batches: 1 },
      });
    }
    return campaignId;
  };

  it('cancels an enqueued campaign once, keeps the first time, and only ever adds the revocation', async () => {
    // Prepare
    const campaignId = await ingested(true);

    // Act
    const first = await store.cancelCampaign({ campaignId, revokeUnstarted: false, nowMs: T0 + MIN });
    const revoked = await store.cancelCampaign({ campaignId, revokeUnstarted: true, nowMs: T0 + 2 * MIN });
    const plain = await store.cancelCampaign({ campaignId, revokeUnstarted: false, nowMs: T0 + 3 * MIN });

    // Assert
    const at = new Date(T0 + MIN).toISOString();
    expect(first).toMatchObject({ cancelled: true, record: { status: 'cancelled', cancelledAt: at } });
    expect(first.record?.revokeUnstarted).toBeUndefined();
    expect(revoked).toMatchObject({ cancelled: true, record: { cancelledAt: at, revokeUnstarted: true } });
    expect(plain).toMatchObject({ cancelled: true, record: { cancelledAt: at, revokeUnstarted: true } });
  });

  it('refuses a campaign still ingesting, and one that does not exist', async () => {
    // Prepare
    const campaignId = await ingested(false);

    // Act
    const reading = await store.cancelCampaign({ campaignId, revokeUnstarted: false, nowMs: T0 });
    const missing = await store.cancelCampaign({
      campaignId: uniqueName('none'),
      revokeUnstarted: false,
      nowMs: T0,
    });

    // Assert
    expect(reading).toMatchObject({ cancelled: false, record: { status: 'ingesting' } });
    expect(missing).toEqual({ cancelled: false, record: undefined });
  });

  /** A respondent taken to `state` with room `room-<seq>`. */
  const at = async (seq: number, state: 'room_assigned' | 'sending' | 'emailed'): Promise<RespondentItem> => {
    const r = respondent(uniqueName('c'), 0, seq);
    const ref = { campaignId: r.campaignId, sk: r.sk, nowMs: T0 };
    await store.transition(
      { ...ref, orCreate: r },
      { kind: 'assignRoom', room: { id: `room-${seq}`, url: 'u' } },
    );
    if (state === 'room_assigned') return r;
    await store.transition(ref, { kind: 'claimSend', attempt: 'a', until: T0 + MIN });
    if (state === 'sending') return r;
    await store.transition(ref, { kind: 'markEmailed', messageId: 'm', at: new Date(T0).toISOString() });
    return r;
  };
  const refOf = (r: RespondentItem, nowMs: number) => ({ campaignId: r.campaignId, sk: r.sk, nowMs });

  it('cancels a respondent not yet sent to, and never one being sent to or already emailed', async () => {
    // Prepare
    const [assigned, sending, emailed] = [
      await at(1, 'room_assigned'),
      await at(2, 'sending'),
      await at(3, 'emailed'),
    ];
    const cancel = { kind: 'cancel', reason: 'campaign cancelled' } as const;

    // Act
    const moved = await Promise.all(
      [assigned, sending, emailed].map((r) => store.transition(refOf(r, T0), cancel)),
    );

    // Assert
    expect(moved).toEqual([true, false, false]);
    expect(await store.getRespondent(assigned.campaignId, assigned.sk)).toMatchObject({
      state: 'cancelled',
      roomUnsent: true,
      reason: 'campaign cancelled',
    });
  });

  it('cancels a sending respondent only once its lease ran out', async () => {
    // Prepare
    const r = await at(4, 'sending');
    const stale = (nowMs: number) => ({ kind: 'cancelStale', reason: 'x', revoke: true, nowMs }) as const;

    // Act
    const early = await store.transition(refOf(r, T0 + 1), stale(T0 + 1));
    const late = await store.transition(refOf(r, T0 + 2 * MIN), stale(T0 + 2 * MIN));

    // Assert
    expect([early, late]).toEqual([false, true]);
    const after = await store.getRespondent(r.campaignId, r.sk);
    expect(after).toMatchObject({ state: 'cancelled', revoked: true });
    expect(after?.sendAttempt).toBeUndefined();
  });

  it('revokes an emailed respondent only while its room has not moved', async () => {
    // Prepare
    const [unstarted, started] = [await at(5, 'emailed'), await at(6, 'emailed')];
    await store.recordRoomProgress({
      campaignId: started.campaignId,
      sk: started.sk,
      observation: { status: 'started', startedAt: new Date(T0).toISOString() },
      nowMs: T0,
    });
    const revoke = { kind: 'revoke', reason: 'revoked' } as const;

    // Act
    const moved = [
      await store.transition(refOf(unstarted, T0), revoke),
      await store.transition(refOf(started, T0), revoke),
      await store.transition(refOf(started, T0), { kind: 'stopFollowUps' }),
    ];

    // Assert
    expect(moved).toEqual([true, false, true]);
    expect(await store.getRespondent(unstarted.campaignId, unstarted.sk)).toMatchObject({
      state: 'cancelled',
      revoked: true,
    });
    expect(await store.getRespondent(started.campaignId, started.sk)).toMatchObject({
      state: 'emailed',
      followUpsStopped: true,
    });
  });
});
