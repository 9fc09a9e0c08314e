// What the Aseed API says became of a respondent's room after the email: started (active), completed, or
// expired unstarted. Progress only moves forward (a poll that reads an older list cannot undo a completion),
// so each status has a rank and the store applies one only over a lower rank.
import type { InterviewRoom } from '#shared/aseed/schemas.ts';

/** A room's progress as the tracker records it on the respondent. */
export type RoomProgressStatus = 'started' | 'completed' | 'expired';

/** Rank of each progress: a later poll applies only over a lower rank (completed and expired both end it). */
export const ROOM_RANK: Record<RoomProgressStatus, number> = { started: 1, completed: 2, expired: 2 };

/** The API statuses the tracker lists, one call each per project, and the progress each means. */
export const TRACKED_API_STATUSES = {
  active: 'started',
  completed: 'completed',
  expired: 'expired',
} as const satisfies Record<string, RoomProgressStatus>;

/** The progress attributes of a respondent item (absent until a poll sees the room move). */
export interface RoomProgress {
  roomStatus?: RoomProgressStatus;
  roomRank?: number;
  /** When the respondent joined (the API's started_at, ISO). */
  startedAt?: string;
  /** When the interview ended (finished_at, ISO). */
  completedAt?: string;
  /** When the room expired unstarted (its expires_at, ISO). */
  expiredAt?: string;
}

/** One observed move of a room, as the store records it. */
export interface RoomObservation {
  status: RoomProgressStatus;
  startedAt?: string;
  completedAt?: string;
  expiredAt?: string;
}

/** The observation a listed room makes, if its status is one the tracker records. */
export const observationOf = (room: InterviewRoom): RoomObservation | undefined => {
  const status = TRACKED_API_STATUSES[room.status as keyof typeof TRACKED_API_STATUSES];
  if (!status) return undefined;
  const at = (value: string | null | undefined) => value ?? undefined;
  const observation: RoomObservation = { status };
  const startedAt = at(room.started_at);
  const completedAt = at(room.finished_at);
  const expiredAt = at(room.expires_at);
  if (startedAt) observation.startedAt = startedAt;
  if (status === 'completed' && completedAt) observation.completedAt = completedAt;
  if (status === 'expired' && expiredAt) observation.expiredAt = expiredAt;
  return observation;
};

/** True when the store would change: the observation outranks what the respondent has. */
export const isNews = (current: RoomProgress, observation: RoomObservation): boolean =>
  (current.roomRank ?? 0) < ROOM_RANK[observation.status];
