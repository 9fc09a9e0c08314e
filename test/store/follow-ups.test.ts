import { beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '#shared/store/ports.ts';
import type { RespondentItem } from '#shared/store/types.ts';
import { uniqueName } from '#test/support/aws.ts';
import { respondent, storeTargets, useStore } from '#test/support/store.ts';

// Every store holds follow-ups to one contract: a claim goes to one attempt at a time, only while the
// respondent may still get that email, and an outcome is recorded only by the attempt that holds it.
const T0 = Date.UTC(2026, 11, 4, 9, 0, 0);
const MIN = 60_000;

describe.each(storeTargets())('follow-up claims on $name', ({ endpoint }) => {
  const storeOf = useStore(endpoint, 'followups');
  let store: Store;
  beforeAll(() => {
    store = storeOf();
  });

  /** A respondent taken through the invitation to `emailed`, holding room `room-<seq>`. */
  const emailed = async (seq: number): Promise<RespondentItem> => {
    const r = respondent(uniqueName('c'), 0, seq);
    const ref = { campaignId: r.campaignId, sk: r.sk, nowMs: T0 };
    const room = { id: `room-${seq}`, url: `https://x/room-${seq}` };
    await store.transition({ ...ref, orCreate: r }, { kind: 'assignRoom', room });
    await store.transition(ref, { kind: 'claimSend', attempt: 'a', until: T0 + MIN });
    await store.transition(ref, { kind: 'markEmailed', messageId: 'm', at: new Date(T0).toISOString() });
    return r;
  };
  const refOf = (r: RespondentItem, nowMs: number) => ({ campaignId: r.campaignId, sk: r.sk, nowMs });

  it('gives a reminder to one attempt, refuses a second while its lease runs, then lets one take over', async () => {
    // Prepare
    const r = await emailed(1);

    // Act
    const first = await store.claimFollowUp(refOf(r, T0), {
      kind: 'reminder1',
      attempt: 'a1',
      until: T0 + MIN,
    });
    const busy = await store.claimFollowUp(refOf(r, T0 + 1), {
      kind: 'reminder1',
      attempt: 'a2',
      until: T0 + MIN,
    });
    const other = await store.claimFollowUp(refOf(r, T0 + 1), {
      kind: 'reminder2',
      attempt: 'a2',
      until: T0 + MIN,
    });
    const takeover = await store.claimFollowUp(refOf(r, T0 + 2 * MIN), {
      kind: 'reminder1',
      attempt: 'a3',
      until: T0 + 3 * MIN,
    });
    const lateSettle = await store.settleFollowUp(refOf(r, T0 + 2 * MIN), {
      kind: 'reminder1',
      attempt: 'a1',
      outcome: { kind: 'sent', messageId: 'late', at: new Date(T0).toISOString() },
    });

    // Assert: the first claim was fresh, the takeover not (the crashed attempt may have sent).
    expect(first).toMatchObject({
      fresh: true,
      respondent: { reminder1: { state: 'sending', attempt: 'a1' } },
    });
    expect(busy).toBeUndefined();
    expect(other?.fresh).toBe(true);
    expect(takeover).toMatchObject({ fresh: false, respondent: { reminder1: { attempt: 'a3' } } });
    expect(lateSettle).toBe(false);
  });

  it('never claims a reminder again once it was sent or refused, and frees one the SES call never sent', async () => {
    // Prepare
    const [sent, refused, released] = [await emailed(1), await emailed(2), await emailed(3)];
    for (const r of [sent, refused, released]) {
      await store.claimFollowUp(refOf(r, T0), { kind: 'reminder1', attempt: 'a', until: T0 + MIN });
    }
    const at = new Date(T0).toISOString();

    // Act
    const settled = [
      await store.settleFollowUp(refOf(sent, T0), {
        kind: 'reminder1',
        attempt: 'a',
        outcome: { kind: 'sent', messageId: 'm-1', at },
      }),
      await store.settleFollowUp(refOf(refused, T0), {
        kind: 'reminder1',
        attempt: 'a',
        outcome: { kind: 'failed', reason: 'MessageRejected', at },
      }),
      await store.settleFollowUp(refOf(released, T0), {
        kind: 'reminder1',
        attempt: 'a',
        outcome: { kind: 'release' },
      }),
    ];
    const later = T0 + 10 * MIN;
    const again = await Promise.all(
      [sent, refused, released].map((r) =>
        store.claimFollowUp(refOf(r, later), { kind: 'reminder1', attempt: 'b', until: later + MIN }),
      ),
    );

    // Assert
    expect(settled).toEqual([true, true, true]);
    expect(await store.getRespondent(sent.campaignId, sent.sk)).toMatchObject({
      reminder1: { state: 'sent', messageId: 'm-1', at },
    });
    expect(again.map((c) => c?.fresh)).toEqual([undefined, undefined, true]);
  });

  it('refuses a reminder after the interview started, a bounce or a complaint, or a cancelled room', async () => {
    // Prepare
    const [started, bounced, complained, cancelled, delivered] = [
      await emailed(1),
      await emailed(2),
      await emailed(3),
      await emailed(4),
      await emailed(5),
    ];
    await store.recordRoomProgress({
      campaignId: started.campaignId,
      sk: started.sk,
      observation: { status: 'started', startedAt: new Date(T0).toISOString() },
      nowMs: T0,
    });
    for (const [r, outcome] of [
      [bounced, 'bounced'],
      [complained, 'complained'],
      [delivered, 'delivered'],
    ] as const) {
      await store.recordDelivery({
        campaignId: r.campaignId,
        batch: r.batch,
        seq: r.seq,
        report: { kind: 'outcome', outcome, at: new Date(T0).toISOString() },
        nowMs: T0,
      });
    }
    await store.markRoomCancelled(cancelled.campaignId, cancelled.sk);

    // Act
    const claims = await Promise.all(
      [started, bounced, complained, cancelled, delivered].map((r) =>
        store.claimFollowUp(refOf(r, T0), { kind: 'reminder1', attempt: 'a', until: T0 + MIN }),
      ),
    );

    // Assert: only the delivered respondent, whose room is still pending, gets it.
    expect(claims.map((c) => c !== undefined)).toEqual([false, false, false, false, true]);
  });

  it('gives the thank-you only to a respondent whose interview completed', async () => {
    // Prepare
    const [started, completed] = [await emailed(1), await emailed(2)];
    const observations = [
      [started, { status: 'started', startedAt: new Date(T0).toISOString() }],
      [completed, { status: 'completed', completedAt: new Date(T0).toISOString() }],
    ] as const;
    for (const [r, observation] of observations) {
      await store.recordRoomProgress({ campaignId: r.campaignId, sk: r.sk, observation, nowMs: T0 });
    }

    // Act
    const claims = await Promise.all(
      [started, completed].map((r) =>
        store.claimFollowUp(refOf(r, T0), { kind: 'thanks', attempt: 'a', until: T0 + MIN }),
      ),
    );

    // Assert
    expect(claims.map((c) => c?.fresh)).toEqual([undefined, true]);
  });

  it('keeps a respondent that never got its invitation out of every follow-up', async () => {
    // Prepare: a room assigned, never emailed.
    const r = respondent(uniqueName('c'), 0, 1);
    await store.transition(
      { campaignId: r.campaignId, sk: r.sk, nowMs: T0, orCreate: r },
      { kind: 'assignRoom', room: { id: 'room-1', url: 'https://x/room-1' } },
    );

    // Act
    const claim = await store.claimFollowUp(refOf(r, T0), {
      kind: 'reminder1',
      attempt: 'a',
      until: T0 + MIN,
    });

    // Assert
    expect(claim).toBeUndefined();
    expect(await store.getRespondent(r.campaignId, r.sk)).not.toHaveProperty('reminder1');
  });

  it('records a moved room expiry on its holder only', async () => {
    // Prepare
    const holder = await emailed(1);
    const none = respondent(uniqueName('c'), 0, 2);
    const expiresAt = new Date(T0 + 9 * 86_400_000).toISOString();

    // Act
    const moved = await store.recordRoomExpiry({
      campaignId: holder.campaignId,
      sk: holder.sk,
      expiresAt,
      nowMs: T0,
    });
    const missing = await store.recordRoomExpiry({
      campaignId: none.campaignId,
      sk: none.sk,
      expiresAt,
      nowMs: T0,
    });

    // Assert
    expect([moved, missing]).toEqual([true, false]);
    expect(await store.getRespondent(holder.campaignId, holder.sk)).toMatchObject({
      roomExpiresAt: expiresAt,
    });
    expect(await store.getRespondent(none.campaignId, none.sk)).toBeUndefined();
  });
});
