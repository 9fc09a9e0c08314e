// The follow-up checks of a chaos run with reminders, the thank-you and opt-outs: against the SES emulator's
// messages and the stand-in's rooms (the ground truth), with the simulated day's opt-outs as the harness made
// them. Each respondent gets each reminder at most once and exactly when due (room not started, not opted
// out), with its invitation's link; the thank-you exactly once when its interview completed; never after an
// opt-out. A decision the tracker makes within one poll of a join or an opt-out may go either way.

import type { InterviewRoom } from '#shared/aseed/schemas.ts';
import { DEFAULT_REMINDER, DEFAULT_THANKS } from '#shared/campaign/templates/follow-up.ts';
import type { RespondentItem } from '#shared/store/types.ts';

const DAY = 86_400_000;
/** How close a join or an opt-out may come to a follow-up's moment before either outcome is right. */
const TOLERANCE_MS = 15 * 60_000;

/** What a run with follow-ups adds to its observation. */
export interface FollowUpObservation {
  reminderDays: readonly number[];
  thankYou: boolean;
  /** Who opted out, and when (simulated clock, epoch ms). */
  optOuts: ReadonlyMap<string, number>;
  /** The campaign was cancelled at this moment (simulated clock), unstarted rooms revoked or not. */
  cancel?: { atMs: number; revoke: boolean };
}

/** An email's kind, from its subject: the shipped follow-up texts (chaos runs use them). */
export type EmailKind = 'invitation' | 'reminder' | 'thanks';

const prefixOf = (subject: string) => subject.split('{{')[0] ?? subject;
const REMINDER_PREFIXES = Object.values(DEFAULT_REMINDER).map((t) => prefixOf(t.subject));
const THANKS_PREFIXES = Object.values(DEFAULT_THANKS).map((t) => prefixOf(t.subject));

/** The kind of an email with this subject. */
export const emailKindOf = (subject: string): EmailKind => {
  if (REMINDER_PREFIXES.some((p) => subject.startsWith(p))) return 'reminder';
  if (THANKS_PREFIXES.some((p) => subject.startsWith(p))) return 'thanks';
  return 'invitation';
};

/** One respondent's follow-ups as SES received them. */
export interface ReceivedFollowUps {
  reminders: number;
  thanks: number;
  urls: string[];
}

type Flag = (kind: FollowUpViolation, detail: string, respondent: string, line: number) => void;

/** The follow-up guarantees a run can break. */
export type FollowUpViolation =
  | 'follow-up-duplicate'
  | 'follow-up-missing'
  | 'follow-up-unwanted'
  | 'follow-up-link'
  | 'opt-out-lost'
  /** A cancel with revocation left an unstarted room live, or its respondent not `cancelled`. */
  | 'revoke-missed';

/** How many of the reminders are due to this respondent: at least `min`, at most `max` (near calls). */
const remindersDue = (
  f: FollowUpObservation,
  stored: RespondentItem,
  room: InterviewRoom | undefined,
  email: string,
): { min: number; max: number } => {
  const emailedMs = Date.parse(stored.emailedAt ?? '');
  const startedMs = room?.started_at ? Date.parse(room.started_at) : Number.POSITIVE_INFINITY;
  const optOutMs = f.optOuts.get(email) ?? Number.POSITIVE_INFINITY;
  const cancelMs = f.cancel?.atMs ?? Number.POSITIVE_INFINITY;
  let min = 0;
  let max = 0;
  for (const days of f.reminderDays) {
    const dueMs = emailedMs + days * DAY;
    const stop = Math.min(startedMs, optOutMs, cancelMs);
    if (stop > dueMs + TOLERANCE_MS) min++;
    if (stop > dueMs - TOLERANCE_MS) max++;
  }
  return { min, max };
};

/** Whether the thank-you is due: its interview completed, and not after an opt-out (near calls go either way). */
const thanksDue = (f: FollowUpObservation, room: InterviewRoom | undefined, email: string) => {
  if (!f.thankYou || room?.status !== 'completed' || !room.finished_at) return { min: 0, max: 0 };
  const finishedMs = Date.parse(room.finished_at);
  const stop = Math.min(
    f.optOuts.get(email) ?? Number.POSITIVE_INFINITY,
    f.cancel?.atMs ?? Number.POSITIVE_INFINITY,
  );
  return { min: stop > finishedMs + TOLERANCE_MS ? 1 : 0, max: stop > finishedMs - TOLERANCE_MS ? 1 : 0 };
};

/**
 * Checks one invited respondent's follow-ups. `windowEvents` crashes in the SES window allow as many repeats
 * of one email (the documented at-least-once window), reported by the caller's `documented`.
 */
export const checkFollowUps = (args: {
  f: FollowUpObservation;
  email: string;
  line: number;
  stored: RespondentItem;
  room: InterviewRoom | undefined;
  invitationUrl: string | undefined;
  got: ReceivedFollowUps | undefined;
  windowEvents: number;
  flag: Flag;
  onWindowRepeat: (detail: string) => void;
}): void => {
  const { f, email, line, stored, room, got, flag } = args;
  const reminders = got?.reminders ?? 0;
  const thanks = got?.thanks ?? 0;
  const due = remindersDue(f, stored, room, email);
  const thank = thanksDue(f, room, email);
  for (const [what, count, want] of [
    ['reminders', reminders, due],
    ['thank-yous', thanks, thank],
  ] as const) {
    if (count < want.min) flag('follow-up-missing', `${count} ${what}, ${want.min} due`, email, line);
    else if (count > want.max + args.windowEvents) {
      flag(
        want.max === 0 ? 'follow-up-unwanted' : 'follow-up-duplicate',
        `${count} ${what}, at most ${want.max} due (${args.windowEvents} window crash(es))`,
        email,
        line,
      );
    } else if (count > want.max)
      args.onWindowRepeat(`${count} ${what} with ${want.max} due, within the SES window`);
  }
  const links = new Set(got?.urls ?? []);
  if (links.size > 1 || (links.size === 1 && args.invitationUrl && !links.has(args.invitationUrl))) {
    flag(
      'follow-up-link',
      `follow-ups carry ${[...links].join(' ')}, the invitation ${args.invitationUrl}`,
      email,
      line,
    );
  }
  if (f.optOuts.has(email) && stored.delivery !== 'unsubscribed') {
    flag('opt-out-lost', `opted out, the store records ${stored.delivery ?? 'no outcome'}`, email, line);
  }
  const revoked = revokeExpected(f, room, email);
  if (revoked === true && (room?.status !== 'cancelled' || stored.state !== 'cancelled')) {
    flag(
      'revoke-missed',
      `room ${room?.status ?? 'unknown'}, respondent ${stored.state} after the revoking cancel`,
      email,
      line,
    );
  } else if (revoked === false && stored.state === 'cancelled') {
    flag('revoke-missed', 'cancelled, though its room had started before the cancel', email, line);
  }
};

/** Whether a revoking cancel had to revoke this room (undefined: no such cancel, an opt-out, or a near call). */
const revokeExpected = (f: FollowUpObservation, room: InterviewRoom | undefined, email: string) => {
  if (!f.cancel?.revoke || f.optOuts.has(email) || !room) return undefined;
  const startedMs = room.started_at ? Date.parse(room.started_at) : Number.POSITIVE_INFINITY;
  if (startedMs > f.cancel.atMs + TOLERANCE_MS) return true;
  if (startedMs < f.cancel.atMs - TOLERANCE_MS) return false;
  return undefined;
};
