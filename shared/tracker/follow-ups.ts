// What a poll does for the emails after the invitation: it hands each due reminder or thank-you to the invite
// side as one message per batch and kind (the invite side's claims make a repeated message harmless), and with
// `extendExpiryDays` it keeps a pending room open past the last reminder due to it (PATCH expires_at).
import {
  type FollowUpKind,
  type FollowUpSettings,
  followUpsOf,
  REMINDER_KINDS,
  reminderDueAt,
} from '#shared/campaign/follow-ups.ts';
import type { InviteMessage } from '#shared/campaign/messages.ts';
import { followUpDue, followUpEligible, followUpOpen } from '#shared/invite/follow-up.ts';
import type { RoomHolder } from '#shared/store/types.ts';
import { ROOM_RANK, type RoomObservation } from './progress.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** What a poll knows when it decides on follow-ups. */
export interface FollowUpView {
  campaignId: string;
  settings: FollowUpSettings;
  /** The holders as the store has them after this poll's moves. */
  holders: readonly RoomHolder[];
  /** Respondents whose interview this poll saw complete. */
  completedNow: ReadonlySet<string>;
  nowMs: number;
  /** The previous poll's time (none: this is the first). */
  lastPollAt: number | undefined;
  /** Sending waits (a quota, a paused account): no sweep adds to the waiting messages. */
  paused: boolean;
  /** No room is open any more: tracking may end with this poll, so whatever is still open goes now. */
  last: boolean;
}

/** The holders with this poll's observations applied (as recordRoomProgress wrote them: first times kept). */
export const withMoves = (
  holders: readonly RoomHolder[],
  moves: ReadonlyArray<{ holder: RoomHolder; observation: RoomObservation }>,
): RoomHolder[] => {
  const moved = new Map(moves.map(({ holder, observation }) => [holder.sk, observation]));
  return holders.map((h) => {
    const o = moved.get(h.sk);
    if (!o) return h;
    const next = { ...h, roomStatus: o.status, roomRank: ROOM_RANK[o.status] };
    // The funnel snapshot counts `started` by its time, so a room that started in this poll needs it.
    for (const f of ['startedAt', 'completedAt', 'expiredAt'] as const) {
      const at = h[f] ?? o[f];
      if (at) next[f] = at;
    }
    return next;
  });
};

/**
 * One message per batch and follow-up with a respondent due it and not sent it: promptly when it became
 * due since the last poll (a reminder's time passed, an interview completed), and in an hourly sweep (and on
 * a campaign's last poll) for any still open (a message lost or dead-lettered, a crashed attempt's claim run
 * out).
 */
export const followUpMessages = (view: FollowUpView): InviteMessage[] => {
  const { nowMs, lastPollAt } = view;
  const sweep =
    view.last ||
    (!view.paused &&
      (lastPollAt === undefined || Math.floor(nowMs / HOUR) !== Math.floor(lastPollAt / HOUR)));
  const wanted = new Map<string, InviteMessage>();
  for (const followUp of followUpsOf(view.settings)) {
    for (const h of view.holders) {
      if (!followUpDue(view.settings, h, followUp, nowMs) || !followUpOpen(h, followUp, nowMs)) continue;
      if (!sweep && !becameDue(view, h, followUp)) continue;
      const batch = h.batch;
      wanted.set(`${followUp}#${batch}`, { campaignId: view.campaignId, batch, followUp });
    }
  }
  return [...wanted.values()];
};

/** True when the follow-up became due between the last poll and this one. */
const becameDue = (view: FollowUpView, h: RoomHolder, kind: FollowUpKind): boolean => {
  if (kind === 'thanks') return view.completedNow.has(h.sk);
  const dueAt = reminderDueAt(view.settings, kind, h.emailedAt) ?? Number.POSITIVE_INFINITY;
  return view.lastPollAt === undefined || dueAt > view.lastPollAt;
};

/** A pending room to keep open longer, and its new expiry (ISO). */
export interface Extension {
  holder: RoomHolder;
  expiresAt: string;
}

/**
 * With `extendExpiryDays` N: each pending room (not started, invitation not bounced) that closes before N
 * days after the last reminder still due to it, and is still open, is kept open until then.
 */
export const roomsToExtend = (
  settings: FollowUpSettings,
  holders: readonly RoomHolder[],
  nowMs: number,
  limit: number,
): Extension[] => {
  const days = settings.extendExpiryDays;
  if (!days) return [];
  const reminders = followUpsOf(settings).filter((k) => (REMINDER_KINDS as readonly string[]).includes(k));
  const found: Extension[] = [];
  for (const holder of holders) {
    if (found.length >= limit) break;
    if (!holder.roomId || !holder.roomExpiresAt || !followUpEligible(holder, 'reminder1')) continue;
    const dues = reminders
      .filter((k) => holder[k] === undefined)
      .map((k) => reminderDueAt(settings, k, holder.emailedAt) ?? 0);
    if (dues.length === 0) continue;
    const target = Math.max(...dues) + days * DAY;
    const expiry = Date.parse(holder.roomExpiresAt);
    if (expiry > nowMs && expiry < target) found.push({ holder, expiresAt: new Date(target).toISOString() });
  }
  return found;
};
