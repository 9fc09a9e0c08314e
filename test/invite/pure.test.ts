import { describe, expect, it } from 'vitest';
import type { InterviewRoom } from '#shared/aseed/schemas.ts';
import { sleepUntil } from '#shared/campaign/pacer.ts';
import { tallyOf } from '#shared/invite/close.ts';
import { DEFAULT_INVITE, resolveInviteConfig } from '#shared/invite/config.ts';
import { chunksByLocale, claimLeadMs, sendMarginMs } from '#shared/invite/email/plan.ts';
import { RESPONDENT_STATES, type RespondentTransition, transitionSpec } from '#shared/invite/respondent.ts';
import { candidateRooms, splitCandidates } from '#shared/invite/rooms/reconcile.ts';
import type { RespondentItem, RoomMarkerItem } from '#shared/store/types.ts';
import { testSettings } from './fakes.ts';

const room = (id: string, createdAt: number, extra: Partial<InterviewRoom> = {}): InterviewRoom =>
  ({
    id,
    project_id: 'p',
    status: 'pending',
    max_duration_minutes: 30,
    created_at: new Date(createdAt).toISOString(),
    url: `https://x/${id}`,
    ...extra,
  }) as InterviewRoom;

describe('respondent state machine', () => {
  it('moves to a terminal state only from a state before it, and never out of one', () => {
    // Prepare
    const moves: RespondentTransition[] = [
      { kind: 'assignRoom', room: { id: 'r', url: 'u' } },
      { kind: 'claimSend', attempt: 'a', until: 1 },
      { kind: 'markEmailed', messageId: 'm', at: '2026-01-01T00:00:00.000Z' },
      { kind: 'fail', failure: { kind: 'rejected', reason: 'x' }, failedFrom: 'sending', roomUnsent: true },
      { kind: 'releaseSend', attempt: 'a' },
      { kind: 'endSendLease', attempt: 'a' },
    ];

    // Act
    const specs = moves.map(transitionSpec);

    // Assert
    for (const spec of specs) {
      expect(spec.from).not.toContain('emailed');
      expect(spec.from).not.toContain('failed');
      expect(RESPONDENT_STATES).toContain(spec.to);
    }
    expect(specs[3]?.set).toMatchObject({ failureKind: 'rejected', reason: 'x', roomUnsent: true });
    expect(specs[4]).toMatchObject({
      to: 'room_assigned',
      heldBy: 'a',
      remove: ['sendAttempt', 'sendingUntil'],
    });
  });
});

describe('reconcile matching', () => {
  it('takes pending rooms of the intent parameters in its window, closest first, none a record holds', () => {
    // Prepare
    const intent = {
      startedAt: 10_000,
      params: { projectId: 'p', maxDurationMinutes: 30, expiresInDays: 7 },
    };
    const listed = [
      room('far', 10_900),
      room('near', 10_050),
      room('early', 1_000),
      room('recorded', 10_010),
      room('other-duration', 10_020, { max_duration_minutes: 45 }),
      room('named', 10_030, { display_name: 'Ann' }),
    ];

    // Act
    const candidates = candidateRooms(listed, intent, {
      endedAt: 10_500,
      skewMs: 500,
      recordedRoomIds: new Set(['recorded']),
    });

    // Assert
    expect(candidates.map((r) => r.id)).toEqual(['near', 'far']);
  });

  it('adopts no more unmarked rooms than the create could have made beyond its own markers', () => {
    // Prepare
    const intent = { intentId: 'i1', count: 3, respondents: ['R#1', 'R#2', 'R#3'] };
    const candidates = [room('a', 1), room('b', 2), room('c', 3), room('d', 4)];
    const ours = { intentId: 'i1', respondentSk: 'R#2' } as RoomMarkerItem;
    const others = { intentId: 'i0', respondentSk: 'R#9' } as RoomMarkerItem;

    // Act
    const split = splitCandidates(intent, candidates, [ours, undefined, others, undefined]);

    // Assert
    expect(split.ours).toEqual([ours]);
    expect(split.adopt.map((r) => r.id)).toEqual(['b', 'd']);
    expect(split.waiting).toEqual(['R#1', 'R#3']);
  });
});

describe('send plan', () => {
  it('sends at most 50 per call and never mixes locales', () => {
    // Prepare
    const of = (n: number, language: string) =>
      Array.from({ length: n }, (_, i) => ({ sk: `${language}${i}`, language }) as RespondentItem);

    // Act
    const chunks = chunksByLocale(testSettings(), [...of(120, 'en'), ...of(3, 'ru')]);

    // Assert
    expect(chunks.map((c) => [c.locale, c.chunk.length])).toEqual([
      ['en', 50],
      ['en', 50],
      ['en', 20],
      ['ru', 3],
    ]);
  });

  it('widens the deadline margin with slow sends, within three times the safety margin', () => {
    // Prepare
    const config = resolveInviteConfig({ sendSafetyMs: 1000, sendLeaseMs: 2000 });

    // Act / Assert
    expect(sendMarginMs(config, { worstMs: 100 })).toBe(1000);
    expect(sendMarginMs(config, { worstMs: 1200 })).toBe(2400);
    expect(sendMarginMs(config, { worstMs: 60_000 })).toBe(3000);
    expect(claimLeadMs(config, { worstMs: 0 })).toBe(2 * DEFAULT_INVITE.claimEstimateMs);
    expect(claimLeadMs(config, { worstMs: 0, claimMs: 5000 })).toBe(500);
  });

  it('waits out a timer that fires before the slot, and gives up on a sleep that never waits', async () => {
    // Prepare: a timer that wakes one millisecond early each time, and one that does not wait at all.
    let now = 1000;
    const earlyTimer = async (ms: number) => {
      now += Math.max(ms - 1, 1);
    };
    const waits: number[] = [];
    const noWait = async (ms: number) => {
      waits.push(ms);
    };

    // Act
    await sleepUntil(1500, () => now, earlyTimer);
    await sleepUntil(1500, () => 0, noWait);

    // Assert
    expect(now).toBeGreaterThanOrEqual(1500);
    expect(waits).toEqual([1500, 1500, 1500]);
  });
});

describe('tallyOf', () => {
  it('counts as emailed a respondent a revoking cancel took after its invitation, not one cancelled before', () => {
    // Prepare
    const base = { state: 'cancelled', roomCancelled: true } as const;
    const respondents = [
      { state: 'emailed' },
      { ...base, emailedAt: '2026-12-06T10:00:00.000Z' },
      base,
      { state: 'failed', failureKind: 'dead-lettered' },
    ] as unknown as RespondentItem[];

    // Act
    const tally = tallyOf(respondents);

    // Assert
    expect(tally).toEqual({ emailed: 2, failed: 1, deadLettered: 1, roomsCancelled: 2 });
  });
});
