import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { type SesEventType, sesEvent } from '#local/ses/events.ts';
import {
  type DeliveryReport,
  OUTCOME_RANK,
  OUTCOME_TIME_FIELD,
  respondentTag,
} from '#shared/events/outcome.ts';
import { recordSesEvent } from '#shared/events/record.ts';
import type { Store } from '#shared/store/ports.ts';
import type { RespondentItem } from '#shared/store/types.ts';
import { fakeAseed } from '#test/invite/fakes.ts';
import { uniqueName } from '#test/support/aws.ts';
import { respondent, storeTargets, useStore } from '#test/support/store.ts';

// SES events arrive at least once and in any order: whatever the order and the repeats, each respondent ends
// with the strongest outcome, every outcome's first time, and nothing recorded twice.
const origin = { account: '111122223333', region: 'eu-west-1' };

/** An SES event of `type` for respondent (batch, seq) of `campaignId`, at `at`. */
const eventFor = (type: SesEventType, campaignId: string, batch: number, seq: number, at: Date) =>
  JSON.parse(
    JSON.stringify(
      sesEvent(
        type,
        {
          messageId: `m-${batch}-${seq}`,
          from: 'research@invites.example.org',
          to: type === 'Bounce' ? 'bounce@simulator.amazonses.com' : 'complaint@simulator.amazonses.com',
          subject: 's',
          configurationSet: 'invites',
          tags: { campaign: campaignId, respondent: respondentTag(batch, seq) },
        },
        origin,
        at,
      ),
    ),
  );

/** A respondent that was emailed (or, with `state`, is still being sent to). */
const seed = async (
  store: Store,
  campaignId: string,
  seq: number,
  state: RespondentItem['state'] = 'emailed',
) => {
  const item = respondent(campaignId, 0, seq);
  const ref = { campaignId, sk: item.sk, nowMs: 1 };
  await store.transition(
    { ...ref, orCreate: item },
    { kind: 'assignRoom', room: { id: `room-${seq}`, url: 'https://x/r' } },
  );
  await store.transition(ref, { kind: 'claimSend', attempt: 'a', until: 2 });
  if (state === 'emailed')
    await store.transition(ref, {
      kind: 'markEmailed',
      messageId: `m-0-${seq}`,
      at: '2026-01-01T00:00:00.000Z',
    });
  return item.sk;
};

describe.each(storeTargets())('SES events recorded on $name', ({ endpoint }) => {
  const storeOf = useStore(endpoint, 'events');
  let store: Store;
  beforeAll(() => {
    store = storeOf();
  });
  const t = (s: number) => new Date(Date.UTC(2026, 11, 3, 12, 0, s));

  it('applies a duplicate once, and keeps a complaint over a later-arriving delivery, with both times', async () => {
    // Prepare
    const campaignId = uniqueName('c');
    const sk = await seed(store, campaignId, 1);
    const deps = { store, aseed: fakeAseed().api };

    // Act
    const results = [];
    for (const [type, at] of [
      ['Complaint', t(5)],
      ['Complaint', t(5)],
      ['Delivery', t(2)],
      ['Delivery', t(2)],
    ] as const) {
      results.push((await recordSesEvent(deps, eventFor(type, campaignId, 0, 1, at))).kind);
    }

    // Assert
    expect(results).toEqual(['applied', 'stale', 'stale', 'stale']);
    expect(await store.getRespondent(campaignId, sk)).toMatchObject({
      state: 'emailed',
      delivery: 'complained',
      deliveryReason: 'complaint: abuse',
      complainedAt: t(5).toISOString(),
      deliveredAt: t(2).toISOString(),
    });
  });

  it('records a bounce that arrives while the send is still being recorded (the crash window)', async () => {
    // Prepare: the respondent is still `sending`: SES's event beat the write of `emailed`.
    const campaignId = uniqueName('c');
    const sk = await seed(store, campaignId, 2, 'sending');

    // Act
    const result = await recordSesEvent(
      { store, aseed: fakeAseed().api },
      eventFor('Bounce', campaignId, 0, 2, t(3)),
    );
    const marked = await store.transition(
      { campaignId, sk, nowMs: 5 },
      { kind: 'markEmailed', messageId: 'm-0-2', at: '2026-01-01T00:00:00.000Z' },
    );

    // Assert: the bounce is kept, and the send's own record still lands.
    expect(result.kind).toBe('applied');
    expect(marked).toBe(true);
    expect(await store.getRespondent(campaignId, sk)).toMatchObject({
      state: 'emailed',
      delivery: 'bounced',
    });
  });

  it('never creates a respondent from an event, and keeps only the latest delay', async () => {
    // Prepare
    const campaignId = uniqueName('c');
    const sk = await seed(store, campaignId, 3);

    // Act
    const missing = await recordSesEvent(
      { store, aseed: fakeAseed().api },
      eventFor('Delivery', campaignId, 0, 99, t(1)),
    );
    const late = await recordSesEvent(
      { store, aseed: fakeAseed().api },
      eventFor('DeliveryDelay', campaignId, 0, 3, t(9)),
    );
    const early = await recordSesEvent(
      { store, aseed: fakeAseed().api },
      eventFor('DeliveryDelay', campaignId, 0, 3, t(4)),
    );

    // Assert
    expect([missing.kind, late.kind, early.kind]).toEqual(['missing', 'applied', 'stale']);
    expect(await store.getRespondent(campaignId, 'R#000000#099')).toBeUndefined();
    expect(await store.getRespondent(campaignId, sk)).toMatchObject({ delayedAt: t(9).toISOString() });
  });

  it('ends with the strongest outcome and every first time, whatever the order and repeats', async () => {
    const outcome = fc.constantFrom<DeliveryReport & { kind: 'outcome' }>(
      { kind: 'outcome', outcome: 'delivered', at: t(1).toISOString() },
      { kind: 'outcome', outcome: 'bounced', at: t(2).toISOString(), reason: 'Permanent bounce' },
      { kind: 'outcome', outcome: 'complained', at: t(3).toISOString(), reason: 'complaint' },
      {
        kind: 'outcome',
        outcome: 'rejected',
        at: t(1).toISOString(),
        reason: 'rejected by SES: Bad content',
      },
    );
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(outcome, { minLength: 1, maxLength: 8 }), async (reports) => {
        // Prepare
        const campaignId = `${uniqueName('p')}-${run++}`;
        const sk = await seed(store, campaignId, 4);

        // Act
        const results = [];
        for (const report of reports)
          results.push(await store.recordDelivery({ campaignId, batch: 0, seq: 4, report, nowMs: 9 }));

        // Assert
        const strongest = reports.reduce((a, b) =>
          OUTCOME_RANK[b.outcome] > OUTCOME_RANK[a.outcome] ? b : a,
        );
        const stored = await store.getRespondent(campaignId, sk);
        expect(stored?.delivery).toBe(strongest.outcome);
        for (const report of reports)
          expect(stored).toHaveProperty(OUTCOME_TIME_FIELD[report.outcome], report.at);
        // Each applied report raised the rank: at most one per distinct outcome.
        expect(results.filter((r) => r === 'applied').length).toBeLessThanOrEqual(
          new Set(reports.map((r) => r.outcome)).size,
        );
      }),
      { numRuns: endpoint ? 25 : 100, seed: 20261203 },
    );
  }, 60_000);
});
