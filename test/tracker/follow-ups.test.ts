import { describe, expect, it } from 'vitest';
import type { FollowUpSettings } from '#shared/campaign/follow-ups.ts';
import type { RoomHolder } from '#shared/store/types.ts';
import { type FollowUpView, followUpMessages, roomsToExtend } from '#shared/tracker/follow-ups.ts';

// What a poll hands the invite side: one message per batch and follow-up when one became due since the last
// poll, an hourly sweep for any still open, and with extendExpiryDays rooms kept open for their reminders.
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 11, 4, 9, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();

/** A respondent emailed at T0 whose room (pending) expires 7 days later. */
const holder = (batch: number, seq: number, more: Partial<RoomHolder> = {}): RoomHolder => ({
  sk: `r#${batch}#${seq}`,
  batch,
  roomId: `room-${batch}-${seq}`,
  roomExpiresAt: iso(T0 + 7 * DAY),
  state: 'emailed',
  emailedAt: iso(T0),
  ...more,
});

const settings: FollowUpSettings = { reminders: [{ afterDays: 2 }, { afterDays: 5 }], thankYou: {} };

const viewOf = (
  holders: RoomHolder[],
  nowMs: number,
  lastPollAt: number,
  more: Partial<FollowUpView> = {},
) => ({
  campaignId: 'c',
  settings,
  holders,
  completedNow: new Set<string>(),
  nowMs,
  lastPollAt,
  paused: false,
  last: false,
  ...more,
});

describe('follow-ups a poll enqueues', () => {
  it('enqueues a reminder once per batch on the poll after it became due, not on the next in the hour', () => {
    // Prepare
    const holders = [holder(0, 0), holder(0, 1), holder(1, 0)];
    const due = T0 + 2 * DAY;

    // Act
    const before = followUpMessages(viewOf(holders, due - 1, due - 5 * 60_000 - 1));
    const prompt = followUpMessages(viewOf(holders, due + 60_000, due - 4 * 60_000));
    const next = followUpMessages(viewOf(holders, due + 6 * 60_000, due + 60_000));

    // Assert
    expect(before).toEqual([]);
    expect(prompt).toEqual([
      { campaignId: 'c', batch: 0, followUp: 'reminder1' },
      { campaignId: 'c', batch: 1, followUp: 'reminder1' },
    ]);
    expect(next).toEqual([]);
  });

  it('sweeps still-open follow-ups when the hour turns or on the last poll, and holds the sweep while paused', () => {
    // Prepare: batch 0's reminder never went (its message was lost); batch 1's was sent.
    const sent = { state: 'sent', attempt: 'a', until: 0 } as const;
    const holders = [holder(0, 0), holder(1, 0, { reminder1: sent })];
    const now = T0 + 3 * DAY + HOUR + 30 * 60_000;
    const sameHour = now - 5 * 60_000;
    const lastHour = now - 2 * HOUR;

    // Act
    const quiet = followUpMessages(viewOf(holders, now, sameHour));
    const swept = followUpMessages(viewOf(holders, now, lastHour));
    const paused = followUpMessages(viewOf(holders, now, lastHour, { paused: true }));
    const last = followUpMessages(viewOf(holders, now, sameHour, { last: true }));

    // Assert
    const batch0 = [{ campaignId: 'c', batch: 0, followUp: 'reminder1' }];
    expect([quiet, swept, paused, last]).toEqual([[], batch0, [], batch0]);
  });

  it('thanks on the poll that saw an interview complete, and reminds nobody who started or bounced', () => {
    // Prepare
    const completed = holder(0, 0, { roomStatus: 'completed', roomRank: 3 });
    const started = holder(0, 1, { roomStatus: 'started', roomRank: 1 });
    const bounced = holder(1, 0, { delivery: 'bounced' });
    const now = T0 + 2 * DAY + 60_000;

    // Act
    const messages = followUpMessages(
      viewOf([completed, started, bounced], now, now - 5 * 60_000, { completedNow: new Set([completed.sk]) }),
    );

    // Assert
    expect(messages).toEqual([{ campaignId: 'c', batch: 0, followUp: 'thanks' }]);
  });
});

describe('rooms kept open for their reminders (extendExpiryDays)', () => {
  it('moves a pending room closing before N days after its last reminder, and leaves the rest', () => {
    // Prepare: rooms expire 4 days after the invitation; the second reminder is due on day 5.
    const extend = { ...settings, extendExpiryDays: 2 };
    const early = iso(T0 + 4 * DAY);
    const pending = holder(0, 0, { roomExpiresAt: early });
    const started = holder(0, 1, { roomExpiresAt: early, roomStatus: 'started', roomRank: 1 });
    const later = holder(0, 2, { roomExpiresAt: iso(T0 + 30 * DAY) });
    const expired = holder(0, 3, { roomExpiresAt: iso(T0 + DAY) });
    const remindedTwice = holder(0, 4, {
      roomExpiresAt: early,
      reminder1: { state: 'sent', attempt: 'a', until: 0 },
      reminder2: { state: 'sent', attempt: 'a', until: 0 },
    });
    const holders = [pending, started, later, expired, remindedTwice];

    // Act
    const moves = roomsToExtend(extend, holders, T0 + 2 * DAY, 100);
    const none = roomsToExtend(settings, holders, T0 + 2 * DAY, 100);
    const limited = roomsToExtend(extend, [pending, { ...pending, sk: 'x' }], T0 + 2 * DAY, 1);

    // Assert
    expect(moves).toEqual([{ holder: pending, expiresAt: iso(T0 + 7 * DAY) }]);
    expect(none).toEqual([]);
    expect(limited).toHaveLength(1);
  });
});
