import { describe, expect, it } from 'vitest';
import { checkFollowUps, emailKindOf, type FollowUpObservation } from '#local/chaos/follow-ups.ts';
import type { InterviewRoom } from '#shared/aseed/schemas.ts';
import type { RespondentItem } from '#shared/store/types.ts';

// The chaos harness's follow-up oracle: reminders exactly when due (room unstarted, no opt-out), the
// thank-you exactly once per completed interview, the invitation's link, an opt-out recorded; a join or an
// opt-out within one poll of the moment may go either way.
const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 11, 4, 8, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();
const EMAIL = 'p@chaos.example.org';

const observation = (optOutAt?: number): FollowUpObservation => ({
  reminderDays: [0.25, 0.5],
  thankYou: true,
  optOuts: new Map(optOutAt === undefined ? [] : [[EMAIL, optOutAt]]),
});
const stored = { emailedAt: iso(T0), delivery: 'delivered', roomUrl: 'u1' } as RespondentItem;
const room = (startedAt?: number, finishedAt?: number) =>
  ({
    status: finishedAt ? 'completed' : startedAt ? 'active' : 'pending',
    ...(startedAt ? { started_at: iso(startedAt) } : {}),
    ...(finishedAt ? { finished_at: iso(finishedAt) } : {}),
  }) as InterviewRoom;

/** The violations the check finds for one respondent. */
const check = (args: {
  f?: FollowUpObservation;
  room?: InterviewRoom;
  reminders: number;
  thanks: number;
  urls?: string[];
  r?: RespondentItem;
  windowEvents?: number;
}) => {
  const found: string[] = [];
  const repeats: string[] = [];
  checkFollowUps({
    f: args.f ?? observation(),
    email: EMAIL,
    line: 2,
    stored: args.r ?? stored,
    room: args.room,
    invitationUrl: 'u1',
    got: { reminders: args.reminders, thanks: args.thanks, urls: args.urls ?? [] },
    windowEvents: args.windowEvents ?? 0,
    flag: (kind) => found.push(kind),
    onWindowRepeat: (detail) => repeats.push(detail),
  });
  return { found, repeats };
};

describe('the follow-up oracle', () => {
  it('tells reminders and thank-yous from invitations by the shipped subjects', () => {
    expect(emailKindOf('Reminder: your 30-minute voice interview is waiting')).toBe('reminder');
    expect(emailKindOf('Напоминание: вас ждёт голосовое интервью (30 мин.)')).toBe('reminder');
    expect(emailKindOf('Спасибо за интервью')).toBe('thanks');
    expect(emailKindOf('You are invited to a 30-minute voice interview')).toBe('invitation');
  });

  it('wants both reminders from someone who never started, and flags a missing or a third one', () => {
    expect(check({ reminders: 2, thanks: 0, urls: ['u1'] }).found).toEqual([]);
    expect(check({ reminders: 1, thanks: 0 }).found).toEqual(['follow-up-missing']);
    expect(check({ reminders: 3, thanks: 0 }).found).toEqual(['follow-up-duplicate']);
    expect(check({ reminders: 3, thanks: 0, windowEvents: 1 })).toEqual({
      found: [],
      repeats: [expect.any(String)],
    });
  });

  it('refuses a reminder after the room started, and allows either within one poll of the moment', () => {
    expect(check({ room: room(T0 + HOUR), reminders: 1, thanks: 0 }).found).toEqual(['follow-up-unwanted']);
    expect(check({ room: room(T0 + 8 * HOUR), reminders: 1, thanks: 0 }).found).toEqual([]);
    expect(check({ room: room(T0 + 8 * HOUR), reminders: 2, thanks: 0 }).found).toEqual([
      'follow-up-duplicate',
    ]);
    const nearSecond = T0 + 12 * HOUR + 5 * 60_000;
    expect(check({ room: room(nearSecond), reminders: 1, thanks: 0 }).found).toEqual([]);
    expect(check({ room: room(nearSecond), reminders: 2, thanks: 0 }).found).toEqual([]);
  });

  it('wants one thank-you per completed interview, none after an opt-out, and the opt-out recorded', () => {
    const done = room(T0 + HOUR, T0 + 2 * HOUR);
    expect(check({ room: done, reminders: 0, thanks: 1 }).found).toEqual([]);
    expect(check({ room: done, reminders: 0, thanks: 0 }).found).toEqual(['follow-up-missing']);
    const optedOut = { ...stored, delivery: 'unsubscribed' } as RespondentItem;
    const early = observation(T0 + 30 * 60_000);
    expect(check({ f: early, room: done, reminders: 0, thanks: 1, r: optedOut }).found).toEqual([
      'follow-up-unwanted',
    ]);
    expect(check({ f: early, room: done, reminders: 0, thanks: 0, r: optedOut }).found).toEqual([]);
    expect(check({ f: early, room: done, reminders: 0, thanks: 0 }).found).toEqual(['opt-out-lost']);
  });

  it('wants no follow-up after a cancel, and a revoking cancel to cancel every unstarted room', () => {
    const cancelAt = T0 + 9 * HOUR;
    const cancelled = { ...observation(), cancel: { atMs: cancelAt, revoke: false } };
    const revoking = { ...observation(), cancel: { atMs: cancelAt, revoke: true } };
    const revokedRoom = { status: 'cancelled' } as InterviewRoom;
    const revokedRespondent = { ...stored, state: 'cancelled', revoked: true } as RespondentItem;
    // Only the 6-hour reminder was due before the cancel at 9 hours.
    expect(check({ f: cancelled, reminders: 1, thanks: 0 }).found).toEqual([]);
    expect(check({ f: cancelled, reminders: 2, thanks: 0 }).found).toEqual(['follow-up-duplicate']);
    expect(
      check({ f: revoking, room: revokedRoom, r: revokedRespondent, reminders: 1, thanks: 0 }).found,
    ).toEqual([]);
    expect(check({ f: revoking, room: room(), reminders: 1, thanks: 0 }).found).toEqual(['revoke-missed']);
    const startedEarly = room(T0 + HOUR);
    expect(
      check({ f: revoking, room: startedEarly, r: revokedRespondent, reminders: 0, thanks: 0 }).found,
    ).toEqual(['revoke-missed']);
  });

  it('wants every follow-up to carry the invitation link', () => {
    expect(check({ reminders: 2, thanks: 0, urls: ['u1', 'u2'] }).found).toEqual(['follow-up-link']);
  });
});
