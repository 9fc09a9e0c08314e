// The emails after the invitation (reminders, the thank-you) as each respondent records them: one attribute
// per kind, claimed by a send attempt under a lease like the invitation, so each goes at most once.
import {
  type FollowUpKind,
  type FollowUpSettings,
  followUpsOf,
  reminderDueAt,
} from '#shared/campaign/follow-ups.ts';
import type { DeliveryProgress } from '#shared/events/outcome.ts';
import type { RoomProgress } from '#shared/tracker/progress.ts';
import type { RespondentProgress } from './respondent.ts';

/** Where one follow-up of a respondent stands: held by an attempt, sent, or refused by SES for good. */
export type FollowUpState = 'sending' | 'sent' | 'failed';

/** One follow-up's record on the respondent (the attribute named after its kind). */
export interface FollowUpSend {
  state: FollowUpState;
  /** The send attempt that holds or held it, and until when (epoch ms; 0: the lease was ended). */
  attempt: string;
  until: number;
  messageId?: string;
  /** When SES took it (sent) or refused it (failed), ISO. */
  at?: string;
  reason?: string;
}

/** The follow-up attributes of a respondent item, each absent until its first claim. */
export type FollowUpProgress = Partial<Record<FollowUpKind, FollowUpSend>>;

/** What deciding on a follow-up reads of a respondent. */
export type FollowUpSubject = Pick<RespondentProgress, 'state'> &
  Pick<DeliveryProgress, 'delivery'> &
  Pick<RoomProgress, 'roomStatus' | 'roomRank'> &
  Pick<RespondentProgress, 'followUpsStopped'> &
  FollowUpProgress & { roomCancelled?: boolean };

/** The delivery outcomes after which a follow-up may still go (none yet, or delivered). */
export const FOLLOW_UP_DELIVERIES = ['delivered'] as const;

/**
 * True when the respondent may get this follow-up at all: invited (`emailed`), room not cancelled, follow-ups
 * not stopped by a cancel, and nothing bad heard of the address (no bounce, complaint or reject). A reminder
 * also needs a room that has not moved (not started, completed or expired); the thank-you needs a completed
 * interview. The store checks the same in its claim's condition.
 */
export const followUpEligible = (r: FollowUpSubject, kind: FollowUpKind): boolean => {
  if (r.state !== 'emailed' || r.roomCancelled || r.followUpsStopped) return false;
  if (r.delivery !== undefined && !(FOLLOW_UP_DELIVERIES as readonly string[]).includes(r.delivery)) {
    return false;
  }
  return kind === 'thanks' ? r.roomStatus === 'completed' : r.roomRank === undefined;
};

/** True when no attempt holds this follow-up any more and it was never sent or refused (a crash left it). */
export const followUpOpen = (r: FollowUpProgress, kind: FollowUpKind, nowMs: number): boolean => {
  const send = r[kind];
  return send === undefined || (send.state === 'sending' && send.until < nowMs);
};

/** A reminder is not worth sending to a room that closes within this: skipped like one already expired. */
export const MIN_ROOM_LEFT_MS = 3_600_000;

/** What timing a follow-up reads of a respondent besides {@link FollowUpSubject}. */
export type FollowUpTiming = FollowUpSubject & Pick<RespondentProgress, 'emailedAt' | 'roomExpiresAt'>;

/**
 * True when the campaign sends follow-up `kind`, the respondent may get it, and it is due at `nowMs`: a
 * reminder `afterDays` after the invitation went, while the room stays open at least {@link MIN_ROOM_LEFT_MS}
 * longer; the thank-you once the interview completed. Who holds or sent it is the caller's to check.
 */
export const followUpDue = (
  settings: FollowUpSettings,
  r: FollowUpTiming,
  kind: FollowUpKind,
  nowMs: number,
): boolean => {
  if (!followUpsOf(settings).includes(kind) || !followUpEligible(r, kind)) return false;
  if (kind === 'thanks') return true;
  const dueAt = reminderDueAt(settings, kind, r.emailedAt);
  if (dueAt === undefined || dueAt > nowMs) return false;
  return r.roomExpiresAt === undefined || Date.parse(r.roomExpiresAt) - nowMs >= MIN_ROOM_LEFT_MS;
};

/** How an attempt's follow-up send ended, as the store records it. */
export type FollowUpOutcome =
  | { kind: 'sent'; messageId: string; at: string }
  | { kind: 'failed'; reason: string; at: string }
  /** The SES call sent nothing and the claim was fresh: the attribute goes, the next attempt sends at once. */
  | { kind: 'release' }
  /** The SES call sent nothing, but the claim was taken over from a crashed attempt: only its lease ends. */
  | { kind: 'endLease' };

/** The record an outcome leaves, from the one the attempt held. */
export const settledSend = (held: FollowUpSend, outcome: FollowUpOutcome): FollowUpSend | undefined => {
  switch (outcome.kind) {
    case 'sent':
      return { ...held, state: 'sent', messageId: outcome.messageId, at: outcome.at };
    case 'failed':
      return { ...held, state: 'failed', reason: outcome.reason, at: outcome.at };
    case 'release':
      return undefined;
    case 'endLease':
      return { ...held, until: 0 };
  }
};
